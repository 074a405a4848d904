"""What ingress-nginx keeps of a Secret, and why it refuses one.

The controller reads a Secret once (`store/backend_ssl.go`, `getPemCertificate`) and
every Ingress that names it sees the result: a keypair, a CA file, a CRL file, or an
error. An auth-tls Secret that errors denies the host (403 for every path); a
Secret that is kept without a CA file turns client checks off without a word. Both
decisions live here, so the policy, the lab's gateway and the findings agree.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from mtls_tui.certs.content_cache import CACHED_BYTES, content_cache
from mtls_tui.certs.crl import controller_refusal
from mtls_tui.certs.go_pem import go_pem_blocks
from mtls_tui.certs.go_x509 import go_certificate, go_parse_refusal, x509_keypair_refusal
from mtls_tui.certs.keys import key_matches
from mtls_tui.model import SecretObj

# Parses are cached by content, not by Secret: a platform's thousands of Secrets often carry
# the same ca.crt (one client CA for every team), and each distinct one is parsed once.
# Bounded, so re-reading a changing cluster does not keep old bytes forever.
CONTENT_CACHE = 8192


@dataclass(frozen=True)
class StoredSecret:
    """The controller's copy of one Secret (`ingress.SSLCert`). `error`: the Secret is
    refused, in the words the controller logs; then nothing else is kept."""

    keypair: bool = False
    ca: bool = False  # CAFileName is set: the template renders the client checks
    crl: bool = False
    error: str | None = None


@content_cache(CONTENT_CACHE, CACHED_BYTES)
def ca_refusal(ca: bytes) -> str | None:
    """`ssl.CheckCACert`: every block Go's pem.Decode finds (certs/go_pem.py) must parse as a
    certificate, whatever its type, and there must be one. A DER file, base64 text, a BOM or an
    indent before -----BEGIN hide every block; a private key pasted beside the CA fails to parse,
    and so does a TRUSTED CERTIFICATE block (Go: "x509: trailing data", its trust settings after
    the certificate; measured with tests/data/go/ca_check.go)."""
    blocks = list(go_pem_blocks(ca))
    if not blocks:
        return "error decoding CA certificate/s"
    for kind, der in blocks:
        try:
            cert = x509.load_der_x509_certificate(der)
        except (ValueError, x509.InvalidVersion):  # Go's x509.ParseCertificate refuses both
            return f"x509: malformed certificate (a {kind.decode(errors='replace')} block in ca.crt)"
        if refused := go_parse_refusal(cert):
            return refused
    return None


@content_cache(CONTENT_CACHE, CACHED_BYTES)
def keypair_refusal(cert: bytes, key: bytes) -> str | None:
    """controller-v1.15.1 internal/net/ssl/ssl.go CreateSSLCert: the first block pem.Decode finds in
    tls.crt + "\n" + tls.key must be a CERTIFICATE that x509.ParseCertificate takes, then
    `tls.X509KeyPair(cert, key)` must pass (certs/go_x509.py: it skips blocks of other types in
    each input, so a key before the certificate in tls.key, or a CA after it, is fine). With
    --enable-ssl-chain-completion (off by default) tls.crt is first completed from the network; not
    modelled. A BOM, a fold or literal \n before tls.crt's BEGIN line hides its block from Go."""
    first = next(go_pem_blocks(cert + b"\n" + key), None)
    if first is None:
        return "no valid PEM formatted block found"
    if first[0] != b"CERTIFICATE":
        return "no certificate PEM data found, make sure certificate content starts with 'BEGIN CERTIFICATE'"
    leaf = go_certificate(first[1])
    if isinstance(leaf, str):
        return leaf
    if refused := x509_keypair_refusal(cert, key):
        return f"certificate and private key does not have a matching public key: {refused}"
    return None


def stored_secret(secret: SecretObj) -> StoredSecret:
    """`getPemCertificate`, branch by branch: a keypair (with or without ca.crt), a CA alone, or neither.
    Cached while the Secret object lives: every Ingress and every host that names the Secret asks
    again, as the controller's store does not. (A cache of a fixed size missed every time once a
    cluster held more Secrets than it, as the hosts ask in the same order the Ingresses did.)"""
    with _STORED_LOCK:
        stored = _STORED.get(secret)
    if stored is None:
        stored = _stored_secret(secret)
        with _STORED_LOCK:
            _STORED[secret] = stored
    return stored


_STORED: WeakKeyDictionary[SecretObj, StoredSecret] = WeakKeyDictionary()
_STORED_LOCK = threading.Lock()


def _stored_secret(secret: SecretObj) -> StoredSecret:
    cert, key, ca, crl = (secret.get(k) for k in ("tls.crt", "tls.key", "ca.crt", "ca.crl"))
    if cert is not None and key is not None:
        problem = keypair_refusal(cert, key)
        if problem:
            return StoredSecret(error=f"unexpected error creating SSL Cert: {problem}")
        if not ca:  # `len(ca) > 0`: an empty ca.crt is no ca.crt
            return StoredSecret(keypair=True)
        problem = ca_refusal(ca)
        if problem:
            return StoredSecret(error=f"parsing CA certificate: {problem}")
        problem = controller_refusal(crl) if crl else None
        if problem:
            return StoredSecret(error=f"error configuring CRL certificate: {problem}")
        return StoredSecret(keypair=True, ca=True, crl=bool(crl))
    if ca:
        problem = ca_refusal(ca)
        if problem:
            return StoredSecret(error=f"unexpected error creating SSL Cert: {problem}")
        problem = controller_refusal(crl) if crl else None
        if problem:
            return StoredSecret(error=problem)
        return StoredSecret(ca=True, crl=bool(crl))
    if secret.get("auth") is not None:
        return StoredSecret(error="secret is used for authentication")
    return StoredSecret(error=f'secret "{secret.ref}" contains no keypair or CA certificate')


def ca_keypair(secret: SecretObj) -> str | None:
    """The subject of the CA certificate whose private key the Secret holds as its keypair
    (tls.crt a CA, tls.key its key: `kubectl create secret tls NAME --cert=ca.crt --key=ca.key`),
    else None. The controller reads such a Secret as a server keypair; whoever reads it can
    issue client certificates. `openssl req -x509` marks every self-signed certificate CA:TRUE,
    a server's too: one that names a host (a DNS or IP SAN, serverAuth, a CN like a host name)
    is taken for a server's, never for a CA's."""
    cert, key = secret.get("tls.crt"), secret.get("tls.key")
    return _ca_keypair(cert + b"\0" + key) if cert and key else None


_HOST_NAME = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@content_cache(CONTENT_CACHE, CACHED_BYTES)
def _ca_keypair(pair: bytes) -> str | None:
    cert_pem, _, key_pem = pair.partition(b"\0")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None, unsafe_skip_rsa_key_validation=True)
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return None
        names = [e.value for e in cert.extensions if isinstance(e.value, x509.SubjectAlternativeName)]
        usages = [e.value for e in cert.extensions if isinstance(e.value, x509.ExtendedKeyUsage)]
        common = [a.value for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.ExtensionNotFound, x509.InvalidVersion):
        return None
    serves = any(n.get_values_for_type(x509.DNSName) or n.get_values_for_type(x509.IPAddress) for n in names) or any(
        x509.ExtendedKeyUsageOID.SERVER_AUTH in u for u in usages
    )
    if serves or any(isinstance(cn, str) and _HOST_NAME.fullmatch(cn) for cn in common):
        return None
    return cert.subject.rfc4514_string() if key_matches(cert, key) else None  # type: ignore[arg-type]


def client_ca_file(secret: SecretObj, default_certificate: str | None = None) -> bytes | None:
    """The certificates in the file `ssl_client_certificate` names, None when the controller
    writes none. With a keypair, `ConfigureCACertWithCertAndKey` writes tls.crt (and tls.key)
    before ca.crt into that one file, so nginx trusts the server's certificates for clients
    too; the key is left out here: nginx reads only the certificates of that file. The
    --default-ssl-certificate Secret (`default_certificate`) keeps tls.crt alone: `ca_overwritten`."""
    stored = stored_secret(secret)
    if not stored.ca:
        return None
    cert = secret.get("tls.crt") or b""
    if ca_overwritten(secret, default_certificate):
        return cert
    ca = secret.get("ca.crt") or b""
    return cert + b"\n" + ca if stored.keypair else ca


def ca_overwritten(secret: SecretObj, default_certificate: str | None) -> bool:
    """A keypair Secret with ca.crt that is also the controller's --default-ssl-certificate loses
    ca.crt from its CA file (kubernetes/ingress-nginx#8901). controller-v1.15.1
    store/backend_ssl.go getPemCertificate: ConfigureCACertWithCertAndKey writes tls.crt, tls.key
    and ca.crt to `<ns>-<name>.pem`, which is both PemFileName and CAFileName; then `if secretName
    == s.defaultSSLCertificate` StoreSSLCertOnDisk (internal/net/ssl/ssl.go) writes PemCertKey,
    tls.crt and tls.key, to that same path. nginx then trusts tls.crt's certificates, not ca.crt's."""
    if default_certificate is None or secret.ref != default_certificate:
        return False
    stored = stored_secret(secret)
    return stored.keypair and stored.ca
