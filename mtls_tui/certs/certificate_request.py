"""The CA names a TLS server sends in its CertificateRequest: the evidence that it asked
for a client certificate at all, and from which issuers.

nginx fills the list from `ssl_client_certificate`; a load balancer that terminates TLS
in front of the controller sends no CertificateRequest. Pure: a handshake message in,
DER-encoded distinguished names out; malformed bytes give no names, never an exception.
"""

from __future__ import annotations

CERTIFICATE_REQUEST = 13  # HandshakeType certificate_request (RFC 5246 §7.4, RFC 8446 §4)
CERTIFICATE_AUTHORITIES = 47  # the TLS 1.3 extension that carries the names (RFC 8446 §4.2.4)


def _u16(data: bytes, pos: int) -> int:
    if pos + 2 > len(data):
        raise IndexError(pos)
    return int.from_bytes(data[pos : pos + 2], "big")


def _names(data: bytes) -> tuple[bytes, ...]:
    """`DistinguishedName certificate_authorities<..2^16-1>`: a u16 total, then u16-prefixed DNs."""
    total = _u16(data, 0)
    pos, end, names = 2, min(2 + total, len(data)), []
    while pos + 2 <= end:
        size = _u16(data, pos)
        if pos + 2 + size > end:
            break
        names.append(data[pos + 2 : pos + 2 + size])
        pos += 2 + size
    return tuple(names)


def acceptable_ca_names(message: bytes, tls13: bool) -> tuple[bytes, ...]:
    """The DER names in one CertificateRequest message (with its 4-byte handshake header)."""
    try:
        if not message or message[0] != CERTIFICATE_REQUEST:
            return ()
        body = message[4 : 4 + int.from_bytes(message[1:4], "big")]
        if tls13:  # certificate_request_context, then extensions
            pos = 1 + body[0]
            end = pos + 2 + _u16(body, pos)
            pos += 2
            while pos + 4 <= end:
                kind, size = _u16(body, pos), _u16(body, pos + 2)
                if kind == CERTIFICATE_AUTHORITIES:
                    return _names(body[pos + 4 : pos + 4 + size])
                pos += 4 + size
            return ()
        pos = 1 + body[0]  # certificate_types
        pos += 2 + _u16(body, pos)  # supported_signature_algorithms
        return _names(body[pos:])
    except IndexError:
        return ()
