"""The verdict first, one line; then the findings by severity with evidence and fix."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.report.console import STATE_STYLE, finding_block


class VerdictPane(VerticalScroll):
    def compose(self):
        yield Static("Reading the cluster…", id="verdict-line")
        yield Static("", id="findings")

    def show(self, report: HostReport | None) -> None:
        line, findings = self.query_one("#verdict-line", Static), self.query_one("#findings", Static)
        if report is None:
            line.update("No host selected.")
            findings.update("")
            return
        word, style = STATE_STYLE[report.state]
        line.update(Text.assemble((f" {word} ", f"{style} reverse"), "  ", (report.verdict, "bold")))
        blocks = [finding_block(f) for f in report.findings] or [Text("No findings.")]
        findings.update(Group(*[item for block in blocks for item in (block, Text(""))]))
