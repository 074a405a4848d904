"""The panes at 80x24, a projector's size, read off the screen as a person would: certificate
lines cut with an ellipsis and never past the edge, annotation names whole."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import yaml
from rich.console import Console
from textual.widget import Widget

from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki, write_seed_pki
from mtls_tui.model import Severity
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.marks import SEVERITY
from mtls_tui.tui.panes.certs import CertTree
from mtls_tui.tui.panes.ingress import IngressPane
from mtls_tui.tui.screens import HELP
from mtls_tui.tui.session import Session

P = "nginx.ingress.kubernetes.io/"


def screen_rows(app: MtlsApp) -> list[str]:
    """The screen's text, row by row, as the terminal shows it (what `export_screenshot` renders)."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def text_of(app: MtlsApp, widget: Widget) -> list[str]:
    """The rows of the screen inside the widget's content, scrollbars left out."""
    region = widget.scrollable_content_region
    rows = screen_rows(app)
    return [rows[y][region.x:region.right] for y in range(region.y, region.bottom)]


def manifests_app(folder: Path, pki: SeedPki, objects: list[dict] | None = None) -> MtlsApp:
    write_seed_pki(folder, pki)
    (folder / "lab.yaml").write_text(yaml.safe_dump_all(objects or seed_objects(pki)))
    return MtlsApp(Session(manifests=[str(folder / "lab.yaml")], cert=str(folder / "client.crt"),
                           key=str(folder / "client.key")))


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
        assert f"- {warning.symbol} {warning.meaning}" in HELP  # and the help says what the mark means
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        await pilot.press("end")  # the legend is at the end of the help
        await pilot.pause(0.3)
        assert any(f"{warning.symbol} {warning.meaning}" in row for row in screen_rows(app))


async def test_annotation_names_are_never_split_at_80_columns(tmp_path: Path, pki: SeedPki) -> None:
    annotations = {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "on",
                   P + "auth-tls-verify-depth": "2", P + "auth-tls-pass-certificate-to-upstream": "true",
                   P + "auth-tls-error-page": "https://errors.example.com/mtls-failed",
                   P + "auth-tls-match-cn": "CN=Fern", "nginx.org/ssl-verify-client": "on"}
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [meow_ingress(annotations)]
    async with at_80x24(tmp_path, pki, "3", objects) as (app, _):
        rows = text_of(app, app.query_one(IngressPane))
        for key in annotations:
            name = key.removeprefix(P)
            assert any(re.search(rf"(^|[\s│]){re.escape(name)}([\s│]|$)", row) for row in rows), f"{name} split or cut"
