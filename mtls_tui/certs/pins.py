"""Does a client certificate match Envoy's certificate or SPKI hash lists?

Envoy (source/common/tls/cert_validator/default_validator.cc) hashes the presented certificate's DER
with SHA-256 (verifyCertificateHashList: X509_digest) and its SubjectPublicKeyInfo's DER
(verifyCertificateSpkiList: i2d_X509_PUBKEY, then SHA256), and lets the certificate in when either
matches one entry of its list; when both lists are empty nothing is checked. Entries are written as
hex (colons and either case allowed: Envoy drops the colons before decoding) and as base64 (measured
on Envoy 1.40: tests/test_field_reports_successors_4.py)."""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization

_SHA256 = 32


def _hex(entry: str) -> bytes | None:
    try:
        digest = bytes.fromhex(entry.replace(":", ""))
    except ValueError:
        return None
    return digest if len(digest) == _SHA256 else None


def _base64(entry: str) -> bytes | None:
    try:
        digest = base64.b64decode(entry, validate=True)
    except (binascii.Error, ValueError):
        return None
    return digest if len(digest) == _SHA256 else None


def pin_match(cert: x509.Certificate, certificate: tuple[str, ...], spki: tuple[str, ...]) -> bool | None:
    """True when the certificate matches an entry of either list, False when it matches none; None
    when both lists are empty or an entry is no SHA-256 digest (Envoy's DefaultCertValidator refuses
    such a configuration when it builds the context; not measured here, so not judged)."""
    wanted = [_hex(e) for e in certificate], [_base64(e) for e in spki]
    if not (certificate or spki) or any(d is None for digests in wanted for d in digests):
        return None
    der = cert.public_bytes(serialization.Encoding.DER)
    key = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest() in wanted[0] or hashlib.sha256(key).digest() in wanted[1]
