"""Live controller logs: every pod merged, mTLS lines marked, the probe's own lines
pointed out; a filter (regex, `!` to invert), pause and resume.

Lines wrap at the visible width, never past it: at 80 columns a presenter's audience must
read every word. The view is redrawn from the buffer when its width changes, since a
written line keeps the width it was wrapped at.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, RichLog, Static

from mtls_tui.logs.buffer import LogBuffer
from mtls_tui.logs.classify import classify, probe_id
from mtls_tui.logs.records import AccessLine, KlogLine, LogRecord, NginxErrorLine, SeverityLetter
from mtls_tui.report.console import LOG_SEVERITY_STYLE, log_prefix, log_text
from mtls_tui.safe_text import one_line
from mtls_tui.tui.fields import LogsFilter
from mtls_tui.tui.panes.keys import UNLISTED_APP_KEYS

SHOWN = 1000  # lines redrawn after a filter change; the buffer keeps 10,000
SEVERITY_LETTERS: tuple[SeverityLetter, ...] = ("I", "W", "E", "F")
WRITES_PER_TICK = 150  # a flood shows its newest lines; every line stays in the buffer for filters


def _readable(record: LogRecord) -> Text:
    """What matters first: an access line's status and request, an error line's reason
    without nginx's date and connection numbers, a controller line's message before its
    source file (the prefix already has the time). `mtls-tui logs` prints lines whole."""
    parsed = record.parsed
    if isinstance(parsed, AccessLine):
        style = "bold red" if parsed.status >= 400 else "green"
        upstream = (
            f" → {parsed.proxy_upstream_name} {parsed.upstream_status or '-'}" if parsed.proxy_upstream_name else ""
        )
        took = f" · {parsed.request_time}s" if parsed.request_time is not None else ""
        return Text.assemble(
            (f"{parsed.status} ", style),
            one_line(f"{parsed.request} from {parsed.remote_addr}"),
            # nginx's `combined` format has no request time: none is shown (it read `Nones`)
            (one_line(f" · {parsed.user_agent or '-'}{took}{upstream}"), "dim"),
        )
    if isinstance(parsed, NginxErrorLine):
        where = f" · host {parsed.host}" if parsed.host else ""
        return Text.assemble((f"[{parsed.level}] ", "yellow"), one_line(parsed.message), (one_line(where), "dim"))
    if isinstance(parsed, KlogLine):
        style = LOG_SEVERITY_STYLE.get(parsed.severity, "")
        values = "".join(f" {key}={value}" for key, value in parsed.values)
        return Text.assemble(
            (f"[{parsed.severity}] ", style or "dim"),
            (one_line(parsed.message), style),
            one_line(values),
            (one_line(f" · {parsed.source}"), "dim"),
        )
    return log_text(record)


class LogsPane(Vertical):
    BINDINGS = [
        Binding("space", "toggle_pause", "Pause/resume", show=True),
        Binding("escape", "leave_filter", "Leave the filter", show=False),
        *UNLISTED_APP_KEYS,  # `? Help` whole in the footer at 80 columns
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.buffer = LogBuffer()
        self.my_probes: set[str] = set()
        self.note = "waiting for the cluster…"
        self.stale = False  # records arrived while hidden: redraw when shown
        self.pods_seen: set[str] = set()
        self._drawn_width = 0  # the width the view's lines were wrapped at

    def compose(self):
        with Horizontal(id="logs-bar"):
            yield LogsFilter(placeholder="/ filter: regex !regex pod:NAME sev:W", id="logs-filter")
            yield Static("", id="logs-status")
        yield Static("", id="logs-note")
        yield RichLog(id="logs-view", max_lines=SHOWN * 5, wrap=True, markup=False, min_width=1)

    def format_record(self, record: LogRecord) -> Text:
        """Time, pod, then the mark (so it is never cut off at the right edge), then the line."""
        highlight = classify(record)
        line = log_prefix(record)
        probe = probe_id(record)
        if probe and probe.split("-")[0] in self.my_probes:
            line.append("▶ your probe ", style="bold magenta reverse")
        elif highlight:
            line.append(f"▶ {highlight.code} ", style="bold magenta")
        return line + _readable(record)

    def add(self, records: list[LogRecord]) -> None:
        """Keep every record; draw only what a person can read, and only when visible."""
        self.pods_seen.update(r.pod for r in records)
        gained = [r for r in records if self.buffer.append(r)]  # True when the (unpaused) view gained it
        if not self.display or not self.is_on_screen:
            self.stale = self.stale or bool(gained)
            return
        if self.stale or self._drawn_width != self._width():
            self.redraw()
            return
        view = self.query_one("#logs-view", RichLog)
        for record in gained[-WRITES_PER_TICK:]:
            view.write(self.format_record(record))
        self._status()

    def on_show(self) -> None:
        if self.stale or self._drawn_width != self._width():
            self.redraw()

    def set_note(self, note: str) -> None:
        """What the pane follows, or why it follows nothing."""
        self.note = note
        self._status()

    def mark_probe(self, probe_id: str) -> None:
        """This screen's own probe: its access-log lines get marked as yours."""
        self.my_probes.add(probe_id)

    def on_resize(self) -> None:
        """After the layout settles, so the view's new width is known."""
        self.call_after_refresh(self._rewrap)

    def _rewrap(self) -> None:
        if self.display and self.is_on_screen and self._drawn_width != self._width():
            self.redraw()

    def _width(self) -> int:
        return self.query_one("#logs-view", RichLog).scrollable_content_region.width

    def _status(self) -> None:
        state = "PAUSED (space resumes)" if self.buffer.paused else "live"
        shown = len(self.buffer.snapshot())
        matching = f" · {shown} match" if shown != len(self.buffer) else ""
        dropped = f" · {self.buffer.dropped} dropped" if self.buffer.dropped else ""
        self.query_one("#logs-status", Static).update(f" {state} · {len(self.buffer)} lines{matching}{dropped}")
        self.query_one("#logs-note", Static).update(self.note)

    def redraw(self) -> None:
        self.stale = False
        view = self.query_one("#logs-view", RichLog)
        self._drawn_width = self._width()
        view.clear()
        for record in self.buffer.snapshot()[-SHOWN:]:
            view.write(self.format_record(record))
        self._status()

    def on_input_changed(self, event: Input.Changed) -> None:
        """`regex`, `!regex` hides; `pod:NAME` (a suffix is enough) and `sev:W` (W and worse) narrow it."""
        words = event.value.split()
        pods = [w[4:] for w in words if w.startswith("pod:") and len(w) > 4]
        severity = next(
            (letter for w in words if w.startswith("sev:") for letter in SEVERITY_LETTERS if w[4:].upper() == letter),
            None,
        )
        text = " ".join(w for w in words if not w.startswith(("pod:", "sev:")))
        invert = text.startswith("!")
        try:
            pattern = re.compile(text[1:] if invert else text) if text.strip("!") else None
        except re.error:
            return  # half-typed: keep the last good filter
        chosen = [p for p in self.pods_seen if any(p.endswith(want) or want in p for want in pods)] if pods else None
        self.buffer.set_filter(
            pattern=pattern, invert=invert, min_severity=severity, pods=chosen or (["-"] if pods else None)
        )
        self.redraw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_leave_filter()

    def action_leave_filter(self) -> None:
        """Enter or escape in the filter hands the keys back to the app (tabs, q)."""
        self.query_one("#logs-view", RichLog).focus()

    def action_toggle_pause(self) -> None:
        if self.buffer.paused:
            self.buffer.resume()
            self.redraw()
        else:
            self.buffer.pause()
            self._status()
