"""In a text field the footer showed no key at all: Textual leaves out every key a field takes as
text (q, p, ?), and no field listed its own, so nothing said how to leave the `/` filter or a path
field. At 80x24, each field's footer row now lists esc, and enter where it does something; pressed,
they do what the footer says."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from mtls_tui.lab.pki import SeedPki
from tests.test_tui_panes import at_80x24, screen_rows


async def footer_in(app, pilot, keys: tuple[str, ...]) -> str:
    await pilot.press(*keys)
    await pilot.pause(0.3)
    return screen_rows(app)[-1]


async def test_every_text_field_lists_how_to_leave_it(tmp_path: Path, pki: SeedPki) -> None:
    async with at_80x24(tmp_path, pki, "1") as (app, pilot):
        footer = await footer_in(app, pilot, ("slash",))
        assert app.focused is not None and app.focused.id == "hosts-filter"
        assert "esc Clear filter" in footer and "Keep filter" in footer, footer
        await pilot.press("x", "escape")  # esc: as the footer says, cleared and back to the list
        await pilot.pause(0.2)
        assert app.query_one("#hosts-filter", Input).value == "" and app.focused.id == "hosts"
        assert app.query_one("#hosts-filter").has_class("-hidden")  # empty, it gives its row back to the list
        await pilot.press("slash", "x", "enter")  # enter keeps it: the field stays, showing the filter
        await pilot.pause(0.2)
        assert app.focused.id == "hosts" and not app.query_one("#hosts-filter").has_class("-hidden")
        await pilot.press("slash", "backspace", "escape")
        await pilot.pause(0.2)

        app.query_one("#probe-url", Input).focus()
        footer = await footer_in(app, pilot, ())
        assert "esc Leave the field" in footer and "Probe" in footer, footer
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.focused.id == "hosts"

        footer = await footer_in(app, pilot, ("5", "slash"))
        assert app.focused.id == "logs-filter" and "esc Back to the logs" in footer, footer
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert app.focused.id == "logs-view"

        footer = await footer_in(app, pilot, ("1", "o"))
        assert app.focused.id == "open-path" and "Open" in footer and "esc Close" in footer, footer
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert not isinstance(app.focused, Input) or app.focused.id != "open-path"
