"""Network faults: each a named finding within the timeout, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.lab.echo import EchoServer
from mtls_tui.lab.nginx import free_port
from mtls_tui.model import ProbeSpec
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
