"""Reports for a terminal with Rich. Meaning is carried by words (ERROR, WARNING)
as well as colour, so it survives `NO_COLOR`, a projector and a pasted ticket."""

from __future__ import annotations

import dataclasses
import io
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO, cast

from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mtls_tui.certs.load import Material
from mtls_tui.diagnose.hosts import HostReport, HostState, headline
from mtls_tui.diagnose.inspect import CertView, InspectReport
from mtls_tui.diagnose.probe import REPRODUCE
from mtls_tui.diagnose.reproduce import probe_command
from mtls_tui.diagnose.successors import CLIENT_WORDS, SuccessorReport, observed_answer, unchecked
from mtls_tui.model import ROLE_TITLES, CertFacts, ClusterSnapshot, Finding, ProbeResult, Severity, sort_findings
from mtls_tui.policy.ingress_nginx.releases import controller_rules
from mtls_tui.safe_text import clipped, one_line

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _validity(facts: CertFacts, now: datetime) -> Text:
    left = facts.not_after - now
    span = f"{facts.not_before:%Y-%m-%d} → {facts.not_after:%Y-%m-%d}"
    if facts.not_before > now:
        return Text(f"{span}  NOT YET VALID", style="bold red")
    if left.total_seconds() < 0:
        return Text(f"{span}  EXPIRED {-left.days} days ago", style="bold red")
    style = "yellow" if left.days < 30 else ""
    return Text(f"{span}  ({left.days} days left)", style=style)


def cert_table(facts: CertFacts, now: datetime) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    version = "v1 (no extensions)" if facts.version == 1 else "v3"
    key = f"{facts.key_type} {facts.key_bits or ''}".strip() + (f" ({facts.key_curve})" if facts.key_curve else "")
    rows: list[tuple[str, str | Text]] = [
        ("Subject", facts.subject),
        ("Issuer", facts.issuer + ("  (self-signed)" if facts.self_signed else "")),
        ("Validity", _validity(facts, now)),
        ("Version", version),
        ("Serial", facts.serial),
        ("Key", key),
        ("Signature", facts.signature_algorithm),
    ]
    sans = [f"DNS:{n}" for n in facts.sans.dns] + [f"IP:{n}" for n in facts.sans.ip]
    sans += [f"URI:{n}" for n in facts.sans.uri] + [f"email:{n}" for n in facts.sans.email]
    rows.append(("SAN", ", ".join(sans) or "none"))
    if facts.is_ca is not None:
        rows.append(
            (  # basicConstraints in openssl's words, not Python's True/False
                "Constraints",
                f"CA:{str(facts.is_ca).upper()}"
                + (f", pathlen:{facts.path_length}" if facts.path_length is not None else ""),
            )
        )
    if facts.key_usage:
        rows.append(("Key usage", ", ".join(facts.key_usage)))
    if facts.extended_key_usage:
        rows.append(("Ext. key usage", ", ".join(facts.extended_key_usage)))
    if facts.subject_key_id:
        rows.append(("Subject key ID", facts.subject_key_id))
    if facts.authority_key_id:
        rows.append(("Authority key ID", facts.authority_key_id))
    for label, urls in (("CRL", facts.crl_urls), ("OCSP", facts.ocsp_urls)):
        if urls:
            rows.append((label, ", ".join(urls)))
    rows.append(("SHA-256", facts.sha256))
    for label, value in rows:
        table.add_row(label, value if isinstance(value, Text) else Text(value))
    return table


def cert_panel(view: CertView, now: datetime) -> Panel:
    title = Text.assemble((ROLE_TITLES[view.role], "bold"), f" · {view.origin}")
    return Panel(cert_table(view.facts, now), title=title, title_align="left", expand=False)


def print_finding(console: Console, finding: Finding) -> None:
    """The block, then the fix on one physical line: a fix folded over lines, pasted, would run
    its second line on its own. The terminal may show it wrapped; a copy keeps it whole."""
    console.print(finding_block(finding, with_fix=False))
    if finding.fix:
        console.print(Text.assemble(" " * 9, ("fix: ", "bold green"), finding.fix), soft_wrap=True)
    if finding.then:
        console.print(Padding(_then(finding), (0, 0, 0, 9)))


def finding_block(finding: Finding, with_fix: bool = True) -> Table:
    """Severity word and code on the left; title, detail, evidence, where and fix indented."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=8, no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(Text(finding.severity.value.upper(), style=STYLE[finding.severity]), _finding_head(finding))
    grid.add_row("", Text(finding.detail))
    for line in finding.evidence:
        grid.add_row("", Text(f"evidence: {line}", style="dim"))
    grid.add_row("", Text(f"where: {finding.subject}", style="dim"))
    if finding.fix and with_fix:
        grid.add_row("", _fix(finding))
    if finding.then and with_fix:
        grid.add_row("", _then(finding))
    return grid


def finding_detail(finding: Finding) -> tuple[Group, str | None, Group, tuple[str, ...]]:
    """One finding for a narrow pane, in four parts, every line at the full width and the fix
    right under the title, where a small screen (a projector at 80x24) still shows all of it:
    the head (with a fix in words), the fix command (None: none; the pane lays it out as shell
    lines, `fix_label` before it), the rest, its `then` first, and the commands that reproduce
    what the evidence saw (laid out as the fix is, `reproduce_label` before each)."""
    head = Text.assemble((finding.severity.value.upper(), STYLE[finding.severity]), " ", _finding_head(finding))
    command = finding.fix if finding.is_command else None
    above: list[Text] = [head] + ([_fix(finding)] if finding.fix and command is None else [])
    below: list[Text] = [_then(finding)] if finding.then else []
    below.append(Text(finding.detail))
    reproduce = tuple(line.removeprefix(REPRODUCE) for line in finding.evidence if line.startswith(REPRODUCE))
    below += [Text(f"evidence: {line}", style="dim") for line in finding.evidence if not line.startswith(REPRODUCE)]
    below.append(Text(f"where: {finding.subject}", style="dim"))
    return Group(*above), command, Group(*below), reproduce


def reproduce_label() -> Text:
    return Text(REPRODUCE, style="dim")


def fix_label() -> Text:
    return Text("fix: ", style="bold green")


def _finding_head(finding: Finding) -> Text:
    head = Text(f"{finding.code}\u00a0·\u00a0{finding.title}")
    head.stylize("bold", 0, len(finding.code))
    return head


def _fix(finding: Finding) -> Text:
    return fix_label() + Text(finding.fix)


def _then(finding: Finding) -> Text:
    """What the fix leaves to the reader, in words under the command, never in it."""
    return Text.assemble(("then: ", "bold"), finding.then)


def try_label() -> Text:
    return Text("try: ", style="bold green")


def next_step(report: HostReport, probe: str) -> str | None:
    """What the "try:" line under a host's headline gives, decided once for the CLI and the
    screen: the fix of the finding that explains the headline, else a probe (`probe` says how
    this view sends one: a key on the screen, a command in the CLI), else nothing."""
    if report.next_command:
        return report.next_command
    if report.needs_probe:
        return probe
    return None


# `probe` with no client certificate: its answers say nothing of mTLS itself, as `check` says
# "not yet probed with a client certificate" of such a host (diagnose/hosts.py HostReport.verdict).
UNPROBED_HEAD = "NOT PROBED WITH A CLIENT CERTIFICATE (give --cert and --key)"


def summary_line(findings: tuple[Finding, ...], unprobed: bool = False) -> Text:
    """The head of a report: BROKEN on an error; `unprobed` (no client certificate was sent)
    never reads as WORKS or OK."""
    counts = {s: sum(f.severity is s for f in findings) for s in Severity}
    if counts[Severity.ERROR]:
        head = Text("BROKEN: ", style="bold red")
    elif unprobed:
        head = Text(f"{UNPROBED_HEAD}: ", style="bold yellow")
    elif counts[Severity.WARNING]:
        head = Text("WORKS, with warnings: ", style="bold yellow")
    else:
        head = Text("OK: ", style="bold green")
    return head + Text(
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} note(s)"
    )


class _TrimmedLines(io.TextIOBase):
    """A pipe's or a file's stdout: rich pads every cell of a table to its column's width, and a
    file gets each line without the spaces at its end (grep, diff and a pasted line see none)."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out, self.pending = out, ""

    def write(self, text: str) -> int:
        *lines, self.pending = (self.pending + text).split("\n")
        self.out.writelines(line.rstrip(" ") + "\n" for line in lines)
        return len(text)

    def flush(self) -> None:
        self.out.write(self.pending)  # a line without its newline yet: as it stands
        self.pending = ""
        self.out.flush()


def terminal_console() -> Console:
    """Wide when piped: commands and side-by-side tables must not wrap at 80 columns in a file."""
    console = Console(highlight=False)
    if not console.is_terminal:
        trimmed = cast(TextIO, _TrimmedLines(sys.stdout))  # a TextIOBase: what rich writes to and flushes
        console = Console(highlight=False, width=max(console.width, 160), file=trimmed)
    return console


def print_inspect(console: Console, report: InspectReport, now: datetime) -> None:
    for view in report.certs:
        console.print(cert_panel(view, now))
    for key in report.keys:
        owner = f"belongs to {key.matches}" if key.matches else "no certificate given here matches it"
        console.print(
            Panel(
                Text(f"{key.key_type} {key.bits or ''} · {owner} · contents not shown"),
                title=Text.assemble(("private key", "bold"), f" · {key.origin}"),
                title_align="left",
                expand=False,
            )
        )
    for secret in report.secrets:
        table = Table(
            title=Text(one_line(f"Secret {secret.ref} ({secret.type})")), title_justify="left", show_edge=False
        )
        table.add_column("key")
        table.add_column("bytes", justify="right")
        table.add_column("holds")
        for entry in secret.entries:
            table.add_row(Text(one_line(entry.name)), str(entry.size), Text(one_line(entry.holds)))
        console.print(table)
    for note in report.notes:
        console.print(Text(one_line(f"note: {note}"), style="dim"))
    console.print()
    console.print(summary_line(report.findings))
    for finding in report.findings:
        print_finding(console, finding)
        console.print()


HEADERS_SHOWN = 8


def _bar(value: float | None, scale: float, width: int = 14) -> Text:
    if value is None:
        return Text("—", style="dim")
    filled = max(1, round(width * value / scale)) if scale else 1
    return Text("█" * filled, style="cyan") + Text(f" {value:.1f} ms")


def timing_scale(results: list[ProbeResult]) -> float:
    """The longest timing of the attempts, which fills a bar: one scale for both columns."""
    return max([t or 0.0 for r in results for t in dataclasses.astuple(r.timings)] + [1.0])


def probe_column(result: ProbeResult, scale: float) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    if result.failure:
        grid.add_row("Result", Text(f"FAILED ({result.failure.kind}): {result.failure.message}", style="bold red"))
        if result.failure.alert_number is not None:  # the server's verdict, where there is no HTTP status
            when = f" ({result.failure.when})" if result.failure.when else ""
            alert = f"{result.failure.alert_number} {result.failure.alert or ''}".strip()
            grid.add_row("TLS alert", Text(alert + when, style="bold red"))
    else:
        style = "green" if result.status and result.status < 400 else "bold red"
        location = result.header("location")
        grid.add_row("Status", Text(f"HTTP {result.status}" + (f" → {location}" if location else ""), style=style))
    grid.add_row("Sent", Text(f"SNI {result.sni or '(none)'}, Host {result.host_header}, to {result.connect_to}"))
    timings = result.timings
    phases = (
        ("Connect", timings.connect),
        ("TLS", timings.tls),
        # TLS 1.3: the probe's read for the server's verdict, shown apart from the handshake and
        # the answer (only where it read: TLS 1.3, a certificate asked for)
        *((("Verdict wait", timings.verdict),) if timings.verdict is not None else ()),
        ("First byte", timings.first_byte),
        ("Total", timings.total),
    )
    for label, milliseconds in phases:
        grid.add_row(label, _bar(milliseconds, scale))
    if result.tls_version:
        grid.add_row("TLS", Text(tls_summary(result)))
    if result.server_cert:
        fake = "  FAKE (controller default)" if result.fake_certificate else ""
        grid.add_row("Server cert", Text(f"{result.server_cert.subject}{fake}", style="bold red" if fake else ""))
    if result.server_verify_error:
        grid.add_row("Server check", Text(result.server_verify_error, style="yellow"))
    if result.cert_requested is not None:
        asked = ("yes, from " + ("; ".join(result.acceptable_cas) or "any CA")) if result.cert_requested else "no"
        grid.add_row("Asked for cert", Text(asked, style="" if result.cert_requested else "yellow"))
    for name, value in result.echo:
        shown = value if len(value) <= 80 else value[:77] + "..."
        grid.add_row(name, Text(shown))
    snippet = body_summary(result.body)
    if snippet:
        grid.add_row("Body", Text(snippet))
    for index, (name, value) in enumerate(result.headers[:HEADERS_SHOWN]):
        grid.add_row("Headers" if index == 0 else "", Text(f"{name}: {value}", style="dim"))
    return grid


def tls_summary(result: ProbeResult) -> str:
    """The version, cipher and ALPN the handshake agreed. A refused handshake agreed no cipher (the
    server's alert came before its Finished); a failure after it left the cipher unread (the probe
    reads it from the answer's connection): either is said in words, not as Python's None."""
    if result.cipher:
        return f"{result.tls_version}, {result.cipher}, ALPN {result.alpn or 'none'}"
    if result.failure is not None and result.failure.when in ("first read", "after the request"):
        return f"{result.tls_version}; cipher not read: the connection failed after the handshake"
    return f"{result.tls_version}; no cipher: the handshake did not complete"


def body_summary(body: str) -> str:
    """nginx's error pages say what happened in their second <center> line."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    centers = [
        line.replace("<center>", "").replace("</center>", "")
        for line in lines
        if line.startswith("<center>") and "nginx" not in line
    ]
    if centers:
        return centers[-1].replace("<h1>", "").replace("</h1>", "")
    return lines[0][:80] if lines else ""


def print_probe(console: Console, results: list[ProbeResult], findings: list[Finding]) -> None:
    scale = timing_scale(results)
    table = Table(show_lines=False, expand=True)
    for result in results:
        table.add_column(Text(result.label, style="bold"), ratio=1)
    table.add_row(*(probe_column(r, scale) for r in results))
    console.print(table)
    for result in results:
        console.print(Text(f"Reproduce {result.label}:", style="bold"))
        console.print(Text(f"  {result.curl}"), soft_wrap=True)
        console.print(Text(f"  {result.openssl}"), soft_wrap=True)
    console.print()
    ordered = sort_findings(findings)
    console.print(summary_line(tuple(ordered), unprobed=not any(r.sent_client_cert for r in results)))
    for finding in ordered:
        print_finding(console, finding)
        console.print()


STATE_STYLE: dict[HostState, tuple[str, str]] = {
    "works": ("WORKS", "bold green"),
    "broken": ("BROKEN", "bold red"),
    "not enforced": ("NOT ENFORCED", "bold magenta"),
    "unverified": ("UNVERIFIED", "bold yellow"),
}


NEUTRAL = "bold"  # a TLS-only host works, but is no mTLS success: no success colour


def state_look(report: HostReport | SuccessorReport) -> tuple[str, str]:
    """The state's word and style for one host: a TLS-only host keeps `works` in a neutral style."""
    word, style = STATE_STYLE[report.state]
    return word, NEUTRAL if report.tls_only else style


def print_hosts(
    console: Console,
    snapshot: ClusterSnapshot,
    reports: list[HostReport],
    successors: Sequence[SuccessorReport] = (),
    client: tuple[str | None, str | None, Material | None] = (None, None, None),
) -> None:
    """Every host's state, its next step and findings; `client` is the (--cert, --key) given and
    what the certificate's file held, which the printed probe command names (else the seed's file
    names)."""
    console.print(Text(f"Source: {snapshot.source}", style="dim"))
    for finding in snapshot.unreadable:
        print_finding(console, finding)
    if not reports and not successors and snapshot.unreadable:
        count = len(snapshot.unreadable)
        console.print(
            f"No host to judge: the {count} object{'s' * (count > 1)} or document{'s' * (count > 1)} above could "
            "not be used, and nothing else serves a host with TLS or client certificates."
        )
    elif not reports and not successors:
        console.print(
            f"No Ingress serves a host with TLS or client certificates ({snapshot.source}; "
            "a namespace with no Ingress, or a misspelt one, looks the same: kubectl get ingress -A)."
        )
    for report in reports:
        word, style = state_look(report)
        console.print()
        warnings = sum(f.severity is Severity.WARNING for f in report.findings)
        console.print(
            Text.assemble(
                (f"{word} ", style),
                (report.host, "bold"),
                "  ",
                headline(report.verdict),
                (f"  ({warnings} warning{'s' * (warnings != 1)})" if warnings else "", "yellow"),
            )
        )
        if (step := next_step(report, probe_command(report.host, *client))) is not None:
            console.print(Text(" " * 9) + try_label() + step, soft_wrap=True)  # one physical line: pasted whole
        if policy_unchecked := report.policy.unchecked:
            console.print(Text(f"         not checked: {', '.join(policy_unchecked)}", style="dim"))
        policy = report.policy
        if policy.policy:
            p = policy.policy
            extras = [f"error page {clipped(p.error_page)}"] if p.error_page else []
            extras += ["passes the certificate upstream"] if p.pass_certificate else []
            extras += [f"match-CN {clipped(p.match_cn)}"] if p.match_cn else []
            console.print(
                Text(
                    f"         auth-tls-secret {p.secret}, verify-client {p.verify_client}, depth {p.verify_depth}"
                    + "".join(f", {e}" for e in extras)
                    + (f"  (from Ingress {policy.mtls_from.ref})" if policy.mtls_from else "")
                    + (
                        f"; {rules.described}"
                        if policy.controller and not (rules := controller_rules(policy.controller)).usual
                        else ""
                    ),
                    style="dim",
                )
            )
        for finding in report.findings:
            print_finding(console, finding)
    _print_successors(console, successors)


def _print_successors(console: Console, successors: Sequence[SuccessorReport]) -> None:
    """Hosts other controllers serve: who gets in, predicted from the objects (not probed)."""
    for report in successors:
        word, style = state_look(report)
        v = report.validation
        console.print()
        console.print(Text.assemble((f"{word} ", style), (f"{v.host}:{v.port}", "bold"), "  ", report.verdict))
        shared = f", shared with {', '.join(v.shared_with)}" if v.shared_with else ""
        console.print(
            Text(f"         {v.implementation} ({v.data_plane}), per {v.scope}{shared}; mode {v.mode}", style="dim")
        )
        if v.release:  # the release whose rules were used (policy/successors/releases.py), "(assumed: …)" if not seen
            console.print(Text(f"         rules of {v.release}", style="dim"))
        if v.decided_by:
            console.print(Text(f"         from {'; '.join(v.decided_by)}", style="dim"))
        if unread := unchecked(v):
            console.print(Text(f"         not checked: {', '.join(unread)}", style="dim"))
        console.print(
            Text("         who gets in (predicted from the objects and measured data planes, TLS 1.3):", style="dim")
        )
        width = max(len(word) for word in CLIENT_WORDS.values())
        for client, answer in report.answers:
            console.print(Text(f"           {CLIENT_WORDS[client]:<{width}}  {answer}", style="dim"))
        for result in report.probe:
            seen = observed_answer(result)
            sent = "with your certificate" if result.sent_client_cert else "without a certificate"
            what = str(seen) if seen else (result.failure.message if result.failure else "no answer")
            console.print(Text(f"         probed {sent}: {what}", style="dim"))
        for finding in report.findings:
            print_finding(console, finding)


LOG_SEVERITY_STYLE = {"E": "red", "F": "bold red", "W": "yellow"}


def log_prefix(record) -> Text:
    """Time and the pod's suffix (the replica set's hash is the same for every pod)."""
    stamp = f"{record.timestamp:%H:%M:%S} " if record.timestamp else ""
    return Text(f"{stamp}{one_line(record.pod[-5:])} ", style="dim")


def log_text(record) -> Text:
    return Text(one_line(record.text), style=LOG_SEVERITY_STYLE.get(record.severity or "", ""))
