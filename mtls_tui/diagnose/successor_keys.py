"""The user's client certificate on a successor when no TLS 1.3 signature scheme fits its key (DSA, EC off
P-256/384/521: certs/verify.py TLS13_EC_CURVES): an OpenSSL client (curl, Python) never sends it over TLS 1.3,
which every successor offers, so the chain does not matter; the data plane answers as to a client without a
certificate (policy/successors/common.py predict_unsent, measured on Envoy, Go and nginx:
tests/test_successors_client_keys.py). Only a new key helps.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cryptography import x509

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.load import Material
from mtls_tui.diagnose.certificates import (
    ca_facts_in_use,
    client_files,
    new_key_fix,
    too_weak_for_curl,
    with_new_key_then,
)
from mtls_tui.model import CertFacts, ChainVerdict, Finding, Severity
from mtls_tui.policy.successors.common import (
    ClientKind,
    ClientValidation,
    TlsVersion,
    UnsentKey,
    WireAnswer,
    predict_unsent,
)

TLS13_SCHEMES = "TLS 1.3 signs with RSA, Ed25519, Ed448 or ECDSA on P-256, P-384 and P-521 only"


def unsent_answer(
    validation: ClientValidation,
    judged: ChainVerdict,
    leaf: x509.Certificate,
    tls: TlsVersion,
    signed: ClientKind | None,
) -> WireAnswer | None:
    """What the client with this certificate gets over `tls` (None: not predicted); `signed` is the kind of
    its certificate were it sent (diagnose/successors.py client_kind on the verdict without the key)."""
    return predict_unsent(validation, _key(cert_facts(leaf)), signed, tls) if judged.unsigned_key else None


def unsent_key_finding(
    validation: ClientValidation, client: Material, judged: ChainVerdict, signed: ClientKind | None, now: datetime
) -> Finding:
    """The finding on a certificate whose key cannot sign over TLS 1.3, with what this data plane answers."""
    leaf = client.certs[0]
    facts = cert_facts(leaf.cert)
    unsigned = judged.unsigned_key or "its key"
    answer = predict_unsent(validation, _key(facts), signed, "1.3")
    older = predict_unsent(validation, _key(facts), signed, "1.2")
    bundle = x509.load_pem_x509_certificates(validation.ca_pem) if validation.ca_pem else []
    where, files = client_files(client, ca_facts_in_use(bundle, now), now)
    finding = Finding(
        code="client-key-not-for-tls13",
        severity=Severity.ERROR,
        title=f"{validation.implementation} never gets your certificate for {validation.host}:{validation.port}: "
        f"no TLS 1.3 signature scheme for {unsigned}; {_words(answer)}",
        detail=f"{TLS13_SCHEMES}. {validation.implementation} offers TLS 1.3 by default, so an OpenSSL client (curl, "
        f"Python) sends no certificate with {unsigned} and gets what a client without one gets: {_words(answer)}, "
        f"whatever the chain.{too_weak_for_curl(facts)} A client held to TLS 1.2 gets {_words(older)}. A new key "
        "and the certificate signed again for it get through.",
        fix=new_key_fix("client", where, files, facts),
        subject=f"{validation.host}:{validation.port}",
        evidence=(f"client certificate: {leaf.origin}", f"key: {unsigned}"),
    )
    return with_new_key_then(finding, files)


def signed_verdict(judged: ChainVerdict) -> ChainVerdict:
    """The verdict as if the certificate were sent (TLS 1.2): OpenSSL's errors alone decide."""
    return replace(judged, accepted=not judged.errors and not judged.error_code, unsigned_key=None)


def _key(facts: CertFacts) -> UnsentKey:
    return "DSA" if facts.key_type == "DSA" else "EC"


def _words(answer: WireAnswer | None) -> str:
    if answer is None:
        return "an answer not measured"
    if answer.kind == "admitted":
        return "it gets in as a client without a certificate would"
    return str(answer)
