"""The host list: every TLS host, its state in words and a mark that survives no colour."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.model import Severity
from mtls_tui.tui.marks import HOST_STATE, SEVERITY


class HostList(OptionList):
    """Posts `HostList.Chosen` when the highlighted host changes."""

    class Chosen(Message):
        def __init__(self, host: str) -> None:
            super().__init__()
            self.host = host

    def show(self, reports: list[HostReport], selected: str | None) -> None:
        self.clear_options()
        for report in reports:
            mark = HOST_STATE[report.state]
            warnings = sum(f.severity is Severity.WARNING for f in report.findings)
            mtls = (
                " (not served)"
                if not report.policy.served
                else ""
                if report.policy.policy or report.policy.asks_mtls
                else " (TLS only)"
            )
            label = Text.assemble(
                (f"{mark.symbol} ", mark.style), (report.host, "bold"), f"{mtls}\n  ", (report.state, mark.style)
            )
            if warnings:
                warning = SEVERITY[Severity.WARNING]
                label.append(f"\n  {warning.symbol} {warnings} warning{'s' * (warnings != 1)}", warning.style)
            self.add_option(Option(label, id=report.host))
        hosts = [r.host for r in reports]
        if hosts:
            self.highlighted = hosts.index(selected) if selected in hosts else 0

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))
