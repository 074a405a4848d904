"""Snapshot tests of every pane at 120x40 and the main screen at 80x24.

Inputs are fixed (tests/data/snapshot: a PKI issued once, the lab's objects, a frozen
clock); the probe pane and the logs pane are fed recorded results and log lines, so
the pictures change only when the rendering does. Update with --snapshot-update.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.load import load_material
from mtls_tui.logs.parse import parse_line
from mtls_tui.model import ProbeResult, ProbeTimings
from mtls_tui.policy.nginx_answers import NO_CERT, page
from mtls_tui.service.session import Session
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.messages import ProbeDone
from mtls_tui.tui.panes.logs import LogsPane

DATA = Path(__file__).parent / "data" / "snapshot"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://meow.com:8443/"


@pytest.fixture(autouse=True)
def in_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative file names: the pictures must not depend on where the checkout lives."""
    monkeypatch.chdir(DATA)


def app() -> MtlsApp:
    return MtlsApp(
        Session(manifests=["lab.yaml"], cert="client.crt", key="client.key", frozen_now=NOW, label="snapshot fixtures")
    )


def recorded_probe() -> list[ProbeResult]:
    """What the lab's nginx answered for the seed's flow, recorded."""
    server = cert_facts(load_material(Path("server.crt").read_bytes(), "server.crt").certs[0].cert)
    common = dict(
        url=URL,
        connect_to="127.0.0.1:8443",
        sni="meow.com",
        host_header="meow.com:8443",
        verified_server=False,
        tls_version="TLSv1.3",
        cipher="TLS_AES_256_GCM_SHA384",
        alpn="http/1.1",
        http_version="HTTP/1.1",
        server_cert=server,
        curl="curl -v --resolve meow.com:8443:127.0.0.1 -k https://meow.com:8443/",
        openssl="openssl s_client -quiet -connect 127.0.0.1:8443 -servername meow.com",
    )
    body_400 = page(400, NO_CERT).decode()
    return [
        ProbeResult(
            label="without client certificate",
            sent_client_cert=False,
            user_agent="mtls-tui/0.1.0 probe/0000-0",
            timings=ProbeTimings(0.4, 2.1, 3.2, 3.5),
            status=400,
            body=body_400,
            **common,
        ),
        ProbeResult(
            label="with client certificate",
            sent_client_cert=True,
            user_agent="mtls-tui/0.1.0 probe/0000-1",
            timings=ProbeTimings(0.4, 2.6, 5.0, 5.4),
            status=200,
            body="",
            echo=(
                ("ssl-client-verify", "SUCCESS"),
                ("ssl-client-subject-dn", "CN=Fern"),
                ("ssl-client-issuer-dn", "CN=Fern Cert Authority"),
            ),
            **{**common, "curl": common["curl"].replace("-k", "-k --cert client.crt --key client.key")},
        ),
    ]


LOG_LINES = [
    '2026-06-01T11:59:58.100000000Z I0601 11:59:58.100000       7 controller.go:214] "Backend successfully reloaded"',
    "2026-06-01T11:59:59.200000000Z 2026/06/01 11:59:59 [info] 31#31: *7 client sent no required SSL certificate "
    'while reading client request headers, client: 10.0.0.1, server: meow.com, request: "GET / HTTP/1.1", host: "meow.com"',
    '2026-06-01T11:59:59.300000000Z 10.0.0.1 - - [01/Jun/2026:11:59:59 +0000] "GET / HTTP/1.1" 400 237 "-" "curl/8.5.0" '
    "78 0.000 [default-meow-svc-80] [] - - - - 5a1b",
    '2026-06-01T12:00:00.400000000Z E0601 12:00:00.400000       7 store.go:613] "Error obtaining X.509 certificate" '
    'err="secret default/other-certs contains no keypair or CA certificate" secretName="default/other-certs"',
    '2026-06-01T12:00:00.500000000Z 10.0.0.1 - - [01/Jun/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 400 "-" '
    '"mtls-tui/0.1.0 probe/0000-1" 154 0.002 [default-meow-svc-80] [] 10.1.2.3:8080 400 0.002 200 7c2d',
]


async def loaded(pilot) -> None:
    await pilot.pause(0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


def with_probe(tab: str):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        pilot.app.post_message(ProbeDone("meow.com", recorded_probe()))
        await pilot.press(tab)
        await pilot.pause(0.3)

    return run_before


async def with_logs(pilot) -> None:
    await loaded(pilot)
    pane = pilot.app.query_one(LogsPane)
    pane.my_probes.add("0000")
    pilot.app.action_tab("tab-logs")
    await pilot.pause(0.2)
    pane.note = "recorded lines"
    pane.add(
        [
            parse_line(line, "ingress-nginx-controller-5984b97644-qbwtv", "controller", with_timestamp=True)
            for line in LOG_LINES
        ]
    )
    await pilot.pause(0.3)


def test_verdict_pane(snap_compare) -> None:
    assert snap_compare(app(), terminal_size=(120, 40), run_before=with_probe("1"))


def test_certificates_pane(snap_compare) -> None:
    assert snap_compare(app(), terminal_size=(120, 40), run_before=with_probe("2"))


def test_ingress_pane(snap_compare) -> None:
    assert snap_compare(app(), terminal_size=(120, 40), run_before=with_probe("3"))


def test_probe_pane(snap_compare) -> None:
    assert snap_compare(app(), terminal_size=(120, 40), run_before=with_probe("4"))


def test_logs_pane(snap_compare) -> None:
    assert snap_compare(app(), terminal_size=(120, 40), run_before=with_logs)


def test_main_screen_80x24(snap_compare) -> None:
    assert snap_compare(app(), terminal_size=(80, 24), run_before=with_probe("1"))
