"""Would nginx accept this certificate chain? Asked of OpenSSL the way libssl asks it.

libssl's `ssl_verify_cert_chain` builds an X509_STORE_CTX from the trusted store
(`ssl_client_certificate`, i.e. the Secret's `ca.crt`) and the chain the peer sent,
applies the purpose (`ssl_client` on a server), the verify depth and the security
level, and installs the application's callback. nginx's callback accepts every
error so the handshake completes; afterwards nginx reads the verify result (the last
error) and answers 400 when it is not X509_V_OK. We do the same, without a socket.
With `ssl_crl` (the Secret's `ca.crl`) nginx adds the CRLs to that store and sets
X509_V_FLAG_CRL_CHECK|X509_V_FLAG_CRL_CHECK_ALL: every certificate of the path, the
root included, then needs a current CRL from its issuer. So do we.

Envoy verifies with BoringSSL's X509_verify_cert on a store it flags otherwise
(source/common/tls/cert_validator/default_validator.cc initializeSslContexts): always
X509_V_FLAG_PARTIAL_CHAIN (a CA of the bundle ends the chain even when it is no root), and with a
CRL X509_V_FLAG_CRL_CHECK, plus CRL_CHECK_ALL unless only_verify_leaf_cert_crl. `Store` says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.certs import openssl_binding as ob
from mtls_tui.certs.facts import cert_facts, name_to_str
from mtls_tui.model import ChainVerdict, VerifyError

PURPOSES = {"client": "ssl_client", "server": "ssl_server"}


@dataclass(frozen=True)
class Store:
    """How the verifying server flags its store, beyond the CAs and CRLs in it: the default is
    nginx's (CRL_CHECK_ALL with a CRL, no partial chain); `envoy_verdict` sets Envoy's."""

    crl_leaf_only: bool = False  # X509_V_FLAG_CRL_CHECK without CRL_CHECK_ALL: the client's issuer alone
    partial_chain: bool = False  # X509_V_FLAG_PARTIAL_CHAIN


# OpenSSL's errors for an issuer found nowhere: where Envoy may still end the chain at a CA of its bundle
_NO_ISSUER = frozenset(
    {
        ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
        ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        ob.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    }
)


# TLS 1.3 has signature schemes for RSA, Ed25519, Ed448 and ECDSA on P-256, P-384 and P-521 only (each ECDSA
# scheme names its curve: RFC 8446 4.2.3; OpenSSL 3.0 ssl/t1_lib.c sigalg_lookup_tbl). ingress-nginx serves
# TLSv1.2 and TLSv1.3 (config.go sslProtocols), so a client that speaks TLS 1.3 (curl, any OpenSSL 1.1.1+) uses
# it, and with a DSA key or an EC key on another curve it has nothing to sign the CertificateVerify with: OpenSSL's
# client sends no certificate, and nginx answers 400 'No required SSL certificate was sent' (logs "client sent no
# required SSL certificate"), whatever X509_verify_cert would say. Held to TLS 1.2, such an EC key ends the
# handshake (tls12_check_peer_sigalg: the curve is none of the server's groups, "wrong curve"), a DSA key is
# verified as usual. Measured on nginx 1.22 / OpenSSL 3.0: tests/test_nginx_verdict_faults.py.
TLS13_EC_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})


def key_without_tls13_scheme(leaf: x509.Certificate) -> str | None:
    """The client key of `leaf` in words when no TLS 1.3 signature scheme fits it (TLS13_EC_CURVES),
    None when the client can sign with it."""
    facts = cert_facts(leaf)
    if facts.key_type == "DSA":
        return "a DSA key"
    if facts.key_type == "EC" and facts.key_curve not in TLS13_EC_CURVES:
        return f"an EC key on {facts.key_curve}"
    return None


def _subject_of(ptr: int) -> str:
    if not ptr:
        return "?"
    try:
        return name_to_str(x509.load_der_x509_certificate(ob.x509_to_der(ptr)).subject)
    except ValueError:
        return "?"


def _run(
    trusted: Sequence[x509.Certificate],
    leaf: x509.Certificate,
    untrusted: Sequence[x509.Certificate],
    depth: int,
    purpose: str,
    at: datetime | None,
    crls: Sequence[x509.CertificateRevocationList] = (),
    flags: Store = Store(),
) -> tuple[int, int, list[VerifyError], list[str]]:
    ossl = ob.lib()
    owned: list[int] = []
    owned_crls: list[int] = []
    store = ossl.X509_STORE_new()
    stack = ossl.OPENSSL_sk_new_null()
    ctx = ossl.X509_STORE_CTX_new()
    errors: list[VerifyError] = []

    def callback(ok: int, store_ctx: int) -> int:
        if not ok:
            code = ossl.X509_STORE_CTX_get_error(store_ctx)
            errors.append(
                VerifyError(
                    code=code,
                    reason=ob.error_string(code),
                    depth=ossl.X509_STORE_CTX_get_error_depth(store_ctx),
                    subject=_subject_of(ossl.X509_STORE_CTX_get_current_cert(store_ctx)),
                )
            )
        return 1  # as nginx's ngx_ssl_verify_callback: decide after the handshake

    c_callback = ob.VERIFY_CB(callback)
    try:
        for cert in trusted:
            ptr = ob.x509_from_der(cert.public_bytes(Encoding.DER))
            owned.append(ptr)
            ossl.X509_STORE_add_cert(store, ptr)
        for crl in crls:
            ptr = ob.crl_from_der(crl.public_bytes(Encoding.DER))
            owned_crls.append(ptr)
            ossl.X509_STORE_add_crl(store, ptr)
        chosen = ob.X509_V_FLAG_PARTIAL_CHAIN if flags.partial_chain else 0
        if crls:
            chosen |= ob.X509_V_FLAG_CRL_CHECK | (0 if flags.crl_leaf_only else ob.X509_V_FLAG_CRL_CHECK_ALL)
        if chosen:
            ossl.X509_STORE_set_flags(store, chosen)
        leaf_ptr = ob.x509_from_der(leaf.public_bytes(Encoding.DER))
        owned.append(leaf_ptr)
        for cert in untrusted:
            ptr = ob.x509_from_der(cert.public_bytes(Encoding.DER))
            owned.append(ptr)
            ossl.OPENSSL_sk_push(stack, ptr)
        if not ossl.X509_STORE_CTX_init(ctx, store, leaf_ptr, stack):
            raise RuntimeError("X509_STORE_CTX_init failed")
        ossl.X509_STORE_CTX_set_default(ctx, PURPOSES[purpose].encode())
        param = ossl.X509_STORE_CTX_get0_param(ctx)
        ossl.X509_VERIFY_PARAM_set_depth(param, depth)
        ossl.X509_VERIFY_PARAM_set_auth_level(param, ob.default_security_level())
        if at is not None:
            ossl.X509_STORE_CTX_set_time(ctx, 0, int(at.timestamp()))
        ossl.X509_STORE_CTX_set_verify_cb(ctx, c_callback)
        ossl.X509_verify_cert(ctx)
        code = ossl.X509_STORE_CTX_get_error(ctx)
        error_depth = ossl.X509_STORE_CTX_get_error_depth(ctx)
        chain = ossl.X509_STORE_CTX_get0_chain(ctx)
        subjects = (
            [_subject_of(ossl.OPENSSL_sk_value(chain, i)) for i in range(ossl.OPENSSL_sk_num(chain))] if chain else []
        )
        return code, error_depth, errors, subjects
    finally:
        ossl.X509_STORE_CTX_free(ctx)
        ossl.OPENSSL_sk_free(stack)
        ossl.X509_STORE_free(store)
        for ptr in owned:
            ossl.X509_free(ptr)
        for ptr in owned_crls:
            ossl.X509_CRL_free(ptr)
        ossl.ERR_clear_error()


def nginx_verdict(
    ca_bundle: Sequence[x509.Certificate],
    chain: Sequence[x509.Certificate],
    verify_depth: int = 1,
    *,
    purpose: str = "client",
    at: datetime | None = None,
    crls: Sequence[x509.CertificateRevocationList] = (),
    store: Store = Store(),
    tls13_keys: bool = True,
) -> ChainVerdict:
    """nginx's answer for `chain` (leaf first, then what the peer sends) at `verify_depth`,
    with `crls` as `ssl_crl` loads them; with another `store`, Envoy's (module docstring).
    A client key no TLS 1.3 signature scheme fits is not sent by an OpenSSL client over TLS 1.3
    (TLS13_EC_CURVES): refused whatever the chain; the verdict keeps OpenSSL's (error_code,
    reason) and says `unsigned_key`.
    `tls13_keys=False` leaves that out: X509_verify_cert alone, for the lab's built-in nginx (its
    handshake is a real one) and inside envoy_verdict (which adds it at the end).

    `purpose="server"` gives a client's view of a server chain (curl, httpx).
    """
    verdict = _x509_verdict(ca_bundle, chain, verify_depth, purpose, at, crls, store)
    return _unsent(verdict, chain[0]) if tls13_keys and purpose == "client" else verdict


def _unsent(verdict: ChainVerdict, leaf: x509.Certificate) -> ChainVerdict:
    """The verdict for a client whose key no TLS 1.3 signature scheme fits: refused (its certificate is
    never sent), OpenSSL's errors kept for what a TLS 1.2 client would get."""
    unsigned = key_without_tls13_scheme(leaf)
    if unsigned is None:
        return verdict
    return replace(verdict, accepted=False, unsigned_key=unsigned, verifies_with_more_depth=False)


def _x509_verdict(
    ca_bundle: Sequence[x509.Certificate],
    chain: Sequence[x509.Certificate],
    verify_depth: int,
    purpose: str,
    at: datetime | None,
    crls: Sequence[x509.CertificateRevocationList],
    store: Store,
) -> ChainVerdict:
    """OpenSSL's X509_verify_cert alone, as libssl sets it up (module docstring)."""
    if not chain:
        raise ValueError("no certificate to verify")
    leaf, untrusted = chain[0], list(chain[1:])
    code, error_depth, errors, subjects = _run(ca_bundle, leaf, untrusted, verify_depth, purpose, at, crls, store)
    if code == ob.X509_V_OK:
        return ChainVerdict(
            accepted=True,
            verify_depth=verify_depth,
            purpose=purpose,
            chain_subjects=tuple(subjects),
            verifies_with_more_depth=True,
            intermediates_used=max(len(subjects) - 2, 0),
        )
    more_depth = False
    used: int | None = None
    too_long = any(e.code == ob.X509_V_ERR_CERT_CHAIN_TOO_LONG for e in errors)
    if too_long and verify_depth < ob.UNLIMITED_DEPTH:
        deep_code, _, _, deep_subjects = _run(ca_bundle, leaf, untrusted, ob.UNLIMITED_DEPTH, purpose, at, crls, store)
        more_depth = deep_code == 0
        used = max(len(deep_subjects) - 2, 0) if more_depth else None
    return ChainVerdict(
        accepted=False,
        verify_depth=verify_depth,
        purpose=purpose,
        error_code=code,
        reason=ob.error_string(code),
        error_depth=error_depth,
        errors=tuple(errors),
        chain_subjects=tuple(subjects),
        verifies_with_more_depth=more_depth,
        intermediates_used=used,
    )


def envoy_verdict(
    ca_bundle: Sequence[x509.Certificate],
    chain: Sequence[x509.Certificate],
    *,
    at: datetime | None = None,
    crls: Sequence[x509.CertificateRevocationList] = (),
    crl_leaf_only: bool = False,
) -> ChainVerdict:
    """Envoy's answer for a client `chain` (module docstring): no depth limit, CRL_CHECK_ALL unless
    `crl_leaf_only`. BoringSSL builds the chain to a root of the bundle when it can, and with
    PARTIAL_CHAIN ends it at a CA of the bundle that is no root only when no root is reached. Measured on
    Envoy 1.40 (tests/test_envoy_gateway_crl_chain.py), root → intermediate → client: with the root in
    the bundle the root's CRL is needed for the intermediate (CRL_CHECK_ALL), where OpenSSL with
    PARTIAL_CHAIN stops at the intermediate; with only the intermediate in the bundle the client gets in.
    So: nginx's path first, the partial chain when an issuer was found nowhere. Envoy sets no verify
    callback (doVerifyCertChain), so BoringSSL stops at the first error, and that error is the verdict's
    (OpenSSL's callback here lets it go on and report them all, nginx's last). A client key no TLS 1.3
    signature scheme fits is not sent to Envoy either (measured on Envoy 1.40: alert 116 with a
    required certificate; tests/test_successors_client_keys.py): `unsigned_key`, as nginx_verdict."""
    store = Store(crl_leaf_only)
    verdict = nginx_verdict(ca_bundle, chain, ob.UNLIMITED_DEPTH, at=at, crls=crls, store=store, tls13_keys=False)
    if not verdict.accepted and verdict.errors and verdict.errors[0].code in _NO_ISSUER:
        partial = Store(crl_leaf_only, partial_chain=True)
        verdict = nginx_verdict(ca_bundle, chain, ob.UNLIMITED_DEPTH, at=at, crls=crls, store=partial, tls13_keys=False)
    if not verdict.accepted and verdict.errors:
        first = verdict.errors[0]
        verdict = replace(verdict, error_code=first.code, reason=first.reason, error_depth=first.depth, errors=(first,))
    return _unsent(verdict, chain[0])
