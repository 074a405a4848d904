"""What a controller's own check of a CA value accepts, in pure Python (bytes in, a reason out).

- NGINX Gateway Fabric v2.6.7 internal/controller/state/graph/shared/secrets/secrets.go ValidateCA:
  the value is first base64-decoded when it decodes (else used as is); Go's pem.Decode then takes
  the **first** PEM block, whose type must be CERTIFICATE and which must parse (x509.ParseCertificate).
- Envoy (the data plane of Istio): a trusted CA that holds no certificate it parses is refused when
  the validation context is loaded ("Failed to load trusted CA certificates"); istio/istio 1.30.3
  pilot/pkg/xds/sds.go SecretGen.generate pushes it anyway (ValidateCertificate only logs "invalid
  certificates"), and tests/integration/security/ingress_test.go TestMultiMtlsGateway_InvalidSecret
  ("mtls ingress gateway invalid CA cert") sees the connection reset or EOF.
"""

from __future__ import annotations

import base64
import binascii

from cryptography import x509

from mtls_tui.certs.crl import PEM_BLOCK


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


def ngf_ca_problem(value: bytes) -> str | None:
    """ValidateCA's error for `value`, None when NGINX Gateway Fabric accepts it."""
    data = ngf_decoded(value)
    first = PEM_BLOCK.search(data)
    if first is None:
        return 'the data field "ca.crt" must hold a valid CERTIFICATE PEM block'
    label = first.group(1)
    if label != b"CERTIFICATE":
        return f'the data field "ca.crt" must hold a valid CERTIFICATE PEM block, but got "{label.decode(errors="replace")}"'
    if block_certificate(first.group(0)) is None:
        return "failed to validate certificate"
    return None


def parsable_certificates(value: bytes) -> int:
    """How many CERTIFICATE blocks of `value` parse: 0 means a data plane has no CA to load."""
    count = 0
    for match in PEM_BLOCK.finditer(value):
        if match.group(1) == b"CERTIFICATE" and block_certificate(match.group(0)) is not None:
            count += 1
    return count
