"""Does a client certificate satisfy Envoy's subject-alternative-name matchers?

Envoy (source/common/tls/cert_validator/default_validator.cc matchSubjectAltName) lets a certificate
its CA trusts in when one matcher matches one SAN of the certificate; a certificate without a SAN
extension matches none, and the subject's CN is never looked at. Each matcher has a SAN type and a
StringMatcher (san_matcher.cc StringSanMatcher::match): the SAN must be of that type (an otherName
of that OID), rendered as a string as utility.cc generalNameAsString does, and then
- Exact on a DNS name is Envoy's dnsNameMatch: case-insensitive, and a `*` in the certificate's
  leftmost label stands for that label (`*.meow.com` matches `client.meow.com`);
- Exact on any other type, Prefix and Suffix compare bytes, case-sensitively;
- RegularExpression is RE2 matching the whole SAN (safe_regex: RE2::FullMatch).
Measured on Envoy 1.40 for every one of these (tests/test_successors_san_match.py): DNS, URI, email,
IPv4 and IPv6 (glibc inet_ntop's text: `2001:db8::1`, `::ffff:10.0.0.1`), a UTF8String otherName.

Envoy refuses to load a regex RE2 does not compile, or whose RE2 program is larger than 100
(measured: "RE2 program size of 123 > max program size of 100"): such a matcher is not judged here.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Literal

from cryptography import x509

from mtls_tui.policy.re2_syntax import compile_re2, re2_error

SanType = Literal["DNS", "EMAIL", "URI", "IP_ADDRESS", "OTHER_NAME"]
MatchKind = Literal["Exact", "Prefix", "Suffix", "RegularExpression"]
# Envoy's default re2.max_program_size.error_level (measured on Envoy 1.40: a larger program is refused)
ENVOY_RE2_MAX_PROGRAM = 100
# otherName values that generalNameAsString copies as their bytes: UTF8String, PrintableString, IA5String,
# VisibleString (DER tags); other ASN.1 types are rendered otherwise and not judged here
_STRING_TAGS = frozenset({0x0C, 0x13, 0x16, 0x1A})


@dataclass(frozen=True)
class SanMatcher:
    """One entry of Envoy's match_typed_subject_alt_names."""

    san_type: SanType
    kind: MatchKind
    value: str
    oid: str = ""  # OTHER_NAME only

    def __str__(self) -> str:
        of = f" {self.oid}" if self.oid else ""
        return f"{self.san_type}{of} {self.kind} {self.value}"


@dataclass(frozen=True)
class SanMatchers:
    """The SAN matchers a controller renders, and the objects' name for them (for the findings)."""

    matchers: tuple[SanMatcher, ...]
    fields: str  # "subjectAltNames"


def envoy_dns_match(config: str, san: str) -> bool:
    """utility.cc dnsNameMatch(config, san): equal ignoring ASCII case; or the certificate's name has a
    `*` in its leftmost label only (not an A-label), the other labels are equal, and that label matches
    the config's first label (labelWildcardMatch: `*` alone, or one `*` between a prefix and a suffix)."""
    name, pattern = config.lower(), san.lower()
    if name == pattern:
        return True
    label, dot, rest = name.partition(".")
    wild, wild_dot, wild_rest = pattern.partition(".")
    if not (dot and wild_dot) or "*" not in wild or "*" in wild_rest or wild.startswith("xn--") or rest != wild_rest:
        return False
    if wild == "*":
        return True
    if wild.count("*") != 1:
        return False
    before, after = wild.split("*")
    return len(wild) <= len(label) + 1 and label.startswith(before) and label.endswith(after)


def _as_string(name: x509.GeneralName) -> tuple[SanType, str, str] | None:
    """(type, OID, the string Envoy matches) for one SAN; None: a value Envoy renders otherwise."""
    if isinstance(name, x509.DNSName):
        return "DNS", "", name.value
    if isinstance(name, x509.RFC822Name):
        return "EMAIL", "", name.value
    if isinstance(name, x509.UniformResourceIdentifier):
        return "URI", "", name.value
    if isinstance(name, x509.IPAddress):
        address = name.value
        if isinstance(address, ipaddress.IPv4Address):
            return "IP_ADDRESS", "", str(address)
        if isinstance(address, ipaddress.IPv6Address):  # Envoy's Ipv6Instance text is inet_ntop's
            return "IP_ADDRESS", "", socket.inet_ntop(socket.AF_INET6, address.packed)
        return None
    if isinstance(name, x509.OtherName):
        value = _der_string(name.value)
        return ("OTHER_NAME", name.type_id.dotted_string, value) if value is not None else None
    return None


def _der_string(der: bytes) -> str | None:
    """The text of a DER string of one of _STRING_TAGS (None: another type, or not DER)."""
    if len(der) < 2 or der[0] not in _STRING_TAGS:
        return None
    length, start = der[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, start = int.from_bytes(der[2 : 2 + count], "big"), 2 + count
    body = der[start : start + length]
    return body.decode("utf-8", "surrogateescape") if len(body) == length else None


def _one(matcher: SanMatcher, san: tuple[SanType, str, str]) -> bool | None:
    san_type, oid, value = san
    if san_type != matcher.san_type or (san_type == "OTHER_NAME" and oid != matcher.oid):
        return False
    if matcher.kind == "Exact":
        return envoy_dns_match(matcher.value, value) if san_type == "DNS" else value == matcher.value
    if matcher.kind == "Prefix":
        return value.startswith(matcher.value)
    if matcher.kind == "Suffix":
        return value.endswith(matcher.value)
    if re2_error(matcher.value) is not None:
        return None
    compiled = compile_re2(matcher.value)
    return bool(compiled.fullmatch(value)) if compiled.programsize <= ENVOY_RE2_MAX_PROGRAM else None


def san_strings(cert: x509.Certificate) -> list[tuple[SanType, str, str]]:
    """The certificate's SANs as Envoy matches them: (type, otherName OID, string); [] when it has none
    or they do not parse."""
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return [r for r in map(_as_string, extension) if r is not None]


def san_match(cert: x509.Certificate, matchers: tuple[SanMatcher, ...]) -> bool | None:
    """True when one matcher matches one SAN of `cert`, False when none does; None when that cannot be
    told here: no matchers, a SAN extension that does not parse, a regex Envoy would not load, or an
    otherName of the matcher's OID whose value is not a plain string."""
    if not matchers:
        return None
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    except ValueError:  # malformed or duplicated: not judged
        return None
    rendered = [_as_string(name) for name in extension]
    unknown = any(
        r is None and isinstance(n, x509.OtherName) and any(m.oid == n.type_id.dotted_string for m in matchers)
        for n, r in zip(extension, rendered, strict=True)
    )
    answers = {_one(m, r) for m in matchers for r in rendered if r is not None}
    if True in answers:
        return True
    return None if None in answers or unknown else False
