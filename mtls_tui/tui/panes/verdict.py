"""The verdict first, one line; then the findings by severity with evidence and fix."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.report.console import STATE_STYLE, STYLE, finding_block


def summary(report: HostReport) -> Group:
    """One line per finding, so a small terminal shows the whole picture before the details."""
    width = max((len(f.code) for f in report.findings), default=0)
    lines = []
    for finding in report.findings:
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{finding.severity.value.upper():8}", style=STYLE[finding.severity])
        line.append(f"{finding.code:{width}}  ", style="bold")
        line.append(finding.title)
        lines.append(line)
    return Group(*lines) if lines else Group(Text("No findings."))


class VerdictPane(VerticalScroll):
    def compose(self):
        yield Static("Reading the cluster…", id="verdict-line")
        yield Static("", id="findings")

    def show_loading(self, step: str) -> None:
        self.query_one("#verdict-line", Static).update(Text(step, style="italic"))

    def show_error(self, text: str) -> None:
        self.query_one("#verdict-line", Static).update(Text(text, style="bold red"))

    def show(self, report: HostReport | None) -> None:
        line, findings = self.query_one("#verdict-line", Static), self.query_one("#findings", Static)
        if report is None:
            line.update("No host selected.")
            findings.update("")
            return
        word, style = STATE_STYLE[report.state]
        verdict = report.verdict.removeprefix("broken: ")  # the badge already says it
        line.update(Text.assemble((f" {word} ", f"{style} reverse"), "  ", (verdict, "bold")))
        findings.update(Group(summary(report), Text(""), *[item for f in report.findings for item in (finding_block(f), Text(""))]))
