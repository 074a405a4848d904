"""What Go's crypto/x509 and crypto/tls make of certificate and key bytes, where they differ from a
search for `-----BEGIN` and from OpenSSL.

`x509_keypair_refusal` is `tls.X509KeyPair(certPEMBlock, keyPEMBlock)` (crypto/tls/tls.go), which
ingress-nginx (internal/net/ssl/ssl.go CreateSSLCert), NGINX Gateway Fabric (secrets.go ValidateTLS)
and F5 NGINX Ingress Controller (internal/k8s/secrets/validation.go ValidateTLSSecret) call on a
Secret's tls.crt and tls.key: every block pem.Decode finds in the certificate input (certs/go_pem.py),
the CERTIFICATE ones kept and the others skipped; in the key input, the first block whose type is
`PRIVATE KEY` or ends in ` PRIVATE KEY`, the blocks before it skipped; the first certificate parsed
(x509.ParseCertificate), the key parsed as PKCS#8, else PKCS#1, else SEC1 (parsePrivateKey, whatever
the block's type says), and the two public keys compared. Its words are Go's (Go 1.27 here, held to
it by tests/test_secret_encodings.py through tests/data/go/ca_check.go). No key byte is ever in them.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, x25519

from mtls_tui.certs.go_pem import go_pem_blocks, go_pem_decoded
from mtls_tui.certs.keys import key_matches

NEGATIVE_SERIAL = "x509: negative serial number"  # Go's own words (crypto/x509/parser.go)
# The curves Go's crypto/x509 parses (parser.go namedCurveFromOID): any other fails ParseECPrivateKey
# and ParsePKCS8PrivateKey, so parsePrivateKey fails.
_GO_CURVES = (ec.SECP224R1, ec.SECP256R1, ec.SECP384R1, ec.SECP521R1)
_GO_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)
_GO_PUBLIC = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)


def go_parse_refusal(cert: x509.Certificate) -> str | None:
    """What Go's x509.ParseCertificate refuses that OpenSSL (and this parser) accept. Since Go 1.23
    (crypto/x509/parser.go parseCertificate, `serial.Sign() == -1`) a negative serial number is an
    error unless GODEBUG x509negativeserial=1; ingress-nginx controller-v1.15.1 builds with Go 1.26.1
    (GOLANG_VERSION, go.mod `go 1.26.1`) and sets no GODEBUG, so its store refuses such a certificate
    where nginx would take it. (v1.11.4 was the first release on Go 1.23.) An EC public key on a
    curve Go does not know is refused too (parser.go parsePublicKey, "x509: unsupported elliptic
    curve"; secp256k1 measured with tests/data/go/ca_check.go)."""
    if cert.serial_number < 0:
        return NEGATIVE_SERIAL
    try:
        public = cert.public_key()
    except UnsupportedAlgorithm:
        return None  # a key type Go parses as unknown: ParseCertificate itself passes
    except ValueError:  # a key that does not decode: parsePublicKey fails, and ParseCertificate with it
        if _EC_PUBLIC_KEY in cert.tbs_certificate_bytes:  # ecdsa.ParseUncompressedPublicKey -> nistec SetBytes
            return f"{_curve_of(cert.tbs_certificate_bytes)} point not on curve"  # measured: ca_check.go
        return "x509: malformed certificate"
    if isinstance(public, ec.EllipticCurvePublicKey) and not isinstance(public.curve, _GO_CURVES):
        return "x509: unsupported elliptic curve"
    return None


def go_certificate(der: bytes) -> x509.Certificate | str:
    """x509.ParseCertificate: the certificate, or why Go refuses it."""
    try:
        cert = x509.load_der_x509_certificate(der)
    except (ValueError, x509.InvalidVersion):  # Go's x509.ParseCertificate refuses both
        return "x509: malformed certificate"
    return go_parse_refusal(cert) or cert


def _sequence_length(der: bytes) -> int | None:
    """The length of the DER SEQUENCE that starts `der` (cryptobyte's ReadASN1Element: a minimal
    length of at most four bytes), None when it does not start one."""
    if len(der) < 2 or der[0] != 0x30:
        return None
    if der[1] < 0x80:
        size, head = der[1], 2
    else:
        count = der[1] - 0x80
        if not 1 <= count <= 4 or len(der) < 2 + count or der[2] == 0:
            return None
        size, head = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
        if size < 0x80:
            return None
    return head + size if head + size <= len(der) else None


def go_certificates(der: bytes) -> list[x509.Certificate] | str:
    """x509.ParseCertificates: the certificates of a concatenation of DER certificates (none from
    no bytes at all), or the error of the first that does not parse. A TRUSTED CERTIFICATE's trust
    data after its certificate is read as a second certificate, and fails."""
    found: list[x509.Certificate] = []
    while der:
        size = _sequence_length(der)
        cert = go_certificate(der[:size]) if size is not None else "x509: malformed certificate"
        if isinstance(cert, str):
            return cert
        found.append(cert)
        der = der[size:]
    return found


def append_certs_from_pem(pem: bytes) -> list[x509.Certificate]:
    """What `x509.CertPool.AppendCertsFromPEM` adds (crypto/x509/cert_pool.go): of every block
    pem.Decode finds, those typed CERTIFICATE, without headers, that x509.ParseCertificate takes;
    every other block is skipped without a word. It returns ok when it added one (held to Go by
    tests/test_secret_encodings.py)."""
    return [
        cert
        for block in go_pem_decoded(pem)
        if block.kind == b"CERTIFICATE" and not block.headers
        if not isinstance(cert := go_certificate(block.der), str)
    ]


def _types(kinds: list[bytes]) -> str:
    """A []string as Go's %v prints it."""
    return "[" + " ".join(kind.decode(errors="replace") for kind in kinds) + "]"


def _key_der(key: bytes) -> bytes | str:
    """The first block of the key input whose type ends in PRIVATE KEY, or X509KeyPair's error."""
    skipped: list[bytes] = []
    for kind, der in go_pem_blocks(key):
        if kind == b"PRIVATE KEY" or kind.endswith(b" PRIVATE KEY"):
            return der
        skipped.append(kind)
    if not skipped:
        return "tls: failed to find any PEM data in key input"
    if skipped == [b"CERTIFICATE"]:
        return "tls: found a certificate rather than a key in the PEM for the private key"
    return f'tls: failed to find PEM block with type ending in "PRIVATE KEY" in key input after skipping PEM blocks of the following types: {_types(skipped)}'


def _go_private_key(der: bytes) -> object | str:
    """parsePrivateKey: a key of a type crypto/tls signs with, or why not. An encrypted key (ENCRYPTED
    PRIVATE KEY, or a legacy Proc-Type: 4,ENCRYPTED block) holds no key Go can read."""
    try:
        key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return "tls: failed to parse private key"
    if isinstance(key, x25519.X25519PrivateKey):  # PKCS#8 X25519 parses in Go (crypto/ecdh), signs nothing
        return "tls: found unknown private key type in PKCS#8 wrapping"
    if not isinstance(key, _GO_KEYS) or (
        isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, _GO_CURVES)
    ):
        return "tls: failed to parse private key"  # DSA, Ed448, X448, another curve: x509 parses none
    return key


def x509_keypair_refusal(cert: bytes, key: bytes) -> str | None:
    """tls.X509KeyPair's error on these tls.crt and tls.key bytes, None when it accepts them."""
    blocks = list(go_pem_blocks(cert))
    certificates = [der for kind, der in blocks if kind == b"CERTIFICATE"]
    if not certificates:
        skipped = [kind for kind, _ in blocks]
        if not skipped:
            return "tls: failed to find any PEM data in certificate input"
        if len(skipped) == 1 and skipped[0].endswith(b"PRIVATE KEY"):
            return "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs may have been switched"
        return f'tls: failed to find "CERTIFICATE" PEM block in certificate input after skipping PEM blocks of the following types: {_types(skipped)}'
    key_der = _key_der(key)
    if isinstance(key_der, str):
        return key_der
    leaf = go_certificate(certificates[0])
    if isinstance(leaf, str):
        return leaf
    private = _go_private_key(key_der)
    if isinstance(private, str):
        return private
    try:
        public = leaf.public_key()  # a key that does not decode was refused by go_certificate
    except UnsupportedAlgorithm:  # Go parses the certificate with a nil PublicKey; X509KeyPair's switch refuses
        return "tls: unknown public key algorithm"
    if not isinstance(public, _GO_PUBLIC):
        return "tls: unknown public key algorithm"
    if not isinstance(private, _pair_type(public)):
        return "tls: private key type does not match public key type"
    if not key_matches(leaf, private):  # type: ignore[arg-type]
        return "tls: private key does not match public key"
    return None


_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")  # id-ecPublicKey, as DER
# the named curves' OIDs as DER, and the name nistec's error gives each (crypto/internal/fips140/nistec)
_CURVE_OIDS = {
    bytes.fromhex("06082a8648ce3d030107"): "P256",
    bytes.fromhex("06052b81040022"): "P384",
    bytes.fromhex("06052b81040023"): "P521",
    bytes.fromhex("06052b81040021"): "P224",
}


def _curve_of(tbs: bytes) -> str:
    """The curve a certificate's EC key names, from its TBS bytes (the key itself does not load)."""
    return next((name for oid, name in _CURVE_OIDS.items() if oid in tbs), "EC")


def _pair_type(public: object) -> type:
    if isinstance(public, rsa.RSAPublicKey):
        return rsa.RSAPrivateKey
    if isinstance(public, ec.EllipticCurvePublicKey):
        return ec.EllipticCurvePrivateKey
    return ed25519.Ed25519PrivateKey


# the element after the version INTEGER in each format's DER, and the key class it must hold:
# PKCS#8 PrivateKeyInfo (an AlgorithmIdentifier SEQUENCE), PKCS#1 RSAPrivateKey (the modulus INTEGER),
# SEC1 ECPrivateKey (the key OCTET STRING)
_KEY_FORMATS: dict[str, tuple[str, int, tuple[type, ...]]] = {
    "PRIVATE KEY": ("PKCS8", 0x30, _GO_KEYS + (x25519.X25519PrivateKey,)),
    "RSA PRIVATE KEY": ("PKCS1", 0x02, (rsa.RSAPrivateKey,)),
    "EC PRIVATE KEY": ("EC", 0x04, (ec.EllipticCurvePrivateKey,)),
}


def go_key_format_refusal(kind: str, der: bytes) -> str | None:
    """The format name ("PKCS8", "PKCS1", "EC") when x509.ParsePKCS8PrivateKey, ParsePKCS1PrivateKey or
    ParseECPrivateKey (chosen by the block's type, as Envoy Gateway's tls.go parseCertsFromTLSSecretsData
    does) refuses the bytes; None when it parses them, or for another type. Each wants its own DER
    structure (the element after the version says which), a key Go knows and, for EC, a curve it
    knows. Held to Go by tests/test_successors_server_secrets.py through tests/data/go/ca_check.go."""
    if kind not in _KEY_FORMATS:
        return None
    name, tag, classes = _KEY_FORMATS[kind]
    size = _sequence_length(der)
    head = 2 if len(der) > 1 and der[1] < 0x80 else 2 + (der[1] - 0x80 if len(der) > 1 else 0)
    # the version INTEGER (short form: its length fits one byte), then the next element's tag
    if size != len(der) or len(der) < head + 2 or der[head] != 0x02:
        return name
    following = head + 2 + der[head + 1]
    if following >= len(der) or der[following] != tag:
        return name
    try:
        key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return name
    if not isinstance(key, classes):
        return name
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, _GO_CURVES):
        return name
    return None
