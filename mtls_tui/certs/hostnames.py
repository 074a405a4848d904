"""Host names against DNS name patterns: shared by the certificate checks (SAN, CN)
and the controller's choice of a `tls:` entry, which compare names the same way."""

from __future__ import annotations


def name_matches(pattern: str, host: str) -> bool:
    """Exact (case-insensitive, trailing dot ignored), or a `*.` wildcard standing for
    exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern == host:
        return True
    if not pattern.startswith("*.") or "." not in host:
        return False
    return host.split(".", 1)[1] == pattern[2:]
