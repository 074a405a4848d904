"""An Istio Gateway (networking.istio.io) without a `selector`, or with an empty one: istio/istio 1.30.3
pilot/pkg/model/push_context.go mergeGateways ("no selector. Applies to all workloads asking for the
gateway": `gw.GetSelector() == nil`) and pkg/config/labels/instance.go SubsetOf (an empty selector is a
subset of any labels) give it to every gateway proxy, each reading credentialName in its own namespace
(pilot/pkg/xds/sds.go SecretGen.generate, pilot/pkg/model/credentials/resource.go ParseResourceName).
Before, the tool matched no workload for such a Gateway (`bool(selector) and ...`), assumed istio-system
and called the host unverified (gateway-workload-not-found) although the proxy was among the objects.
A gateway proxy is a pod running `pilot-agent proxy router` (manifests/charts/istio-control/istio-discovery/
files/gateway-injection-template.yaml, kube-gateway.yaml) or asking the `gateway` injection template
(manifests/charts/gateway/values.yaml podAnnotations).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mtls_tui.model import KubeResource
from mtls_tui.policy.kube_objects import resource_from, snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, predict
from mtls_tui.policy.successors.istio import is_gateway_proxy
from tests.test_field_reports_successors import deployment
from tests.test_field_reports_successors_2 import ingress_gateway, istio_gateway, read_cluster, verdict
from tests.upstream_objects import server_secret


def selectorless(selector: dict[str, Any] | None) -> dict[str, Any]:
    """#41794's Gateway in app1, MUTUAL with credential app1-credential, its selector replaced."""
    gateway = istio_gateway("app1", "app1", {"mode": "MUTUAL", "credentialName": "app1-credential"})
    spec = {k: v for k, v in gateway["spec"].items() if k != "selector"}
    return {**gateway, "spec": spec if selector is None else {**spec, "selector": selector}}


def read(docs: list[dict[str, Any]]) -> ClientValidation:
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return validation


def chart_proxy(namespace: str) -> dict[str, Any]:
    """The gateway chart's Deployment: container `istio-proxy`, image `auto`, no args of its own; the
    webhook renders it from the `gateway` injection template the pod asks for by annotation."""
    made = deployment("gw", namespace, {"app": "gw", "istio": "gw"}, "auto", [])
    template = made["spec"]["template"]
    template["metadata"]["annotations"] = {"inject.istio.io/templates": "gateway"}
    return made


@pytest.mark.parametrize("selector", [None, {}])
def test_a_gateway_without_selector_reads_the_credential_where_the_proxy_runs(selector: dict[str, Any] | None) -> None:
    """The proxy runs in `ingress` and the Secret is there: verified (ca.crt read), no warning; the
    evidence says the Gateway applies to every gateway proxy. With the Secret in app1 only, the proxy's
    namespace lacks it: ca-ref-not-found, connections closed (as with a selector, I3/I13)."""
    docs = [ingress_gateway("ingress"), server_secret("app1-credential", "ingress", **{"ca.crt": "ca"})]
    served = read([*docs, selectorless(selector)])
    assert (served.mode, served.breakage, served.ca_refs, served.unseen) == (
        "require-and-verify",
        None,
        ("Secret ingress/app1-credential key ca.crt",),
        (),
    )
    assert not [f for f in served.findings if f.severity.value != "info"], served.findings
    assert any(
        "no selector" in line and "Deployment ingress/istio-ingressgateway" in line for line in served.decided_by
    )
    assert str(predict(served, "none")) == "TLS alert 116 after the handshake"
    wrong = read([ingress_gateway("ingress"), server_secret("app1-credential", "app1"), selectorless(selector)])
    assert (wrong.breakage, [f.code for f in wrong.findings]) == ("connection-closed", ["ca-ref-not-found"])
    assert "ingress/app1-credential" in wrong.findings[0].title


def test_every_gateway_proxy_needs_the_credential() -> None:
    """Two gateway proxies, in `ingress` and `istio-system`; the Secret only in `ingress`: the proxy in
    istio-system serves the Gateway too and has no certificate or CA for it, so its clients' connections are
    closed. The finding names istio-system's missing Secret and lists both proxies; with the Secret in both
    namespaces the host is served."""
    proxies = [ingress_gateway("ingress"), ingress_gateway("istio-system")]
    half = read([*proxies, server_secret("app1-credential", "ingress", **{"ca.crt": "ca"}), selectorless(None)])
    assert (half.breakage, [f.code for f in half.findings]) == ("connection-closed", ["ca-ref-not-found"])
    (finding,) = half.findings
    assert "istio-system/app1-credential" in finding.title
    assert any(
        "Deployment ingress/istio-ingressgateway" in line and "Deployment istio-system/istio-ingressgateway" in line
        for line in finding.evidence
    )
    both = [server_secret("app1-credential", ns, **{"ca.crt": "ca"}) for ns in ("ingress", "istio-system")]
    assert read([*proxies, *both, selectorless(None)]).breakage is None


def test_only_gateway_proxies_take_a_selectorless_gateway() -> None:
    """An application's Deployment (a sidecar-injected app: no `router`) is not a gateway proxy; the
    chart's Deployment (injection template `gateway`) is. With only the app, where the proxy runs is not
    known: the warning of I14, not a verdict on a guess."""
    app = deployment("echo", "app1", {"app": "echo"}, "echo:1", ["serve"])
    assert not is_gateway_proxy(resource(app)) and is_gateway_proxy(resource(chart_proxy("gw")))
    assert is_gateway_proxy(resource(ingress_gateway("ingress")))
    unknown = read([app, server_secret("app1-credential", "app1", **{"ca.crt": "ca"}), selectorless(None)])
    assert [f.code for f in unknown.findings] == ["gateway-workload-not-found"] and unknown.unseen
    assert "every gateway proxy" in unknown.findings[0].detail
    charted = read([chart_proxy("gw"), server_secret("app1-credential", "gw", **{"ca.crt": "ca"}), selectorless(None)])
    assert (charted.breakage, charted.ca_refs) == (None, ("Secret gw/app1-credential key ca.crt",))


def resource(doc: dict[str, Any]) -> KubeResource:
    made = resource_from(doc)
    assert made is not None
    return made


def test_the_cluster_finds_the_proxy_of_a_selectorless_gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the lab's API server: the source lists the Deployments for a Gateway without a selector too, keeps
    the gateway proxies, and fetches the credential in their namespace: the verdict is the files'."""
    docs = [
        ingress_gateway("ingress"),
        server_secret("app1-credential", "ingress", **{"ca.crt": "ca"}),
        selectorless(None),
    ]
    cluster = client_validations(read_cluster(docs, tmp_path, monkeypatch))
    assert [verdict(v) for v in cluster] == [verdict(read(docs))]
    assert cluster[0].ca_refs == ("Secret ingress/app1-credential key ca.crt",)
