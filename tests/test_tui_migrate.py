"""The screen's Migrate view (`m`) on the lab: the selected host moved to a successor, its
findings and objects, and `v`: who gets in before and after, measured on real data planes by the
same engine as `mtls-tui migrate --verify` (run in a worker; the screen stays live)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from mtls_tui.lab.environment import Lab
from mtls_tui.lab.verifier import verify_migration
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.migrate_screen import MigrateScreen
from tests.test_tui_scale import wait_for


async def test_migrate_view_measures_before_and_after(tmp_path: Path, nginx_binary: str) -> None:
    with Lab(tmp_path / "pki", "healthy", gateway="builtin") as lab:
        app = MtlsApp(lab.session(), lab=lab, verifier=verify_migration)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.controller.report() is not None)
            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, MigrateScreen))
            screen = app.screen
            assert isinstance(screen, MigrateScreen) and screen.target == "envoy-gateway"
            await pilot.press("right")  # traefik
            assert screen.target == "traefik"
            shown = app.export_screenshot().replace("&#160;", " ")
            assert "migrate-tls-alert" in shown and "traefik" in shown
            plan = screen.plan_of("traefik")
            assert plan is not None and "TLSOption" in {o["kind"] for o in plan.objects}
            await pilot.press("v")
            await wait_for(pilot, lambda: isinstance(screen.table, Table), seconds=120)
            shown = app.export_screenshot().replace("&#160;", " ")
            assert "differs: migrate-tls-alert" in shown and "your certificate" in shown
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, MigrateScreen))
