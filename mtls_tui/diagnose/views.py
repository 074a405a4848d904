"""What the host list, the Certificates and the Ingress & Secret tabs show, computed from a host's report.

The screen's panes turn these into widgets and compute nothing: certificates and CRLs are
decoded here, findings are matched to the certificate they are about here, and the value
the controller really uses for each annotation is decided here, so the same reading can be
tested without a screen and no pane needs `cryptography` or the policy's rules. Pure: no
I/O; text that came from a cluster or a file is made safe to show (safe_text) here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Literal

from cryptography import x509

from mtls_tui.certs.crl import load_crls
from mtls_tui.certs.facts import cert_facts, name_to_str
from mtls_tui.certs.load import Material
from mtls_tui.diagnose.hosts import HostReport, HostState
from mtls_tui.diagnose.rendered import WATCHED, server_block
from mtls_tui.diagnose.successors import SuccessorReport
from mtls_tui.model import (
    CertFacts,
    ClusterSnapshot,
    ControllerObj,
    EventObj,
    Finding,
    IngressObj,
    MtlsPolicy,
    ProbeResult,
    Severity,
)
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.annotations import AUTH_TLS_KEYS, PREFIX
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy, listed_hosts
from mtls_tui.policy.ingress_nginx.releases import controller_rules
from mtls_tui.policy.kube_objects import LAST_APPLIED
from mtls_tui.safe_text import ROW_CHARS, clipped, one_line

ROLE_WORDS = {"ca": "CA", "server": "server", "intermediate": "intermediate", "client": "client"}
CLASS_ANNOTATION = "kubernetes.io/ingress.class"  # read by the controller although outside its prefix
EVENTS_SHOWN = 10


@dataclass(frozen=True)
class Problem:
    """A finding marked on what it is about: its code (grep it on the Verdict tab) and severity."""

    code: str
    severity: Severity


def _worst(problems: tuple[Problem, ...]) -> Severity | None:
    return min((p.severity for p in problems), key=lambda s: s.rank, default=None)


@dataclass(frozen=True)
class Fact:
    """One line of a certificate's facts; `alarm` when the fact itself is a problem (expired)."""

    label: str
    value: str
    alarm: bool = False


@dataclass(frozen=True)
class CertificateView:
    """One certificate: where it sits (`ca.crt`, `leaf`, …), its role, subject and facts;
    `expanded` when it has problems, so a small screen opens on what is wrong."""

    name: str
    role: str
    subject: str
    facts: tuple[Fact, ...]
    problems: tuple[Problem, ...] = ()
    expanded: bool = False

    @property
    def worst(self) -> Severity | None:
        return _worst(self.problems)


GroupKind = Literal["secret", "client", "probe"]


@dataclass(frozen=True)
class CertificateGroup:
    """Certificates that arrived together: a Secret's keys, the user's client file, or what
    the server presented to the probe. `accepted`: nginx's verdict on a client chain is yes."""

    kind: GroupKind
    title: str
    certificates: tuple[CertificateView, ...]
    problems: tuple[Problem, ...] = ()
    accepted: bool = False
    facts: tuple[Fact, ...] = ()  # where the certificates were read: a file, a URL

    @property
    def worst(self) -> Severity | None:
        return _worst(self.problems)


@dataclass(frozen=True)
class CertificatesView:
    groups: tuple[CertificateGroup, ...]


def certificate_facts(facts: CertFacts, now: datetime) -> tuple[Fact, ...]:
    """What a person checks first, in words; the validity counted from `now`."""
    if now < facts.not_before:
        valid = Fact(
            "Valid",
            f"not before {facts.not_before:%Y-%m-%d} ({(facts.not_before - now).days + 1} days "
            f"from now), until {facts.not_after:%Y-%m-%d}",
            alarm=True,
        )
    elif facts.not_after < now:
        valid = Fact(
            "Valid", f"EXPIRED {(now - facts.not_after).days} days ago ({facts.not_after:%Y-%m-%d})", alarm=True
        )
    else:
        valid = Fact(
            "Valid",
            f"{facts.not_before:%Y-%m-%d} → {facts.not_after:%Y-%m-%d} ({(facts.not_after - now).days} days left)",
        )
    sans = facts.sans.dns + facts.sans.ip + facts.sans.uri + facts.sans.email
    key = " ".join(str(part) for part in (facts.key_type, facts.key_bits, facts.key_curve) if part)
    return (
        Fact("Issuer", facts.issuer + ("  (self-signed)" if facts.self_signed else "")),
        valid,
        Fact("Version", f"v{facts.version}" + (" (no extensions)" if facts.version == 1 else "")),
        Fact("Key", key),
        Fact("Signature", facts.signature_algorithm),
        Fact("SAN", ", ".join(sans) or "none"),
        Fact("EKU", ", ".join(facts.extended_key_usage) or "none"),
        Fact("SHA-256", facts.sha256),
    )


def _problems(findings: list[Finding]) -> tuple[Problem, ...]:
    """One mark per code, the worst first (the report's findings are ordered so)."""
    marks: dict[str, Problem] = {}
    for finding in findings:
        marks.setdefault(finding.code, Problem(finding.code, finding.severity))
    return tuple(marks.values())


def certificates_view(report: HostReport, client: Material | None, now: datetime) -> CertificatesView:
    """The Secrets' certificates, the user's client chain and what the probe was shown, each
    marked with the findings about it (a finding names what it is about in `subject`)."""
    groups = _secret_groups(report, now)
    if client is not None and client.certs:
        groups.append(_client_group(report, client, now))
    groups += _presented_group(report.probe, report.findings, now)
    return CertificatesView(tuple(groups))


def successor_certificates_view(report: SuccessorReport, now: datetime) -> CertificatesView:
    """Another controller's host: the CA its data plane loads, and what the server presented."""
    v = report.validation
    try:
        bundle = x509.load_pem_x509_certificates(v.ca_pem) if v.ca_pem else []
    except ValueError:
        bundle = []
    cas = tuple(
        CertificateView(f"CA {i + 1}", "CA", facts.subject, certificate_facts(facts, now), ())
        for i, facts in enumerate(cert_facts(cert) for cert in bundle)
    )
    groups = [CertificateGroup("secret", f"client CA: {', '.join(v.ca_refs) or 'none'}", cas)] if v.ca_refs else []
    return CertificatesView(tuple(groups + _presented_group(report.probe, report.findings, now)))


def _presented_group(
    probe: Iterable[ProbeResult], findings: Iterable[Finding], now: datetime
) -> list[CertificateGroup]:
    answer = next((r for r in probe if r.server_cert), None)
    if answer is None or answer.server_cert is None:
        return []
    problems = _problems([f for f in findings if f.code == "probe-fake-certificate"])
    presented = CertificateView(
        "presented",
        "server",
        answer.server_cert.subject,
        certificate_facts(answer.server_cert, now),
        problems,
        expanded=bool(problems),
    )
    facts = (Fact("URL", answer.url), Fact("SNI", answer.sni or "none sent"))
    return [CertificateGroup("probe", "what the server presented", (presented,), facts=facts)]


def _secret_groups(report: HostReport, now: datetime) -> list[CertificateGroup]:
    by_secret: dict[str, list[CertificateView]] = {}
    for cert in report.certs:
        subject = f"Secret {cert.secret}, key {cert.secret_key}"
        problems = _problems([f for f in report.findings if f.subject == subject])
        by_secret.setdefault(cert.secret, []).append(
            CertificateView(
                cert.secret_key,
                ROLE_WORDS.get(cert.role, cert.role),
                cert.facts.subject,
                certificate_facts(cert.facts, now),
                problems,
                expanded=bool(problems),
            )
        )
    return [CertificateGroup("secret", f"Secret {ref}", tuple(certs)) for ref, certs in by_secret.items()]


def _client_group(report: HostReport, client: Material, now: datetime) -> CertificateGroup:
    """nginx's verdict on the chain is a yes/no beside its problems: `client-cert-accepted` is no problem."""
    about = [f for f in report.findings if f.subject == client.certs[0].origin]
    problems = _problems([f for f in about if f.code != "client-cert-accepted"])
    chain = []
    for index, loaded in enumerate(client.certs):
        facts = cert_facts(loaded.cert)
        chain.append(
            CertificateView(
                "leaf" if index == 0 else "sent",
                "client" if index == 0 else "intermediate",
                facts.subject,
                certificate_facts(facts, now),
                expanded=index == 0 and bool(problems),
            )
        )
    origin = one_line(client.origin)
    return CertificateGroup(
        "client",
        PurePath(origin).name,
        tuple(chain),
        problems,
        accepted=any(f.code == "client-cert-accepted" for f in about),
        facts=(Fact("File", origin),),
    )


AnnotationUse = Literal["as-written", "rewritten", "unused", "not-read"]


@dataclass(frozen=True)
class AnnotationRow:
    """One annotation and what the controller does with it: uses it `as-written`, uses
    `used` instead (`rewritten`: a value it silently replaces), leaves it `unused` (auth-tls
    settings of an Ingress that does not configure the host's mTLS), or has `not-read` it
    (another controller's prefix). `name` drops ingress-nginx's own prefix."""

    name: str
    value: str
    use: AnnotationUse
    used: str


@dataclass(frozen=True)
class IngressAnnotations:
    ingress: str
    configures_mtls: bool  # its auth-tls annotations are the ones the host's server uses
    rows: tuple[AnnotationRow, ...]


@dataclass(frozen=True)
class SecretKeyRow:
    """A Secret key: its size and what it holds, never a key's bytes."""

    key: str
    size: int
    holds: str


SecretRole = Literal["auth-tls", "refused auth-tls", "TLS"]


@dataclass(frozen=True)
class SecretView:
    """A Secret the controller reads for the host, and for what (`roles`): the refused auth-tls
    Secret is shown too, since what the controller refused is what the user must fix."""

    ref: str
    roles: tuple[SecretRole, ...]
    keys: tuple[SecretKeyRow, ...]
    problem: str | None = None  # why it could not be read: not found, forbidden


@dataclass(frozen=True)
class IngressView:
    """The Ingress & Secret tab: each Ingress for the host, the Secrets, the controller, the
    Events about the Ingresses (the newest few) and the nginx directives it renders."""

    host: str
    annotations: tuple[IngressAnnotations, ...]
    secrets: tuple[SecretView, ...]
    controller: ControllerObj | None
    events: tuple[EventObj, ...]
    directives: tuple[str, ...]
    rendered: tuple[RenderedBlock, ...] = ()  # with --exec: what each controller pod rendered for the host
    rules: str = ""  # the release whose annotation rules apply, and validation when it is off


@dataclass(frozen=True)
class RenderedBlock:
    """One pod's server block for the host as it rendered it; `differs`: the lines whose
    client-certificate directive is not what the objects say."""

    pod: str
    command: str
    lines: tuple[str, ...]
    differs: tuple[int, ...]
    problem: str | None = None


@dataclass(frozen=True)
class ObjectsView:
    """The Ingress & Secret tab for another controller's host: what decides its client validation."""

    host: str
    rows: tuple[tuple[str, str], ...]  # (what, value), in reading order


def objects_view(report: SuccessorReport) -> ObjectsView:
    v = report.validation
    rows = [
        ("controller", f"{v.implementation} (data plane: {v.data_plane})"),
        *((("release", v.release),) if v.release else ()),
        (
            "scope",
            f"per {v.scope}, port {v.port}" + (f"; shared with {', '.join(v.shared_with)}" if v.shared_with else ""),
        ),
        ("client certificate", v.mode + (f" (broken: {v.breakage})" if v.breakage else "")),
        *(("CA from", ref) for ref in v.ca_refs),
        ("verify depth", str(v.verify_depth) if v.verify_depth is not None else "none set (no limit)"),
        *(("decided by", source) for source in v.decided_by),
        *(("condition", condition) for condition in v.conditions),
        *(("not checked", what) for what in v.unseen),
    ]
    return ObjectsView(v.host, tuple((what, one_line(value)) for what, value in rows))


def describe_secret_value(data: bytes) -> str:
    """What a Secret value holds, by its PEM markers: no key is ever parsed or shown (a CRL is
    public: its issuer, size and next update are read)."""
    if b"PRIVATE KEY" in data:
        return "private key (not shown)"
    if b"BEGIN CERTIFICATE" in data:
        count = data.count(b"BEGIN CERTIFICATE")
        return f"{count} certificate{'s' * (count != 1)}"
    if b"X509 CRL" in data:
        return (
            "; ".join(
                f"CRL of {one_line(name_to_str(crl.issuer))}: {len(crl)} revoked"
                + (f", next update {crl.next_update_utc:%Y-%m-%d}" if crl.next_update_utc else "")
                for crl in load_crls(data)
            )
            or "CRL (does not parse)"
        )
    return "other data" if data else "empty"


def _annotation_rows(annotations: tuple[tuple[str, str], ...], policy: MtlsPolicy | None) -> tuple[AnnotationRow, ...]:
    """`policy`: the host's auth-tls settings when these annotations are where they come from."""
    effective = (
        {
            "auth-tls-secret": policy.secret,
            "auth-tls-verify-client": policy.verify_client,
            "auth-tls-verify-depth": str(policy.verify_depth),
            "auth-tls-match-cn": policy.match_cn or "(ignored)",
            "auth-tls-pass-certificate-to-upstream": str(policy.pass_certificate).lower(),
        }
        if policy
        else {}
    )
    rows = []
    for key, value in annotations:
        if key == LAST_APPLIED:  # kubectl's copy of the whole object: no setting, and as wide as the object
            continue
        name, shown = one_line(key.removeprefix(PREFIX)), clipped(one_line(value), ROW_CHARS)
        if not key.startswith(PREFIX) and key != CLASS_ANNOTATION:
            rows.append(AnnotationRow(name, shown, "not-read", "—"))
        elif name in AUTH_TLS_KEYS and policy is None:
            rows.append(AnnotationRow(name, shown, "unused", "—"))
        else:
            used = effective.get(name) or value
            same = used == value or (
                name == "auth-tls-pass-certificate-to-upstream" and GO_BOOLS.get(value) is not None
            )
            rows.append(
                AnnotationRow(name, shown, "as-written" if same else "rewritten", clipped(one_line(used), ROW_CHARS))
            )
    return tuple(rows)


def ingress_view(report: HostReport, snapshot: ClusterSnapshot) -> IngressView:
    """The host's Ingresses with what the controller makes of their annotations, the Secrets it
    reads for the host (the refused one too), Events about the Ingresses, and the directives."""
    policy = report.policy
    winner = policy.mtls_from.ref if policy.mtls_from and policy.policy else None
    annotations = tuple(
        IngressAnnotations(
            i.ref, i.ref == winner, _annotation_rows(i.annotations, policy.policy if i.ref == winner else None)
        )
        for i in policy.ingresses
    )
    read: tuple[tuple[str | None, SecretRole], ...] = (
        (policy.policy.secret if policy.policy else None, "auth-tls"),
        (policy.denied_secret, "refused auth-tls"),
        (policy.tls_secret, "TLS"),
    )
    roles: dict[str, list[SecretRole]] = {}
    for ref, role in read:
        if ref:
            roles.setdefault(ref, []).append(role)
    secrets = []
    for ref, uses in roles.items():
        secret, problem = snapshot.secret(ref), snapshot.secret_problem(ref)
        keys = (
            tuple(SecretKeyRow(one_line(k), len(v), describe_secret_value(v)) for k, v in secret.data) if secret else ()
        )
        secrets.append(
            SecretView(
                ref,
                tuple(dict.fromkeys(uses)),
                keys,
                None if secret else one_line(problem.message) if problem else "not found",
            )
        )
    refs = {i.ref for i in policy.ingresses}
    events = tuple(e for e in snapshot.events if f"{e.namespace}/{e.name}" in refs)[-EVENTS_SHOWN:]
    return IngressView(
        report.host,
        annotations,
        tuple(secrets),
        policy.controller,
        events,
        tuple(clipped(line, ROW_CHARS) for line in policy.directives),  # a match-CN's `if` holds its whole value
        _rendered(report, snapshot),
        controller_rules(policy.controller).described,
    )


def _rendered(report: HostReport, snapshot: ClusterSnapshot) -> tuple[RenderedBlock, ...]:
    expected = {line.split(None, 1)[0]: " ".join(line.split()) for line in report.policy.directives}
    blocks = []
    for conf in snapshot.rendered:
        name = f"{conf.namespace}/{conf.pod}"
        block = server_block(conf.text, report.host) if conf.text is not None else None
        if block is None:
            problem = conf.problem or f"no server block for {report.host}"
            blocks.append(RenderedBlock(name, conf.command, (), (), problem))
            continue
        lines = tuple(line.strip() for line in block.splitlines() if line.strip())
        differs = tuple(
            i
            for i, line in enumerate(lines)
            if (word := line.split(None, 1)[0]) in WATCHED and expected.get(word) != " ".join(line.split())
        )
        blocks.append(RenderedBlock(name, conf.command, lines, differs))
    return tuple(blocks)


@dataclass(frozen=True)
class HostRow:
    """One line of the host list: the host, how it is served, and its state once judged
    (`state` None while its report is being computed)."""

    host: str  # as the cluster names it: the row's identity
    label: str  # as shown (control characters made visible)
    served: str  # "" (mTLS asked), " (TLS only)" or " (not served)"
    state: HostState | None = None
    warnings: int = 0
    namespaces: str = ""  # of its Ingresses, space-separated: the filter matches them too
    reading: bool = False  # listed from its Ingresses while the rest of the cluster is read
    tls_only: bool = False  # works, asking no client certificate: shown apart from an mTLS success


def reading_rows(ingresses: Iterable[IngressObj], seen: set[str]) -> list[HostRow]:
    """Rows for the hosts these Ingresses add to `seen` (which grows), before their policies
    are known: the screen lists them while the rest of the cluster is read."""
    rows = [HostRow(host, one_line(host), "", reading=True) for host in listed_hosts(ingresses) if host not in seen]
    seen.update(row.host for row in rows)
    return rows


def successor_row(report: SuccessorReport) -> HostRow:
    """Another controller's host: its key is the row's identity, its controller shown beside it."""
    warnings = sum(f.severity is Severity.WARNING for f in report.findings)
    namespaces = " ".join(sorted({d.split(" ")[1].split("/")[0] for d in report.validation.decided_by if "/" in d}))
    return HostRow(
        report.key,
        one_line(report.host),
        f" ({report.validation.implementation})",
        report.state,
        warnings,
        namespaces,
        tls_only=report.tls_only,
    )


def host_row(policy: HostPolicy, report: HostReport | None) -> HostRow:
    served = " (not served)" if not policy.served else "" if policy.policy or policy.asks_mtls else " (TLS only)"
    namespaces = " ".join(sorted({i.namespace for i in policy.ingresses}))
    if report is None:
        return HostRow(policy.host, one_line(policy.host), served, namespaces=namespaces)
    warnings = sum(f.severity is Severity.WARNING for f in report.findings)
    return HostRow(
        policy.host, one_line(policy.host), served, report.state, warnings, namespaces, tls_only=report.tls_only
    )
