"""Certificates as a tree: where each came from, its facts, and the problems marked on it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Tree

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.load import Material
from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.model import ROLE_TITLES, CertFacts, Finding


def _facts_lines(facts: CertFacts, now: datetime) -> list[str]:
    left = (facts.not_after - now).days
    sans = ", ".join(facts.sans.dns + facts.sans.ip) or "none"
    return [
        f"Issuer: {facts.issuer}" + ("  (self-signed)" if facts.self_signed else ""),
        f"Valid: {facts.not_before:%Y-%m-%d} → {facts.not_after:%Y-%m-%d} ({left} days left)" if left >= 0
        else f"Valid: EXPIRED {-left} days ago ({facts.not_after:%Y-%m-%d})",
        f"Version: v{facts.version}" + (" (no extensions)" if facts.version == 1 else ""),
        f"Key: {facts.key_type} {facts.key_bits or ''}  Signature: {facts.signature_algorithm}",
        f"SAN: {sans}",
        f"EKU: {', '.join(facts.extended_key_usage) or 'none'}",
        f"SHA-256: {facts.sha256[:47]}…",
    ]


class CertTree(Tree):
    def show(self, report: HostReport | None, now: datetime, client: Material | None = None) -> None:
        self.clear()
        self.root.expand()
        if report is None:
            return
        problems: dict[str, list[Finding]] = {}
        for finding in report.findings:
            problems.setdefault(finding.subject, []).append(finding)
        by_secret: dict[str, object] = {}
        for cert in report.certs:
            ref = report.policy.policy.secret if report.policy.policy and cert.secret_key == "ca.crt" else report.policy.tls_secret
            parent = by_secret.get(ref) or self.root.add(Text(f"Secret {ref}", style="bold"), expand=True)
            by_secret[ref] = parent
            subject = f"Secret {ref}, key {cert.secret_key}"
            marks = problems.get(subject, [])
            label = Text.assemble((f"{cert.secret_key} ", "bold"), f"{ROLE_TITLES[cert.role]}: {cert.facts.subject}")
            if marks:
                label.append(f"  ✖ {', '.join(sorted({m.code for m in marks}))}", style="red")
            node = parent.add(label, expand=True)
            for line in _facts_lines(cert.facts, now):
                node.add_leaf(line)
        self._client(report, client, now)
        self._probe(report, now)

    def _client(self, report: HostReport, client: Material | None, now: datetime) -> None:
        """The user's client chain, marked with what nginx would say about it."""
        if client is None or not client.certs:
            return
        marks = sorted({f.code for f in report.findings if f.subject == client.certs[0].origin})
        label = Text.assemble(("client ", "bold"), client.origin)
        problems = [m for m in marks if m != "client-cert-accepted"]
        if problems:
            label.append(f"  ✖ {', '.join(problems)}", style="red")
        elif marks:
            label.append("  ✔ nginx accepts it", style="green")
        parent = self.root.add(label, expand=True)
        for index, loaded in enumerate(client.certs):
            facts = cert_facts(loaded.cert)
            node = parent.add(Text(f"{'leaf' if index == 0 else 'sent intermediate'}: {facts.subject}"), expand=index == 0)
            for line in _facts_lines(facts, now):
                node.add_leaf(line)

    def _probe(self, report: HostReport, now: datetime) -> None:
        for result in report.probe:
            if result.server_cert:
                label = Text.assemble(("probe ", "bold"), f"server presented: {result.server_cert.subject}")
                if result.fake_certificate:
                    label.append("  ✖ probe-fake-certificate", style="red")
                node = self.root.add(label)
                for line in _facts_lines(result.server_cert, now):
                    node.add_leaf(line)
                break
