"""The screen's Migrate view (`m`) on the lab: the selected host moved to a successor, its
findings and objects, and `v`: who gets in before and after, measured on real data planes by the
same engine as `mtls-tui migrate --verify` (run in a worker; the screen stays live)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from mtls_tui.lab.environment import Lab
from mtls_tui.lab.verifier import verify_migration
from mtls_tui.policy.migrate import TARGETS
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.migrate_screen import MigrateScreen
from tests.test_fix_portability import recorders, shells, words_given  # noqa: F401 (recorders: the fixture)
from tests.test_tui_panes import text_of
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


async def test_the_create_first_commands_paste_as_drawn_at_80_columns(
    tmp_path: Path,
    recorders: Path,  # noqa: F811
) -> None:
    """The view's "Create first:" Secret command wrapped as words at 80 columns: pasted as drawn,
    kubectl printed its help, left an empty server.key, then `tls: command not found` (a new
    user's review). It is drawn as shell lines ending in ` \\` (shell.fold_command), and says what
    to do with what it prints; each, copied from the screen, gives every program the words of the
    one-line command (bash -c with recorders, as tests/test_fix_portability.py)."""
    with Lab(tmp_path / "pki", "healthy", gateway="builtin") as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(80, 120)) as pilot:
            await wait_for(pilot, lambda: app.controller.report() is not None)
            await pilot.press("m")
            await wait_for(pilot, lambda: isinstance(app.screen, MigrateScreen))
            screen = app.screen
            assert isinstance(screen, MigrateScreen)
            for _ in TARGETS:  # the first target that asks for a Secret made from files
                plan = screen.plan_of(screen.target)
                if plan is not None and plan.secret_commands:
                    break
                await pilot.press("right")
            assert plan is not None and plan.secret_commands, "no target asks for a Secret made first"
            await pilot.pause(0.2)
            rows = [r.rstrip() for r in text_of(app, screen.query_one("#migrate-body"))]
    start = next(i for i, row in enumerate(rows) if row.startswith("Create first: "))
    first = next(i for i in range(start, len(rows)) if rows[i].startswith("  ") and "kubectl" in rows[i])
    assert "pipe it to kubectl apply -f -" in " ".join(rows[start:first])
    drawn = [rows[first]]
    while drawn[-1].endswith("\\"):
        drawn.append(rows[first + len(drawn)])
    assert len(drawn) > 1, drawn  # the command is wider than 80 columns: it must be folded
    folder = tmp_path / "run"
    folder.mkdir()
    bash = shells()["bash -c"]
    as_drawn = "\n".join(line[2:] for line in drawn)
    assert words_given(bash, as_drawn, folder, recorders) == words_given(
        bash, plan.secret_commands[0].command, folder, recorders
    )
