"""A probe whose handshake the server refused negotiated no cipher: the Probe tab and `mtls-tui probe`
say so in words, never Python's `None` (the TLS row printed `TLSv1.2, None, ALPN none`).

The server is a real OpenSSL one (Python's `ssl`) that requires a client certificate from its CA, as
Envoy does (`require_client_certificate`), over TLS 1.2: a client from another CA gets alert 48
unknown_ca inside the handshake, so no cipher is ever agreed (RFC 5246 7.2.2, 7.4.9: the handshake
ends with Finished, which the server never sends).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import ProbeSpec
from mtls_tui.sources.probe import run_probe
from mtls_tui.tui.panes.probe import ProbePane
from tests.test_migrate_cli import run
from tests.test_probe_alerts import make_material, server_context, serving
from tests.test_tui_panes import manifests_app, settle, text_of


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_material(tmp_path_factory.mktemp("refusing"), stranger=True)


@contextmanager
def refusing_server(folder: Path) -> Iterator[int]:
    """Requires a client certificate of folder's CA, over TLS 1.2: any other client's handshake
    ends in the server's alert, so no cipher is negotiated."""
    context = server_context(folder, ssl.CERT_REQUIRED)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with serving(context, lambda conn: None) as port:
        yield port


def _args(folder: Path, port: int) -> list[str]:
    return [
        f"https://meow.com:{port}/",
        "--resolve",
        f"meow.com:{port}:127.0.0.1",
        "--cacert",
        str(folder / "ca.crt"),
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    ]


def test_probe_command_says_no_cipher(folder: Path) -> None:
    with refusing_server(folder) as port:
        done = run(folder, "probe", *_args(folder, port))
    assert "unknown_ca" in done.stdout, done.stdout + done.stderr  # the refusal really was in the handshake
    assert "None" not in done.stdout, done.stdout
    assert "no cipher: the handshake did not complete" in " ".join(done.stdout.split()), done.stdout


async def test_probe_tab_says_no_cipher(folder: Path, tmp_path: Path, pki: SeedPki) -> None:
    """The pane as the app draws it, on the real probe's results."""
    with refusing_server(folder) as port:
        spec = ProbeSpec(
            f"https://meow.com:{port}/",
            resolve=f"meow.com:{port}:127.0.0.1",
            cacert=str(folder / "ca.crt"),
            cert=str(folder / "client.crt"),
            key=str(folder / "client.key"),
            timeout=5.0,
        )
        results = await asyncio.to_thread(run_probe, spec)
    refused = results[1]
    assert refused.failure is not None and refused.failure.when == "handshake" and refused.cipher is None
    app = manifests_app(tmp_path, pki)
    async with app.run_test(size=(120, 70)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        pane = app.query_one(ProbePane)
        pane.show(results)
        await pilot.pause(0.3)
        shown = " ".join(" ".join(text_of(app, pane)).split())
    assert "TLSv1.2" in shown, shown
    assert "None" not in shown, shown
    assert "no cipher: the handshake did not complete" in shown, shown


def test_a_connection_closed_after_the_handshake_says_the_cipher_was_not_read(folder: Path) -> None:
    """TLS 1.3, a server that closes right after its handshake (test_probe_alerts.closing_server): the
    attempt without a certificate completed the handshake, but the probe reads the cipher from the
    answer's connection, which never came."""
    from mtls_tui.report.console import tls_summary
    from tests.test_probe_alerts import _probe, closing_server

    with closing_server(folder, ssl.TLSVersion.TLSv1_3, "close", tickets=0) as port:
        results, _ = _probe(folder, port)
    closed = results[0]
    assert not closed.sent_client_cert and closed.cipher is None
    assert closed.failure is not None and closed.failure.when == "first read", closed.failure
    assert tls_summary(closed) == "TLSv1.3; cipher not read: the connection failed after the handshake"
