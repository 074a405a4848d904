"""What a controller's own check of a CA value accepts, in pure Python (bytes in, a reason out).

- NGINX Gateway Fabric v2.6.7 internal/controller/state/graph/shared/secrets/secrets.go ValidateCA:
  the value is first base64-decoded when it decodes (else used as is); Go's pem.Decode then takes
  the **first** PEM block, whose type must be CERTIFICATE and which must parse (x509.ParseCertificate).
  F5 NGINX Ingress Controller v5.5.4 internal/k8s/secrets/validation.go ValidateCASecret makes the
  same three checks on ca.crt as it is (`first_block_refusal`). Both find that block by Go's rules
  (certs/go_pem.py): a BOM or an indent before BEGIN hides it, measured by tests/test_secret_encodings.py.
- Envoy (the data plane of Istio): a trusted CA that holds no certificate it parses is refused when
  the validation context is loaded ("Failed to load trusted CA certificates"); istio/istio 1.30.3
  pilot/pkg/xds/sds.go SecretGen.generate pushes it anyway (ValidateCertificate only logs "invalid
  certificates"), and tests/integration/security/ingress_test.go TestMultiMtlsGateway_InvalidSecret
  ("mtls ingress gateway invalid CA cert") sees the connection reset or EOF.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Literal

from cryptography import x509

from mtls_tui.certs.crl import PEM_BLOCK
from mtls_tui.certs.go_pem import go_pem_blocks
from mtls_tui.certs.go_x509 import go_certificate

FirstBlockProblem = Literal["no-block", "not-certificate", "unparsable"]


def block_der(block: bytes) -> bytes | None:
    """The bytes of one PEM block, whatever its label (Go's pem.Decode); None when they do not decode."""
    body = b"".join(line for line in block.splitlines() if line and not line.startswith(b"-----"))
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None


def block_certificate(block: bytes) -> x509.Certificate | None:
    """The certificate one PEM block holds, None when it holds none that parses."""
    der = block_der(block)
    try:
        return None if der is None else x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def ngf_decoded(value: bytes) -> bytes:
    """A CA value as NGINX Gateway Fabric reads it (ValidateCA; dataplane/configuration.go
    getCertRefBundleData, which gives nginx the result): base64-decoded when Go's
    base64.StdEncoding.Decode takes it (it skips \\r and \\n), else as it is."""
    try:
        decoded = base64.b64decode(value.replace(b"\r", b"").replace(b"\n", b""), validate=True)
    except (binascii.Error, ValueError):
        return value
    return decoded if decoded else value


def first_block_refusal(data: bytes) -> tuple[FirstBlockProblem, str] | None:
    """`block, _ := pem.Decode(data)`, then `block.Type != "CERTIFICATE"`, then x509.ParseCertificate:
    None when all pass, else which failed, with the block's type or Go's parse error."""
    first = next(go_pem_blocks(data), None)
    if first is None:
        return "no-block", ""
    kind, der = first
    if kind != b"CERTIFICATE":
        return "not-certificate", kind.decode(errors="replace")
    cert = go_certificate(der)
    return ("unparsable", cert) if isinstance(cert, str) else None


def _validate_ca_input(value: bytes) -> bytes:
    """What ValidateCA hands pem.Decode: `make([]byte, base64.StdEncoding.DecodedLen(len(caData)))`
    then Decode into it, the whole buffer kept (unlike getCertRefBundleData, which cuts it to `n`):
    the decoded bytes followed by zero bytes, one for each \r or \n skipped and padding character.
    A PEM whose END line has no line break of its own is then followed by zeros on that line, which
    pem.Decode does not take for trailing white space (measured: tests/test_secret_encodings.py)."""
    decoded = ngf_decoded(value)
    if decoded is value:
        return value
    return decoded + bytes(len(value) // 4 * 3 - len(decoded))


def ngf_ca_problem(value: bytes) -> str | None:
    """ValidateCA's error for `value`, None when NGINX Gateway Fabric accepts it."""
    found = first_block_refusal(_validate_ca_input(value))
    if found is None:
        return None
    problem, detail = found
    if problem == "no-block":
        return 'the data field "ca.crt" must hold a valid CERTIFICATE PEM block'
    if problem == "not-certificate":  # Go's %q
        return f'the data field "ca.crt" must hold a valid CERTIFICATE PEM block, but got {json.dumps(detail)}'
    return f"failed to validate certificate: {detail}"


def parsable_certificates(value: bytes) -> int:
    """How many CERTIFICATE blocks of `value` parse: 0 means a data plane has no CA to load."""
    count = 0
    for match in PEM_BLOCK.finditer(value):
        if match.group(1) == b"CERTIFICATE" and block_certificate(match.group(0)) is not None:
            count += 1
    return count


def glued_junction(parts: list[bytes | None]) -> int | None:
    """Where a raw join of `parts` (None: a part not read) puts a PEM END marker and the next BEGIN
    marker on one line: the index of the part whose last line runs on, None when none does. Envoy's
    PEM reader (BoringSSL PEM_X509_INFO_read_bio, default_validator.cc parseCaCertList/parseCrlList)
    then refuses the whole value: "Failed to load trusted CA certificates" / "Failed to load CRL"
    (measured on Envoy 1.40: a part ending in "-----", in trailing spaces or in a bare \\r before the
    next BEGIN; a \\r\\n ends the line). tests/test_envoy_gateway_crl_chain.py."""
    for n, (part, following) in enumerate(zip(parts, parts[1:], strict=False)):
        if part is None or following is None:
            continue
        if b"-----END " in part.rsplit(b"\n", 1)[-1] and b"-----BEGIN " in following.split(b"\n", 1)[0]:
            return n
    return None
