"""What the probe's timings mean, on a real nginx. After a TLS 1.3 handshake the probe reads
before it writes, for the server's verdict on the client certificate (sources/probe.py,
_FirstRead): that read is its own timing (`verdict`), never part of the handshake's (`tls`, the
client's handshake alone) nor of first byte and total (curl writes at once: they time the server).

Measured here on Debian's nginx 1.22.1 (OpenSSL 3.0): it sends its TLS 1.3 session tickets right
after the handshake, with `ssl_session_tickets off` and `ssl_session_cache off` too, so the probe's
wait ends at once there. The long wait (a server silent until the request) is played by a real
OpenSSL server with no tickets (tests/test_probe_alerts.closing_server), and the alert's by a
real Envoy (tests/test_probe_envoy_alerts.py).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import write_seed_pki
from mtls_tui.model import ProbeResult, ProbeSpec
from mtls_tui.report.console import probe_column, timing_scale
from mtls_tui.sources.probe import FIRST_READ_FLOOR, run_probe
from tests.test_probe_alerts import _probe, closing_server, material  # noqa: F401 (material: the fixture)

pytestmark = pytest.mark.nginx


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("timings")
    write_seed_pki(folder)
    return folder


def _server(folder: Path, port: int) -> str:
    return (
        f"  server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name meow.com;\n"
        f"    ssl_protocols TLSv1.3;\n    ssl_certificate {folder / 'server.crt'};\n"
        f"    ssl_certificate_key {folder / 'server.key'};\n    ssl_client_certificate {folder / 'ca.crt'};\n"
        f'    ssl_verify_client optional;\n    location / {{ return 200 "ok\\n"; }}\n  }}\n'
    )


@pytest.fixture(scope="module")
def port(folder: Path, nginx_binary: str) -> Iterator[int]:
    port = free_port()
    with Nginx(lambda prefix: _server(folder, port), [port], binary=nginx_binary):
        yield port


def probed(folder: Path, port: int) -> ProbeResult:
    spec = ProbeSpec(
        f"https://meow.com:{port}/",
        resolve=f"meow.com:{port}:127.0.0.1",
        insecure=True,
        cert=str(folder / "client.crt"),
        key=str(folder / "client.key"),
        timeout=5,
    )
    return run_probe(spec)[1]  # with the client certificate


def shown(result: ProbeResult) -> str:
    """The timing rows as `probe` and the Probe tab print them."""
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(probe_column(result, timing_scale([result])))
    return console.export_text()


def test_nginx_a_session_ticket_ends_the_wait_at_once(folder: Path, port: int) -> None:
    """nginx 1.22 sends its TLS 1.3 tickets right after the handshake (with ssl_session_tickets and
    ssl_session_cache off too: measured here): the wait is short, timed apart, and shown."""
    result = probed(folder, port)
    timings = result.timings
    assert result.status == 200 and "session ticket" in (result.first_read or ""), result.first_read
    assert timings.verdict is not None and timings.verdict < FIRST_READ_FLOOR * 1000 / 2, timings
    assert timings.first_byte is not None and timings.total is not None and timings.first_byte <= timings.total
    assert timings.tls is not None and timings.tls > 0
    assert f"{timings.verdict:.1f} ms" in shown(result).split("Verdict wait", 1)[1].splitlines()[0], shown(result)


def test_a_silent_server_the_wait_is_its_own_timing_not_the_answers(material: Path) -> None:  # noqa: F811
    """No ticket, nothing before the request (an OpenSSL server with num_tickets 0, which reads
    the request and closes: NGF's 444): the probe waits FIRST_READ_FLOOR, shown apart from the
    handshake, and the close after the request keeps that wait as the verdict's."""
    with closing_server(material, ssl.TLSVersion.TLSv1_3, "read-close", tickets=0) as port:
        results, _ = _probe(material, port)
    result = results[1]
    timings = result.timings
    assert result.failure is not None and result.failure.when == "after the request", result.failure
    assert "nothing within" in (result.first_read or ""), result.first_read
    assert timings.verdict is not None and timings.verdict >= FIRST_READ_FLOOR * 1000 * 0.95, timings
    assert timings.tls is not None and timings.tls < timings.verdict / 2, timings  # the handshake alone
    rows = shown(result)
    assert f"{timings.verdict:.1f} ms" in rows.split("Verdict wait", 1)[1].splitlines()[0], rows
