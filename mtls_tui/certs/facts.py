"""Decode a certificate into `CertFacts`, tolerating every malformed extension.

A certificate that OpenSSL accepts may still carry an extension `cryptography`
cannot parse; such a value is left out rather than failing the whole view.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from mtls_tui.certs import openssl_binding as ob
from mtls_tui.certs.keys import describe_public_key
from mtls_tui.model import CertFacts, SubjectAltNames

EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}

KEY_USAGE_FLAGS = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


def name_to_str(name: x509.Name) -> str:
    """The form nginx puts in `$ssl_client_s_dn` (and matches auth-tls-match-cn against),
    printed by the same OpenSSL call; cryptography's RFC 4514 form if that fails."""
    try:
        return ob.name_rfc2253(name.public_bytes())
    except (ValueError, ob.OpenSSLUnavailable):
        pass
    try:
        return name.rfc4514_string()
    except ValueError:
        return repr(name)


def common_name(name: x509.Name) -> str | None:
    try:
        values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return None
    return str(values[-1].value) if values else None


def _ext(cert: x509.Certificate, kind: type) -> object | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except (x509.ExtensionNotFound, ValueError):
        return None


def _sans(cert: x509.Certificate) -> SubjectAltNames:
    san = _ext(cert, x509.SubjectAlternativeName)
    if not isinstance(san, x509.SubjectAlternativeName):
        return SubjectAltNames()
    return SubjectAltNames(
        dns=tuple(san.get_values_for_type(x509.DNSName)),
        ip=tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress)),
        uri=tuple(san.get_values_for_type(x509.UniformResourceIdentifier)),
        email=tuple(san.get_values_for_type(x509.RFC822Name)),
    )


def _key_usage(cert: x509.Certificate) -> tuple[str, ...]:
    usage = _ext(cert, x509.KeyUsage)
    if not isinstance(usage, x509.KeyUsage):
        return ()
    names = [label for attr, label in KEY_USAGE_FLAGS if getattr(usage, attr)]
    if usage.key_agreement:
        names += [label for attr, label in (("encipher_only", "encipherOnly"), ("decipher_only", "decipherOnly")) if getattr(usage, attr)]
    return tuple(names)


def _eku(cert: x509.Certificate) -> tuple[str, ...]:
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if not isinstance(eku, x509.ExtendedKeyUsage):
        return ()
    return tuple(EKU_NAMES.get(oid, oid.dotted_string) for oid in eku)


def _urls(cert: x509.Certificate) -> tuple[tuple[str, ...], tuple[str, ...]]:
    crl: list[str] = []
    points = _ext(cert, x509.CRLDistributionPoints)
    if isinstance(points, x509.CRLDistributionPoints):
        for point in points:
            crl += [n.value for n in point.full_name or () if isinstance(n, x509.UniformResourceIdentifier)]
    ocsp: list[str] = []
    aia = _ext(cert, x509.AuthorityInformationAccess)
    if isinstance(aia, x509.AuthorityInformationAccess):
        ocsp = [
            d.access_location.value
            for d in aia
            if d.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(d.access_location, x509.UniformResourceIdentifier)
        ]
    return tuple(crl), tuple(ocsp)


def _signature(cert: x509.Certificate) -> tuple[str, str | None]:
    oid = cert.signature_algorithm_oid
    name = getattr(oid, "_name", None) or oid.dotted_string
    try:
        algo = cert.signature_hash_algorithm
    except Exception:  # unsupported hash (e.g. MD2): cryptography raises its own type
        return name, None
    return name, algo.name if algo else None


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # bad signature, unsupported algorithm: not self-signed for us
        return False
    return True


@lru_cache(maxsize=4096)
def cert_facts(cert: x509.Certificate) -> CertFacts:
    """Cached: clusters reuse one CA in many Secrets, and the TUI asks again on every refresh."""
    key_type, key_bits, curve = describe_public_key(cert.public_key())
    sig_name, sig_hash = _signature(cert)
    constraints = _ext(cert, x509.BasicConstraints)
    ski = _ext(cert, x509.SubjectKeyIdentifier)
    aki = _ext(cert, x509.AuthorityKeyIdentifier)
    crl, ocsp = _urls(cert)
    return CertFacts(
        subject=name_to_str(cert.subject),
        subject_cn=common_name(cert.subject),
        issuer=name_to_str(cert.issuer),
        serial=format(cert.serial_number, "X"),
        version=1 if cert.version is x509.Version.v1 else 3,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sans=_sans(cert),
        key_type=key_type,
        key_bits=key_bits,
        key_curve=curve,
        signature_algorithm=sig_name,
        signature_hash=sig_hash,
        is_ca=constraints.ca if isinstance(constraints, x509.BasicConstraints) else None,
        path_length=constraints.path_length if isinstance(constraints, x509.BasicConstraints) else None,
        key_usage=_key_usage(cert),
        extended_key_usage=_eku(cert),
        subject_key_id=ski.digest.hex(":") if isinstance(ski, x509.SubjectKeyIdentifier) else None,
        authority_key_id=(
            aki.key_identifier.hex(":")
            if isinstance(aki, x509.AuthorityKeyIdentifier) and aki.key_identifier
            else None
        ),
        sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        self_signed=_is_self_signed(cert),
        crl_urls=crl,
        ocsp_urls=ocsp,
    )
