"""The Secret's `ca.crl`, read twice as it is in production: by ingress-nginx, which
refuses the whole Secret unless the first PEM block is a CRL it can parse
(`ssl.ConfigureCRL`), and by nginx, whose `ssl_crl` loads every CRL in the file."""

from __future__ import annotations

import re

from cryptography import x509

PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.S)


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
