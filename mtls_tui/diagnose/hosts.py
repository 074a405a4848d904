"""One verdict per host: the controller's policy, the Secret's certificates, the
client certificate the user brought, and what the probe saw, as one list of findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from mtls_tui.certs.content_cache import CACHED_BYTES, content_cache
from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.keys import key_matches
from mtls_tui.certs.load import Material, load_material
from mtls_tui.certs.openssl_binding import name_rfc2253
from mtls_tui.certs.verify import nginx_verdict
from mtls_tui.diagnose import certificates as rules
from mtls_tui.diagnose.default_certificate import OVERWRITTEN_THEN, default_certificate, default_certificate_ca_findings
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.diagnose.rendered import rendered_findings
from mtls_tui.diagnose.revocation import crl_findings, secret_crls
from mtls_tui.errors import InputError
from mtls_tui.model import (
    CertFacts,
    CertRole,
    ClusterSnapshot,
    Finding,
    ProbeResult,
    SecretObj,
    Severity,
    unique_findings,
)
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.auth_tls import BARE_AUTH_TLS
from mtls_tui.policy.ingress_nginx.auth_tls_values import match_cn_for
from mtls_tui.policy.ingress_nginx.cert_answers import host_answer
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_words
from mtls_tui.policy.ingress_nginx.releases import AuthTlsRules, controller_rules
from mtls_tui.policy.ingress_nginx.secret_findings import end_entities_only
from mtls_tui.policy.nginx_answers import CN_REFUSED
from mtls_tui.policy.re2_syntax import re2_search
from mtls_tui.policy.secret_commands import SECRET_KEY_FILES, read_key_command
from mtls_tui.policy.secret_store import ca_overwritten, stored_secret
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg

HostState = Literal["works", "broken", "not enforced", "unverified"]
NOT_ENFORCED = "mTLS not enforced"  # every way in without a certificate reads the same, whatever the cause
TLS_ONLY = "TLS only, no client certificate asked"  # a host that `works` without being an mTLS host
# Certificate hygiene: true and worth fixing, but rarely why the host fails today; listed after
# every other finding (one that is an error stays with the errors).
HYGIENE = frozenset(
    {"cert-v1", "server-cert-no-san", "cert-outlives-issuer", "cert-expires-soon", "weak-key", "weak-signature"}
)


@dataclass(frozen=True)
class SecretCert:
    """A certificate found in a Secret key, for the Certificates view."""

    secret: str  # `namespace/name`: a host reads up to three Secrets (auth-tls, a refused one, TLS)
    secret_key: str
    role: CertRole
    facts: CertFacts


@dataclass(frozen=True)
class HostReport:
    host: str
    policy: HostPolicy
    certs: tuple[SecretCert, ...]
    probe: tuple[ProbeResult, ...]
    findings: tuple[Finding, ...]

    @property
    def not_enforced(self) -> str | None:
        """Why requests without a client certificate get in although the Ingress asks for
        certificates, or None."""
        door = self._open_door()
        return door[0] if door else None

    def _open_door(self) -> tuple[str, Finding | None] | None:
        """The reason requests without a client certificate get in, and the finding that names it.
        The controller's reading first: it says what to change; the probe's answer proves it, and
        is the reason only when nothing in the configuration explains it."""
        policy = self.policy
        if policy.denied or not policy.served or not policy.asks_mtls:
            return None
        lax = self._first("probe-mtls-not-enforced")
        mode = policy.policy.verify_client if policy.policy is not None and policy.client_checks else None
        if policy.cn_gate is not None and mode != "optional_no_ca":
            return None  # auth-tls-match-cn answers 403 to every request without a verified certificate
        if self._first("snippet-breaks-nginx") is not None:
            return None  # nginx keeps the configuration it had: what it does now is not this one's
        if lax is None and self._first("snippet-client-checks") is not None:
            return None  # a snippet checks certificates itself: only a probe can say the door is open
        proof = ""
        if lax is not None:
            without = next((r for r in self.probe if not r.sent_client_cert and r.status is not None), None)
            proof = f"; a request without a certificate got HTTP {without.status}" if without else ""
        if policy.passthrough:
            return "TLS passes through to the backend (ssl-passthrough): nginx checks no certificate" + proof, (
                self._first("ssl-passthrough") or lax
            )
        if policy.policy is None:
            bare = self._first("mtls-rule-without-http")
            if bare is not None:
                return f"{bare.subject} asks for client certificates in a rule without http" + proof, bare
            unserved = self._unserved_asker()
            if unserved is not None:
                return (
                    f"{unserved.subject} asks for client certificates, but the controller does not serve it; "
                    "another Ingress serves the host without them" + proof,
                    unserved,
                )
            if any(i.annotation(PREFIX + "auth-tls-secret") is not None for i in policy.ingresses):
                cause = self._first("annotation-invalid-value", "auth-tls-secret")
                return "auth-tls-secret is empty" + proof, cause or lax
            bare = self._first("annotation-invalid-value", BARE_AUTH_TLS)
            if bare is not None:  # authtls Parse returns an empty Config: no CA file, no checks, no headers
                # towards an HTTPS backend the certificate never reaches it in TLS either: that finding names both
                tls_backend = self._first("pass-certificate-not-tls")
                return f"{BARE_AUTH_TLS}: nginx asks no client certificate" + proof, tls_backend or bare
            cause = self._first("annotation-wrong-prefix")
            return "the auth-tls annotations are under keys ingress-nginx does not read" + proof, cause or lax
        if not policy.client_checks and not policy.unseen:
            cause = self._first("secret-missing-ca")
            return f"Secret {policy.policy.secret} has no ca.crt" + proof, cause or lax
        if policy.policy.verify_client != "on":
            if policy.cn_gate is not None:  # optional_no_ca: only the subject is checked
                return (
                    "auth-tls-verify-client is optional_no_ca: a certificate from any issuer whose subject "
                    "matches auth-tls-match-cn gets in" + proof,
                    self._first("mtls-not-enforced") or lax,
                )
            return f"auth-tls-verify-client is {policy.policy.verify_client}" + proof, self._first(
                "mtls-not-enforced"
            ) or lax
        served_page = self._first("error-page-served")  # refused requests reach the upstream serving the page
        if served_page is not None:
            return served_page.title + proof, served_page
        taken = self._first("alias-takes-wildcard-names") or self._first("mtls-other-controller-open")
        if taken is not None:
            return taken.title + proof, taken
        plain = self._first("mtls-plain-http")
        if plain is not None:  # its fix, without a tls: section, is the one that gives the host its certificate
            return plain.title + proof, plain
        if lax is not None:
            return lax.title, lax
        return None

    def _unserved_asker(self) -> Finding | None:
        """The error that keeps an Ingress asking for client certificates out of the host's server
        (dropped, ignored), when the host is served all the same by the others."""
        askers = {f"Ingress {ref}" for ref in self.policy.unserved_askers}
        return next((f for f in self.findings if f.severity is Severity.ERROR and f.subject in askers), None)

    def _first(self, code: str, in_title: str = "") -> Finding | None:
        return next((f for f in self.findings if f.code == code and in_title in f.title), None)

    @property
    def lead(self) -> Finding | None:
        """The finding that explains the headline: listed first, selected on the screen, and its fix
        is the "try:" line. The cause of an open door; else the first error; else the first warning
        to act on (certificate hygiene is not why a host works or fails today); else the probe that
        proved mTLS works."""
        door = self._open_door()
        if door is not None and door[1] is not None:
            return door[1]
        return (
            next((f for f in self.findings if f.severity is Severity.ERROR), None)
            or next((f for f in self.findings if f.severity is Severity.WARNING and f.code not in HYGIENE), None)
            or self._first("probe-ok")
        )

    @property
    def standing(self) -> tuple[Finding, ...]:
        """Certificate hygiene that is true whatever the state (the article's v1 certificates, no
        SAN, a leaf outliving its CA): the screen keeps it folded below the findings that matter."""
        return tuple(f for f in self.findings if _standing(f) and f is not self.lead)

    @property
    def next_command(self) -> str | None:
        """The command to try next: the lead's fix, when it is a command."""
        lead = self.lead
        return lead.fix if lead is not None and lead.is_command else None

    @property
    def needs_probe(self) -> bool:
        """Nothing has been sent to the host yet, and its verdict would gain from a probe."""
        return not self.probe and self.policy.served and not self.policy.denied

    @property
    def state(self) -> HostState:
        """DESIGN's host states: `works` only when a probe with the client certificate reached the
        upstream verified, or every input the verdict depends on was read and nothing is wrong."""
        if self.not_enforced:
            return "not enforced"
        if any(f.severity is Severity.ERROR for f in self.findings):
            return "broken"
        if self.policy.unseen and not any(f.code == "probe-ok" for f in self.findings):
            return "unverified"
        return "works"

    @property
    def tls_only(self) -> bool:
        """Works as configured, and asks for no client certificate: `works` stays the state (the
        contract's word: the TLS is sound), but it is no mTLS success, and the screen and the
        console show it without a success colour, saying so."""
        return self.state == "works" and self.policy.policy is None and not self.policy.asks_mtls

    @property
    def key(self) -> str:
        """How the screen names this host's row and its probes (another controller's hosts carry
        their controller in theirs: diagnose/successors.py)."""
        return self.host

    @property
    def verdict(self) -> str:
        """The one line a person reads first: the CLI, the JSON, the Markdown and the screen print it."""
        state = self.state
        if state == "not enforced":
            return f"{NOT_ENFORCED} for {self.host}: {self.not_enforced}"
        first_error = next((f for f in self.findings if f.severity is Severity.ERROR), None)
        if first_error:
            return f"{BROKEN_PREFIX}{first_error.title}"
        if state == "unverified":
            return f"unverified: {', '.join(self.policy.unseen)} not read; the verdict depends on it"
        if self.policy.policy is None:
            return f"{self.host}: {TLS_ONLY} (not an mTLS host)"
        if any(f.code == "probe-ok" for f in self.findings):
            return f"mTLS works for {self.host}"
        if any(r.sent_client_cert for r in self.probe):
            return f"mTLS is configured for {self.host}; the probe could not confirm it (see the findings)"
        return f"mTLS is configured for {self.host} (not yet probed with a client certificate)"


BROKEN_PREFIX = "broken: "


def headline(verdict: str) -> str:
    """The verdict beside a state badge (the screen's, the console's): without the `broken: `
    that the badge already says; JSON and Markdown keep the whole verdict."""
    return verdict.removeprefix(BROKEN_PREFIX)


def _standing(finding: Finding) -> bool:
    return finding.code in HYGIENE and finding.severity is not Severity.ERROR


def _load(secret: SecretObj, key: str) -> tuple[Material | None, Finding | None]:
    data = secret.get(key)
    if data is None:
        return None, None
    material, problem = _parsed(data, f"Secret {secret.ref}, key {key}")
    if problem is not None:  # a Secret's key is no file: storeutl reads it from kubectl, as the user's cluster holds it
        look = f"{read_key_command(secret.ref, key)} | openssl storeutl -noout /dev/stdin"
        problem = replace(problem, fix=look)
    return material, problem


_CONTENT = "\x00content"  # where cached content is read from, renamed to where it was found


def _parsed(data: bytes, where: str) -> tuple[Material | None, Finding | None]:
    """Cached by content: the screen re-diagnoses every host after each probe with the same
    Secrets, and many Secrets hold the same CA or certificate (parsed once, 0.2 s of 0.9 s
    for 2,500 such Secrets)."""
    material, problem = _parsed_content(data)
    if problem is not None:
        return None, rules.unreadable_finding(where + problem.where.removeprefix(_CONTENT), problem.problem)
    assert material is not None
    return material.renamed(_CONTENT, where), None


@content_cache(256, CACHED_BYTES)
def _parsed_content(data: bytes) -> tuple[Material | None, InputError | None]:
    try:
        return load_material(data, _CONTENT), None
    except InputError as exc:
        return None, exc


def secret_findings(
    host: str, secret: SecretObj, keys: list[str], now: datetime
) -> tuple[list[SecretCert], list[Finding]]:
    """The certificate rules on the keys of a Secret this host uses (ca.crt, tls.crt, tls.key)."""
    certs: list[SecretCert] = []
    findings: list[Finding] = []
    loaded = {key: _load(secret, key) for key in ("ca.crt", "tls.crt", "tls.key") if key in keys}
    ca = loaded.get("ca.crt", (None,))[0]
    ca_facts = [cert_facts(c.cert) for c in ca.certs] if ca else []
    renewals = {  # the CAs valid now, by subject and key: an expired copy beside one of them is clutter
        (c.cert.subject, _spki(c.cert)): facts
        for c, facts in zip(ca.certs if ca else (), ca_facts, strict=True)
        if facts.not_before <= now <= facts.not_after
    }
    for key, (material, problem) in loaded.items():
        if problem:
            findings.append(problem)
        if material is None or key == "tls.key":
            continue
        for index, cert in enumerate(material.certs):
            facts = cert_facts(cert.cert)
            role: CertRole = "ca" if key == "ca.crt" else ("server" if index == 0 else "intermediate")
            certs.append(SecretCert(secret.ref, key, role, facts))
            where = rules.Where(f"Secret {secret.ref}, key {key}", SECRET_KEY_FILES[key], secret.ref, secret.keys)
            issuers = ca_facts if role == "server" else []  # a server certificate signed by the Secret's own CA
            files = rules.signing_files(
                rules.Files(ca_days_left=rules.issuer_days_left(facts, issuers, now)), facts, issuers
            )
            renewal = renewals.get((cert.cert.subject, _spki(cert.cert))) if role == "ca" else None
            if renewal is not None and facts.not_after < now:
                findings.append(rules.stale_ca_copy_finding(facts, renewal, where))
            else:
                findings += rules.validity_findings(facts, where, role, files, now)
            findings += rules.strictness_findings(facts, where, role, files)
            if role == "server":
                findings += rules.server_findings(facts, host, where, files)
                findings += rules.outlives_issuer_findings(facts, issuers, where, files, now)
    tls_cert, tls_key = loaded.get("tls.crt", (None,))[0], loaded.get("tls.key", (None,))[0]
    if (
        tls_cert
        and tls_key
        and tls_cert.certs
        and tls_key.keys
        and not key_matches(tls_cert.certs[0].cert, tls_key.keys[0].key)
    ):
        findings.append(
            rules.key_mismatch_finding(
                f"Secret {secret.ref}, key tls.crt",
                cert_facts(tls_cert.certs[0].cert).subject,
                f"Secret {secret.ref}, key tls.key",
                "server.crt",
                "server.key",
            )
        )
    return certs, findings


def _spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def client_findings(policy: HostPolicy, secret: SecretObj, client: Material, now: datetime) -> list[Finding]:
    """nginx's verdict on the user's client certificate against the CA file the controller writes
    for this host, and its depth. For a Secret with a keypair that file is tls.crt, tls.key and
    then ca.crt (store/backend_ssl.go getPemCertificate, ssl.ConfigureCACertWithCertAndKey;
    secret_store.client_ca_file): the certificates of tls.crt are trusted for clients too."""
    if policy.policy is None or not client.certs:
        return []
    ca, _ = _load(secret, "ca.crt")
    if ca is None or not ca.certs:
        return []
    # the default certificate's CA file holds tls.crt alone (default_certificate.py)
    overwritten = ca_overwritten(secret, default_certificate(policy))
    trusted = [] if overwritten else [c.cert for c in ca.certs]
    if stored_secret(secret).keypair:
        pair, _ = _load(secret, "tls.crt")
        trusted = [c.cert for c in pair.certs] + trusted if pair is not None else trusted
    crls = secret_crls(secret.get("ca.crl") or b"")
    verdict = nginx_verdict(trusted, [c.cert for c in client.certs], policy.policy.verify_depth, at=now, crls=crls)
    leaf = client.certs[0]
    facts = cert_facts(leaf.cert)
    ingress = _ingress_arg(policy)
    ca_facts = rules.ca_facts_in_use([c.cert for c in ca.certs], now)
    where, files = rules.client_files(client, ca_facts, now, ca_secret=secret.ref, ca_secret_keys=secret.keys)
    if end_entities_only(secret.get("ca.crt") or b""):  # secret-ca-not-ca says so: nothing re-signs with it
        files = replace(files, not_ca=frozenset({files.ca}))
    findings = rules.validity_findings(facts, where, "client", files, now)
    findings += rules.outlives_issuer_findings(facts, ca_facts, where, files, now)
    findings += rules.client_chain_findings(
        verdict,
        facts,
        [f.subject for f in ca_facts],
        where,
        files,
        ingress=ingress,
        cas=tuple(ca_facts),
    )
    findings += rules.root_admits_all_findings(verdict, facts, ca_facts, where)
    findings = [rules.with_new_key_then(f, files) for f in findings]
    findings = host_answer(findings, policy.policy, verdict, facts.subject)
    if overwritten:  # re-signing the client with ca.crt changes nothing: the CA file lacks ca.crt
        findings = [
            replace(f, fix="", then=OVERWRITTEN_THEN) if f.code == "client-cert-untrusted" else f for f in findings
        ]
    refused = any(  # nginx refuses the match-CN: it never runs, no answer of it to predict
        f.severity is Severity.ERROR
        and f.evidence[:1] == (f"{PREFIX}auth-tls-match-cn: {clipped(policy.policy.match_cn or '')}",)
        for f in policy.findings
    )
    if verdict.accepted and policy.policy.match_cn and not refused:
        findings += match_cn_findings(
            policy.policy.match_cn,
            leaf.cert,
            where,
            ingress,
            controller_rules(policy.controller),
            policy.mtls_from.prefix if policy.mtls_from else PREFIX,
        )
    return findings


def match_cn_findings(
    match_cn: str,
    cert: x509.Certificate,
    where: rules.Where,
    ingress: str,
    release: AuthTlsRules | None = None,
    prefix: str = PREFIX,
) -> list[Finding]:
    """nginx.tmpl's server-level `if ($ssl_client_s_dn !~ "<match-cn>") { return 403 ... }`, offline:
    the whole subject DN as nginx prints it (RFC 2253), matched unanchored. nginx uses PCRE; RE2
    agrees on the patterns the controller lets through, in linear time."""
    dn = name_rfc2253(cert.subject.public_bytes())
    if re2_search(match_cn, dn) is not False:  # matched, or not a pattern the controller takes
        return []
    return [
        Finding(
            code="client-cert-cn-rejected",
            severity=Severity.ERROR,
            title=f"auth-tls-match-cn '{clipped(match_cn)}' does not match {dn}: nginx answers 403",
            detail="The certificate verifies, but nginx then matches the whole subject DN ($ssl_client_s_dn, RFC 2253) "
            f"against the annotation's regex, unanchored, and answers 403 '{CN_REFUSED}'.",
            fix=f"kubectl annotate ingress {ingress} {arg(prefix + 'auth-tls-match-cn=' + match_cn_for(dn, release))} --overwrite",
            subject=where.label,
            evidence=(f"subject DN: {dn}", f"auth-tls-match-cn: {clipped(match_cn)}"),
        )
    ]


def _ingress_arg(policy: HostPolicy) -> str:
    """The Ingress as kubectl names it in a fix command."""
    ingress = policy.mtls_from or (policy.ingresses[0] if policy.ingresses else None)
    return ingress_words(ingress) if ingress else "INGRESS"


# What the controller itself recorded about an Ingress: store.go syncIngress emits
# AnnotationParsingFailed ("Error parsing annotations: …") for a denied annotation group: the
# controller's own words, evidence for the findings about that Ingress's annotations.
EVIDENCE_REASONS = frozenset({"AnnotationParsingFailed"})


def _with_events(findings: list[Finding], snapshot: ClusterSnapshot) -> list[Finding]:
    """Each finding about an Ingress carries that Ingress's annotation events as evidence."""
    by_ingress: dict[str, list[str]] = {}
    for event in snapshot.events:
        if event.kind == "Ingress" and event.reason in EVIDENCE_REASONS:
            count = f" (x{event.count})" if event.count > 1 else ""
            by_ingress.setdefault(f"Ingress {event.namespace}/{event.name}", []).append(
                f"event {event.type} {event.reason}{count}: {event.message}"
            )
    if not by_ingress:
        return findings
    return [
        replace(f, evidence=(*f.evidence, *by_ingress[f.subject]))
        if f.subject in by_ingress and f.code.startswith("annotation-")
        else f
        for f in findings
    ]


def loaded_ca_findings(policy: HostPolicy, secret: SecretObj, probe: list[ProbeResult]) -> list[Finding]:
    """The CA names nginx sends in its certificate request come from the file it loaded at its
    last reload (ssl_client_certificate); a CA of the Secret's ca.crt missing from them means
    nginx has not loaded the Secret as it is now. A CA replaced by one of the same name is not
    seen this way."""
    asked = next((r for r in probe if r.cert_requested and r.acceptable_cas), None)
    ca, _ = _load(secret, "ca.crt")
    if asked is None or ca is None or not ca.certs:
        return []
    names = [name_rfc2253(c.cert.subject.public_bytes()) for c in ca.certs]
    missing = [n for n in names if n not in asked.acceptable_cas]
    if not missing:
        return []
    controller = policy.controller
    keypair = stored_secret(secret).keypair
    why = (
        f"Secret {secret.ref} also holds tls.crt and tls.key, and for such a Secret the controller's CA sha covers "
        "those two only (store/backend_ssl.go getPemCertificate): a change of ca.crt alone rewrites the file on disk "
        "but leaves the controller's model equal (SSLCert.Equal), so nginx is not reloaded and keeps the CA it loaded "
        "(kubernetes/ingress-nginx issue #10669). A CA in a Secret of its own changes the sha and reloads nginx."
        if keypair
        else "The controller reloads nginx when the Secret's CA sha changes; it has not: its reloads are failing or "
        "it has not seen the change (its log says which)."
    )
    restart = (
        f"kubectl rollout restart deployment {arg(controller.name)} -n {arg(controller.namespace)}"
        if controller
        else "kubectl rollout restart deployment ingress-nginx-controller -n ingress-nginx"
    )
    return [
        Finding(
            code="controller-ca-stale",
            severity=Severity.ERROR,
            title=f"nginx asks for certificates from {'; '.join(asked.acceptable_cas)}, not from {'; '.join(missing)}: "
            "it has not loaded the Secret's current ca.crt",
            detail=f"{why} Clients of the new CA are refused (400) until nginx reloads; clients of the old one still "
            "get in. A restart of the controller's pods loads the file as it is now. (Where something else ends "
            "TLS before the controller, a load balancer checking client certificates itself, the names are its own: "
            "then it is that trust store which differs from the Secret.)",
            fix=restart,
            subject=f"Secret {secret.ref}",
            evidence=(
                f"the server asked for a client certificate from: {'; '.join(asked.acceptable_cas)}",
                f"Secret {secret.ref} ca.crt holds: {'; '.join(names)}",
            ),
        )
    ]


LOG_LINES_PER_FINDING = 2
# The part of a log line that changes from one occurrence to the next: nginx's error log
# "2026/12/01 13:59:02 [info] 20291#20291: *2 " and klog's "E1201 13:59:02.123456       7 ".
_LOG_PREFIX = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[\w+\] \d+#\d+: (\*\d+ )?|[IWEF]\d{4} [\d:.]+\s+\d+ )")


def _latest_of_each(lines: list[str]) -> list[str]:
    """The newest line of each message: the same refusal logged at every probe says nothing new."""
    latest = {_LOG_PREFIX.sub("", line): line for line in lines}
    return list(latest.values())


def _with_log_lines(findings: list[Finding], policy: HostPolicy, snapshot: ClusterSnapshot) -> list[Finding]:
    """The controller's own lines (with --exec) naming this host's Ingresses, Secrets or the host,
    as evidence on the finding of the same code: its words for the same cause."""
    if not snapshot.log_evidence:
        return findings
    named = {i.ref for i in policy.ingresses} | {policy.host}
    named |= {ref for ref in (policy.policy.secret if policy.policy else None, policy.tls_secret) if ref}
    out = []
    for finding in findings:
        lines = [e.line for e in snapshot.log_evidence if e.code == finding.code and named.intersection(e.refs)]
        more = tuple(f"controller log: {line}" for line in _latest_of_each(lines)[-LOG_LINES_PER_FINDING:])
        out.append(replace(finding, evidence=(*finding.evidence, *more)) if more else finding)
    return out


def host_report(
    policy: HostPolicy,
    snapshot: ClusterSnapshot,
    now: datetime,
    client: Material | None = None,
    probe: list[ProbeResult] | None = None,
) -> HostReport:
    findings = list(policy.findings)
    certs: list[SecretCert] = []
    uses: dict[str, list[str]] = {}
    if policy.policy and policy.policy.secret:
        uses[policy.policy.secret] = ["ca.crt"]
    if policy.denied_secret:  # what the controller refused is what the user must see
        uses[policy.denied_secret] = ["ca.crt", "tls.crt", "tls.key"]
    if policy.tls_secret:
        uses.setdefault(policy.tls_secret, []).extend(["tls.crt", "tls.key"])
    for ref, keys in uses.items():
        secret = snapshot.secret(ref)
        if secret is not None:
            more_certs, more = secret_findings(policy.host, secret, keys, now)
            certs += more_certs
            findings += more
    auth_ref = policy.policy.secret if policy.policy else policy.denied_secret
    auth_secret = snapshot.secret(auth_ref) if auth_ref else None
    if auth_secret is not None and auth_secret.get("ca.crl") is not None:  # most Secrets have none: parse nothing more
        ca, _ = _load(auth_secret, "ca.crt")
        findings += crl_findings(auth_secret, [c.cert for c in ca.certs] if ca else [], now)
    # first: it explains why the probe and the Secret disagree
    if probe and auth_secret is not None and policy.client_checks:
        findings += loaded_ca_findings(policy, auth_secret, probe)
    if auth_secret is not None and policy.client_checks:
        findings += default_certificate_ca_findings(policy, auth_secret)
    if client is not None and auth_secret is not None and policy.client_checks:  # no client checks: nothing is judged
        findings += client_findings(policy, auth_secret, client, now)
    if probe:
        answers = probe_findings(probe, policy.policy, _ingress_arg(policy))
        if not policy.asks_mtls:  # TLS only, as configured: a request without a certificate is meant to get in
            answers = [f for f in answers if f.code != "probe-mtls-not-enforced"]
        findings += answers
    findings += rendered_findings(policy, snapshot)
    findings = _with_log_lines(_with_events(findings, snapshot), policy, snapshot)
    ordered = sorted(
        unique_findings(findings), key=lambda f: (_standing(f), f.severity.rank)
    )  # stable: rule order kept
    report = HostReport(policy.host, policy, tuple(certs), tuple(probe or ()), tuple(ordered))
    lead = report.lead
    if lead is None:
        return report
    return replace(report, findings=(lead, *(f for f in ordered if f is not lead)))
