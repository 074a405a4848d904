"""Decode a certificate into `CertFacts`, tolerating every malformed extension.

A certificate that OpenSSL accepts may still carry an extension `cryptography`
cannot parse; such a value is left out rather than failing the whole view, and a
part cryptography cannot decode at all (a name with invalid UTF-8, duplicate
extensions, an unknown key algorithm) reads "(could not be read)".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from mtls_tui.certs import openssl_binding as ob
from mtls_tui.certs.keys import describe_public_key
from mtls_tui.errors import OpenSSLUnavailable
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
T = TypeVar("T")


def name_to_str(name: x509.Name) -> str:
    """The form nginx puts in `$ssl_client_s_dn` (and matches auth-tls-match-cn against),
    printed by the same OpenSSL call; cryptography's RFC 4514 form if that fails."""
    try:
        return ob.name_rfc2253(name.public_bytes())
    except (ValueError, OpenSSLUnavailable):
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
    except Exception:  # noqa: BLE001 - not there, malformed (ValueError) or duplicated (DuplicateExtension)
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
        names += [
            label
            for attr, label in (("encipher_only", "encipherOnly"), ("decipher_only", "decipherOnly"))
            if getattr(usage, attr)
        ]
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


UNREADABLE = "(could not be read)"


def _read(read: Callable[[], T], fallback: T) -> T:
    """One part of a certificate, or `fallback` when cryptography cannot decode it: a server's
    certificate (the probe's) reaches us without the loader's check, and one unreadable part
    must not hide the others."""
    try:
        return read()
    except Exception:  # noqa: BLE001 - cryptography raises its own types (DuplicateExtension, UnsupportedAlgorithm, ...)
        return fallback


def _key(cert: x509.Certificate) -> tuple[str, int | None, str | None]:
    try:
        public_key = cert.public_key()
    except Exception as exc:  # noqa: BLE001 - an unknown key algorithm: UnsupportedAlgorithm or ValueError
        return f"{UNREADABLE[:-1]}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__})", None, None
    return describe_public_key(public_key)


def _version(cert: x509.Certificate) -> int:
    try:
        return 1 if cert.version is x509.Version.v1 else 3
    except Exception:  # noqa: BLE001 - x509.InvalidVersion
        return 0


@lru_cache(maxsize=4096)
def cert_facts(cert: x509.Certificate) -> CertFacts:
    """Cached: clusters reuse one CA in many Secrets, and the TUI asks again on every refresh.
    A part that cannot be decoded reads "(could not be read)" (or is left empty); the rest stands."""
    key_type, key_bits, curve = _key(cert)
    unread_signature: tuple[str, str | None] = (UNREADABLE, None)
    sig_name, sig_hash = _read(lambda: _signature(cert), unread_signature)
    constraints = _ext(cert, x509.BasicConstraints)
    ski = _ext(cert, x509.SubjectKeyIdentifier)
    aki = _ext(cert, x509.AuthorityKeyIdentifier)
    no_urls: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    crl, ocsp = _read(lambda: _urls(cert), no_urls)
    epoch = datetime.fromtimestamp(0, UTC)
    return CertFacts(
        subject=_read(lambda: name_to_str(cert.subject), UNREADABLE),
        subject_cn=_read(lambda: common_name(cert.subject), None),
        issuer=_read(lambda: name_to_str(cert.issuer), UNREADABLE),
        serial=_read(lambda: format(cert.serial_number, "X"), UNREADABLE),
        version=_version(cert),
        not_before=_read(lambda: cert.not_valid_before_utc, epoch),
        not_after=_read(lambda: cert.not_valid_after_utc, epoch),
        sans=_read(lambda: _sans(cert), SubjectAltNames()),
        key_type=key_type,
        key_bits=key_bits,
        key_curve=curve,
        signature_algorithm=sig_name,
        signature_hash=sig_hash,
        is_ca=constraints.ca if isinstance(constraints, x509.BasicConstraints) else None,
        path_length=constraints.path_length if isinstance(constraints, x509.BasicConstraints) else None,
        key_usage=_read(lambda: _key_usage(cert), ()),
        extended_key_usage=_read(lambda: _eku(cert), ()),
        subject_key_id=ski.digest.hex(":") if isinstance(ski, x509.SubjectKeyIdentifier) else None,
        authority_key_id=(
            aki.key_identifier.hex(":") if isinstance(aki, x509.AuthorityKeyIdentifier) and aki.key_identifier else None
        ),
        sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
        self_signed=_read(lambda: _is_self_signed(cert), False),
        crl_urls=crl,
        ocsp_urls=ocsp,
    )
