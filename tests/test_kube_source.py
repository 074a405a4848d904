"""Reading the lab's API server with the real Kubernetes client: `check` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mtls_tui.cli import main
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.sources.kube import KubeSource, list_contexts


@pytest.fixture()
def cluster(pki: SeedPki, tmp_path: Path):
    with LabCluster(seed_objects(pki)) as lab:
        yield lab, str(lab.write_kubeconfig(tmp_path / "kubeconfig"))


def check_json(capsys, kubeconfig: str, *extra: str) -> tuple[int, dict]:
    code = main(["check", "--kubeconfig", kubeconfig, "--no-probe", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_seed_objects_in_v1_have_no_error(cluster, capsys) -> None:
    _, kubeconfig = cluster
    code, report = check_json(capsys, kubeconfig)
    [host] = report["hosts"]
    assert host["host"] == "meow.com" and host["controller"] == "ingress-nginx/ingress-nginx-controller"
    assert [f for f in host["findings"] if f["severity"] == "error"] == [] and code == 0
    assert report["source"] == "context mtls-lab"


def test_snapshot_reads_only_referenced_secrets(cluster, pki: SeedPki) -> None:
    lab, kubeconfig = cluster
    lab.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "unrelated", "namespace": "default"},
            "data": {"password": "c2VjcmV0"},
        }
    )
    source = KubeSource(kubeconfig=kubeconfig)
    try:
        snapshot = source.snapshot()
    finally:
        source.close()
    assert [s.ref for s in snapshot.secrets] == ["default/my-certs"]
    assert len(snapshot.controllers[0].pods) == 2
    assert list_contexts(kubeconfig).names == ("mtls-lab",)


def test_forbidden_secrets_still_report_the_rest(cluster, capsys) -> None:
    lab, kubeconfig = cluster
    lab.forbid("get", "secrets")
    lab.apply(
        meow_ingress(
            {
                "nginx.ingress.kubernetes.io/auth-tls-secret": "default/my-certs",
                "nginx.ingress.kubernetes.io/auth-tls-verify-client": "required",
            }
        )
    )
    _, report = check_json(capsys, kubeconfig)
    findings = {f["code"]: f for f in report["findings"]}
    assert (
        "forbidden" in findings["secret-forbidden"]["detail"]
        and "namespace default" in findings["secret-forbidden"]["detail"]
    )
    assert "get secrets" in findings["secret-forbidden"]["detail"]
    assert (
        "becomes" in findings["annotation-invalid-value"]["title"]
        or "uses 'on'" in findings["annotation-invalid-value"]["title"]
    )
    assert report["hosts"][0]["policy"]["verify_client"] == "on"


def test_unreachable_api_is_one_line(tmp_path: Path, cluster) -> None:
    lab, kubeconfig = cluster
    lab.stop()
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--kubeconfig", kubeconfig, "--no-probe"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "cannot reach the API server" in out.stderr


def test_unauthorized_is_one_line(tmp_path: Path, cluster) -> None:
    import yaml

    _, kubeconfig = cluster
    config = yaml.safe_load(Path(kubeconfig).read_text())
    del config["users"][0]["user"]["client-certificate-data"]
    del config["users"][0]["user"]["client-key-data"]
    (tmp_path / "anonymous").write_text(yaml.safe_dump(config))
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--kubeconfig", str(tmp_path / "anonymous"), "--no-probe"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Unauthorized" in out.stderr, out.stderr


def test_unknown_context_is_one_line(cluster) -> None:
    _, kubeconfig = cluster
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--kubeconfig", kubeconfig, "--context", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "contexts: mtls-lab" in out.stderr and "Traceback" not in out.stderr


def test_pages_not_one_request_per_ingress(pki: SeedPki, tmp_path: Path) -> None:
    ingresses = [meow_ingress(name=f"ing-{i}", host=f"h{i}.example") for i in range(1200)]
    with LabCluster(seed_objects(pki) + ingresses) as lab:
        source = KubeSource(kubeconfig=str(lab.write_kubeconfig(tmp_path / "kubeconfig")))
        try:
            snapshot = source.snapshot()
        finally:
            source.close()
        calls = source.requests
    assert len(snapshot.ingresses) == 1201
    assert calls.count("list_ingress_for_all_namespaces") == 3  # 500 a page
    assert calls.count("read_namespaced_secret") == 1


def test_many_secrets_are_listed_in_pages_or_read_one_by_one(pki: SeedPki, tmp_path: Path) -> None:
    from mtls_tui.lab.pki import secret_manifest

    objects = seed_objects(pki)
    for i in range(30):
        objects.append(secret_manifest(pki, name=f"certs-{i}"))
        objects.append(
            meow_ingress(
                {"nginx.ingress.kubernetes.io/auth-tls-secret": f"default/certs-{i}"},
                name=f"ing-{i}",
                host=f"h{i}.example",
            )
        )
    objects.append(
        meow_ingress(
            {"nginx.ingress.kubernetes.io/auth-tls-secret": "default/gone"}, name="ing-gone", host="gone.example"
        )
    )
    with LabCluster(objects) as lab:
        kubeconfig = str(lab.write_kubeconfig(tmp_path / "kubeconfig"))
        for forbid_list, expected in (
            (False, {"list_secret_for_all_namespaces": 1}),
            (True, {"read_namespaced_secret": 32}),
        ):
            if forbid_list:
                lab.forbid("list", "secrets")
            source = KubeSource(kubeconfig=kubeconfig)
            try:
                snapshot = source.snapshot()
            finally:
                source.close()
            calls = source.requests
            name, count = next(iter(expected.items()))
            assert calls.count(name) == count, calls
            assert len(snapshot.secrets) == 31 and [p.ref for p in snapshot.secret_problems] == ["default/gone"]


def test_an_empty_namespace_says_which(cluster, capsys) -> None:
    """`-n typo` finds nothing: say where we looked, so a misspelt namespace is not read as 'all fine'."""
    _, kubeconfig = cluster
    code = main(["check", "--kubeconfig", kubeconfig, "--no-probe", "-n", "typo"])
    out = capsys.readouterr().out
    assert code == 0 and "namespace typo" in out and "misspelt" in out


def test_api_server_requests_grow_with_pages_only(
    pki: SeedPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted by the API server itself: a snapshot costs a fixed set of requests plus one per
    page of Ingresses and one per page of Secrets, however many objects the pages hold."""
    from mtls_tui.lab.pki import secret_manifest
    from mtls_tui.sources import kube

    monkeypatch.setattr(kube, "PAGE", 10)
    served, pages = {}, {}
    for mtls in (25, 75):  # more than GET_LIMIT referenced Secrets: they are listed, not read one by one
        objects = seed_objects(pki)
        for i in range(mtls):
            objects.append(secret_manifest(pki, name=f"certs-{i}"))
            objects.append(
                meow_ingress(
                    {"nginx.ingress.kubernetes.io/auth-tls-secret": f"default/certs-{i}"},
                    name=f"ing-{i}",
                    host=f"h{i}.example",
                )
            )
        with LabCluster(objects) as lab:
            before = lab.requests
            source = KubeSource(kubeconfig=str(lab.write_kubeconfig(tmp_path / f"kubeconfig-{mtls}")))
            try:
                snapshot = source.snapshot()
            finally:
                source.close()
            served[mtls] = lab.requests - before
            pages[mtls] = {
                "GET /apis/networking.k8s.io/v1/ingresses": -(-len(lab.objects("Ingress")) // 10),
                "GET /api/v1/secrets": -(-len(lab.objects("Secret")) // 10),
            }
        assert len(snapshot.secrets) == mtls + 1
        for path, count in pages[mtls].items():
            assert served[mtls][path] == count, (path, served[mtls])
    assert pages[75] != pages[25]
    fixed = {size: served[size] - Counter(pages[size]) for size in served}
    assert fixed[25] == fixed[75], fixed
    # IngressClasses, Deployments, Pods, Events, the controller's ConfigMap (--configmap) and the Services of
    # its namespace (its load balancer); discovery and one LIST per successor kind the lab serves
    # (ReferenceGrant: v1 answers 404 there, v1beta1 is read)
    assert set(fixed[25]) == {
        "GET /api/v1/namespaces/ingress-nginx/configmaps/ingress-nginx-controller",
        "GET /api/v1/namespaces/ingress-nginx/services",
        "GET /apis/networking.k8s.io/v1/ingressclasses",
        "GET /apis/apps/v1/deployments",
        "GET /api/v1/pods",
        "GET /api/v1/events",
        "GET /apis",
        "GET /apis/gateway.networking.k8s.io/v1/gatewayclasses",
        "GET /apis/gateway.networking.k8s.io/v1/gateways",
        "GET /apis/gateway.networking.k8s.io/v1/httproutes",
        "GET /apis/gateway.networking.k8s.io/v1/referencegrants",
        "GET /apis/gateway.networking.k8s.io/v1beta1/referencegrants",
        "GET /apis/gateway.networking.k8s.io/v1/backendtlspolicies",
        "GET /apis/gateway.envoyproxy.io/v1alpha1/clienttrafficpolicies",
    }, fixed
    assert sum(fixed[25].values()) == 14


SUCCESSORS = Path(__file__).parent / "data" / "successors"


def successor_objects(name: str) -> list[dict]:
    import yaml

    return [d for d in yaml.safe_load_all((SUCCESSORS / name).read_text()) if d]


def read_lab(lab: LabCluster, folder: Path) -> object:
    source = KubeSource(kubeconfig=str(lab.write_kubeconfig(folder / "kubeconfig")))
    try:
        return source.snapshot()
    finally:
        source.close()


def test_successor_objects_are_read_with_the_ca_they_name(tmp_path: Path) -> None:
    """A cluster with Gateway API installed: the Gateway, its class and route are listed, and the
    CA ConfigMap the Gateway names (spec.tls.frontend.default.validation.caCertificateRefs, G2)
    is fetched by name; the Service beside them is not read."""
    with LabCluster(successor_objects("gateway-api/healthy.yaml")) as lab:
        snapshot = read_lab(lab, tmp_path)
    kinds = sorted((r.kind, r.ref) for r in snapshot.resources)
    assert kinds == [
        ("ConfigMap", "meow/meow-ca"),
        ("Gateway", "meow/meow"),
        ("GatewayClass", "eg"),
        ("HTTPRoute", "meow/meow"),
    ]
    assert snapshot.unreadable == ()


def test_a_forbidden_successor_list_is_named_and_the_rest_read(tmp_path: Path) -> None:
    """RBAC without list on gateways (or get on the CA ConfigMap) degrades as for Secrets: one
    warning names the permission, everything else is read."""
    with LabCluster(successor_objects("gateway-api/healthy.yaml")) as lab:
        lab.forbid("list", "httproutes")
        lab.forbid("get", "configmaps", "meow")
        snapshot = read_lab(lab, tmp_path)
    assert sorted(r.kind for r in snapshot.resources) == ["Gateway", "GatewayClass"]
    (finding,) = snapshot.unreadable
    assert finding.code == "objects-forbidden" and finding.severity.value == "warning"
    assert "list httproutes.gateway.networking.k8s.io" in finding.title
    assert "get configmaps meow/meow-ca" in finding.title
    assert finding.fix.startswith("kubectl auth can-i list httproutes.gateway.networking.k8s.io -A")


def test_no_successor_crds_means_no_successor_requests(tmp_path: Path, pki: SeedPki) -> None:
    """Groups the API server does not serve (Traefik, F5, Istio in the lab) are never asked for:
    "not installed" is not an error."""
    with LabCluster(seed_objects(pki)) as lab:
        before = lab.requests
        snapshot = read_lab(lab, tmp_path)
        asked = lab.requests - before
    assert not [path for path in asked if "traefik" in path or "nginx.org" in path or "istio" in path]
    assert snapshot.resources == () and snapshot.unreadable == ()


def test_the_permission_fixes_ask_the_api_server(tmp_path: Path, pki: SeedPki) -> None:
    """The fixes of objects-forbidden and secret-forbidden, run as printed with the real kubectl:
    the lab answers SelfSubjectAccessReview from the same RBAC switch that refused the read, so
    `kubectl auth can-i` says no (exit 1) while the permission is missing, and yes once granted."""
    import shutil

    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    objects = successor_objects("gateway-api/healthy.yaml") + seed_objects(pki)
    with LabCluster(objects) as lab:
        lab.forbid("list", "httproutes")
        lab.forbid("get", "secrets", "default")
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")

        def kubectl(command: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                command.replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} ", 1),
                shell=True,
                env={**os.environ, "KUBECONFIG": str(kubeconfig)},
                capture_output=True,
                text=True,
                timeout=30,
            )

        snapshot = read_lab(lab, tmp_path)
        code = main(["check", "--kubeconfig", str(kubeconfig), "--no-probe", "--json"])
        fixes = [snapshot.unreadable[0].fix]
        assert code in (0, 1)
        from mtls_tui.policy.ingress_nginx.hosts import host_policies

        fixes += [f.fix for p in host_policies(snapshot) for f in p.findings if f.code == "secret-forbidden"][:1]
        assert len(fixes) == 2, fixes
        for fix in fixes:
            refused = kubectl(fix)
            assert (refused.returncode, refused.stdout.strip()) == (1, "no"), (fix, refused.stderr)
        lab.allow("list", "httproutes")
        lab.allow("get", "secrets")
        for fix in fixes:
            granted = kubectl(fix)
            assert (granted.returncode, granted.stdout.strip()) == (0, "yes"), (fix, granted.stderr)


def test_the_controllers_configmap_is_read_from_the_cluster(tmp_path: Path, pki: SeedPki) -> None:
    """--configmap=$(POD_NAMESPACE)/ingress-nginx-controller (the chart's) names the settings the
    controller reads (pkg/flags/flags.go): one GET. Forbidden: the settings are unseen, defaults assumed."""
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": {"allow-cross-namespace-resources": "true", "annotations-risk-level": "Medium"},
    }
    with LabCluster([*seed_objects(pki), config]) as lab:
        [controller] = read_lab(lab, tmp_path).controllers
        assert controller.config_map == "ingress-nginx/ingress-nginx-controller" and controller.config_seen
        assert controller.allow_cross_namespace and controller.annotations_risk_level == "Medium"
        lab.forbid("get", "configmaps", "ingress-nginx")
        [controller] = read_lab(lab, tmp_path).controllers
        assert not controller.config_seen and not controller.allow_cross_namespace


RISKY = {"annotations-risk-level": "Medium"}


@pytest.mark.parametrize(
    ("code", "annotations", "settings", "args"),
    [
        ("annotation-too-risky", {"auth-tls-match-cn": "CN=Fern"}, RISKY, ()),
        ("ssl-passthrough", {"ssl-passthrough": "true"}, {}, ("--enable-ssl-passthrough",)),
        ("annotation-wrong-prefix", {}, {}, ("--annotations-prefix=custom.example.com",)),
    ],
)
def test_annotation_fixes_run_as_printed(
    tmp_path: Path, pki: SeedPki, code: str, annotations: dict, settings: dict, args: tuple
) -> None:
    """The fix of annotation-too-risky and of ssl-passthrough, with the real kubectl: the annotation
    goes, and the controller's reading no longer has the finding."""
    import shutil

    from mtls_tui.lab.objects import controller_objects
    from mtls_tui.policy.ingress_nginx.hosts import host_policies
    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": settings,
    }
    prefix = "nginx.ingress.kubernetes.io/"
    ingress = meow_ingress(
        {prefix + "auth-tls-secret": "default/my-certs", **{prefix + k: v for k, v in annotations.items()}}
    )
    base = [o for o in seed_objects(pki) if o["kind"] not in ("Ingress", "Deployment", "Pod", "IngressClass")]
    with LabCluster([*base, *controller_objects(extra_args=args), ingress, config]) as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")
        [policy] = host_policies(read_lab(lab, tmp_path))
        [fix] = [f.fix for f in policy.findings if f.code == code]
        done = run_fix(fix, binary, kubeconfig, tmp_path)
        assert done.returncode == 0, done.stderr
        [policy] = host_policies(read_lab(lab, tmp_path))
    assert policy.served and code not in {f.code for f in policy.findings}


def test_the_unwatched_namespace_fix_shows_the_flag(tmp_path: Path, pki: SeedPki) -> None:
    """ingress-namespace-unwatched's command, run as printed with the real kubectl: it prints the
    controller's arguments, --watch-namespace among them."""
    import shutil

    from mtls_tui.lab.objects import controller_objects
    from mtls_tui.policy.ingress_nginx.hosts import host_policies
    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    base = [o for o in seed_objects(pki) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    with LabCluster([*base, *controller_objects(extra_args=("--watch-namespace=team-a",))]) as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")
        [policy] = host_policies(read_lab(lab, tmp_path))
        [fix] = [f.fix for f in policy.findings if f.code == "ingress-namespace-unwatched"]
        done = run_fix(fix, binary, kubeconfig, tmp_path)
    assert done.returncode == 0 and "--watch-namespace=team-a" in done.stdout, (done.stdout, done.stderr)


def test_the_namespace_selector_fix_labels_the_namespace(tmp_path: Path, pki: SeedPki) -> None:
    """--watch-namespace-selector (store.go `watchedNamespace`): the namespace's labels, read
    from the cluster, decide; the fix is run as printed with the real kubectl, and the next read
    finds the Ingress served. Without the right to list namespaces, the rest is judged and one
    line says what was not read."""
    import shutil

    from mtls_tui.lab.objects import controller_objects
    from mtls_tui.policy.ingress_nginx.hosts import host_policies
    from tests.conftest import require

    binary = require("kubectl", shutil.which("kubectl"))
    base = [o for o in seed_objects(pki) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    scoped = controller_objects(extra_args=("--watch-namespace-selector=team=payments",))
    with LabCluster([*base, *scoped]) as lab:
        kubeconfig = lab.write_kubeconfig(tmp_path / "kubeconfig")
        [policy] = host_policies(read_lab(lab, tmp_path))
        [fix] = [f.fix for f in policy.findings if f.code == "ingress-namespace-unwatched"]
        assert not policy.served and fix == "kubectl label namespace default team=payments --overwrite"
        done = run_fix(fix, binary, kubeconfig, tmp_path)
        assert done.returncode == 0, done.stderr
        [policy] = host_policies(read_lab(lab, tmp_path))
        assert policy.served and "ingress-namespace-unwatched" not in {f.code for f in policy.findings}
        lab.forbid("list", "namespaces")
        snapshot = read_lab(lab, tmp_path)
        [policy] = host_policies(snapshot)
    assert policy.served and [f.code for f in snapshot.unreadable] == ["objects-forbidden"]
    assert "list namespaces" in snapshot.unreadable[0].title


def test_a_namespace_selector_of_a_client_traffic_policy_reads_the_namespaces(tmp_path: Path) -> None:
    """A ClientTrafficPolicy targetSelector with `namespaces.from: Selector` matches Gateways by their
    Namespace's labels (Envoy Gateway helpers.go targetSelectorNamespacesMatch): a cluster read lists the
    Namespaces for it (kinds.selects_namespaces), and the policy then applies to the labelled namespace's
    Gateway (with the ReferenceGrant it needs there)."""
    from mtls_tui.policy.successors import envoy_gateway

    objects = successor_objects("envoy-gateway/target-selector-other-namespace-no-grant.yaml")
    policy = next(o for o in objects if o["kind"] == "ClientTrafficPolicy")
    policy["spec"]["targetSelectors"][0]["namespaces"] = {
        "from": "Selector",
        "selector": {"matchLabels": {"team": "blue"}},
    }
    objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "meow", "labels": {"team": "blue"}}})
    objects.append(
        {
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"name": "ctp", "namespace": "meow"},
            "spec": {
                "from": [{"group": "gateway.envoyproxy.io", "kind": "ClientTrafficPolicy", "namespace": "policies"}],
                "to": [{"group": "gateway.networking.k8s.io", "kind": "Gateway"}],
            },
        }
    )
    with LabCluster(objects) as lab:
        before = lab.requests
        snapshot = read_lab(lab, tmp_path)
        asked = lab.requests - before
    assert asked["GET /api/v1/namespaces"] == 1
    assert ("team", "blue") in next(n.labels for n in snapshot.namespaces if n.name == "meow")
    (validation,) = envoy_gateway.read(snapshot)
    assert validation.mode == "require-and-verify"
    assert validation.decided_by == ("ClientTrafficPolicy policies/meow-mtls (targetSelectors[0])",)


def test_the_cluster_trust_bundle_a_policy_names_is_read_from_the_cluster(tmp_path: Path) -> None:
    """caCertificateRefs kind ClusterTrustBundle: the bundles are listed at certificates.k8s.io/v1beta1 (the
    version Envoy Gateway reads: provider/kubernetes controller_watch.go) only when one is named, and only
    the named ones kept; in a cluster a missing one is known missing (the policy is invalid: HTTP 500), one
    we may not list is "not checked" (objects-forbidden), never taken as working unsaid."""
    from mtls_tui.policy.successors import envoy_gateway

    objects = successor_objects("envoy-gateway/ca-clustertrustbundle.yaml")
    bundle = next(o for o in objects if o["kind"] == "ClusterTrustBundle")
    unrelated = {**bundle, "metadata": {"name": "someone-elses"}}
    with LabCluster([*objects, unrelated]) as lab:
        before = lab.requests
        snapshot = read_lab(lab, tmp_path)
        asked = lab.requests - before
        assert asked["GET /apis/certificates.k8s.io/v1beta1/clustertrustbundles"] == 1
        assert [r.name for r in snapshot.resources if r.kind == "ClusterTrustBundle"] == ["meow-bundle"]
        (validation,) = envoy_gateway.read(snapshot)
        assert validation.mode == "require-and-verify" and validation.ca_pem and validation.findings == ()

        lab.delete("ClusterTrustBundle", None, "meow-bundle")
        (validation,) = envoy_gateway.read(read_lab(lab, tmp_path))
        assert validation.breakage == "http-500"
        assert {f.code for f in validation.findings} == {"ca-ref-not-found", "policy-invalid-http-500"}

        lab.forbid("list", "clustertrustbundles")
        snapshot = read_lab(lab, tmp_path)
        (validation,) = envoy_gateway.read(snapshot)
        assert validation.breakage is None and validation.unseen == ("ClusterTrustBundle meow-bundle",)
        assert [f.code for f in validation.findings] == ["objects-forbidden"]
        assert "list clustertrustbundles.certificates.k8s.io" in snapshot.unreadable[0].title


def test_a_forbidden_ca_configmap_is_not_checked_rather_than_missing(tmp_path: Path) -> None:
    """A CA ConfigMap we may not get is recorded as forbidden (ClusterSnapshot.forbidden), so the
    reader says "not checked" instead of judging the CA missing (Envoy Gateway: the listener
    refused) on the strength of our own RBAC."""
    from mtls_tui.policy.successors.references import presence

    with LabCluster(successor_objects("gateway-api/healthy.yaml")) as lab:
        lab.forbid("get", "configmaps", "meow")
        snapshot = read_lab(lab, tmp_path)
    assert ("ConfigMap", "meow", "meow-ca") in snapshot.forbidden
    assert presence(snapshot, "ConfigMap", "meow", "meow-ca") == "forbidden"


def run_fix(fix: str, binary: str, kubeconfig: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """A printed kubectl command, as printed, with the real kubectl against the lab (its own cache)."""
    return subprocess.run(
        fix.replace("kubectl ", f"{binary} --cache-dir {folder / 'cache'} ", 1),
        shell=True,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        capture_output=True,
        text=True,
        timeout=30,
    )
