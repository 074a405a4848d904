"""Whether nginx can load a PEM file of CA certificates, decided as OpenSSL reads it.

nginx's `ssl_client_certificate FILE` calls SSL_CTX_load_verify_locations (ngx_ssl_client_certificate),
which reads the file with X509_load_cert_crl_file: PEM_X509_INFO_read_bio over every PEM block
(OpenSSL 3 crypto/pem/pem_lib.c get_name, get_header_and_data; crypto/pem/pem_info.c). A file it
cannot read stops `nginx -t` and the reload with `[emerg] SSL_CTX_load_verify_locations(...) failed`
(nginx 1.22) or `cannot load certificate ...` (newer nginx). A controller that writes such a file
(NGINX Gateway Fabric joins its CA objects into one bundle with no separator) gets its whole
configuration refused.

The rules, each measured on the Debian nginx 1.22.1 / OpenSSL 3 here (tests/test_ngf_frontend_more.py):
- lines before and between blocks that are not a BEGIN line are skipped (`invalid` above a certificate
  loads); a BEGIN line must start the line and end with `-----` after trailing white space is cut
  (`invalid-----BEGIN CERTIFICATE-----` is no start: nothing is found);
- inside a block the first line starting `-----END ` must be `-----END NAME-----` exactly, else the
  file is refused (`bad end line`: two certificates joined without a newline);
- a CERTIFICATE (or X509 CERTIFICATE) or X509 CRL block must decode and parse (a broken block
  anywhere refuses the file, even after a good one); blocks of other labels are skipped (a private key
  after the certificate loads; OpenSSL parses key blocks too, here only their base64 is checked);
- the file must hold at least one certificate or CRL (an empty file: `no certificate or crl found`).
A blank line inside a block's base64, headers (`Proc-Type:`), TRUSTED CERTIFICATE blocks and lines
longer than OpenSSL's 255-byte buffer are not modelled: such a file is reported as not checked.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography import x509

_BEGIN, _END, _TAIL = b"-----BEGIN ", b"-----END ", b"-----"
_CERTIFICATE = (b"CERTIFICATE", b"X509 CERTIFICATE")
_CRL = b"X509 CRL"


def _line(raw: bytes) -> bytes:
    """sanitize_line with PEM_FLAG_EAY_COMPATIBLE: trailing bytes up to the space are cut."""
    end = len(raw)
    while end and raw[end - 1] <= 0x20:
        end -= 1
    return raw[:end]


def _parses(label: bytes, der: bytes) -> bool:
    try:
        if label in _CERTIFICATE:
            x509.load_der_x509_certificate(der)
        elif label == _CRL:
            x509.load_der_x509_crl(der)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class PemLoad:
    """What OpenSSL makes of a CA file: `problem` why it refuses it (None: it loads); `checked`
    False where the file holds something the rules above do not cover (then `problem` is None)."""

    problem: str | None
    checked: bool = True


def load_ca_file(data: bytes) -> PemLoad:
    """X509_load_cert_crl_file's verdict on `data`, as nginx's ssl_client_certificate meets it."""
    problem = _problem(data)
    if problem == _UNMODELLED:
        return PemLoad(None, checked=False)
    return PemLoad(problem)


_UNMODELLED = "unmodelled"


def _problem(data: bytes) -> str | None:
    lines = [_line(raw) for raw in data.split(b"\n")]
    found = 0
    label: bytes | None = None
    body: list[bytes] = []
    for line in lines:
        if label is None:
            if line.startswith(_BEGIN) and line.endswith(_TAIL) and len(line) >= len(_BEGIN) + len(_TAIL):
                label, body = line[len(_BEGIN) : -len(_TAIL)], []
            continue
        if line.startswith(_END):
            if line != _END + label + _TAIL:
                return f"bad end line in a {label.decode(errors='replace')} block"
            try:
                der = base64.b64decode(b"".join(body), validate=True)
            except (binascii.Error, ValueError):
                return f"a {label.decode(errors='replace')} block does not decode (bad base64)"
            if not _parses(label, der):
                return f"a {label.decode(errors='replace')} block does not parse"
            found += label in (*_CERTIFICATE, _CRL)
            label = None
            continue
        if not line or b":" in line or label == b"TRUSTED CERTIFICATE" or len(line) > 254:
            return _UNMODELLED
        body.append(line)
    if label is not None:
        return f"a {label.decode(errors='replace')} block has no end line"
    return None if found else "no certificate or crl found"
