"""The verdict first: the host's state and headline, the command to try next; then the findings,
one line each, to move through with ↑↓; below them the highlighted finding in full, its fix first.
The list stays whole on a projector at 80x24 and the detail scrolls under it. Certificate hygiene
(the article's own v1 certificates, no SAN, a leaf outliving its CA) stays folded at the end of
the list, behind `h`.

The pane renders what the report says: which finding leads, which are hygiene and what to try
next are decided in `diagnose/hosts.py`, once for the CLI and the screen.
"""

from __future__ import annotations

from collections import Counter

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from mtls_tui.diagnose.hosts import HostReport, headline
from mtls_tui.model import FIX_PROGRAMS, Finding
from mtls_tui.report.console import (
    STYLE,
    finding_detail,
    fix_label,
    next_step,
    reproduce_label,
    state_look,
    try_label,
)
from mtls_tui.shell import first_program
from mtls_tui.tui.panes.command import CommandLines, copied_note
from mtls_tui.tui.panes.keys import UNLISTED_APP_KEYS

STANDING = "standing"  # the row that folds and unfolds the certificate hygiene
PROBE_KEY = "p to probe it without and with the client certificate"
LEAD_FIX_BELOW = "the first finding's fix, below"
Row = tuple[Finding | None, Table, str]  # what an option stands for (None: the fold, a note), its line, its id
HYGIENE_NOTE = (
    "Certificate hygiene: true of these certificates whatever the state, worth fixing, and "
    "rarely why a host fails today. h (or enter on this line) unfolds and folds them."
)

NO_HOST_SHOWN = "No host matches the filter: / edits it, esc there clears it."


def _one_row(text: Text, mark: Text | None = None) -> Table:
    """One line cut at the edge with an ellipsis (the option list and Static wrap plain text);
    `mark` in an 8-column gutter, as the detail puts the severity."""
    grid = Table.grid(padding=(0, 1), expand=True)
    if mark is not None:
        grid.add_column(width=8, no_wrap=True)
    grid.add_column(no_wrap=True, overflow="ellipsis", ratio=1)
    grid.add_row(*([mark] if mark is not None else []), text)
    return grid


def _row(finding: Finding) -> Table:
    return _one_row(
        Text.assemble((finding.code, "bold"), f"\u00a0·\u00a0{finding.title}"),
        Text(finding.severity.value.upper(), style=STYLE[finding.severity]),
    )


def _standing_row(standing: tuple[Finding, ...], shown: bool) -> Table:
    codes = Counter(finding.code for finding in standing)
    named = ", ".join(code + (f" ×{count}" if count > 1 else "") for code, count in codes.items())
    return _one_row(
        Text.assemble(
            (f"{'▾' if shown else '▸'} certificate hygiene, {len(standing)} more: ", "bold"),
            (f"h {'hides' if shown else 'shows'} them", "bold green"),
            (f"  ({named})", "dim"),
        )
    )


class FindingList(OptionList):
    """The findings, one line each; `rows[i]` is the finding option i stands for."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[Finding | None] = []

    def fill(self, rows: list[Row], highlight: int) -> None:
        """Replace the options (what each stands for, its line, its id) and highlight one."""
        self.rows = [finding for finding, _, _ in rows]
        self.set_options(Option(line, id=option_id) for _, line, option_id in rows)
        self.highlighted = highlight if rows else None
        self.display = bool(rows)

    @property
    def highlighted_finding(self) -> Finding | None:
        if self.highlighted is None or self.highlighted >= len(self.rows):
            return None
        return self.rows[self.highlighted]


class VerdictPane(Vertical):
    """Renders one `HostReport` (`show`), or a line while reading (`show_loading`) or when the
    read failed (`show_error`). Keys on the findings: ↑↓ move, page keys scroll the detail, home
    and end go to the first and the last line, enter reads the detail (esc comes back) or unfolds
    the hygiene, h folds or unfolds the hygiene (from outside the pane the app's `h` does), c copies
    the highlighted finding's fix."""

    BINDINGS = [
        Binding("h", "toggle_standing", "Hygiene"),  # shown in the footer here; the app's h works elsewhere
        Binding("c", "copy_fix", "Copy this fix"),
        *UNLISTED_APP_KEYS,  # `? Help` whole in the footer at 80 columns
        Binding("escape", "back_to_list", "Back to the list", show=False),
        # Over the list's own: the list is short, the detail is what is long.
        Binding("pagedown", "detail_page(1)", "Page down", show=False, priority=True),
        Binding("pageup", "detail_page(-1)", "Page up", show=False, priority=True),
        Binding("end", "last_line", "Last line", show=False, priority=True),
        Binding("home", "first_line", "First line", show=False, priority=True),
    ]

    def __init__(self, run_place: str | None = None, **kwargs) -> None:
        """`run_place`: what to run before a fix (the lab's KUBECONFIG and folder): its fixes name the
        lab's files and API server, and failed pasted in another folder (a new user's review)."""
        super().__init__(**kwargs)
        self.run_place = run_place
        self.report: HostReport | None = None
        self.standing_shown = False
        self._detail_of: Finding | Text | None = None  # what the detail shows

    def compose(self) -> ComposeResult:
        yield Static("Reading the cluster…", id="verdict-line")
        try_command, try_words = CommandLines(try_label(), id="verdict-try"), Static("", id="verdict-try-words")
        findings = FindingList(id="findings")
        try_command.display = try_words.display = findings.display = False  # until a report comes
        yield try_command
        yield try_words
        yield findings
        with VerticalScroll(id="finding-detail") as detail:
            detail.display = False
            yield Static("", id="finding-head")
            yield CommandLines(fix_label(), id="finding-fix")
            yield CommandLines(Text("run it after: ", style="dim"), id="finding-place")
            yield Static("", id="finding-block")
            yield Vertical(id="finding-reproduce")

    # --- what the app calls -----------------------------------------------------------

    def show_loading(self, text: str) -> None:
        """A step of reading the cluster; the findings of the last read stay until the next."""
        self.query_one("#verdict-line", Static).update(Text(text, style="italic"))

    def show_error(self, text: str) -> None:
        """The read failed: say why, and show no findings from an earlier read as if current."""
        self.report = None
        self.query_one("#verdict-line", Static).update(Text.assemble(("Could not read: ", "bold red"), text))
        self._set_try(None, False)
        self.query_one(FindingList).fill([], 0)
        self._show_detail(None)

    def show(
        self,
        report: HostReport | None,
        probe_elsewhere: str | None = None,
        file_findings: tuple[Finding, ...] = (),
        filtered: bool = False,
    ) -> None:
        """Render the report. A new report of the same host (after a probe) keeps the finding the
        user moved to; on the lead, the new report's lead is selected. `probe_elsewhere`: the
        command line's probe, when the screen does not know where to send one (the try line
        gives it instead of `p`).
        `file_findings`: what the source could not use; with no host to show, they are the
        verdict (a refused Gateway leaves no host, and a notice alone would fade). `filtered`: the
        host filter shows no host, which is why none is selected (it said "No host selected.")."""
        findings = self.query_one(FindingList)
        moved = findings.highlighted not in (None, 0)
        same_host = self.report is not None and report is not None and self.report.host == report.host
        kept = findings.highlighted_finding if moved and same_host else None
        self.report = report
        line = self.query_one("#verdict-line", Static)
        if report is None:
            self._set_try(None, False)
            if file_findings:
                count = len(file_findings)
                line.update(
                    Text.assemble(
                        ("No host to judge", "bold"),
                        f": {count} object{'s' * (count > 1)} or document{'s' * (count > 1)} of the source "
                        f"could not be used (below)",
                    )
                )
                findings.fill([(f, _row(f), f"file-{i}") for i, f in enumerate(file_findings)], 0)
                self._show_highlighted()
                return
            line.update(NO_HOST_SHOWN if filtered else "No host selected.")
            findings.fill([], 0)
            self._show_detail(None)
            return
        word, style = state_look(report)
        line.update(Text.assemble((f" {word} ", f"{style} reverse"), "  ", (headline(report.verdict), "bold")))
        step = next_step(report, probe_elsewhere or PROBE_KEY)
        self._set_try(step, step is not None and step == report.next_command)
        self._fill(kept)

    def focus_findings(self) -> None:
        self.query_one(FindingList).focus()

    # --- keys and messages ----------------------------------------------------------------

    def action_toggle_standing(self) -> None:
        if self.report is None or not self.report.standing:
            return
        self.standing_shown = not self.standing_shown
        self._fill(self.query_one(FindingList).highlighted_finding, to_fold=True)

    def action_copy_fix(self) -> None:
        finding = self.query_one(FindingList).highlighted_finding
        if finding is None or not finding.is_command:
            self.notify("This finding has no fix command: ↑↓ to another one.")
            return
        self.app.copy_to_clipboard(finding.fix)  # OSC 52: some terminals (and tmux without set-clipboard) ignore it
        self.notify(copied_note(finding.code, self.app.size.width), timeout=10)

    def action_back_to_list(self) -> None:
        self.focus_findings()

    def action_detail_page(self, direction: int) -> None:
        detail = self.query_one("#finding-detail", VerticalScroll)
        (detail.scroll_page_down if direction > 0 else detail.scroll_page_up)(animate=False)

    def action_last_line(self) -> None:
        """The last finding (unless reading the detail), its detail scrolled to the end: the tab's last line."""
        findings = self.query_one(FindingList)
        if findings.has_focus:
            findings.action_last()
            self._show_highlighted()
        self.call_after_refresh(self.query_one("#finding-detail", VerticalScroll).scroll_end, animate=False)

    def action_first_line(self) -> None:
        findings = self.query_one(FindingList)
        if findings.has_focus:
            findings.action_first()
            self._show_highlighted()
        self.call_after_refresh(self.query_one("#finding-detail", VerticalScroll).scroll_home, animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_highlighted()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == STANDING:
            self.action_toggle_standing()
        elif self.query_one(FindingList).highlighted_finding is not None:
            self.query_one("#finding-detail", VerticalScroll).focus()

    # --- rendering ------------------------------------------------------------------------

    def _set_try(self, step: str | None, lead_fix: bool) -> None:
        """A command whole on one line, or, when it is the lead's fix and needs more, where it is
        whole: the lead is listed first and its fix heads the detail (a line cut at the edge read
        as the command, and a mouse copy of it ran another); a probe command in shell lines;
        words wrapped as words (`p`'s, or what a probe on the command line needs)."""
        is_words = step is not None and first_program(step) not in FIX_PROGRAMS
        words = self.query_one("#verdict-try-words", Static)
        words.display = is_words
        words.update(try_label() + (step or ""))
        command = None if is_words else step
        self.query_one("#verdict-try", CommandLines).show(command, LEAD_FIX_BELOW if lead_fix else None)

    def _show_highlighted(self) -> None:
        findings = self.query_one(FindingList)
        on_fold = findings.highlighted is not None and findings.get_option_at_index(findings.highlighted).id == STANDING
        self._show_detail(Text(HYGIENE_NOTE) if on_fold else findings.highlighted_finding)

    def _show_detail(self, shown: Finding | Text | None) -> None:
        """The detail, from its top; the same finding again (a probe re-diagnosed the host) keeps
        its scroll position."""
        if shown == self._detail_of and shown is not None:
            return
        self._detail_of = shown
        head, command, block, reproduce = (
            finding_detail(shown) if isinstance(shown, Finding) else (shown or "", None, "", ())
        )
        self.query_one("#finding-head", Static).update(head)
        self.query_one("#finding-fix", CommandLines).show(command)
        self.query_one("#finding-place", CommandLines).show(self.run_place if command else None)
        self.query_one("#finding-block", Static).update(block)
        commands = self.query_one("#finding-reproduce", Vertical)
        commands.remove_children()
        commands.mount_all(CommandLines(reproduce_label(), classes="command").shown(line) for line in reproduce)
        detail = self.query_one("#finding-detail", VerticalScroll)
        detail.display = shown is not None
        detail.scroll_home(animate=False)

    def _fill(self, keep: Finding | None, to_fold: bool = False) -> None:
        """The findings that explain the state (the lead first), then the hygiene fold. `keep`
        stays highlighted while it is listed; else the fold row when it was just used, else the lead."""
        report = self.report
        assert report is not None
        standing = report.standing
        rows: list[Row] = [(f, _row(f), f"finding-{i}") for i, f in enumerate(report.findings) if f not in standing]
        if standing:
            rows.append((None, _standing_row(standing, self.standing_shown), STANDING))
            if self.standing_shown:
                rows += [(f, _row(f), f"standing-{i}") for i, f in enumerate(standing)]
        if not report.findings:
            rows.append((None, _one_row(Text("No findings.")), "none"))
        ids = [option_id for _, _, option_id in rows]
        kept = [i for i, (f, _, _) in enumerate(rows) if f is not None and f == keep]
        highlight = kept[0] if kept else ids.index(STANDING) if to_fold and STANDING in ids else 0
        self.query_one(FindingList).fill(rows, highlight)
        self._show_highlighted()
