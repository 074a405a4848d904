"""The Ingress and Secret as the controller reads them: annotations with their
effective values (silent rewrites shown), the Secret's keys (sizes and contents,
never key bytes), Events, the controller, and the nginx directives it renders."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mtls_tui.certs.crl import load_crls
from mtls_tui.certs.facts import name_to_str
from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.ingress_nginx import PREFIX
from mtls_tui.safe_text import one_line


def _describe(data: bytes) -> str:
    """What a Secret value holds, by its PEM markers: no key is ever parsed or shown here
    (a CRL is public: its issuer, size and next update are read)."""
    if b"PRIVATE KEY" in data:
        return "private key (not shown)"
    if b"BEGIN CERTIFICATE" in data:
        return f"{data.count(b'BEGIN CERTIFICATE')} certificate(s)"
    if b"X509 CRL" in data:
        crls = load_crls(data)
        return "; ".join(f"CRL of {name_to_str(c.issuer)}: {len(c)} revoked, next update "
                         f"{c.next_update_utc:%Y-%m-%d}" if c.next_update_utc else f"CRL of {name_to_str(c.issuer)}"
                         for c in crls) or "CRL (does not parse)"
    return "other data" if data else "empty"


def annotations_table(report: HostReport) -> Table:
    """The Ingress column only when several Ingresses share the host; cells fold, never cut."""
    several = len(report.policy.ingresses) > 1
    title = "Annotations (as the controller reads them)" + ("" if several else f" on Ingress {report.policy.ingresses[0].ref}")
    table = Table(title=title, title_justify="left", expand=True)
    if several:
        table.add_column("Ingress", overflow="fold")
    table.add_column("annotation", overflow="fold", ratio=3)
    table.add_column("value", overflow="fold", ratio=2)
    table.add_column("controller uses", overflow="fold", ratio=2)
    policy = report.policy.policy
    effective = {
        "auth-tls-secret": policy.secret if policy else None,
        "auth-tls-verify-client": policy.verify_client if policy else None,
        "auth-tls-verify-depth": str(policy.verify_depth) if policy else None,
    }
    for ingress in report.policy.ingresses:
        for key, value in ingress.annotations:
            short = key[len(PREFIX):] if key.startswith(PREFIX) else key
            used = effective.get(short, value) if report.policy.mtls_from and ingress.ref == report.policy.mtls_from.ref else "—"
            style = "yellow" if used not in (value, "—") else ""
            cells = [Text(one_line(short if key.startswith(PREFIX) else key)), Text(one_line(value)),
                     Text(one_line(str(used)), style=style)]
            table.add_row(*([Text(ingress.ref)] if several else []), *cells)
    return table


class IngressPane(VerticalScroll):
    def compose(self):
        yield Static("", id="ingress-body")

    def show(self, report: HostReport | None, snapshot: ClusterSnapshot | None) -> None:
        body = self.query_one("#ingress-body", Static)
        if report is None or snapshot is None:
            body.update("")
            return
        parts: list = [annotations_table(report)]
        refs = [r for r in dict.fromkeys([report.policy.policy.secret if report.policy.policy else None, report.policy.tls_secret]) if r]
        for ref in refs:
            secret = snapshot.secret(ref)
            problem = snapshot.secret_problem(ref)
            table = Table(title=f"Secret {ref}", title_justify="left", expand=True)
            table.add_column("key")
            table.add_column("bytes", justify="right")
            table.add_column("holds")
            if secret:
                for key, data in secret.data:
                    table.add_row(Text(one_line(key)), str(len(data)), _describe(data))
            else:
                table.add_row("—", "", Text(one_line(problem.message) if problem else "not found", style="red"))
            parts.append(table)
        controller = report.policy.controller
        parts.append(Text.assemble(("Controller: ", "bold"),
                                   f"{controller.ref} ({controller.image}), {len(controller.pods)} pod(s)" if controller else "none found"))
        events = [e for e in snapshot.events if any(f"{e.namespace}/{e.name}" == i.ref for i in report.policy.ingresses)]
        if events:
            parts.append(Text("Events", style="bold"))
            parts += [Text(one_line(f"  {e.type:8} {e.reason:24} {e.message}")) for e in events[-10:]]
        if report.policy.directives:
            parts.append(Text("nginx directives the controller renders for this host", style="bold"))
            parts += [Text(f"  {line}", style="cyan") for line in report.policy.directives]
        body.update(Group(*parts))
