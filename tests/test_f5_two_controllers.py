"""Two F5 NGINX Ingress Controllers in one cluster: the ingressMTLS verdict is that of the controller
that serves the object, with its flags and release, not the first controller seen.

Reports: https://github.com/nginx/kubernetes-ingress/issues/1565 (two controllers, one with
-enable-preview-policies: the same Policy is reported invalid by one and valid by the other, as
quoted by issue 1570, which added Policy.spec.ingressClassName for it) and issue 6891 (a VirtualServer
without ingressClassName is served by both controllers).

Sources (`git -C /work/.mirror/nginx+kubernetes-ingress/repo show TAG:PATH`):
- v5.5.4 cmd/nginx-ingress/flags.go: -ingress-class (default "nginx"), -watch-namespace.
- v5.5.4 internal/k8s/controller.go HasCorrectIngressClass (Ingress: the class; VirtualServer and
  Policy: the class or none), getPolicies ("failed to get namespace", "referenced policy %s has
  incorrect ingress class"); internal/configs/virtualserver.go generatePolicies (`return 500`).
- v2.1.0 pkg/apis/configuration/validation/policy.go validatePolicySpec (ingressMTLS is a preview
  policy without -enable-preview-policies; ungated in v2.2.0, commit 069ca8e26).
Measured: each verdict's server block (lab/nginx_successors.py f5_server_block) on the real nginx.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.nginx_successors import f5_server_block
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from tests.test_crd_refusals import EXTRA, serve
from tests.test_field_reports_successors import deployment
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_probe_envoy_alerts import probe_port
from tests.test_successors_go_wire import PKI as WIRE_PKI
from tests.upstream_objects import f5_policy, secret, server_secret, virtual_server

HOST = "cafe.example.com"
MTLS = {"ingressMTLS": {"clientCertSecret": "ingress-mtls-secret", "verifyClient": "on", "verifyDepth": 1}}


def controller(name: str, tag: str, *args: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "nginx-ingress", "app.kubernetes.io/instance": name}
    return deployment(name, name, labels, f"nginx/nginx-ingress:{tag}", list(args))


def cafe(vs_class: str | None, policy: dict[str, Any], *controllers: dict[str, Any]) -> list[dict[str, Any]]:
    """The VirtualServer cafe/cafe (ingressClassName `vs_class`) with the ingressMTLS Policy `policy`."""
    made = virtual_server("cafe", "cafe", HOST, policies=(policy["metadata"]["name"],))
    if vs_class is not None:
        made["spec"]["ingressClassName"] = vs_class
    return [
        *controllers,
        secret("ingress-mtls-secret", policy["metadata"]["namespace"], {"ca.crt": "ca"}, "nginx.org/ca"),
        server_secret("tls-secret", "cafe"),
        policy,
        made,
    ]


def report_1565(vs_class: str | None) -> list[dict[str, Any]]:
    """#1565 at v2.1.0: controller b (class nginx-b) without -enable-preview-policies, listed first;
    controller a (class nginx) with it."""
    return cafe(
        vs_class,
        f5_policy("ingress-mtls-policy", "cafe", MTLS),
        controller("nginx-ingress-b", "2.1.0", "-ingress-class=nginx-b"),
        controller("nginx-ingress-a", "2.1.0", "-ingress-class=nginx", "-enable-preview-policies"),
    )


def policy_of_class(klass: str) -> list[dict[str, Any]]:
    """v5.5.4: controllers of classes nginx and nginx-b; the VirtualServer is nginx's, its Policy nginx-b's."""
    policy = f5_policy("ingress-mtls-policy", "cafe", {**MTLS, "ingressClassName": klass})
    return cafe(
        "nginx",
        policy,
        controller("nginx-ingress-a", "5.5.4", "-ingress-class=nginx"),
        controller("nginx-ingress-b", "5.5.4", "-ingress-class=nginx-b"),
    )


def policy_not_watched() -> list[dict[str, Any]]:
    """v5.5.4: the controller watches cafe only; the Policy (and its CA Secret) is in namespace policies."""
    made = cafe(None, f5_policy("ingress-mtls-policy", "policies", MTLS), controller("nginx-ingress", "5.5.4"))
    made[0]["spec"]["template"]["spec"]["containers"][0]["args"] = ["-watch-namespace=cafe"]
    made[-1]["spec"]["policies"] = [{"name": "ingress-mtls-policy", "namespace": "policies"}]
    return made


def judged(docs: list[dict[str, Any]]) -> ClientValidation:
    (found,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return found


def status(found: ClientValidation, binary: str, folder: Path, cert: str | None) -> int | None:
    """The HTTP status the real nginx answers with the server F5 renders for the verdict."""
    ca = folder / "client-ca.crt"
    write_file(ca, found.ca_pem or b"")
    port = free_port()
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    with Nginx(lambda prefix: f5_server_block(found, port, *server, ca), [port], binary=binary):
        results, _ = probe_port(port, WIRE_PKI, HOST, cert)
    answer = observed_answer(results[-1])
    return answer.status if answer is not None else None


def test_1565_the_flags_are_the_serving_controllers(nginx_binary: str, tmp_path: Path) -> None:
    """The VirtualServer of class nginx is served by controller a alone, which runs with
    -enable-preview-policies: the Policy is applied (measured: no certificate 400, the CA's client 200).
    Before, the flags were read from the first F5 controller seen (b, without the flag): HTTP 500."""
    found = judged(report_1565("nginx"))
    assert (found.mode, found.breakage) == ("require-and-verify", None), [f.title for f in found.findings]
    assert "policy-preview-disabled" not in {f.code for f in found.findings}
    assert status(found, nginx_binary, tmp_path, None) == 400
    assert status(found, nginx_binary, tmp_path, "client") == 200


def test_1565_a_virtualserver_without_a_class_is_served_by_both(nginx_binary: str, tmp_path: Path) -> None:
    """Without ingressClassName both controllers serve it (HasCorrectIngressClass; issue 6891): b rejects the
    preview Policy and answers HTTP 500 (measured), a applies it. The verdict is b's, and says a's; the fix
    adds the flag to b's Deployment, the one that lacks it."""
    found = judged(report_1565(None))
    assert found.breakage == "http-500"
    (finding,) = [f for f in found.findings if f.code == "policy-preview-disabled"]
    assert "deployment nginx-ingress-b -n nginx-ingress-b " in finding.fix and "enable-preview-policies" in finding.fix
    assert any("nginx-ingress-a/nginx-ingress-a (-ingress-class=nginx): applies it" in e for e in finding.evidence)
    assert status(found, nginx_binary, tmp_path, "client") == 500


@pytest.mark.parametrize(("klass", "served"), [("nginx-b", False), ("nginx", True)])
def test_a_policy_of_another_class_is_not_taken(
    klass: str, served: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nginx_binary: str
) -> None:
    """v5.5.4 getPolicies: the Policy of class nginx-b, named by controller a's VirtualServer, is "referenced
    policy ... has incorrect ingress class": HTTP 500 (measured). Of class nginx it is applied. The printed
    fix, run as printed in the lab, removes the Policy's class, and the host then enforces."""
    found = judged(policy_of_class(klass))
    if served:
        assert (found.mode, found.breakage) == ("require-and-verify", None)
        return
    assert found.breakage == "http-500"
    (finding,) = found.findings
    assert finding.code == "policy-invalid-http-500" and "incorrect ingress class: nginx-b" in finding.detail
    assert status(found, nginx_binary, tmp_path, "client") == 500
    serve(monkeypatch, EXTRA["f5"])
    done, snapshot = read_back_as_printed(finding.fix, policy_of_class(klass), tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), [f.title for f in fixed.findings]


def test_a_policy_outside_the_watched_namespaces() -> None:
    """-watch-namespace=cafe: the Policy in namespace policies is "failed to get namespace policies" for
    the controller that serves cafe: HTTP 500; the command shows that controller's flags."""
    found = judged(policy_not_watched())
    assert found.breakage == "http-500"
    (finding,) = found.findings
    assert "failed to get namespace policies" in finding.detail
    assert finding.fix.startswith("kubectl get deployment nginx-ingress -n nginx-ingress -o jsonpath=")


@pytest.mark.parametrize("kind", ["class", "namespace"])
def test_an_object_no_controller_seen_serves_is_said(kind: str) -> None:
    """A VirtualServer of class nginx-c, or in a namespace -watch-namespace leaves out: no controller seen
    takes it (HasCorrectIngressClass, flags.go): a warning says so and names each controller's flags."""
    found = judged(not_served(kind))
    (finding,) = [f for f in found.findings if f.code == "controller-not-found"]
    assert finding.severity.value == "warning" and "VirtualServer cafe/cafe" in finding.title
    assert finding.fix.startswith("kubectl get deployments -A -l app.kubernetes.io/name=nginx-ingress ")


def not_served(kind: str) -> list[dict[str, Any]]:
    """The VirtualServer cafe/cafe that no controller seen takes: of class nginx-c, or outside -watch-namespace."""
    if kind == "class":
        return cafe("nginx-c", f5_policy("ingress-mtls-policy", "cafe", MTLS), controller("nginx-ingress", "5.5.4"))
    return cafe(
        None,
        f5_policy("ingress-mtls-policy", "cafe", MTLS),
        controller("nginx-ingress", "5.5.4", "-watch-namespace=shop"),
    )
