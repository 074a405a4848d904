"""The Secret's `ca.crl`, read twice as it is in production: by ingress-nginx, which
refuses the whole Secret unless the first PEM block is a CRL it can parse
(`ssl.ConfigureCRL`), and by nginx, whose `ssl_crl` loads every CRL in the file."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

# `PEM_BLOCK` is what the regular expression below says, found in linear time. The
# expression alone is quadratic: from every BEGIN line it scans to the end of the data
# for its END line, so 10,000 BEGIN lines without END lines (280 KB) took 11 s.
_PEM_BLOCK_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.S)
# Every place a BEGIN or END line starts, overlapping ones included (a lookahead), in one pass.
_MARKER = re.compile(rb"(?=-----(BEGIN|END) ([A-Z0-9 ]+)-----)")


class _PemBlocks:
    """`finditer` and `search` with the same matches (real `re.Match` objects, same spans
    and groups) as `_PEM_BLOCK_RE`, in time linear in the data: the BEGIN and END lines
    are found once, each BEGIN is paired with the first END of its label after it, and
    the expression is then run only over the span it will match. Everything else is
    the expression's own."""

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self._re = pattern
        self.pattern = pattern.pattern
        self.flags = pattern.flags
        self.groups = pattern.groups

    def finditer(self, data: bytes, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[bytes]]:
        endpos = len(data) if endpos is None else min(endpos, len(data))
        begins: list[tuple[int, int, bytes]] = []  # (start, end of the BEGIN line's dashes, label)
        ends: dict[bytes, list[int]] = {}  # label -> starts of its END lines
        for marker in _MARKER.finditer(data, pos, endpos):
            kind, label = marker.group(1), marker.group(2)
            if kind == b"BEGIN":
                begins.append((marker.start(), marker.start() + 16 + len(label), label))
            else:
                ends.setdefault(label, []).append(marker.start())
        covered = pos
        for start, header_end, label in begins:
            if start < covered:
                continue  # inside the block found last: the expression does not look there
            starts = ends.get(label, ())
            index = bisect.bisect_left(starts, header_end + 1)  # `.+?`: at least one byte between
            if index == len(starts):
                continue  # no END line of this label after it: no block starts here
            match = self._re.match(data, start, starts[index] + 14 + len(label))
            if match is None:  # cannot happen; the expression stays the judge
                continue
            covered = match.end()
            yield match

    def search(self, data: bytes, pos: int = 0, endpos: int | None = None) -> re.Match[bytes] | None:
        return next(self.finditer(data, pos, endpos), None)

    def findall(self, data: bytes, pos: int = 0, endpos: int | None = None) -> list[bytes]:
        return [m.group(1) for m in self.finditer(data, pos, endpos)]

    def __getattr__(self, name: str) -> object:
        return getattr(self._re, name)


PEM_BLOCK = _PemBlocks(_PEM_BLOCK_RE)


def load_crls(data: bytes) -> tuple[x509.CertificateRevocationList, ...]:
    """Every CRL in the file, as `ssl_crl` loads them; blocks that do not parse are left out
    (`controller_refusal` says whether the controller takes the file at all)."""
    crls = []
    for block in PEM_BLOCK.finditer(data):
        if block.group(1) == b"X509 CRL":
            try:
                crls.append(x509.load_pem_x509_crl(block.group(0)))
            except ValueError:
                continue
    return tuple(crls)


def controller_refusal(data: bytes) -> str | None:
    """Why ingress-nginx would refuse this `ca.crl`, or None when it takes it."""
    first = PEM_BLOCK.search(data)
    if first is None:
        return "it holds no PEM block"
    if first.group(1) != b"X509 CRL":
        return f"its first PEM block is {first.group(1).decode()}, not X509 CRL"
    try:
        x509.load_pem_x509_crl(first.group(0))
    except ValueError as exc:
        return f"its first CRL does not parse ({exc})"
    return None


def akid_allows(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool:
    """X509_check_akid as OpenSSL's crl_akid_check asks it: a CRL whose authorityKeyIdentifier
    names another key than the CA's subjectKeyIdentifier is not that CA's (score 0, never chosen)."""
    try:
        akid = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        skid = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except (x509.ExtensionNotFound, ValueError):
        return True
    return akid.key_identifier is None or akid.key_identifier == skid.digest


def signed_by(crl: x509.CertificateRevocationList, ca: x509.Certificate) -> bool | None:
    """Whether `ca`'s key signed `crl` (OpenSSL's check_crl: X509_CRL_verify with the issuer's
    key, else 'CRL signature failure'); None when the key type cannot be checked here."""
    try:
        return crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return None
