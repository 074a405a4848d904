"""Host names against DNS name patterns: shared by the certificate checks (SAN, CN)
and the controller's choice of a `tls:` entry, which compare names the same way."""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.x509.oid import NameOID

from mtls_tui.certs.content_cache import CACHED_BYTES, content_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address | ipaddress.IPv4Network | ipaddress.IPv6Network


def name_matches(pattern: str, host: str) -> bool:
    """Exact (case-insensitive, trailing dot ignored), or a `*.` wildcard standing for
    exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if not pattern.startswith("*.") or "." not in host:
        return False
    return host.split(".", 1)[1] == pattern[2:]


def certificate_covers(pem: bytes, host: str, san_only: bool) -> bool:
    """Whether the first certificate of `pem` names `host`, as ingress-nginx asks: Go's
    `x509.Certificate.VerifyHostname` (SANs only) when `san_only`, else the controller's own
    `verifyHostname` (certificate.go: an IP needs an IP SAN; DNS SANs when there are any,
    otherwise the subject CN)."""
    read = _read(pem)
    if read is None:
        return False
    cert, dns, ips = read
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        return ip in ips
    if dns:
        return any(name_matches(name, host) for name in dns)
    if san_only:
        return False
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return bool(names) and name_matches(str(names[0].value), host)


@content_cache(8192, CACHED_BYTES)
def _read(pem: bytes) -> tuple[x509.Certificate, tuple[str, ...], tuple[IPAddress, ...]] | None:
    """The first certificate with its DNS and IP SANs, None when it does not load. Cached by
    content: one certificate is asked about every host whose Ingress names its Secret."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return cert, tuple(sans.get_values_for_type(x509.DNSName)), tuple(sans.get_values_for_type(x509.IPAddress))
    except (x509.ExtensionNotFound, ValueError):
        return cert, (), ()
