"""Modal screens: help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

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
| q | quit |

States: ✔ works · ▲ works with warnings · ✖ broken. Finding codes are stable: grep them.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
