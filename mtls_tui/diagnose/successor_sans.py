"""The user's certificate against the subject-alternative-name matchers a successor renders into Envoy
(Envoy Gateway's ClientTrafficPolicy tls.clientValidation.subjectAltNames, Istio's servers[].tls.
subjectAltNames; no other successor renders client SAN checks: Gateway API v1.6.1 FrontendTLSValidation,
Traefik v3.7.9 TLSOption clientAuth, F5 v5.5.4 ingressMTLS and NGINX Gateway Fabric v2.6.7 have none).

Envoy checks them after the chain verifies and before the certificate and SPKI hashes
(default_validator.cc verifyCertificate), and refuses a certificate none matches with alert 46
certificate_unknown (doVerifyCertChain leaves the alert at SSL_AD_CERTIFICATE_UNKNOWN): in the
handshake over TLS 1.2, on the first read over TLS 1.3 (measured on Envoy 1.40,
tests/test_successors_san_match.py).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.load import Material
from mtls_tui.diagnose.certificates import (
    HOST_LIKE,
    Files,
    Where,
    file_of,
    issuer_days_left,
    reissue_command,
    sibling_file,
)
from mtls_tui.model import CertFacts, Finding, Severity
from mtls_tui.policy.successors.common import ClientKind, ClientValidation, WireAnswer, predict
from mtls_tui.policy.successors.san_match import SanMatcher, SanType, san_match, san_strings
from mtls_tui.shell import arg

SAN_ALERT = 46
# what an OpenSSL -extfile subjectAltName line can carry for each type without quoting: no comma (it
# separates names), no space, no `@` first (a section reference)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+", re.ASCII)
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9._~:/?#\[\]!$&'()*+;=%-]+", re.ASCII)
_OPENSSL_TYPES: dict[SanType, str] = {"DNS": "DNS", "EMAIL": "email", "URI": "URI", "IP_ADDRESS": "IP"}


@dataclass(frozen=True)
class ClientFiles:
    """The user's certificate and the names a re-sign command uses for it."""

    where: Where
    files: Files
    facts: CertFacts
    loaded: str  # the CA the data plane loads, in words


def client_files(validation: ClientValidation, client: Material, now: datetime) -> ClientFiles:
    """The files that re-sign the user's certificate with the CA this data plane loads."""
    leaf = client.certs[0]
    facts = cert_facts(leaf.cert)
    where = Where(leaf.origin, file_of(leaf.origin))
    cas = [cert_facts(c) for c in x509.load_pem_x509_certificates(validation.ca_pem)] if validation.ca_pem else []
    files = Files(
        cert=where.file,
        key=file_of(client.keys[0].origin) if client.keys else sibling_file(where.file, ".key"),
        ca_days_left=issuer_days_left(facts, cas, now),
        key_missing=client.no_key_beside,
    )
    return ClientFiles(where, files, facts, " or ".join(c.subject for c in cas) or "the CA it loads")


def checked_by_matchers(validation: ClientValidation, kind: ClientKind | None) -> bool:
    """Envoy runs the matchers on a certificate whose chain verified: one of the CA (or, with
    allow_expired_certificate, one whose dates are off), where the data plane verifies certificates."""
    verifies = validation.mode in ("require-and-verify", "verify-if-given") and validation.breakage is None
    if not verifies or kind is None or kind == "none":
        return False
    return predict(validation, kind).kind == "admitted"


def _openssl_name(san_type: SanType, value: str) -> str | None:
    """`TYPE:value` for a subjectAltName line, when the value is of that type and needs no quoting."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    fits = {
        "DNS": address is None and HOST_LIKE.fullmatch(value) is not None,
        "IP_ADDRESS": address is not None,
        "EMAIL": _EMAIL.fullmatch(value) is not None,
        "URI": _URI.fullmatch(value) is not None,
    }.get(san_type, False)
    return f"{_OPENSSL_TYPES[san_type]}:{value}" if fits else None


def _wanted(matchers: tuple[SanMatcher, ...]) -> tuple[SanMatcher, str] | None:
    """The first Exact matcher whose value a re-signed certificate can carry as a SAN of its type."""
    for matcher in matchers:
        name = _openssl_name(matcher.san_type, matcher.value) if matcher.kind == "Exact" else None
        if name is not None:
            return matcher, name
    return None


def san_refusal(
    validation: ClientValidation, client: Material | None, kind: ClientKind | None, now: datetime | None
) -> Finding | None:
    """The user's certificate, which the chain check lets through, matches none of the SAN matchers:
    Envoy refuses it (alert 46). The fix re-signs it with the CA the data plane loads, keeping its SANs
    and adding the value of the first Exact matcher; without one, it shows the certificate's SANs."""
    sans = validation.sans
    if client is None or now is None or sans is None or not checked_by_matchers(validation, kind):
        return None
    leaf = client.certs[0]
    if san_match(leaf.cert, sans.matchers) is not False:
        return None
    answer = WireAnswer("tls-alert", alert=SAN_ALERT, after_handshake=True)
    mine = [s for s in san_strings(leaf.cert) if s[0] != "OTHER_NAME"]
    shown = ", ".join(f"{t}:{v}" for t, _, v in mine) or "none"
    found = client_files(validation, client, now)
    wanted = _wanted(sans.matchers)
    show = f"openssl x509 -noout -ext subjectAltName -in {arg(found.where.file)}"
    if wanted is None:
        fix, then = show, ""
        how = f"No matcher is an exact name a certificate can carry; the command shows the certificate's SANs, to compare with {sans.fields}."
    else:
        kept = [n for t, _, v in mine if (n := _openssl_name(t, v)) is not None and n != wanted[1]]
        line = "subjectAltName=" + ",".join([*kept, wanted[1]])
        fix = reissue_command(
            "client", found.where, found.files, extensions=[line], cn=found.facts.subject_cn, dn=found.facts.subject
        )
        then = (
            f"signs it with the CA the data plane loads ({found.loaded}: {' and '.join(found.files.signer_files)} must "
            f"be that CA's), adding {wanted[1]}, which the matcher {wanted[0]} matches; {show} shows the result"
        )
        how = (
            f"The fix signs it again with {wanted[1]} beside its SANs. Or, if this certificate is meant to get in as "
            f"it is, add one of its SANs to {sans.fields}."
        )
    return Finding(
        code="client-cert-san-mismatch",
        severity=Severity.ERROR,
        title=f"{validation.implementation} refuses your certificate (its SANs match none of {sans.fields}): {answer}",
        detail=f"Its CA ({', '.join(validation.ca_refs) or 'its objects'}) trusts it, but Envoy also requires one SAN of "
        f"the certificate to match one of the matchers {sans.fields} become, listed in the evidence as Envoy gets them "
        "(default_validator.cc matchSubjectAltName; DNS names exact ignore case and honour a wildcard in the "
        "certificate, other types and prefix, suffix and regular expressions compare exactly, a regular "
        "expression must match the whole SAN; the subject's CN is not looked at). It refuses one that matches "
        "none with alert 46 certificate_unknown, in TLS 1.2 during the handshake (measured on Envoy 1.40). " + how,
        fix=fix,
        then=then,
        subject=f"{validation.host}:{validation.port}",
        evidence=(
            f"client certificate: {leaf.origin}",
            f"its SANs: {shown}",
            f"{sans.fields}: " + "; ".join(str(m) for m in sans.matchers[:8]),
        ),
    )
