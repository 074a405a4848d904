"""The host list: every TLS host, its state in words and a mark that survives no colour."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mtls_tui.diagnose.hosts import HostReport

MARKS = {"works": ("✔", "green", "works"), "broken": ("✖", "red", "broken"),
         "not enforced": ("!", "magenta", "not enforced"), "unverified": ("?", "yellow", "unverified")}


class HostList(OptionList):
    """Posts `HostList.Chosen` when the highlighted host changes."""

    class Chosen(Message):
        def __init__(self, host: str) -> None:
            super().__init__()
            self.host = host

    def show(self, reports: list[HostReport], selected: str | None) -> None:
        self.clear_options()
        for report in reports:
            mark, style, word = MARKS[report.state]
            warnings = sum(f.severity.value == "warning" for f in report.findings)
            mtls = (" (not served)" if not report.policy.served else
                    "" if report.policy.policy or report.policy.asks_mtls else " (TLS only)")
            label = Text.assemble((f"{mark} ", style), (report.host, "bold"), f"{mtls}\n  ", (word, style))
            if warnings:
                label.append("\n  ")
                label.append(f"{warnings} warning{'s' * (warnings != 1)}", "yellow")
            self.add_option(Option(label, id=report.host))
        hosts = [r.host for r in reports]
        if hosts:
            self.highlighted = hosts.index(selected) if selected in hosts else 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))
