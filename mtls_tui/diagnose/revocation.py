"""The Secret's `ca.crl`, without a client certificate in hand: a file the controller
refuses, and CRLs that make nginx refuse every client certificate under a CA.

With `ssl_crl` nginx sets X509_V_FLAG_CRL_CHECK_ALL: each certificate of the path,
the root included, needs a current CRL from its issuer (measured against nginx in
tests/test_nginx_verdict_matrix.py). So one stale or missing CRL refuses everyone.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509

from mtls_tui.certs.content_cache import CACHED_BYTES, content_cache
from mtls_tui.certs.crl import akid_allows, controller_refusal, load_crls, signed_by
from mtls_tui.certs.facts import name_to_str
from mtls_tui.model import Finding, SecretObj, Severity
from mtls_tui.policy.nginx_answers import CERT_ERROR
from mtls_tui.policy.secret_commands import secret_update_command

# CA.cnf: the configuration of the CA that keeps the list. The new CRL goes first (ingress-nginx reads the
# first block) and the others stay: ca.crl holds one CRL per CA of the path, and OpenSSL prefers the
# current CRL of an issuer over a stale one beside it (x509_vfy.c get_crl_sk, CRL_SCORE_TIME).
NEW_CRL = (
    "openssl ca -gencrl -config CA.cnf -out new.crl && (cat new.crl; cat ca.crl 2>/dev/null || true) > ca.crl.new "
    "&& mv ca.crl.new ca.crl"
)


@content_cache(64, CACHED_BYTES)
def secret_crls(data: bytes) -> tuple[x509.CertificateRevocationList, ...]:
    """The CRLs nginx loads from `ca.crl`; none when the controller refuses the file."""
    return () if controller_refusal(data) else load_crls(data)


def crl_findings(secret: SecretObj, ca_certs: list[x509.Certificate], now: datetime) -> list[Finding]:
    data = secret.get("ca.crl")
    if data is None:
        return []
    where = f"Secret {secret.ref}, key ca.crl"
    update = secret_update_command(secret.ref, keys=secret.keys, crl=True)
    refusal = controller_refusal(data)
    if refusal:
        return [
            Finding(
                code="crl-invalid",
                severity=Severity.ERROR,
                title=f"the controller refuses Secret {secret.ref}: its ca.crl {refusal}",
                detail="ingress-nginx reads ca.crl with the Secret and refuses the whole Secret ('Error obtaining X.509 "
                "certificate') unless its first PEM block is an X509 CRL it can parse: every path of the host then "
                "answers 403, and a tls: entry naming this Secret gets the fake certificate.",
                fix=f"openssl crl -in ca.crl -noout -text  # a DER file: openssl crl -inform DER -in ca.crl -out ca.crl; then {update}",
                subject=where,
            )
        ]
    findings: list[Finding] = []
    crls = secret_crls(data)
    current = {
        crl.issuer
        for crl in crls
        if crl.last_update_utc <= now and (crl.next_update_utc is None or crl.next_update_utc >= now)
    }
    for crl in crls:
        issuer = name_to_str(crl.issuer)
        if crl.issuer in current:
            continue  # OpenSSL takes that issuer's current CRL (get_crl_sk scores validity time first)
        if crl.next_update_utc is not None and crl.next_update_utc < now:
            findings.append(
                Finding(
                    code="crl-expired",
                    severity=Severity.ERROR,
                    title=f"the CRL of {issuer} in ca.crl expired on {crl.next_update_utc:%Y-%m-%d}",
                    detail=f"nextUpdate {crl.next_update_utc:%Y-%m-%d %H:%M} UTC. nginx refuses every client certificate "
                    f"whose path runs through {issuer}: 'CRL has expired', 400 '{CERT_ERROR}'.",
                    fix=f"{NEW_CRL} && {update}",
                    subject=where,
                )
            )
        elif crl.last_update_utc > now:
            findings.append(
                Finding(
                    code="crl-not-yet-valid",
                    severity=Severity.ERROR,
                    title=f"the CRL of {issuer} in ca.crl is not valid before {crl.last_update_utc:%Y-%m-%d %H:%M} UTC",
                    detail=f"lastUpdate is in the future: a clock is wrong. nginx refuses every client certificate whose path "
                    f"runs through {issuer}: 'CRL is not yet valid'.",
                    fix=f"date -u  # compare; fix the clock, or issue the CRL again: {NEW_CRL} && {update}",
                    subject=where,
                )
            )
    findings += wrong_key_findings(crls, ca_certs, now, where, update)
    covered = {crl.issuer for crl in crls}
    for ca in ca_certs:
        if ca.subject not in covered:
            subject = name_to_str(ca.subject)
            findings.append(
                Finding(
                    code="crl-missing",
                    severity=Severity.ERROR,
                    title=f"ca.crl has no CRL of {subject}",
                    detail=f"With ssl_crl nginx needs a current CRL from the issuer of every certificate of the path, the root "
                    f"included; every client certificate whose path runs through {subject} is refused: "
                    "'unable to get certificate CRL'.",
                    fix=f"openssl ca -gencrl -config CA.cnf -out more.crl && cat more.crl >> ca.crl && {update}"
                    "  # CA.cnf: the configuration of the CA this CRL is missing for",
                    subject=where,
                )
            )
    return findings


def _chosen(
    crls: list[x509.CertificateRevocationList], cas: list[x509.Certificate], now: datetime
) -> x509.CertificateRevocationList | None:
    """The CRL OpenSSL takes for an issuer (x509_vfy.c get_crl_sk/get_crl_score): one whose
    authorityKeyIdentifier does not name the CA's key scores 0 and is never taken; then a current
    one before a stale one (CRL_SCORE_TIME); among equals, the newest lastUpdate."""
    usable = [crl for crl in crls if any(akid_allows(crl, ca) for ca in cas)]
    if not usable:
        return None
    return max(
        usable,
        key=lambda crl: (
            crl.last_update_utc <= now and (crl.next_update_utc is None or crl.next_update_utc >= now),
            crl.last_update_utc,
        ),
    )


def wrong_key_findings(
    crls: tuple[x509.CertificateRevocationList, ...],
    ca_certs: list[x509.Certificate],
    now: datetime,
    where: str,
    update: str,
) -> list[Finding]:
    """A CRL with the CA's name but signed by another key (the CA was made again with a new key,
    the CRL was not): OpenSSL's check_crl verifies the CRL with the key of the CA in the path and
    fails with 'CRL signature failure' (8) for every client (measured: nginx 1.22 / OpenSSL 3.0
    answers 400 and logs (8:CRL signature failure), tests/test_nginx_verdict_matrix.py). When the
    CRL's authorityKeyIdentifier names the other key, OpenSSL does not take it at all: 'unable to
    get certificate CRL' (3)."""
    cas_by_name: dict[x509.Name, list[x509.Certificate]] = {}
    for ca in ca_certs:
        cas_by_name.setdefault(ca.subject, []).append(ca)
    findings = []
    for name, cas in cas_by_name.items():
        own = [crl for crl in crls if crl.issuer == name]
        if not own:
            continue  # crl-missing says it
        chosen = _chosen(own, cas, now)
        if chosen is not None and any(signed_by(chosen, ca) is not False for ca in cas):
            continue
        issuer = name_to_str(name)
        reason = "(8:CRL signature failure)" if chosen is not None else "(3:unable to get certificate CRL)"
        findings.append(
            Finding(
                code="crl-wrong-key",
                severity=Severity.ERROR,
                title=f"the CRL of {issuer} in ca.crl is not signed by the key of {issuer} in ca.crt",
                detail=f"The CRL carries the CA's name but another key signed it (most often the CA was made again "
                f"with a new key and the CRL was not issued again). nginx checks every CRL with the key of the CA "
                f"in ca.crt and refuses every client certificate whose path runs through {issuer}: it logs "
                f"'client SSL certificate verify error: {reason}' and answers 400 '{CERT_ERROR}'. Issue the CRL "
                "again with the CA's own key; the new CRL goes first and, being the newest, is the one OpenSSL "
                "takes (the old one may then be deleted from ca.crl).",
                fix=f"{NEW_CRL} && {update}",
                subject=where,
                evidence=(
                    f"CRL issuer {issuer}, lastUpdate {(chosen or own[0]).last_update_utc:%Y-%m-%d %H:%M} UTC",
                    f"nginx: client SSL certificate verify error: {reason}",
                ),
            )
        )
    return findings
