"""A verdict per host and port for ingress-nginx's successors: from their objects, and from a
probe when one ran.

The objects say what the data plane was told; `predict` (policy/successors/common.py) says what
each kind of client then gets, from measurements on real data planes. Without a probe a set-up
that keeps strangers out `works` as DESIGN's host states define it (every input the verdict
depends on was read and nothing is wrong), as an ingress-nginx host from files does; its verdict
says it was predicted, not probed, and an input not read (`ClientValidation.unseen`) makes it
`unverified`, naming that input. With a
probe, what came back is compared with the prediction for the same kind of client (the user's
certificate is classified against the CA the data plane loads); a difference is an error
finding, because then the data plane does not do what its objects say (not applied yet, or
another controller answers), or the tool is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography import x509

from mtls_tui.certs import openssl_binding as ob
from mtls_tui.certs.crl import load_crls
from mtls_tui.certs.load import Material
from mtls_tui.certs.pins import pin_match
from mtls_tui.certs.verify import envoy_verdict, nginx_verdict
from mtls_tui.diagnose.certificates import file_of, reissue_command
from mtls_tui.diagnose.hosts import NOT_ENFORCED, HostState
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.diagnose.successor_keys import signed_verdict, unsent_answer, unsent_key_finding
from mtls_tui.diagnose.successor_sans import SAN_ALERT, client_files, san_refusal
from mtls_tui.model import ChainVerdict, Finding, ProbeResult, Severity, VerifyError, sort_findings
from mtls_tui.policy.successors.common import (
    CLIENT_KINDS,
    ClientKind,
    ClientValidation,
    TlsVersion,
    WireAnswer,
    predict,
)
from mtls_tui.policy.successors.envoy_gateway import crl_leaf_only_command
from mtls_tui.policy.successors.releases import RELEASE_UNSEEN
from mtls_tui.shell import arg

CLIENT_WORDS: dict[ClientKind, str] = {
    "none": "no certificate",
    "trusted": "a certificate from the CA",
    "other-ca": "another CA's certificate",
    "expired": "an expired certificate",
    "no-client-auth-eku": "a certificate without clientAuth",
    "not-yet-valid": "a certificate not valid yet",
    "bad-signature": "a certificate whose issuer has the CA's name but not its key",
}
# OpenSSL's verify error for the user's certificate -> the kind whose answer was measured. Any
# other error still gives a finding (`_unmeasured_refusal`), never silence.
_KIND_BY_ERROR: dict[int, ClientKind] = {
    ob.X509_V_ERR_CERT_HAS_EXPIRED: "expired",
    ob.X509_V_ERR_CERT_NOT_YET_VALID: "not-yet-valid",
    ob.X509_V_ERR_CERT_SIGNATURE_FAILURE: "bad-signature",
    ob.X509_V_ERR_INVALID_PURPOSE: "no-client-auth-eku",
    ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT: "other-ca",
    ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "other-ca",
    ob.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: "other-ca",
    ob.X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT: "other-ca",
    ob.X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN: "other-ca",
}


# The probe's findings that hold for any data plane: what happened on the wire. The others read
# ingress-nginx's pages, headers and annotations, and would be wrong here.
TRANSPORT_FINDINGS = frozenset(
    {"probe-tls-alert", "probe-connection-closed", "probe-handshake-failed", "probe-connect-failed"}
)


@dataclass(frozen=True)
class SuccessorReport:
    validation: ClientValidation
    state: HostState
    verdict: str
    answers: tuple[tuple[ClientKind, WireAnswer], ...]  # what each kind of client gets (TLS 1.3)
    findings: tuple[Finding, ...]
    probe: tuple[ProbeResult, ...] = ()

    @property
    def host(self) -> str:
        return self.validation.host

    @property
    def key(self) -> str:
        """How the screen and the probes name this host: the host name and who serves it (a name
        served by two controllers is two rows; a space is in no DNS name, so no Ingress host clashes)."""
        port = "" if self.validation.port == 443 else f":{self.validation.port}"
        return f"{self.validation.host}{port} · {self.validation.implementation}"

    @property
    def lead(self) -> Finding | None:
        """The finding that explains the headline: the first error, else the first warning."""
        return next((f for f in self.findings if f.severity is not Severity.INFO), None) or (
            self.findings[0] if self.findings else None
        )

    @property
    def standing(self) -> tuple[Finding, ...]:
        return ()  # no certificate hygiene is judged for these hosts yet

    @property
    def next_command(self) -> str | None:
        lead = self.lead
        return lead.fix if lead is not None and lead.is_command else None

    @property
    def needs_probe(self) -> bool:
        return not self.probe and self.validation.breakage is None

    @property
    def tls_only(self) -> bool:
        """As `HostReport.tls_only`: it works, and its data plane asks for no client certificate."""
        return self.state == "works" and self.validation.mode == "none"


def judge_client(validation: ClientValidation, client: Material | None, now: datetime) -> ChainVerdict | None:
    """The user's certificate judged against the CA this data plane loads, at its verify depth:
    nginx's ssl_verify_depth (F5's verifyDepth, NGINX Gateway Fabric's 4), none for Envoy and Go;
    on Envoy as its store is flagged (certs/verify.py envoy_verdict: partial chains, the CRL
    beside the CA checked for every CA of the path or, with only_verify_leaf_cert_crl, for the
    client certificate alone); None when it cannot be judged (no CA, no certificate)."""
    if client is None or not client.certs or not validation.ca_pem:
        return None
    try:
        bundle = [c for c in x509.load_pem_x509_certificates(validation.ca_pem)]
    except ValueError:
        return None
    chain = [c.cert for c in client.certs]
    if validation.data_plane == "envoy":
        crls = load_crls(validation.crl_pem) if validation.crl_pem else ()
        return envoy_verdict(bundle, chain, at=now, crls=crls, crl_leaf_only=validation.crl_leaf_only)
    return nginx_verdict(bundle, chain, _depth(validation), at=now)


def _depth(validation: ClientValidation) -> int:
    """Envoy and Go set no verify depth (docs/successors.md G8, E13: depth 2 measured); nginx honours
    ssl_verify_depth (measured on nginx 1.22: depth N accepts N intermediates)."""
    if validation.data_plane == "nginx" and validation.verify_depth is not None:
        return validation.verify_depth
    return ob.UNLIMITED_DEPTH


def _depth_words(validation: ClientValidation) -> str:
    depth = _depth(validation)
    return "with no depth limit" if depth == ob.UNLIMITED_DEPTH else f"at verify depth {depth}"


def client_kind(verdict: ChainVerdict | None) -> ClientKind | None:
    """Which kind of client the judged certificate is: None when it was not judged, or refused for
    a reason whose answer no data plane was measured on. Every error OpenSSL reported must name
    the same kind: an intermediate that is no CA also fails its purpose check (26 at depth 1),
    which is not a leaf without clientAuth. A key no TLS 1.3 signature scheme fits is none of them: its
    certificate is not sent (diagnose/successor_keys.py)."""
    if verdict is None or verdict.unsigned_key is not None:
        return None
    if verdict.accepted:
        return "trusted"
    codes = {e.code for e in verdict.errors} or {verdict.error_code or 0}
    kinds = {_KIND_BY_ERROR.get(code) for code in codes}
    return kinds.pop() if len(kinds) == 1 else None


def _who_gets_in(admitted: Sequence[str]) -> str:
    """The clients let in, as a sentence: "no certificate gets in" alone reads as "nobody without
    one gets in", the opposite of what it means, so each is "a client with ..."."""
    if len(admitted) == 1:
        return f"a client with {admitted[0]} gets in"
    return f"clients with {', '.join(admitted[:-1])} or {admitted[-1]} get in"


def successor_report(
    validation: ClientValidation,
    probe: Sequence[ProbeResult] = (),
    client: Material | None = None,
    now: datetime | None = None,
) -> SuccessorReport:
    answers = tuple((kind, predict(validation, kind)) for kind in CLIENT_KINDS)
    findings = list(validation.findings)
    who = validation.implementation
    admitted = [CLIENT_WORDS[c] for c, answer in answers if answer.kind == "admitted" and c != "trusted"]
    if validation.breakage is not None or (any(f.severity is Severity.ERROR for f in findings) and not admitted):
        state: HostState = "broken"
        verdict = f"the {who} configuration is broken: a trusted client gets {dict(answers)['trusted']}"
    elif admitted:
        state = "not enforced"
        verdict = f"{NOT_ENFORCED} ({who}): {_who_gets_in(admitted)}"
    elif unread := unchecked(validation):
        state = "unverified"
        verdict = f"unverified: {', '.join(unread)} not read; the verdict depends on it"
    else:
        state = "works"
        verdict = f"{who} requires a certificate from its CA (predicted from the objects; not probed)"
    sound = state in ("works", "unverified")  # the objects keep strangers out, as far as they were read
    judged = judge_client(validation, client, now) if now is not None else None
    kind = client_kind(judged)
    # Envoy checks the SAN matchers before the hash lists (default_validator.cc verifyCertificate): the first
    # that refuses the certificate decides its alert
    unmatched = san_refusal(validation, client, kind, now)
    by_matchers = unmatched or _unpinned_client(validation, client, kind)
    matcher_alert = (SAN_ALERT if unmatched else PIN_ALERT) if by_matchers else None
    refusal = (
        _unsent_key(validation, client, judged, now)
        or _refused_client(validation, client, kind, now)
        or by_matchers
        or _unmeasured_refusal(validation, client, judged, now)
    )
    admitted_anyway = _revoked_ca_admitted(validation, client, judged, now)
    findings += [f for f in (refusal, admitted_anyway) if f is not None]
    probed_mine = any(r.sent_client_cert for r in probe)
    if sound and refusal is not None and refusal.severity is Severity.ERROR and not probed_mine:
        # your certificate is refused: broken for you, as ingress-nginx's host with client-cert-untrusted is
        # (a probe with it, below, decides instead)
        state, verdict = "broken", refusal.title
    if probe:
        findings += [f for f in probe_findings(list(probe)) if f.code in TRANSPORT_FINDINGS]
        # a certificate of the CA that a matcher refuses is not the "trusted" kind the table predicts: its
        # attempt is compared with the matcher's alert
        mismatches = _mismatches(validation, probe, kind, judged, client, matcher_alert)
        findings += mismatches
        without = next((observed_answer(r) for r in probe if not r.sent_client_cert), None)
        mine = next((observed_answer(r) for r in probe if r.sent_client_cert), None)
        if by_matchers is not None and mine is not None and (mine.kind, mine.alert) == ("tls-alert", matcher_alert):
            state, verdict = "broken", f"{by_matchers.title} (probed)"
        elif sound and not mismatches and _kept_out_and_let_in(probe, kind):
            state, verdict = "works", f"{who} lets your certificate in and keeps a client without one out (probed)"
        elif (words := _refused_words(kind, judged)) and mine is not None and mine.kind != "admitted":
            state, verdict = "broken", f"{who} refuses your certificate ({words}): {mine} (probed)"
        elif sound and state != "broken" and not mismatches and without is not None and without.kind != "admitted":
            verdict = (
                f"{who} keeps a client without a certificate out ({without}, probed); no trusted certificate was probed"
            )
    return SuccessorReport(validation, state, verdict, answers, tuple(sort_findings(findings)), tuple(probe))


def unchecked(validation: ClientValidation) -> tuple[str, ...]:
    """What the verdict depends on and was not read: objects not among the files, and the
    controller's release where one of its rules differs by release (releases.unchecked says which)."""
    release = ("the controller's release",) if any(f.code == RELEASE_UNSEEN for f in validation.findings) else ()
    return (*validation.unseen, *release)


def _refused_words(kind: ClientKind | None, judged: ChainVerdict | None) -> str | None:
    """The user's certificate in words when a refusal of it is a known one: a measured kind other than
    trusted, or a key no TLS 1.3 signature scheme fits."""
    if judged is not None and judged.unsigned_key is not None:
        return f"no TLS 1.3 signature scheme for {judged.unsigned_key}"
    return CLIENT_WORDS[kind] if kind is not None and kind != "trusted" else None


def _unsent_key(
    validation: ClientValidation, client: Material | None, judged: ChainVerdict | None, now: datetime | None
) -> Finding | None:
    """A key no TLS 1.3 signature scheme fits: its finding, which says what this data plane answers."""
    if client is None or judged is None or judged.unsigned_key is None or now is None:
        return None
    return unsent_key_finding(validation, client, judged, client_kind(signed_verdict(judged)), now)


# The catalogue's codes for a client certificate the server refuses, by why.
_REFUSAL_CODES: dict[ClientKind, str] = {
    "other-ca": "client-cert-untrusted",
    "expired": "cert-expired",
    "no-client-auth-eku": "client-cert-wrong-purpose",
    "not-yet-valid": "cert-not-yet-valid",
    "bad-signature": "client-cert-untrusted",
}


def _refused_client(
    validation: ClientValidation,
    client: Material | None,
    kind: ClientKind | None,
    now: datetime | None,
) -> Finding | None:
    """The user's certificate, judged against the CA this data plane loads: refused, and how the
    refusal looks on the wire (an alert on Envoy and Go, where nginx answers 400). Each refusal
    here (another CA, expired, not yet valid, no clientAuth, a bad signature) ends when the CA the
    data plane loads signs the certificate again, with clientAuth: the fix is that re-sign, as
    ingress-nginx's client-cert-untrusted gives (diagnose/certificates.reissue_command)."""
    if client is None or kind is None or kind not in _REFUSAL_CODES or now is None:
        return None
    answer = predict(validation, kind)
    if answer.kind == "admitted":
        return None
    leaf = client.certs[0]
    found = client_files(validation, client, now)
    where, files, facts, loaded = found.where, found.files, found.facts, found.loaded
    return Finding(
        code=_REFUSAL_CODES[kind],
        severity=Severity.ERROR,
        title=f"{validation.implementation} refuses your certificate ({CLIENT_WORDS[kind]}): {answer}",
        detail=f"Judged against the CA its data plane ({validation.data_plane}) loads from "
        f"{', '.join(validation.ca_refs) or 'its objects'}, {_depth_words(validation)}; such a client gets {answer} "
        "(measured on that data plane, docs/successors.md section 7). The fix signs it again with that CA.",
        fix=reissue_command("client", where, files, cn=facts.subject_cn, dn=facts.subject),
        then=f"signs it with the CA the data plane loads ({loaded}: {' and '.join(files.signer_files)} must be "
        f"that CA's; mtls-tui inspect --cert {arg(where.file)} shows the certificate first)",
        subject=f"{validation.host}:{validation.port}",
        evidence=(f"client certificate: {leaf.origin}",),
    )


# default_validator.cc verifyCertificate: SSL_AD_BAD_CERTIFICATE_HASH_VALUE when neither hash list matches
# (measured on Envoy 1.40: tests/test_probe_envoy_alerts.py test_matchers, in TLS 1.2 and 1.3)
PIN_ALERT = 114


def _unpinned_client(validation: ClientValidation, client: Material | None, kind: ClientKind | None) -> Finding | None:
    """The user's certificate, trusted by the CA, matches none of Envoy's certificate or SPKI hashes:
    Envoy refuses it (alert 114) whatever the CA says. Only where the data plane checks certificates."""
    pins = validation.pins
    verifies = validation.mode in ("require-and-verify", "verify-if-given") and validation.breakage is None
    if client is None or kind != "trusted" or pins is None or not verifies:
        return None
    leaf = client.certs[0]
    if pin_match(leaf.cert, pins.certificate, pins.spki) is not False:
        return None
    answer = WireAnswer("tls-alert", alert=PIN_ALERT, after_handshake=True)
    return Finding(
        code="client-cert-not-pinned",
        severity=Severity.ERROR,
        title=f"{validation.implementation} refuses your certificate (it matches none of {pins.fields}): {answer}",
        detail=f"Its CA ({', '.join(validation.ca_refs) or 'its objects'}) trusts it, but Envoy also checks the SHA-256 "
        "of the certificate against verify_certificate_hash and of its public key against verify_certificate_spki, "
        f"which {pins.fields} become, and lets in only a certificate that matches one entry (default_validator.cc "
        "verifyCertificate; alert 114 bad_certificate_hash_value, in TLS 1.2 during the handshake, measured on Envoy "
        "1.40). The command shows the certificate's SHA-256 fingerprint: add it (or its key's SPKI hash) to the "
        "list, or present a certificate that is in it.",
        fix=f"mtls-tui inspect --cert {arg(file_of(leaf.origin))}",
        subject=f"{validation.host}:{validation.port}",
        evidence=(
            f"client certificate: {leaf.origin}",
            f"{pins.fields}: {len(pins.certificate) + len(pins.spki)} entries",
        ),
    )


def _unmeasured_refusal(
    validation: ClientValidation, client: Material | None, judged: ChainVerdict | None, now: datetime | None = None
) -> Finding | None:
    """OpenSSL refuses the user's certificate for a reason no data plane was measured on: said as
    a warning with OpenSSL's reason, since BoringSSL (Envoy) and Go's crypto/x509 may judge it
    otherwise, and their answer to it is unknown."""
    verifies = validation.mode in ("require-and-verify", "verify-if-given") and validation.breakage is None
    if client is None or judged is None or judged.accepted or client_kind(judged) is not None or not verifies:
        return None
    leaf = client.certs[0]
    errors = judged.errors or (VerifyError(judged.error_code or 0, judged.reason or "", judged.error_depth or 0, ""),)
    reasons = "; ".join(f"{e.code}: {e.reason} at depth {e.depth}" for e in errors)
    if validation.data_plane == "nginx":
        return _nginx_refusal(validation, client, errors, reasons, now)
    crl_refusal = _envoy_crl_refusal(validation, client, judged, now)
    if crl_refusal is not None:
        return crl_refusal
    return Finding(
        code="client-cert-untrusted",
        severity=Severity.WARNING,
        title=f"OpenSSL refuses your certificate for {validation.host} ({reasons}); "
        f"what {validation.implementation} answers it was not measured",
        detail=f"Judged with OpenSSL against the CA its data plane ({validation.data_plane}) loads from "
        f"{', '.join(validation.ca_refs) or 'its objects'}, with no depth limit. That data plane verifies with its "
        "own library (Envoy: BoringSSL, Go: crypto/x509), which may decide this error otherwise; its answer to it "
        "is not in the measured table (docs/successors.md section 7). Probe the host with this certificate to see; "
        "the command shows its issuer, validity and extensions.",
        fix=f"mtls-tui inspect --cert {arg(file_of(leaf.origin))}",
        subject=f"{validation.host}:{validation.port}",
        evidence=(
            f"client certificate: {leaf.origin}",
            *(f"OpenSSL: {e.code} ({e.reason}) {e.subject}" for e in errors),
        ),
    )


# Envoy with a CRL checks every certificate of the path (X509_V_FLAG_CRL_CHECK_ALL unless
# only_verify_leaf_cert_crl: Envoy Gateway's crl.onlyVerifyLeafCertificate; Istio sets no such flag:
# pilot/pkg/xds/sds.go toEnvoyCaSecret) and answers the first error (default_validator.cc
# doVerifyCertChain: SSL_alert_from_verify_result). Istio 1.30.3 tests/integration/security/
# ingress_test.go TestMtlsGateway_CRL: a revoked client gets "tls: revoked certificate" (alert 44); a
# client whose CA has no CRL among those loaded gets "tls: unknown certificate authority" (alert 48).
# Measured on Envoy 1.40 with root → intermediate → client (tests/test_envoy_gateway_crl_chain.py): 44
# and 48 the same, and 51 for a CRL whose issuer is not in the bundle (an intermediate trusted alone).
_ENVOY_CRL_ALERTS = {
    ob.X509_V_ERR_CERT_REVOKED: ("TLS alert 44 (certificate_revoked)", "is revoked by a CRL loaded beside the CA"),
    ob.X509_V_ERR_UNABLE_TO_GET_CRL: ("TLS alert 48 (unknown_ca)", "needs a CRL that is not loaded beside the CA"),
    ob.X509_V_ERR_CRL_SIGNATURE_FAILURE: (
        "TLS alert 51 (decrypt_error)",
        "meets a CRL whose issuer Envoy cannot check: that CA is not in the bundle",
    ),
}


def _envoy_crl_refusal(
    validation: ClientValidation, client: Material, judged: ChainVerdict, now: datetime | None
) -> Finding | None:
    """A refusal for a CRL reason, on Envoy, which stops at the first error: measured (above)."""
    errors = judged.errors
    if validation.data_plane != "envoy" or not errors or errors[0].code not in _ENVOY_CRL_ALERTS:
        return None
    first = errors[0]
    alert, why = _ENVOY_CRL_ALERTS[first.code]
    leaf = client.certs[0]
    revoked = first.code == ob.X509_V_ERR_CERT_REVOKED
    fix = f"mtls-tui inspect --cert {arg(file_of(leaf.origin))}"
    advice = "A revoked certificate stays revoked: issue a new one." if revoked else ""
    if first.code == ob.X509_V_ERR_UNABLE_TO_GET_CRL:
        issuer = _issuer_at(judged, first.depth)
        scope = (
            "only the client certificate's issuer needs one (onlyVerifyLeafCertificate)"
            if validation.crl_leaf_only
            else "with a CRL, Envoy wants one from the issuer of every certificate of the path (CRL_CHECK_ALL)"
        )
        advice = f"Missing: the CRL of {issuer}; {scope}. Add that CA's current CRL beside the others."
        leaf_only = _leaf_only_fix(validation, client, first.depth, now)
        if leaf_only is not None:
            fix = leaf_only
            advice += (
                " Or, as the command does, set crl.onlyVerifyLeafCertificate: Envoy then checks only the client "
                "certificate against its issuer's CRL, which is loaded, and no longer checks whether a CA of the "
                "path was revoked."
            )
    return Finding(
        code="client-cert-revoked" if revoked else "client-cert-untrusted",
        severity=Severity.ERROR,
        title=f"Your certificate for {validation.host}:{validation.port} {why}: {alert} in the handshake",
        detail=f"{validation.implementation} loads the CRL with the CA ({', '.join(validation.ca_refs)}); OpenSSL's "
        f"reason: {first.reason} at depth {first.depth} ({first.subject}). Istio's TestMtlsGateway_CRL "
        "(tests/integration/security/ingress_test.go) sees the same: a revoked client gets 'tls: revoked "
        "certificate', a client of a CA without a CRL 'tls: unknown certificate authority'. " + advice,
        fix=fix,
        subject=f"{validation.host}:{validation.port}",
        evidence=(
            f"client certificate: {leaf.origin}",
            *(f"OpenSSL: {e.code} ({e.reason}) {e.subject}" for e in errors),
        ),
    )


def _revoked_ca_admitted(
    validation: ClientValidation, client: Material | None, judged: ChainVerdict | None, now: datetime | None
) -> Finding | None:
    """onlyVerifyLeafCertificate lets the user's certificate in although a loaded CRL revokes a CA of its
    path: Envoy checks only the client certificate against its issuer's CRL (measured: an intermediate
    the root's CRL revokes no longer stops its clients; without the flag they get alert 44)."""
    if client is None or now is None or judged is None or not judged.accepted or not validation.crl_leaf_only:
        return None
    full = judge_client(replace(validation, crl_leaf_only=False), client, now)
    first = full.errors[0] if full is not None and full.errors else None
    if first is None or first.code != ob.X509_V_ERR_CERT_REVOKED or first.depth == 0:
        return None
    fix = crl_leaf_only_command(validation.decided_by, only_leaf=False)
    return Finding(
        code="crl-revoked-ca-admitted",
        severity=Severity.WARNING,
        title=f"Your certificate for {validation.host}:{validation.port} gets in although a loaded CRL revokes "
        f"{first.subject}, a CA of its path",
        detail=f"{validation.implementation} sets onlyVerifyLeafCertificate (only_verify_leaf_cert_crl): Envoy "
        "checks the client certificate against its issuer's CRL and no CA of the path, so a revoked intermediate "
        "still lets its clients in (measured on Envoy 1.40). Without the flag Envoy checks every CA of the path "
        "(CRL_CHECK_ALL) and this client gets TLS alert 44; every CA's CRL must then be loaded beside the CA."
        + (" The command clears the flag." if fix else ""),
        fix=fix or f"mtls-tui inspect --cert {arg(file_of(client.certs[0].origin))}",
        subject=f"{validation.host}:{validation.port}",
        evidence=(
            f"client certificate: {client.certs[0].origin}",
            f"OpenSSL: {first.code} ({first.reason}) {first.subject}",
        ),
    )


def _issuer_at(judged: ChainVerdict, depth: int) -> str:
    """Who issued the certificate at `depth` of the path OpenSSL built (a root issued itself)."""
    subjects = judged.chain_subjects
    if depth + 1 < len(subjects):
        return subjects[depth + 1]
    return subjects[depth] if depth < len(subjects) else "its issuer"


def _leaf_only_fix(validation: ClientValidation, client: Material, depth: int, now: datetime | None) -> str | None:
    """On Envoy Gateway, a CRL missing above the client certificate only: the patch that sets
    crl.onlyVerifyLeafCertificate, when the client then verifies (judged again with it)."""
    if validation.implementation != "envoy-gateway" or validation.crl_leaf_only or depth == 0 or now is None:
        return None
    again = judge_client(replace(validation, crl_leaf_only=True), client, now)
    return crl_leaf_only_command(validation.decided_by) if again is not None and again.accepted else None


def _nginx_refusal(
    validation: ClientValidation,
    client: Material,
    errors: Sequence[VerifyError],
    reasons: str,
    now: datetime | None,
) -> Finding:
    """nginx verifies with OpenSSL, whose verdict this is, and answers every verify failure alike:
    HTTP 400 "The SSL certificate error" (nginx-internal 495; measured on nginx 1.22, docs/successors.md
    section 7). A chain longer than the verify depth is OpenSSL's error 22; for F5 the fix raises the
    Policy's verifyDepth to the depth that verifies it."""
    too_deep = any(e.code == ob.X509_V_ERR_CERT_CHAIN_TOO_LONG for e in errors)
    answer = predict(validation, "other-ca")
    depth = _depth(validation)
    origin = client.certs[0].origin
    fix = f"mtls-tui inspect --cert {arg(file_of(origin))}"
    needed = _needed_depth(validation, client, now) if too_deep else None
    policy = next((d.removeprefix("Policy ") for d in validation.decided_by if d.startswith("Policy ")), None)
    if needed is not None and policy is not None and validation.implementation == "f5-nginx":
        namespace, _, name = policy.partition("/")
        patch = json.dumps({"spec": {"ingressMTLS": {"verifyDepth": needed}}}, separators=(",", ":"))
        fix = f"kubectl patch policy {arg(name)} -n {arg(namespace)} --type merge -p {arg(patch)}"
    return Finding(
        code="chain-too-deep" if too_deep else "client-cert-untrusted",
        severity=Severity.ERROR,
        title=f"{validation.implementation} refuses your certificate ({reasons}): {answer}",
        detail=f"Judged with OpenSSL, as nginx verifies, against the CA loaded from "
        f"{', '.join(validation.ca_refs) or 'its objects'}, {_depth_words(validation)}"
        + (
            f": the chain needs more intermediates than ssl_verify_depth {depth} allows (nginx counts the "
            "intermediates between the client certificate and the CA)"
            + (f"; it verifies at depth {needed}, which the fix sets" if needed is not None else "")
            + ". Or issue the client certificate from a CA nearer the root."
            if too_deep
            else "."
        )
        + f" nginx answers {answer} (The SSL certificate error) to any certificate it cannot verify.",
        fix=fix,
        subject=f"{validation.host}:{validation.port}",
        evidence=(f"client certificate: {origin}", *(f"OpenSSL: {e.code} ({e.reason}) {e.subject}" for e in errors)),
    )


def _needed_depth(validation: ClientValidation, client: Material, now: datetime | None) -> int | None:
    """The smallest verify depth at which nginx accepts the chain (None: none up to 9 does)."""
    if not validation.ca_pem:
        return None
    bundle = x509.load_pem_x509_certificates(validation.ca_pem)
    for depth in range(_depth(validation) + 1, 10):
        if nginx_verdict(bundle, [c.cert for c in client.certs], depth, at=now).accepted:
            return depth
    return None


def _mismatches(
    validation: ClientValidation,
    probe: Sequence[ProbeResult],
    kind: ClientKind | None,
    judged: ChainVerdict | None = None,
    client: Material | None = None,
    matcher_alert: int | None = None,
) -> list[Finding]:
    """An answer the prediction does not give: for the attempt without a certificate, and for
    the one with the user's certificate when its kind is known, or its key is one no TLS 1.3
    signature scheme fits (what the client then sends depends on the version: predict_unsent), or
    a SAN matcher or hash list refuses it (`matcher_alert`, in both versions)."""
    found = []
    for result in probe:
        expected_kind: ClientKind | None = kind if result.sent_client_cert else "none"
        observed = observed_answer(result)
        refused_by_matcher = result.sent_client_cert and matcher_alert is not None
        expected = (
            WireAnswer("tls-alert", alert=matcher_alert, after_handshake=_tls(result) == "1.3")
            if refused_by_matcher
            else _expected(validation, result, expected_kind, judged, client)
        )
        if expected is None or observed is None or expected.kind == "unknown" or _same(observed, expected):
            continue
        # the user's certificate without a kind: its key cannot sign over TLS 1.3 (_expected)
        words = CLIENT_WORDS[expected_kind] if expected_kind else f"a certificate with {judged and judged.unsigned_key}"
        if refused_by_matcher:
            words = "your certificate, which its matchers refuse"
        found.append(
            Finding(
                code="probe-unexpected",
                severity=Severity.ERROR,
                title=f"{validation.host} answered {observed} to {words}, where its objects say {expected}",
                detail=f"The {validation.implementation} objects ({'; '.join(validation.decided_by)}) configure the data plane "
                "to answer otherwise: the controller has not applied them yet, another controller answers at this "
                "address, or this tool's reading of them is wrong.",
                fix=result.curl or "mtls-tui check",
                subject=f"{validation.host}:{validation.port}",
                evidence=(f"probe: {observed}", f"predicted: {expected}"),
            )
        )
    return found


def _expected(
    validation: ClientValidation,
    result: ProbeResult,
    kind: ClientKind | None,
    judged: ChainVerdict | None,
    client: Material | None,
) -> WireAnswer | None:
    """What the prediction says this attempt gets (None: nothing predicted for it)."""
    if result.sent_client_cert and judged is not None and judged.unsigned_key is not None and client is not None:
        signed = client_kind(signed_verdict(judged))
        return unsent_answer(validation, judged, client.certs[0].cert, _tls(result), signed)
    return predict(validation, kind, _tls(result)) if kind is not None else None


def _tls(result: ProbeResult) -> TlsVersion:
    return "1.2" if result.tls_version == "TLSv1.2" else "1.3"


def _same(observed: WireAnswer, expected: WireAnswer) -> bool:
    """Equal answers; a backend's 404 (a path it does not serve) still got in."""
    if expected.kind == "admitted":
        return observed.kind == "admitted" or observed.status == 404
    return (observed.kind, observed.status, observed.alert) == (expected.kind, expected.status, expected.alert)


def _kept_out_and_let_in(probe: Sequence[ProbeResult], kind: ClientKind | None) -> bool:
    """Evidence for `works`: the attempt without a certificate refused, the user's trusted one let in."""
    without = next((r for r in probe if not r.sent_client_cert), None)
    with_cert = next((r for r in probe if r.sent_client_cert), None)
    if without is None or with_cert is None or kind != "trusted":
        return False
    seen, got = observed_answer(without), observed_answer(with_cert)
    return seen is not None and seen.kind != "admitted" and got is not None and got.kind == "admitted"


def observed_answer(result: ProbeResult) -> WireAnswer | None:
    """What the probe saw, in the prediction's terms (None: it never reached the server, or saw
    something no prediction names: a DNS failure, a refused port, the server's certificate)."""
    failure = result.failure
    if failure is None:
        if result.status is None:
            return None
        if result.status < 400:
            return WireAnswer("admitted", status=result.status)
        return WireAnswer("http-status", status=result.status)
    if failure.kind == "tls-alert":
        return WireAnswer("tls-alert", alert=failure.alert_number, after_handshake=failure.when != "handshake")
    if failure.kind == "closed":
        return WireAnswer("connection-closed")
    return None
