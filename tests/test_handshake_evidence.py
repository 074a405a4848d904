"""What the handshake tells, on real nginx: whether the server asked for a client
certificate and from which CAs (its CertificateRequest), and three causes that only
that evidence separates: no SNI, TLS ended by a proxy in front, and an upstream that
itself wants a client certificate.

nginx facts used: the CA names come from `ssl_client_certificate` (SSL_CTX_set_client_CA_list
in ngx_ssl_client_certificate); the default server finishes a handshake without SNI; the
Host header then selects the server whose `ssl_verify_client` finds no certificate (400,
ngx_http_process_request); measured here on Debian's nginx.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from mtls_tui.certs.certificate_request import acceptable_ca_names
from mtls_tui.certs.openssl_binding import name_rfc2253
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import SeedPki, write_file, write_seed_pki
from mtls_tui.model import MtlsPolicy, ProbeSpec
from mtls_tui.sources.probe import run_probe

pytestmark = pytest.mark.nginx
MTLS = MtlsPolicy("meow.com", secret="default/my-certs")


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeedPki]:
    folder = tmp_path_factory.mktemp("handshake")
    return folder, write_seed_pki(folder)


@pytest.fixture(scope="module")
def gateway(seed, nginx_binary: str):
    folder, pki = seed
    hosts = [
        GatewayHost(MTLS, pki.server.cert_pem(), pki.server.key_pem(), pki.ca.cert_pem()),
        GatewayHost(MtlsPolicy("plain.com"), pki.server.cert_pem(), pki.server.key_pem()),
    ]
    with Gateway(hosts, nginx_binary=nginx_binary) as gw:
        yield gw


def probe(gateway: Gateway, folder: Path, host: str = "meow.com", **extra):
    spec = ProbeSpec(
        gateway.url(host),
        resolve=gateway.resolve(host),
        insecure=True,
        timeout=5,
        cert=str(folder / "client.crt"),
        key=str(folder / "client.key"),
        **extra,
    )
    return run_probe(spec)


def test_the_certificate_request_names_the_secrets_ca(seed, gateway) -> None:
    folder, _ = seed
    results = probe(gateway, folder)
    assert all(r.cert_requested for r in results)
    assert results[0].acceptable_cas == ("CN=Fern Cert Authority",)
    finding = next(f for f in probe_findings(results, MTLS) if f.code == "probe-no-client-cert")
    assert "the server asked for a client certificate from: CN=Fern Cert Authority" in finding.evidence
    plain = probe(gateway, folder, "plain.com")
    assert [r.cert_requested for r in plain] == [False, False] and plain[1].acceptable_cas == ()


def test_certificate_request_parsing_in_tls_1_2(seed, gateway) -> None:
    """The TLS 1.2 layout (certificate_types, signature algorithms, then the names), on bytes a
    real nginx sent; the probe itself negotiates TLS 1.3, where the names sit in an extension."""
    messages: list[bytes] = []
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context._msg_callback = lambda conn, direction, version, kind, msg_type, data: (  # type: ignore[attr-defined]
        messages.append(bytes(data)) if direction == "read" and msg_type == 13 else None
    )
    with (
        socket.create_connection(("127.0.0.1", gateway.port)) as raw,
        context.wrap_socket(raw, server_hostname="meow.com"),
    ):
        pass
    names = acceptable_ca_names(messages[0], tls13=False)
    assert [name_rfc2253(n) for n in names] == ["CN=Fern Cert Authority"]
    assert acceptable_ca_names(messages[0][:20], tls13=False) == ()  # cut short: no names, no exception


def test_no_sni_is_named_and_its_fix_runs(seed, gateway, curl_binary: str) -> None:
    folder, _ = seed
    results = probe(gateway, folder, no_sni=True)
    assert [r.sni for r in results] == [None, None] and results[1].status == 400
    assert results[1].cert_requested is False  # the default server finished the handshake
    finding = next(f for f in probe_findings(results, MTLS) if f.code == "probe-no-sni")
    assert "-noservername" in results[1].openssl and "--resolve" not in results[1].curl
    done = subprocess.run(["bash", "-c", finding.fix], cwd=folder, capture_output=True, text=True, timeout=20)
    assert re.search(r"< HTTP/\S+ 200", done.stderr) and "ssl-client-verify=SUCCESS" in done.stdout, done.stderr


def _tls_terminating_proxy(prefix: Path, port: int, inner: Gateway, pki: SeedPki) -> str:
    """A load balancer that terminates TLS itself (no client certificate asked) and opens its
    own TLS connection to the controller, as an L7 cloud load balancer does."""
    write_file(prefix / "lb.crt", pki.server.cert_pem())
    write_file(prefix / "lb.key", pki.server.key_pem(), private=True)
    return (
        f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name meow.com;\n"
        f"  ssl_certificate {prefix}/lb.crt;\n  ssl_certificate_key {prefix}/lb.key;\n"
        f"  location / {{\n    proxy_pass https://127.0.0.1:{inner.port};\n    proxy_set_header Host $host;\n"
        "    proxy_ssl_server_name on;\n    proxy_ssl_name meow.com;\n  }\n}"
    )


def test_a_tls_terminating_proxy_in_front_is_named(seed, gateway, nginx_binary: str) -> None:
    folder, pki = seed
    port = free_port()
    with Nginx(lambda prefix: _tls_terminating_proxy(prefix, port, gateway, pki), [port], binary=nginx_binary):
        results = run_probe(
            ProbeSpec(
                f"https://meow.com:{port}/",
                resolve=f"meow.com:{port}:127.0.0.1",
                insecure=True,
                timeout=5,
                cert=str(folder / "client.crt"),
                key=str(folder / "client.key"),
            )
        )
    assert [r.status for r in results] == [400, 400]  # the controller's 'No required SSL certificate was sent'
    codes = {f.code: f for f in probe_findings(results, MTLS)}
    assert "probe-cert-not-forwarded" in codes and "probe-misdirected" not in codes
    assert "the server asked for no client certificate in the handshake" in codes["probe-cert-not-forwarded"].evidence


class _UpstreamWantingACertificate:
    """An HTTPS application that itself requires a client certificate (CERT_REQUIRED)."""

    def __init__(self, folder: Path, pki: SeedPki) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(folder / "server.crt", folder / "server.key")
        self.context.load_verify_locations(folder / "ca.crt")
        self.context.verify_mode = ssl.CERT_REQUIRED
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for _ in range(4):  # bounded: the test makes two requests
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(4096)
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except (ssl.SSLError, OSError):
                continue

    def close(self) -> None:
        self.sock.close()


def test_an_upstream_that_wants_a_certificate_gives_502_with_a_fix(seed, nginx_binary: str) -> None:
    folder, pki = seed
    upstream = _UpstreamWantingACertificate(folder, pki)
    port = free_port()
    body = lambda prefix: (  # noqa: E731  ingress-nginx with backend-protocol HTTPS and no proxy-ssl-secret
        f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name meow.com;\n"
        f"  ssl_certificate {folder}/server.crt;\n  ssl_certificate_key {folder}/server.key;\n"
        f"  ssl_client_certificate {folder}/ca.crt;\n  ssl_verify_client on;\n"
        f"  location / {{ proxy_pass https://127.0.0.1:{upstream.port}; }}\n}}"
    )
    try:
        with Nginx(body, [port], binary=nginx_binary) as nginx:
            results = run_probe(
                ProbeSpec(
                    f"https://meow.com:{port}/",
                    resolve=f"meow.com:{port}:127.0.0.1",
                    insecure=True,
                    timeout=5,
                    cert=str(folder / "client.crt"),
                    key=str(folder / "client.key"),
                )
            )
            log = (nginx.prefix / "error.log").read_text()
    finally:
        upstream.close()
    assert [r.status for r in results] == [400, 502]
    finding = next(
        f for f in probe_findings(results, MTLS, "meow-ingress -n default") if f.code == "probe-upstream-failed"
    )
    assert finding.severity.value == "error" and "proxy-ssl-secret=default/upstream-client" in finding.fix
    assert "while SSL handshaking to upstream" in log  # what the finding tells the user to look for


def test_the_upstream_fix_runs_on_the_lab(tmp_path: Path, nginx_binary: str) -> None:
    """The printed kubectl command, exactly as printed, against the lab's API server."""
    from dataclasses import replace

    from mtls_tui.lab.environment import Lab
    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        [without] = run_probe(
            ProbeSpec(lab.gateway.url("meow.com"), resolve=lab.gateway.resolve("meow.com"), insecure=True, timeout=5)
        )
        answered = [without, replace(without, status=502, sent_client_cert=True, label="with client certificate")]
        fix = next(
            f.fix
            for f in probe_findings(answered, MTLS, "meow-ingress -n default")
            if f.code == "probe-upstream-failed"
        )
        done = subprocess.run(
            fix.replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} ", 1),
            shell=True,
            cwd=lab.folder,
            env={**os.environ, "KUBECONFIG": str(lab.kubeconfig)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        ingress = lab.cluster.get("Ingress", "default", "meow-ingress")
        assert (
            ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-ssl-secret"]
            == "default/upstream-client"
        )
