"""The command palette (ctrl+p) on the lab lists each entry once: a review saw "Export report" and
"Context" twice. Not reproduced on Textual 8.2.8 (the entries come from one provider, the app's
get_system_commands: tui/palette.py, the keys' bindings add none); this holds it, as a person
opens the palette and types."""

from __future__ import annotations

import collections
from pathlib import Path

from textual.command import CommandList, CommandPalette

from mtls_tui.lab.environment import Lab
from mtls_tui.tui.app import MtlsApp
from tests.test_tui_scale import wait_for


async def _names(app: MtlsApp, pilot, query: str) -> list[str]:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), 10)
    for key in query:
        await pilot.press(key)
    await pilot.pause(1.0)  # the palette gathers hits in batches of 0.25 s
    listed = app.screen.query_one(CommandList)
    names = [str(listed.get_option_at_index(i).prompt).split("\n")[0] for i in range(listed.option_count)]
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette), 10)
    return names


async def test_each_palette_entry_is_listed_once(tmp_path: Path, nginx_binary: str) -> None:
    with Lab(tmp_path / "pki", nginx_binary=nginx_binary) as lab:
        app = MtlsApp(lab.session(), lab=lab)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.controller.report() is not None)
            for query in ("", "export", "context", "e"):
                names = await _names(app, pilot, query)
                twice = [name for name, count in collections.Counter(names).items() if count > 1]
                assert names and not twice, (query, twice)
                if query in ("export", "context"):
                    assert len([n for n in names if query in n.lower()]) == 1, (query, names)
