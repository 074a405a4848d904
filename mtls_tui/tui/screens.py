"""Modal screens: help, the lab's scenario picker and the workshop walkthrough."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from mtls_tui.service.ports import LabControl
from mtls_tui.tui.fields import PathField
from mtls_tui.tui.marks import STEP, legend
from mtls_tui.tui.panes.command import CommandLines
from mtls_tui.tui.path_suggester import PathSuggester

INTRO = (
    "Pick a host on the left; the tabs show why its client-certificate set-up works or not. On a big "
    "cluster the list comes first, each host marked … until its report is computed (the host you pick "
    "is computed next); the list's border counts the hosts and those still being judged."
)
# (key, what it does): short keys in a narrow column, so the meanings keep the width at 80 columns
KEYS = (
    (
        "↑ ↓  j k",
        "choose a host (home, end, page keys: the ends, a page); on the Verdict tab's findings: "
        "a finding, its fix and evidence below",
    ),
    ("enter", "on a host: its findings; on a finding: read its detail (esc: back to the list)"),
    ("h", "fold or unfold the Verdict tab's certificate hygiene (v1, no SAN, outlives its CA), from anywhere"),
    ("pgup pgdn", "Verdict tab: scroll the detail; home and end: its first and last line"),
    ("1 – 5", "the tabs: Verdict, Certificates, Ingress & Secret, Probe, Logs"),
    ("p", "probe what the Probe tab's form says, without and with the client certificate"),
    ("r", "read the cluster again"),
    (
        "/",
        "filter the hosts as you type (a name, namespace or state: broken, works…); enter keeps it, "
        "esc clears it; on the Logs tab: the logs",
    ),
    ("c", "copy the fix of the finding chosen on the Verdict tab (from elsewhere: the first fix)"),
    ("e", "export the diagnosis (Markdown and JSON)"),
    (
        "m",
        "migrate the host off ingress-nginx: the target's objects, what does not carry over, and (v) who "
        "gets in before and after, measured",
    ),
    ("ctrl+p", "command palette"),
    ("o", "open a client certificate file to judge and probe with"),
    ("→", "in a file field: complete the name, as a shell's Tab does"),
    ("esc", "in a text field: give the keys back to the app (tabs, p, q)"),
    ("l", "lab only: switch the scenario (a mistake to show)"),
    ("w", "lab only: the article's steps as a checklist, with live state"),
    ("space", "on the Logs tab: pause or resume"),
    ("?", "this help (esc, q or ? closes it; ↑↓ and page keys scroll it)"),
    ("q", "quit"),
)
KEY_WIDTH = max(len(key) for key, _ in KEYS)


def help_body() -> Group:
    """The help as a person reads it at 80x24: short paragraphs, the keys in a narrow column
    with their meanings wrapping beside them, then the marks (`legend`)."""
    keys = Table.grid(padding=(0, 2))
    keys.add_column(width=KEY_WIDTH, no_wrap=True, style="bold cyan")
    keys.add_column(ratio=1)
    for key, does in KEYS:
        keys.add_row(key, does)
    return Group(
        Text(INTRO),
        Text(""),
        Text("Keys", style="bold"),
        keys,
        Text(""),
        Text("Marks", style="bold"),
        Text(legend()),
        Text(""),
        Text("Finding codes are stable: grep them.", style="dim"),
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_title = "mtls-tui help"
            scroll.border_subtitle = "↑↓ pgup pgdn scroll · esc closes"
            yield Static(help_body())


class ScenarioScreen(ModalScreen[str | None]):
    """Pick a lab scenario; dismisses with its name (or None)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, scenarios: Mapping[str, str], current: str) -> None:
        super().__init__()
        self.scenarios, self.current = scenarios, current

    def compose(self) -> ComposeResult:
        options = [Option(self._row(name, description), id=name) for name, description in self.scenarios.items()]
        picker = OptionList(*options, id="scenarios")
        picker.border_title = "Lab scenario: the mistake the lab shows"
        picker.border_subtitle = "↑↓ choose · enter switches · esc closes"
        picker.highlighted = list(self.scenarios).index(self.current) if self.current in self.scenarios else 0
        yield picker

    def _row(self, name: str, description: str) -> Table:
        """Name, then the description wrapping in its own column: readable at 80 columns."""
        row = Table.grid(padding=(0, 1))
        row.add_column(width=1)
        row.add_column(width=max(map(len, self.scenarios)), no_wrap=True)  # every name whole
        row.add_column(ratio=1)
        row.add_row("●" if name == self.current else " ", name, description)
        return row

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


STEP_INDENT = (0, 0, 0, 3)  # a step's lines sit under its title, wrapped ones too


def _command(line: str) -> CommandLines:
    """`$ command` as shell lines that fit the screen, under its step (`.walk-command` in app.tcss):
    wrapped as words, a mouse copy of two rows pasted two commands, the first cut short."""
    return CommandLines(Text("$ "), classes="walk-command").shown(line)


class WalkthroughScreen(ModalScreen[None]):
    """The seed's steps with their commands and live state; `r` reads the state again."""

    BINDINGS = [Binding("escape,q,w", "dismiss", "Close"), Binding("r", "refresh_steps", "Refresh")]

    def __init__(self, steps_of, lab: LabControl | None = None) -> None:
        super().__init__()
        self.steps_of = steps_of  # a callable: the app computes the steps from its current state
        self.lab = lab  # how another terminal reaches it: the hint, and its place as a command

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="walkthrough"):
            yield Vertical(id="walkthrough-body")

    def on_mount(self) -> None:
        self.action_refresh_steps()

    def action_refresh_steps(self) -> None:
        title = "Workshop walkthrough: the article's steps in this lab (r refreshes, esc closes)"
        parts: list[Widget] = [Static(Text(title, style="bold"))]
        if self.lab is not None:
            parts += [Static(Text(self.lab.walkthrough_hint, style="cyan")), _command(self.lab.fix_place)]
        parts.append(Static(""))
        steps = self.steps_of()
        if not steps:
            parts.append(
                Static("The article's walkthrough is for the ingress-nginx lab (mtls-tui lab); this lab has none.")
            )
        for number, step in enumerate(steps, 1):
            mark = STEP[step.state]
            head = Text.assemble((f"{number}. {step.title}  ", "bold"), (f"{mark.symbol} {step.state}", mark.style))
            parts.append(Static(Group(head, Padding(Text(step.detail, style="dim"), STEP_INDENT))))
            parts += [_command(line) for line in step.command.splitlines()]
            if step.note:
                parts.append(Static(Padding(Text(step.note, style="italic"), STEP_INDENT)))
            parts.append(Static(""))
        body = self.query_one("#walkthrough-body", Vertical)
        body.remove_children()
        body.mount_all(parts)


class OpenFileScreen(ModalScreen[str | None]):
    """Ask for a file name; dismisses with it (or None on escape)."""

    AUTO_FOCUS = "Input"
    BINDINGS = [Binding("escape", "dismiss", "Close")]

    def __init__(self, prompt: str) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="open-file"):
            yield Static(self.prompt)
            yield PathField(
                placeholder="path/to/client.crt (PEM, DER, PKCS#12 or a Secret manifest; → completes)",
                id="open-path",
                suggester=PathSuggester(),
            )
        yield Footer()  # the field's esc and enter: the screen below's footer lists keys that are typed here

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)
