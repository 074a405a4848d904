"""Modal screens: help, and the lab's scenario picker."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, OptionList
from textual.widgets.option_list import Option

HELP = """\
# mtls-tui

Pick a host on the left; the tabs show why its client-certificate set-up works or not.

| key | does |
|---|---|
| ↑ ↓ | choose a host |
| 1–5 | Verdict, Certificates, Ingress & Secret, Probe, Logs |
| p | probe the host without and with the client certificate |
| r | read the cluster again |
| / | filter the logs |
| c | copy the first fix command |
| e | export the diagnosis (Markdown and JSON) |
| ctrl+p | command palette |
| l | lab only: switch the scenario (a mistake to show) |
| space | on the Logs tab: pause or resume |
| q | quit |

States: ✔ works · ▲ works with warnings · ✖ broken. Finding codes are stable: grep them.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)


class ScenarioScreen(ModalScreen[str | None]):
    """Pick a lab scenario; dismisses with its name (or None)."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close")]

    def __init__(self, scenarios: dict, current: str) -> None:
        super().__init__()
        self.scenarios, self.current = scenarios, current

    def compose(self) -> ComposeResult:
        options = [Option(f"{'●' if name == self.current else ' '} {name:18} {s.description}", id=name)
                   for name, s in self.scenarios.items()]
        yield OptionList(*options, id="scenarios")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
