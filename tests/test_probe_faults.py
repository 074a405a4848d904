"""Network faults: each a named finding within the timeout, never a traceback."""

from __future__ import annotations

import http.server
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from mtls_tui.certs.issue import issue_ca, issue_leaf
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.lab.echo import EchoServer
from mtls_tui.lab.nginx import free_port
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ProbeFailure, ProbeResult, ProbeSpec, unique_findings
from mtls_tui.sources.probe import run_probe

TIMEOUT = 1.5


@contextmanager
def tcp_server(behaviour: str):
    """`silent`: accept and never answer; `close`: read the ClientHello, then close."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            if behaviour == "close":
                conn.recv(1024)
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def probe_codes(url: str, **extra) -> tuple[list, dict[str, str], float]:
    start = time.monotonic()
    results = run_probe(ProbeSpec(url, insecure=True, timeout=TIMEOUT, **extra))
    elapsed = time.monotonic() - start
    return results, {f.code: f.title for f in probe_findings(results)}, elapsed


def test_connection_refused() -> None:
    port = free_port()
    results, codes, elapsed = probe_codes(f"https://127.0.0.1:{port}/")
    assert results[0].failure.kind == "refused" and "refused" in codes["probe-connect-failed"]
    assert elapsed < TIMEOUT


def test_port_that_never_answers() -> None:
    with tcp_server("silent") as port:
        results, codes, elapsed = probe_codes(f"https://127.0.0.1:{port}/")
    assert results[0].failure.kind == "timeout" and "TLS handshake" in results[0].failure.message
    assert "probe-connect-failed" in codes and elapsed < TIMEOUT + 1


def test_server_closes_during_handshake() -> None:
    with tcp_server("close") as port:
        results, codes, elapsed = probe_codes(f"https://127.0.0.1:{port}/")
    assert results[0].failure.kind == "closed" and "handshake" in results[0].failure.message
    assert "probe-handshake-failed" in codes and elapsed < TIMEOUT


def test_plain_http_port() -> None:
    with EchoServer() as echo:
        results, codes, _ = probe_codes(f"https://127.0.0.1:{echo.port}/")
    assert results[0].failure.kind == "not-tls" and "probe-handshake-failed" in codes


@contextmanager
def https_server(folder: Path, cert_pem: bytes, key_pem: bytes):
    """An HTTPS server that answers 200 to every GET, with the given certificate."""
    write_file(folder / "server.crt", cert_pem)
    write_file(folder / "server.key", key_pem, private=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.crt", folder / "server.key")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_server_certificate_for_another_name(tmp_path: Path) -> None:
    """OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH is told from an untrusted chain: the finding names
    the mismatch, and the probe still shows the answer it got without verification (-k)."""
    ca = issue_ca("Probe Test CA")
    leaf = issue_leaf("other.test", ca, v1=False, sans=["other.test"])
    write_file(tmp_path / "ca.crt", ca.cert_pem())
    with https_server(tmp_path, leaf.cert_pem(), leaf.key_pem()) as port:
        results = run_probe(
            ProbeSpec(
                f"https://meow.test:{port}/",
                resolve=f"meow.test:{port}:127.0.0.1",
                cacert=str(tmp_path / "ca.crt"),
                timeout=5,
            )
        )
    assert results[0].status == 200 and results[0].server_verify_kind == "server-cert-hostname-mismatch"
    codes = {f.code for f in probe_findings(results)}
    assert "server-cert-hostname-mismatch" in codes and "server-cert-untrusted" not in codes


def test_both_attempts_refused_is_one_finding() -> None:
    """Without and with the certificate, the same refusal: said once (unique_findings), while the
    same finding about another subject stays."""
    refused = ProbeFailure("refused", "connection refused by 127.0.0.1:1 (nothing listens there)")
    attempt = ProbeResult(
        label="without client certificate",
        url="https://meow.com/",
        connect_to="127.0.0.1:1",
        sni="meow.com",
        host_header="meow.com",
        sent_client_cert=False,
        user_agent="t",
        verified_server=True,
        failure=refused,
    )
    findings = probe_findings([attempt, replace(attempt, label="with client certificate", sent_client_cert=True)])
    assert [f.code for f in findings] == ["probe-connect-failed"]
    other = replace(findings[0], subject="https://purr.com/")
    assert unique_findings([findings[0], other, findings[0]]) == [findings[0], other]


def test_unresolvable_name() -> None:
    results, codes, elapsed = probe_codes("https://no-such-host.invalid/")
    assert results[0].failure.kind == "dns" and "dns" in codes["probe-connect-failed"]
    assert elapsed < TIMEOUT + 0.5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["http://meow.com/"], "https:// URL"),
        (["https://meow.com/", "--resolve", "meow.com:443"], "HOST:PORT:ADDRESS"),
        (["https://meow.com:8443/", "--resolve", "meow.com:443:127.0.0.1"], "does not match"),
        (["https://meow.com/", "--key", "client.key"], "given without --cert"),
        (["https://meow.com/", "--cert", "/nonexistent.crt"], "no such file"),
        (["https://meow.com/", "-H", "no-colon"], "is not 'Name: value'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: list[str], message: str) -> None:
    out = subprocess.run([sys.executable, "-m", "mtls_tui", "probe", *argv], capture_output=True, text=True)
    assert out.returncode == 2 and message in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
