"""A certificate's subject as openssl's `-subj` writes it, so that a re-issued certificate
keeps the whole name (O=, OU=, …), not only its CN: match-CN rules and applications read
the whole DN."""

from __future__ import annotations

import re

from cryptography import x509

SPECIAL = re.compile(r"([\\/+=])")  # what openssl's parse_name reads as syntax: escaped with a backslash


def openssl_subject(dn: str) -> str | None:
    """`/O=Acme/CN=Doe, John` from the RFC 2253 form (`CN=Doe\\, John,O=Acme`); None when a
    part has no name openssl knows (an OID printed in dotted form) or the text does not parse."""
    try:
        name = x509.Name.from_rfc4514_string(dn)
    except (ValueError, TypeError):
        return None
    rdns = []
    for rdn in name.rdns:
        if len(rdn) > 1:  # multi-valued: openssl needs -multivalue-rdn; the CN alone is safer
            return None
        parts = []
        for attribute in rdn:
            label = attribute.rfc4514_attribute_name
            if not re.fullmatch(r"[A-Za-z]+", label) or not isinstance(attribute.value, str):
                return None
            value = SPECIAL.sub(lambda m: "\\" + m.group(1), attribute.value)
            parts.append(f"{label}={value}")
        rdns.append("+".join(parts))
    return "/" + "/".join(rdns) if rdns else None
