"""The walkthrough says each step's commands "run as printed in a new terminal". At 80 columns
they wrapped as words, with no continuation: a mouse copy of the rows of `openssl req … -out` /
`ca.crt -days 356 …` ran `openssl req` without its output file, then `ca.crt` as a command. The
commands are now shell lines (shell.fold_command) under their `$`, and the lab's place (its
KUBECONFIG and folder, which the copy toast points to) is one of them. Each, copied from the
screen as shown at 80 columns, gives every program the words of the one-line command (bash -c,
with recorders in place of the programs: tests/test_fix_portability.py)."""

from __future__ import annotations

import re
from pathlib import Path

from mtls_tui.lab.environment import Lab
from mtls_tui.tui.app import MtlsApp
from tests.test_fix_portability import recorders, shells, words_given  # noqa: F401 (recorders: the fixture)
from tests.test_tui_panes import text_of
from tests.test_tui_scale import wait_for


def shown_commands(rows: list[str]) -> list[str]:
    """The commands as a mouse copies them: a `$ ` row and the rows its ` \\` continues."""
    commands: list[list[str]] = []
    for row in (r.rstrip() for r in rows):
        if row.startswith("   $ "):
            commands.append([row.removeprefix("   $ ")])
        elif commands and commands[-1][-1].endswith("\\") and row.startswith("   "):  # "  " after a space
            commands[-1].append(row[3:])
    return ["\n".join(lines) for lines in commands]


async def test_the_walkthroughs_commands_paste_as_printed_at_80_columns(
    tmp_path: Path,
    nginx_binary: str,
    recorders: Path,  # noqa: F811
) -> None:
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(80, 200)) as pilot:  # 80 columns; rows for the whole walkthrough
            await wait_for(pilot, lambda: bool(app.controller.reports), seconds=5)
            await pilot.press("w")
            await pilot.pause(0.5)
            shown = shown_commands(text_of(app, app.screen.query_one("#walkthrough")))
            printed = [lab.fix_place] + [
                line for step in lab.walkthrough(app.controller.reports) for line in step.command.splitlines()
            ]
    assert len(shown) == len(printed) and any("\n" in command for command in shown), shown
    folder = tmp_path / "run"
    folder.mkdir()
    bash = shells()["bash -c"]

    def ran(command: str) -> tuple[list[list[str]], str]:
        calls, stderr = words_given(bash, command, folder, recorders)
        return calls, re.sub(r"line \d+: ", "", stderr)  # what failed, not on which of the lines

    for command, as_shown in zip(printed, shown, strict=True):
        assert ran(as_shown) == ran(command), (command, as_shown)
