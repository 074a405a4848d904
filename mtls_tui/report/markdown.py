"""A host's diagnosis as Markdown, to paste into a ticket."""

from __future__ import annotations

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.successors import CLIENT_WORDS, SuccessorReport
from mtls_tui.safe_text import clipped


def host_markdown(report: HostReport | SuccessorReport, source: str) -> str:
    lines = [f"# mTLS diagnosis: {report.host}", "", f"**Verdict:** {report.verdict}", "", f"Source: {source}", ""]
    if isinstance(report, SuccessorReport):
        v = report.validation
        lines += [f"## Client validation ({v.implementation}, per {v.scope}, mode {v.mode})", ""]
        lines += [f"- from {source_object}" for source_object in v.decided_by]
        lines += ["", "| client | answer (predicted) |", "|---|---|"]
        lines += [f"| {CLIENT_WORDS[client]} | {answer} |" for client, answer in report.answers]
        lines += [""]
        return "\n".join(lines + _findings(report))
    policy = report.policy.policy
    if policy:
        lines += [
            "## Policy (as ingress-nginx reads it)",
            "",
            f"- auth-tls-secret: `{policy.secret}`",
            f"- verify-client: `{policy.verify_client}`",
            f"- verify-depth: `{policy.verify_depth}`",
        ]
        lines += [f"- error page: `{policy.error_page}`"] if policy.error_page else []
        lines += [f"- match-CN: `{clipped(policy.match_cn)}`"] if policy.match_cn else []
        lines += ["", "```nginx", *report.policy.directives, "```", ""]
    return "\n".join(lines + _findings(report))


def _findings(report: HostReport | SuccessorReport) -> list[str]:
    lines = ["## Findings", ""]
    for finding in report.findings:
        lines += [f"### {finding.severity.value.upper()} `{finding.code}`: {finding.title}", "", finding.detail, ""]
        lines += [f"- evidence: {e}" for e in finding.evidence]
        lines += [f"- where: {finding.subject}", ""]
        if finding.fix:
            lines += ["```sh", finding.fix, "```", ""]
        if finding.then:
            lines += [f"Then: {finding.then}", ""]
    return lines
