"""The panes at 80x24, a projector's size, read off the screen as a person would: every word
of a log line on screen, certificate lines cut with an ellipsis and never past the edge,
annotation names whole, commands that wrap under their label, and toasts that leave the
screen readable."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from textual.widget import Widget

from mtls_tui.lab.environment import Lab
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki, write_seed_pki
from mtls_tui.logs.parse import parse_line
from mtls_tui.model import ProbeResult, Severity
from mtls_tui.service.session import Session
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.marks import SEVERITY, legend
from mtls_tui.tui.panes.certs import CertTree
from mtls_tui.tui.panes.ingress import IngressPane
from mtls_tui.tui.panes.logs import LogsPane
from mtls_tui.tui.panes.probe import ProbePane

P = "nginx.ingress.kubernetes.io/"
POD = "ingress-nginx-controller-5984b97644-qbwtv"
# Real controller lines, as field reports quote them (tests/test_logs_parse.py), with the kubelet's timestamp.
LONG_LINES = [
    '2026-06-01T12:00:00.400000000Z E0601 12:00:00.400000       7 store.go:613] "Error obtaining X.509 certificate" '
    'err="unexpected error creating SSL Cert: no valid PEM formatted block found" secretName="tenant-1/pki-tls"',
    "2026-06-01T12:00:01.200000000Z 2026/06/01 12:00:01 [info] 31#31: *7 client SSL certificate verify error: "
    "(20:unable to get local issuer certificate) while reading client request headers, client: 10.244.0.1, "
    'server: meow.com, request: "GET /api/v1/namespaces/tenant-1/widgets?watch=true HTTP/1.1", host: "meow.com"',
    '2026-06-01T12:00:01.300000000Z 10.244.0.1 - - [01/Jun/2026:12:00:01 +0000] "GET /api/v1/namespaces/tenant-1/widgets?'
    'watch=true HTTP/1.1" 400 237 "-" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
    'Chrome/124.0.0.0 Safari/537.36" 512 0.000 [tenant-1-widgets-80] [] - - - - 5a1b9c',
]


def screen_rows(app: MtlsApp) -> list[str]:
    """The screen's text, row by row, as the terminal shows it (what `export_screenshot` renders)."""
    console = Console(
        width=app.size.width,
        height=app.size.height,
        file=io.StringIO(),
        record=True,
        force_terminal=True,
        color_system=None,
        legacy_windows=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def text_of(app: MtlsApp, widget: Widget) -> list[str]:
    """The rows of the screen inside the widget's content, scrollbars left out."""
    region = widget.scrollable_content_region
    rows = screen_rows(app)
    return [rows[y][region.x : region.right] for y in range(region.y, region.bottom)]


def squeezed(text: str) -> str:
    """Without whitespace: a word wrapped or folded across rows still reads whole."""
    return re.sub(r"\s+", "", text)


def manifests_app(folder: Path, pki: SeedPki, objects: list[dict] | None = None) -> MtlsApp:
    write_seed_pki(folder, pki)
    (folder / "lab.yaml").write_text(yaml.safe_dump_all(objects or seed_objects(pki)))
    return MtlsApp(
        Session(manifests=[str(folder / "lab.yaml")], cert=str(folder / "client.crt"), key=str(folder / "client.key"))
    )


async def settle(app: MtlsApp, pilot) -> None:
    await pilot.pause(0.1)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


@contextlib.asynccontextmanager
async def at_80x24(folder: Path, pki: SeedPki, tab: str, objects: list[dict] | None = None):
    """The app on manifest files at 80x24, loaded, with a tab open."""
    app = manifests_app(folder, pki, objects)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(tab)
        await pilot.pause(0.2)
        yield app, pilot


def assert_every_word_shown(app: MtlsApp, pane: LogsPane, records: list) -> None:
    view = pane.query_one("#logs-view")
    shown = squeezed("".join(text_of(app, view)))
    for record in records:
        assert squeezed(pane.format_record(record).plain) in shown, pane.format_record(record).plain
    assert view.virtual_size.width <= view.scrollable_content_region.width  # nothing past the right edge


async def test_long_log_lines_wrap_at_80_columns_and_lose_no_word(tmp_path: Path, pki: SeedPki) -> None:
    records = [parse_line(line, POD, "controller", with_timestamp=True) for line in LONG_LINES]
    async with at_80x24(tmp_path, pki, "5") as (app, pilot):
        pane = app.query_one(LogsPane)
        pane.add(records[:2])
        await pilot.pause(0.2)
        assert_every_word_shown(app, pane, records[:2])
        await pilot.resize_terminal(200, 50)  # wider: a line that arrives now is wrapped at this width...
        await pilot.pause(0.3)
        pane.add(records[2:])
        await pilot.pause(0.2)
        assert_every_word_shown(app, pane, records)
        await pilot.resize_terminal(80, 24)  # ...and wrapped again when the screen narrows
        await pilot.pause(0.3)
        assert_every_word_shown(app, pane, records)
        shown = squeezed("".join(text_of(app, pane.query_one("#logs-view"))))
        for words in (
            "(20:unable to get local issuer certificate)",
            "Error obtaining X.509 certificate",
            "secretName=tenant-1/pki-tls",
            "Chrome/124.0.0.0 Safari/537.36",
        ):
            assert squeezed(words) in shown  # what matters in the raw line survives the pane's reading of it


async def test_the_lab_s_own_log_lines_at_80_columns(tmp_path: Path, nginx_binary: str) -> None:
    """The lab's real nginx refusing a client from another CA, and a long controller line sent
    down the lab's log stream: every word of the newest lines on screen."""
    with Lab(tmp_path / "pki", scenario="wrong-ca", nginx_binary=nginx_binary) as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("5")
            pane = app.query_one(LogsPane)
            refusal = None
            for _ in range(200):
                refusal = next((r for r in pane.buffer.snapshot() if "verify error" in r.text), None)
                if refusal is not None:
                    break
                await pilot.pause(0.05)
            assert refusal is not None, "nginx logged no verify error"
            lab.controller_log(LONG_LINES[0].split(" ", 1)[1])
            for _ in range(100):
                if "pki-tls" in pane.buffer.snapshot()[-1].text:
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.3)
            newest = pane.buffer.snapshot()[-1]
            assert "pki-tls" in newest.text
            assert_every_word_shown(app, pane, [newest])


async def test_certificate_lines_end_in_an_ellipsis_not_past_the_edge(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "2") as (app, pilot):
        tree = app.query_one(CertTree)
        assert tree.virtual_size.width <= tree.scrollable_content_region.width  # no line runs past the edge
        rows = text_of(app, tree)
        fingerprint = next(row.rstrip() for row in rows if "SHA-256" in row)
        assert fingerprint.endswith("…") and len(fingerprint) <= tree.scrollable_content_region.width
        await pilot.resize_terminal(200, 50)  # room for the whole fingerprint: no ellipsis
        await pilot.pause(0.3)
        fingerprint = next(row.rstrip() for row in text_of(app, tree) if "SHA-256" in row)
        assert not fingerprint.endswith("…") and re.search(r"([0-9A-F]{2}:){31}[0-9A-F]{2}$", fingerprint)


async def test_the_certificates_tree_uses_the_help_s_marks(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "2") as (app, pilot):
        rows = [row.strip() for row in text_of(app, app.query_one(CertTree))]
        warning = SEVERITY[Severity.WARNING]
        assert any(row.endswith(f"{warning.symbol} cert-v1") for row in rows)  # the seed's v1 server certificate
        assert any(f"{warning.symbol} tls.crt (server): CN=meow.com" in row for row in rows)
        assert f"- {warning.symbol} {warning.meaning}" in legend()  # and the help says what the mark means
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        await pilot.press("end")  # the legend is at the end of the help
        await pilot.pause(0.3)
        assert any(f"{warning.symbol} {warning.meaning}" in row for row in screen_rows(app))


async def test_annotation_names_are_never_split_at_80_columns(tmp_path: Path, pki: SeedPki) -> None:
    annotations = {
        P + "auth-tls-secret": "default/my-certs",
        P + "auth-tls-verify-client": "on",
        P + "auth-tls-verify-depth": "2",
        P + "auth-tls-pass-certificate-to-upstream": "true",
        P + "auth-tls-error-page": "https://errors.example.com/mtls-failed",
        P + "auth-tls-match-cn": "CN=Fern",
        "nginx.org/ssl-verify-client": "on",
    }
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [meow_ingress(annotations)]
    async with at_80x24(tmp_path, pki, "3", objects) as (app, _):
        rows = text_of(app, app.query_one(IngressPane))
        for key in annotations:
            name = key.removeprefix(P)
            assert any(re.search(rf"(^|[\s│]){re.escape(name)}([\s│]|$)", row) for row in rows), f"{name} split or cut"


async def test_toasts_at_80x24_stay_small_and_show_both_export_paths(
    tmp_path: Path, pki: SeedPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both paths whole, though pytest's folder makes them longer (near 90 characters) than a
    workshop folder's; at most six rows and four fifths of the width."""
    folder = tmp_path / "exports"
    folder.mkdir()
    monkeypatch.chdir(folder)
    app = manifests_app(tmp_path, pki)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await pilot.pause(0.3)
        (toast,) = app.screen.query("Toast")
        assert toast.region.height <= 6 and toast.region.width <= 64  # most of the screen stays readable
        shown = squeezed("".join(text_of(app, toast)))
        for path in (folder / "mtls-tui-meow.com.md", folder / "mtls-tui-meow.com.json"):
            assert path.exists() and squeezed(str(path)) in shown


async def test_reproduce_commands_stay_indented_under_their_label_when_they_wrap(tmp_path: Path, pki: SeedPki) -> None:
    """The Probe tab's curl and openssl lines under their label, at 80x24. They wrapped as words
    (`--cert` / `/home/…/client.crt`): a mouse copy ran curl cut short. Now shell lines."""
    folder = "/home/fern/workshops/2026-06-meow/lab"
    answer = ProbeResult(
        label="with client certificate",
        url="https://meow.com:8443/",
        connect_to="127.0.0.1:8443",
        sni="meow.com",
        host_header="meow.com:8443",
        sent_client_cert=True,
        user_agent="mtls-tui",
        verified_server=False,
        status=200,
        curl=f"curl -v --resolve meow.com:8443:127.0.0.1 -k --cert {folder}/client.crt --key {folder}/client.key "
        "https://meow.com:8443/",
        openssl="printf 'GET / HTTP/1.1\\r\\nHost: meow.com:8443\\r\\n\\r\\n' | openssl s_client -quiet -connect "
        f"127.0.0.1:8443 -servername meow.com -cert {folder}/client.crt -key {folder}/client.key",
    )
    async with at_80x24(tmp_path, pki, "4") as (app, pilot):
        pane = app.query_one(ProbePane)
        pane.show([answer])
        await pilot.pause(0.3)  # laid out at its new height first, then to its end
        pane.scroll_end(animate=False)
        await pilot.pause(0.3)
        rows = text_of(app, pane)
        label = next(i for i, row in enumerate(rows) if row.strip() == "with client certificate:")
        commands = [row for row in rows[label + 1 :] if row.strip()]
        indent = len(rows[label]) - len(rows[label].lstrip()) + 2
        assert len(commands) > 2 and all(len(row) - len(row.lstrip()) >= indent for row in commands)
        # shell lines (shell.fold_command), not words wrapped: copied as shown they run the commands
        shown = "\n".join(row[indent:].rstrip() for row in commands)
        unfolded = shown.replace("'\\\n'", "").replace(" \\\n  ", " ").replace("\\\n", "")
        assert unfolded == f"{answer.curl}\n{answer.openssl}", shown


async def test_walkthrough_lines_wrap_under_their_step_at_80x24(tmp_path: Path, nginx_binary: str) -> None:
    """A step's detail and commands that wrap stay indented under the step, a command's under
    the command rather than under its `$`: the steps stay apart on a projector."""
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(80, 40)) as pilot:  # 80 columns; rows enough to reach a wrapped command
            for _ in range(100):
                if app.controller.reports:
                    break
                await pilot.pause(0.05)
            await pilot.press("w")
            await pilot.pause(0.3)
            rows = [row.rstrip() for row in text_of(app, app.screen.query_one("#walkthrough"))]
            first = next(i for i, row in enumerate(rows) if row.startswith("1. "))
            steps = [row for row in rows[first:] if row]
            assert all(re.match(r"\d+\. ", row) or row.startswith("   ") for row in steps), "\n".join(steps)
            assert any(row.startswith("   $ ") for row in steps)
            assert any(re.match(r" {5}\S", row) for row in steps)  # a wrapped command, under the command


async def test_the_severity_filter_keeps_warnings_and_worse(tmp_path: Path, pki: SeedPki) -> None:
    records = [
        parse_line(line, POD, "controller", with_timestamp=True)
        for line in (
            '2026-06-01T11:59:58.100000000Z I0601 11:59:58.100000       7 controller.go:214] "Backend successfully reloaded"',
            LONG_LINES[0],
        )
    ]
    async with at_80x24(tmp_path, pki, "5") as (app, pilot):
        pane = app.query_one(LogsPane)
        pane.add(records)
        await pilot.press("slash", *"sev:w")
        await pilot.pause(0.3)
        assert [r.severity for r in pane.buffer.snapshot()] == ["E"]
        shown = squeezed("".join(text_of(app, pane.query_one("#logs-view"))))
        assert squeezed("Error obtaining X.509 certificate") in shown and "Backend" not in shown
