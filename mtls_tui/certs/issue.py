"""Issue the workshop's certificates with `cryptography` instead of the openssl CLI.

The lab and the tests need the seed's PKI (CA, server, client) in the exact shape the
seed's openssl commands give it — the leaves are X.509 v1 with no extensions — and
variants the seed never makes: v3 with SAN and EKU, intermediates, expired
certificates, another CA.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mtls_tui.certs.keys import PrivateKey

EKU_BY_NAME = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "codeSigning": ExtendedKeyUsageOID.CODE_SIGNING,
    "emailProtection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
}

HASHES: dict[str, type[hashes.SHA256 | hashes.SHA384]] = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key. `repr` never shows the key."""

    cert: x509.Certificate
    key: PrivateKey = field(repr=False)

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def new_key(kind: str = "rsa", bits: int = 2048) -> PrivateKey:
    """RSA by default (as the seed); `ec` gives P-256, quicker for large test PKIs."""
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key kind {kind!r} (use rsa or ec)")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _window(days: int, not_before: datetime | None) -> tuple[datetime, datetime]:
    start = not_before or datetime.now(UTC) - timedelta(minutes=5)
    return start, start + timedelta(days=days)


def issue_ca(
    cn: str = "Fern Cert Authority",
    *,
    key: PrivateKey | None = None,
    days: int = 356,
    not_before: datetime | None = None,
    hash_name: str = "sha256",
) -> Issued:
    """A self-signed root as `openssl req -x509` makes it (v3, CA:TRUE, SKI/AKI)."""
    key = key or new_key()
    start, end = _window(days, not_before)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder(
            issuer_name=_name(cn),
            subject_name=_name(cn),
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            not_valid_before=start,
            not_valid_after=end,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    return Issued(builder.sign(key, HASHES[hash_name]()), key)


CA_KEY_USAGE = x509.KeyUsage(  # the intermediates': may sign certificates and CRLs
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def issue_intermediate(
    cn: str,
    issuer: Issued,
    *,
    key: PrivateKey | None = None,
    days: int = 356,
    not_before: datetime | None = None,
) -> Issued:
    """A v3 intermediate CA (CA:TRUE, keyCertSign) signed by `issuer`."""
    key = key or new_key()
    start, end = _window(days, not_before)
    builder = (
        x509.CertificateBuilder(
            issuer_name=issuer.cert.subject,
            subject_name=_name(cn),
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            not_valid_before=start,
            not_valid_after=end,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(CA_KEY_USAGE, critical=True)
    )
    return Issued(builder.sign(issuer.key, hashes.SHA256()), key)


def _san(names: Iterable[str | x509.GeneralName]) -> x509.SubjectAlternativeName:
    """Strings are IP addresses or DNS names; a GeneralName (a URI, an email, an otherName) is taken as is."""
    general: list[x509.GeneralName] = []
    for name in names:
        if isinstance(name, x509.GeneralName):
            general.append(name)
            continue
        try:
            general.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            general.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(general)


def issue_leaf(
    cn: str,
    issuer: Issued,
    *,
    serial: int | None = None,
    key: PrivateKey | None = None,
    days: int = 365,
    not_before: datetime | None = None,
    v1: bool = True,
    sans: Iterable[str | x509.GeneralName] = (),
    eku: Iterable[str] = (),
    hash_name: str = "sha256",
) -> Issued:
    """A server or client certificate.

    `v1=True` is the seed's `openssl x509 -req` output: version 1, no extensions at
    all (so `sans` and `eku` must be empty). `v1=False` gives v3 with the SANs and
    EKUs asked for, plus SKI/AKI as openssl's defaults add them.
    """
    key = key or new_key()
    start, end = _window(days, not_before)
    sans, eku = tuple(sans), tuple(eku)
    builder = x509.CertificateBuilder(
        issuer_name=issuer.cert.subject,
        subject_name=_name(cn),
        public_key=key.public_key(),
        serial_number=serial or x509.random_serial_number(),
        not_valid_before=start,
        not_valid_after=end,
    )
    if v1:
        if sans or eku:
            raise ValueError("an X.509 v1 certificate has no extensions: drop sans/eku or use v1=False")
        # cryptography has no public switch for v1; its builder honours this field.
        builder._version = x509.Version.v1
    else:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        ).add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
        if sans:
            builder = builder.add_extension(_san(sans), critical=False)
        if eku:
            builder = builder.add_extension(x509.ExtendedKeyUsage([EKU_BY_NAME[e] for e in eku]), critical=False)
    cert = builder.sign(issuer.key, HASHES[hash_name]())
    if v1 and cert.version is not x509.Version.v1:
        raise RuntimeError("this cryptography release cannot write X.509 v1 certificates")
    return Issued(cert, key)


def issue_crl(
    issuer: Issued,
    revoked: Iterable[x509.Certificate | int] = (),
    *,
    last_update: datetime | None = None,
    days: float = 30,
    signer: Issued | None = None,
) -> bytes:
    """A PEM CRL of `issuer` listing `revoked` (certificates, or serial numbers from another CRL);
    a past `last_update` with few `days` makes a stale one, another `signer` a forged one."""
    start = last_update or datetime.now(UTC) - timedelta(hours=1)
    builder = x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
    builder = builder.last_update(start).next_update(start + timedelta(days=days))
    for cert in revoked:
        serial = cert if isinstance(cert, int) else cert.serial_number
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(start).build()
        )
    return builder.sign((signer or issuer).key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


FAKE_CERT_CN = "Kubernetes Ingress Controller Fake Certificate"


def issue_fake_certificate() -> Issued:
    """The certificate ingress-nginx serves for hosts without a usable `tls:` entry."""
    key = new_key("ec")
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Co"),
            x509.NameAttribute(NameOID.COMMON_NAME, FAKE_CERT_CN),
        ]
    )
    start, end = _window(365, None)
    builder = (
        x509.CertificateBuilder(
            issuer_name=name,
            subject_name=name,
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            not_valid_before=start,
            not_valid_after=end,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("ingress.local")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    return Issued(builder.sign(key, hashes.SHA256()), key)
