"""The host list: every TLS host, its state in words and a mark that survives no colour.

Thousands of hosts: only the rows on screen are drawn (Textual's line API), a row's state
is replaced in place as its report arrives, and the filter (`/`) keeps the rows whose host
, its Ingresses' namespace or its state contains what is typed. Rows are view models (`diagnose.views.HostRow`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mtls_tui.diagnose.views import HostRow
from mtls_tui.model import Severity
from mtls_tui.tui.marks import HOST_STATE, PENDING, SEVERITY, TLS_ONLY

INDENT = 2  # a long host name continues under its first letter


def row_lines(row: HostRow, width: int = 0) -> list[Text]:
    """The row's lines: the mark and host (wrapped into `width`-cell lines when given), its state,
    its warnings when it has some. A TLS-only host that works has its own neutral mark."""
    if row.state is None:
        mark, state = PENDING, Text.assemble(("  reading…" if row.reading else "  judging…", PENDING.style))
    else:
        mark = TLS_ONLY if row.tls_only else HOST_STATE[row.state]
        state = Text.assemble("  ", (row.state, mark.style))
    first = Text.assemble((f"{mark.symbol} ", mark.style), (row.label, "bold"), row.served)
    lines = [
        first[start:end] if start == 0 else Text(" " * INDENT) + first[start:end] for start, end in _spans(row, width)
    ]
    lines.append(state)
    if row.state is not None and row.warnings:
        warning = SEVERITY[Severity.WARNING]
        lines.append(
            Text.assemble(
                ("  ", ""), (f"{warning.symbol} {row.warnings} warning{'s' * (row.warnings != 1)}", warning.style)
            )
        )
    return lines


def _spans(row: HostRow, width: int) -> list[tuple[int, int]]:
    """Where the first line (mark, host, how it is served) is cut into lines of `width` cells,
    the later ones indented: at word boundaries, as a person reads them. A host name breaks after
    a dot or a hyphen; the `(TLS only)` after it goes whole to the next line (at its spaces only
    when no line holds it); only a run longer than a line is cut inside."""
    text = f"{PENDING.symbol} {row.label}{row.served}"  # every mark is one cell: the same cuts
    if width <= INDENT or len(text) <= width:
        return [(0, len(text))]
    suffix = len(text) - len(row.served)
    ends = {i for i in range(3, suffix + 1) if text[i - 1] in ".-"} | {suffix}
    if len(row.served) - 1 > width - INDENT:  # too long for a line of its own: it breaks at its spaces
        ends |= {i for i in range(suffix + 1, len(text)) if text[i] == " "}
    spans, start, room = [], 0, width
    while len(text) - start > room:
        fits = [i for i in ends if start < i <= start + room]
        end = max(fits) if fits else start + room
        spans.append((start, end))
        start, room = end, width - INDENT
        while start < len(text) and text[start] == " ":
            start += 1
    spans.append((start, len(text)))
    return spans


def _height(row: HostRow, width: int = 0) -> int:
    """`len(row_lines(row, width))`, counted without building the lines' text."""
    return 1 + len(_spans(row, width)) + (row.state is not None and row.warnings > 0)


class HostList(ScrollView, can_focus=True):
    """Posts `HostList.Chosen` when the highlighted host changes, `HostList.Entered` on enter or a click."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"host-list--row", "host-list--highlighted"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "move(-1000000000)", "First", show=False),
        Binding("end", "move(1000000000)", "Last", show=False),
        Binding("enter", "enter", "Findings", show=False),
    ]
    DEFAULT_CSS = """
    HostList {
        color: $foreground;
        overflow-x: hidden;
        padding: 0 1;
        background: $surface;
        scrollbar-size-vertical: 1;
        & > .host-list--highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .host-list--highlighted {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    class Chosen(Message):
        """The highlighted host changed; None: the filter shows none."""

        def __init__(self, host: str | None) -> None:
            super().__init__()
            self.host = host

    class Entered(Message):
        def __init__(self, host: str) -> None:
            super().__init__()
            self.host = host

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[HostRow] = []
        self._index: dict[str, int] = {}  # host -> position in rows
        self.query = ""
        self.shown: list[int] = []  # positions in rows that pass the filter, in order
        self._tops: list[int] = []  # first line of each shown row
        self._lines = 0
        self._laid = 0  # the width the rows' heights were counted at
        self.cursor = 0  # position in shown

    # --- what the app calls ---------------------------------------------------------------

    @property
    def highlighted_host(self) -> str | None:
        return self.rows[self.shown[self.cursor]].host if self.shown else None

    @property
    def option_count(self) -> int:
        """Hosts that pass the filter."""
        return len(self.shown)

    def show(self, rows: Sequence[HostRow], selected: str | None) -> None:
        """A new host list (after a read): the filter stays, the cursor on `selected` when shown."""
        self.rows = list(rows)
        self._index = {row.host: i for i, row in enumerate(self.rows)}
        self._refilter(selected, announce=False)

    def extend(self, rows: Sequence[HostRow]) -> None:
        """More rows at the end (hosts read so far, before the first host list): the cursor stays."""
        for row in rows:
            self._index[row.host] = len(self.rows)
            self.rows.append(row)
        self._refilter(self.highlighted_host, announce=False)

    def update_rows(self, rows: Iterable[HostRow]) -> None:
        """Reports arrived: these rows change in place (the order and the cursor stay)."""
        grew = False
        for row in rows:
            position = self._index.get(row.host)
            if position is None:
                continue
            grew |= _height(row, self._laid) != _height(self.rows[position], self._laid)
            self.rows[position] = row
        if grew or self.query:  # heights moved, or the state words the filter matches changed
            self._refilter(self.highlighted_host, announce=True)
        else:
            self._set_title()
            self.refresh()

    def filter(self, query: str) -> None:
        self.query = query.strip().lower()
        self._refilter(self.highlighted_host, announce=True)

    # --- drawing ------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        line = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.get_component_rich_style("host-list--row")
        if line >= self._lines or not self.shown:
            return Strip.blank(width, base)
        at = bisect_right(self._tops, line) - 1
        if self._laid != width:  # the scrollbar came or went: heights are counted again after this frame
            self.call_later(self._relayout)
        lines = row_lines(self.rows[self.shown[at]], self._laid)
        offset = line - self._tops[at]
        style = self.get_component_rich_style("host-list--highlighted") if at == self.cursor else base
        text = lines[offset] if offset < len(lines) else Text("")
        text.truncate(width, overflow="ellipsis")  # a wide character may still overflow
        segments = list(text.render(self.app.console))
        strip = Strip(segments).apply_style(style).extend_cell_length(width, style).crop(0, width)
        return strip.apply_meta({"host-row": at})

    def _set_title(self) -> None:
        """`N hosts` (`M of N` filtered) on the top border, `K judging…` on the bottom one while reports come."""
        waiting = sum(row.state is None for row in self.rows)
        self.border_title = (
            f"{len(self.shown)} of {len(self.rows)}"
            if self.query
            else (f"{len(self.rows)} hosts" if len(self.rows) > 1 else "")
        )
        reading = bool(self.rows) and self.rows[-1].reading
        self.border_subtitle = "reading the cluster…" if reading else f"{waiting} judging…" if waiting else ""

    def _refilter(self, keep: str | None, *, announce: bool) -> None:
        before = self.highlighted_host
        query = self.query
        if query:
            self.shown = [
                i
                for i, row in enumerate(self.rows)
                if query in row.host.lower()
                or query in row.namespaces
                or (row.state is not None and query in row.state)
            ]
        else:
            self.shown = list(range(len(self.rows)))
        self._tops, top, self._laid = [], 0, self._width
        for i in self.shown:
            self._tops.append(top)
            top += _height(self.rows[i], self._width)
        self._lines = top
        position = self._index.get(keep) if keep is not None else None
        try:
            cursor = self.shown.index(position) if position is not None else 0
        except ValueError:
            cursor = 0
        self.virtual_size = Size(self.scrollable_content_region.width, self._lines)
        self._set_title()
        self._move_to(cursor, before if announce else self.rows[self.shown[cursor]].host if self.shown else None)

    def _move_to(self, cursor: int, before: str | None) -> None:
        """The cursor to `cursor` (kept in range), scrolled into view; `Chosen` when the host is not `before`."""
        self.cursor = max(0, min(cursor, len(self.shown) - 1)) if self.shown else 0
        if self.shown:
            top = self._tops[self.cursor]
            height = _height(self.rows[self.shown[self.cursor]], self._laid)
            self.scroll_to_region(Region(0, top, 1, height), animate=False, immediate=True)
        self.refresh()
        host = self.highlighted_host
        if host != before and (host is not None or self.query):
            self.post_message(self.Chosen(host))

    # --- keys and mouse -----------------------------------------------------------------

    def action_move(self, step: int) -> None:
        if self.shown:
            self._move_to(self.cursor + step, self.highlighted_host)

    def action_page(self, direction: int) -> None:
        if not self.shown:
            return
        target = self._tops[self.cursor] + direction * max(1, self.scrollable_content_region.height - 1)
        self._move_to(bisect_right(self._tops, max(0, target)) - 1, self.highlighted_host)

    def action_enter(self) -> None:
        host = self.highlighted_host
        if host is not None:
            self.post_message(self.Entered(host))

    def on_click(self, event: events.Click) -> None:
        at = event.style.meta.get("host-row") if isinstance(event.style, Style) else None
        if at is not None:
            self._move_to(at, self.highlighted_host)
            self.action_enter()

    def on_resize(self) -> None:
        """Rows are as high as their host name needs at this width."""
        self._relayout()

    def _relayout(self) -> None:
        if self._laid != self._width:
            self._refilter(self.highlighted_host, announce=False)
        else:
            self.virtual_size = Size(self._width, self._lines)

    @property
    def _width(self) -> int:
        return self.scrollable_content_region.width
