"""Envoy Gateway (v1.9.0) and the Secrets an HTTPS or TLS listener serves with (tls.certificateRefs).

internal/gatewayapi/validate.go validateTerminateModeAndGetTLSSecrets takes each reference in turn: a
Secret that does not exist ("Secret NS/NAME does not exist."), one not of type kubernetes.io/tls ("must
be of type kubernetes.io/tls."; an SDS reference Secret is another path, not judged here) and one with
an empty tls.crt or tls.key ("must contain tls.crt and tls.key.") are dropped; internal/gatewayapi/tls.go
parseCertsFromTLSSecretsData then checks the others (`eg_serving_refusal`). With none left the listener
gets ResolvedRefs=False (InvalidCertificateRef, or RefNotPermitted), Programmed=False, and
listener.go ProcessListeners skips it (`!listener.IsReady()`): no filter chain, and no port when it was
the port's only listener. Some left: PartiallyInvalidCertificateRef, served with those.
Cross-namespace references (a ReferenceGrant) and the certificate-domain uniqueness check between
several Secrets of one listener are not judged here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cryptography import x509

from mtls_tui.certs.go_pem import GoBlock, go_pem_decoded, go_pem_encode
from mtls_tui.certs.go_x509 import go_certificate, go_certificates, go_key_format_refusal, x509_keypair_refusal
from mtls_tui.model import ClusterSnapshot, Finding, SecretObj, Severity
from mtls_tui.policy.secret_commands import tls_secret_command
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer
from mtls_tui.policy.successors.gateway_api import Gateway, Listener, ListenerResult
from mtls_tui.policy.successors.references import every_ref_refused, presence

TLS_TYPE = "kubernetes.io/tls"
SDS_TYPE = "gateway.envoyproxy.io/sds"  # api/v1alpha1 SDSSecretType: served by reference, not read here
_KEY_TYPES = (b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY")  # tls.go firstSupportedPrivateKeyBlock
_VALID = "must contain valid tls.crt and tls.key, "


def _chain_fault(data: bytes, now: datetime) -> tuple[bytes, str | None]:
    """tls.go validateServingCertificateChain: every block pem.Decode finds must hold certificates
    (x509.ParseCertificates, whatever the block's type) valid now; the chain written again by
    pem.EncodeToMemory, or why the Secret is refused (the first bad block decides)."""
    out = b""
    for block in go_pem_decoded(data):
        certs = go_certificates(block.der)
        if isinstance(certs, str):
            return b"", certs
        for cert in certs:
            if now > cert.not_valid_after_utc:
                return b"", f"certificate {_common_name(cert)} has expired since {_go_time(cert.not_valid_after_utc)}"
            if now < cert.not_valid_before_utc:
                return (
                    b"",
                    f"certificate {_common_name(cert)} will be valid after {_go_time(cert.not_valid_before_utc)}",
                )
        out += go_pem_encode(block)
    return out, None if out else "unable to decode pem data for certificate"


def _go_time(when: datetime) -> str:
    """A time.Time as Go's %v prints it (x509 parses times in UTC)."""
    return f"{when:%Y-%m-%d %H:%M:%S} +0000 UTC"


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def _key_block(data: bytes) -> GoBlock | None:
    """tls.go firstSupportedPrivateKeyBlock: the first block typed PRIVATE KEY, RSA PRIVATE KEY or EC
    PRIVATE KEY (an "EC PARAMETERS" block before it is skipped), else the first block, else None."""
    blocks = list(go_pem_decoded(data))
    return next((b for b in blocks if b.kind in _KEY_TYPES), blocks[0] if blocks else None)


def eg_serving_refusal(crt: bytes, key: bytes, now: datetime) -> str | None:
    """parseCertsFromTLSSecretsData's error for one Secret's tls.crt and tls.key (after `NS/NAME `),
    None when Envoy Gateway serves them. Never shows a key byte: the words are about formats only."""
    chain, fault = _chain_fault(crt, now)
    if fault is not None:
        return f"{_VALID}unable to validate certificate in tls.crt: {fault}"
    first = next(go_pem_decoded(chain))
    leaf = go_certificate(first.der)
    if isinstance(leaf, str):  # a block of several certificates: ParseCertificate wants one
        return f"{_VALID}unable to parse certificate in tls.crt: {leaf}"
    block = _key_block(key)
    if block is None:
        return f"{_VALID}unable to decode pem data in tls.key"
    if block.kind not in _KEY_TYPES:
        kind = block.kind.decode(errors="replace")
        return f"{_VALID}{kind} key format found in tls.key, supported formats are PKCS1, PKCS8 or EC"
    wrong = go_key_format_refusal(block.kind.decode(), block.der)
    if wrong is not None:
        return f"{_VALID}unable to parse {wrong} formatted private key in tls.key"
    refused = x509_keypair_refusal(chain, go_pem_encode(block))
    return None if refused is None else f"must contain a matching tls.crt and tls.key: {refused}"


def eg_secret_problem(ref: str, snapshot: ClusterSnapshot, now: datetime) -> str | None:
    """Why Envoy Gateway drops the listener's certificate reference `ns/name`, in its words; None when
    it is served, or not judged here (not read, forbidden, an SDS reference)."""
    namespace, _, name = ref.partition("/")
    secret = snapshot.secret(ref)
    if secret is None:
        missing = presence(snapshot, "Secret", namespace, name) == "missing"
        return f"Secret {ref} does not exist." if missing else None
    return _secret_problem(secret, now)


def _secret_problem(secret: SecretObj, now: datetime) -> str | None:
    if secret.type == SDS_TYPE:
        return None
    if secret.type != TLS_TYPE:
        return f"Secret {secret.ref} must be of type {TLS_TYPE}."
    crt, key = secret.get("tls.crt") or b"", secret.get("tls.key") or b""
    if not crt or not key:
        return f"Secret {secret.ref} must contain tls.crt and tls.key."
    refused = eg_serving_refusal(crt, key, now)
    return None if refused is None else f"{secret.ref} {refused}"


def eg_refused_certificates(refs: tuple[str, ...], snapshot: ClusterSnapshot, now: datetime) -> list[str]:
    """The listener's `certificate refs N: ...` messages when Envoy Gateway drops every reference; []
    when one is served or not judged here."""
    return every_ref_refused(
        refs,
        lambda ref: eg_secret_problem(ref, snapshot, now),
        lambda index, _, problem: f"certificate refs {index}: {problem}",
    )


def eg_server_secret_finding(listener: str, first_ref: str, messages: list[str], answer: str) -> Finding:
    """`listener`: "Gateway ns/name listener NAME"; `answer`: what a client of its hostname gets."""
    return Finding(
        code="tls-secret-unusable",
        severity=Severity.ERROR,
        title=f"{listener}: Envoy Gateway refuses its certificate Secret; the listener is not programmed",
        detail="validate.go validateTerminateModeAndGetTLSSecrets and tls.go parseCertsFromTLSSecretsData check each "
        "tls.certificateRefs Secret (type kubernetes.io/tls; every tls.crt block a certificate valid now; a PKCS1, "
        "PKCS8 or EC key in tls.key that matches it). With none usable the listener reports ResolvedRefs=False, "
        "Programmed=False, and listener.go ProcessListeners leaves it out of Envoy's configuration: "
        f"{answer}, with a client certificate or without. The command writes the Secret again, type "
        "kubernetes.io/tls, from server.crt and server.key.",
        fix=tls_secret_command(first_ref),
        subject=listener,
        evidence=(*messages, f"ResolvedRefs=False: No valid secrets exist: {'; '.join(messages)}"),
    )


def with_server_secrets(
    gateway: Gateway, listener: Listener, result: ListenerResult, snapshot: ClusterSnapshot, now: datetime
) -> ListenerResult:
    """The listener refused (breakage listener-refused) when Envoy Gateway drops every certificate Secret it
    names; its answer is `refused_answers`'."""
    messages = eg_refused_certificates(listener.certificate_refs, snapshot, now)
    if not messages or result.breakage == "listener-refused":
        return result
    label = f"{gateway.label} listener {listener.name}"
    answer = (
        "Envoy has no filter chain for its hostname, so another listener's port closes the connection in the "
        "handshake, and a port it held alone is not opened (connection refused)"
    )
    finding = eg_server_secret_finding(label, listener.certificate_refs[0], messages, answer)
    return replace(result, breakage="listener-refused", findings=(finding, *result.findings))


def refused_answers(gateway: Gateway, found: list[ClientValidation]) -> list[ClientValidation]:
    """What a client of a refused listener (no valid certificate Secret, or an invalid frontend: G13) gets
    from Envoy: listener.go ProcessListeners adds neither its filter chain nor, when no other listener of the
    Gateway holds the port, the port (processInfraIRListener). Another listener with a hostname on the port:
    Envoy finds no filter chain for the name and closes the connection in the handshake (measured on Envoy
    1.40: tests/test_successors_server_secrets.py). None on the port: nothing listens (connection refused).
    A listener without a hostname on the port: its filter chain takes every name, so the client meets that
    listener's handshake, and its routes, not read for this host here."""
    refused = {
        listener.name
        for listener in gateway.listeners
        if any(v.breakage == "listener-refused" and v.port == listener.port and v.host in listener.hosts for v in found)
    }
    out = []
    for validation in found:
        mine = next(
            (li for li in gateway.listeners if li.port == validation.port and validation.host in li.hosts), None
        )
        if validation.breakage != "listener-refused" or mine is None:
            out.append(validation)
            continue
        others = [li for li in gateway.listeners if li.port == mine.port and li.name not in refused]
        catch_all = next((li for li in others if li.hostname is None), None)
        taker = next(
            (v for v in found if catch_all is not None and v.port == mine.port and v.host in catch_all.hosts), None
        )
        if not others:
            out.append(replace(validation, refused_answer=WireAnswer("refused")))
        elif catch_all is not None and taker is not None:
            out.append(
                replace(
                    validation,
                    mode=taker.mode,
                    ca_refs=taker.ca_refs,
                    ca_pem=taker.ca_pem,
                    breakage="not-served",
                    unseen=(
                        *validation.unseen,
                        f"what {gateway.label} listener {catch_all.name} (no hostname) routes for {validation.host}",
                    ),
                )
            )
        else:
            out.append(validation)
    return out
