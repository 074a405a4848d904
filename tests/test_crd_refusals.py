"""A successor object of a manifest file that the API server refuses never exists: it is judged as
absent, with one finding that quotes the API server, and its fix (when the correction is certain)
runs as printed against the lab's API server, which refuses what a cluster refuses.

Every expectation rests on the CRD's openAPIV3Schema (mtls_tui/policy/crds/, each file naming its
upstream commit, cited per case below) read as k8s.io/kube-openapi pkg/validation/validate checks
it, in the words k8s.io/apiextensions-apiserver pkg/apiserver/validation/validation.go
kubeOpenAPIResultToFieldErrors and k8s.io/apimachinery pkg/util/validation/field/errors.go give
(Required value, Unsupported value, Invalid value, Too many). jsonschema (an independent Draft 7
validator) must refuse each schema case too. No kube-apiserver runs here.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mtls_tui.diagnose.successors import successor_report
from mtls_tui.lab.cluster import resources
from mtls_tui.lab.cluster.resources import Resource
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.crd_schema import raw_schema, validate, vendored
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.refused_objects import CONSEQUENCES
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from tests.test_policy_fixes_run import read_back_as_printed

DATA = Path(__file__).parent / "data" / "successors"
NOW = datetime.now(UTC)
GWAPI = "kubernetes-sigs/gateway-api 4564255a config/crd/standard/gateway.networking.k8s.io_"
EG = "envoyproxy/gateway d32f2829 gateway.envoyproxy.io_clienttrafficpolicies.yaml"
TRAEFIK = "traefik/traefik fd5a576d docs/content/reference/dynamic-configuration/traefik.io_"
F5 = "nginx/kubernetes-ingress 0eb3072d config/crd/bases/k8s.nginx.org_"
ISTIO = "istio/istio 86c9f01f manifests/charts/base/files/crd-all.gen.yaml (networking.istio.io Gateway)"


def load(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DATA / name).read_text()) if d]


def _at(doc: dict[str, Any], *path: str | int) -> Any:
    here: Any = doc
    for part in path:
        here = here[part]
    return here


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    kind: str
    change: Callable[[dict[str, Any]], None]
    message: str  # the API server's first message
    code: str
    meant: str | None = None  # the certain correction, in the printed fix
    cel: bool = False  # an x-kubernetes-validations rule (jsonschema does not run it)
    crd: str = ""  # where the rule is


def _set(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        _at(doc, *path[:-1])[path[-1]] = value

    return change


def _drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        del _at(doc, *path[:-1])[path[-1]]

    return change


CASES = [
    # Gateway API Gateway (gateway_types.go, kubebuilder markers)
    Case(
        "gateway-tls-mode-enum",
        "gateway-api/healthy.yaml",
        "Gateway",
        _set("spec", "listeners", 0, "tls", "mode", value="terminate"),
        'spec.listeners[0].tls.mode: Unsupported value: "terminate": supported values: "Terminate", "Passthrough"',
        "gateway-refused-by-api",
        meant="Terminate",
        crd=GWAPI + "gateways.yaml",
    ),
    Case(
        "gateway-port-type",
        "gateway-api/healthy.yaml",
        "Gateway",
        _set("spec", "listeners", 0, "port", value="443"),
        'spec.listeners[0].port: Invalid value: "string": spec.listeners[0].port in body must be of type integer: '
        '"string"',
        "gateway-refused-by-api",
        crd=GWAPI + "gateways.yaml",
    ),
    Case(
        "gateway-protocol-required",
        "gateway-api/healthy.yaml",
        "Gateway",
        _drop("spec", "listeners", 0, "protocol"),
        "spec.listeners[0].protocol: Required value",
        "gateway-refused-by-api",
        crd=GWAPI + "gateways.yaml",
    ),
    Case(
        "gateway-hostname-pattern",
        "gateway-api/healthy.yaml",
        "Gateway",
        _set("spec", "listeners", 0, "hostname", value="Meow.com"),
        'spec.listeners[0].hostname: Invalid value: "Meow.com": spec.listeners[0].hostname in body should match '
        "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
        "gateway-refused-by-api",
        crd=GWAPI + "gateways.yaml",
    ),
    Case(
        "gateway-ca-refs-min-items",
        "gateway-api/healthy.yaml",
        "Gateway",
        _set("spec", "tls", "frontend", "default", "validation", "caCertificateRefs", value=[]),
        "spec.tls.frontend.default.validation.caCertificateRefs: Invalid value: 0: "
        "spec.tls.frontend.default.validation.caCertificateRefs in body should have at least 1 items",
        "gateway-refused-by-api",
        crd=GWAPI + "gateways.yaml",
    ),
    Case(
        "gateway-terminate-without-certificates",  # x-kubernetes-validations on GatewayTLSConfig
        "gateway-api/healthy.yaml",
        "Gateway",
        _drop("spec", "listeners", 0, "tls", "certificateRefs"),
        'spec.listeners[0].tls: Invalid value: "object": certificateRefs or options must be specified when mode is '
        "Terminate",
        "gateway-refused-by-api",
        cel=True,
        crd=GWAPI + "gateways.yaml",
    ),
    # HTTPRoute, GatewayClass, ReferenceGrant
    Case(
        "httproute-hostname-pattern",
        "gateway-api/healthy.yaml",
        "HTTPRoute",
        _set("spec", "hostnames", 0, value="MEOW.com"),
        'spec.hostnames[0]: Invalid value: "MEOW.com": spec.hostnames[0] in body should match '
        "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
        "route-refused-by-api",
        crd=GWAPI + "httproutes.yaml",
    ),
    Case(
        "httproute-parent-name-required",
        "gateway-api/healthy.yaml",
        "HTTPRoute",
        _drop("spec", "parentRefs", 0, "name"),
        "spec.parentRefs[0].name: Required value",
        "route-refused-by-api",
        crd=GWAPI + "httproutes.yaml",
    ),
    Case(
        "gatewayclass-controller-pattern",
        "gateway-api/healthy.yaml",
        "GatewayClass",
        _set("spec", "controllerName", value="envoy"),
        'spec.controllerName: Invalid value: "envoy": spec.controllerName in body should match '
        "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$'",
        "gateway-class-refused-by-api",
        crd=GWAPI + "gatewayclasses.yaml",
    ),
    Case(
        "referencegrant-namespace-required",
        "gateway-api/ca-cross-namespace-with-grant.yaml",
        "ReferenceGrant",
        _drop("spec", "from", 0, "namespace"),
        "spec.from[0].namespace: Required value",
        "reference-grant-refused-by-api",
        crd=GWAPI + "referencegrants.yaml",
    ),
    # Envoy Gateway ClientTrafficPolicy (api/v1alpha1/tls_types.go, clienttrafficpolicy_types.go)
    Case(
        "ctp-mode-enum",
        "envoy-gateway/healthy.yaml",
        "ClientTrafficPolicy",
        _set("spec", "tls", "clientValidation", "mode", value="verifyIfGiven"),
        'spec.tls.clientValidation.mode: Unsupported value: "verifyIfGiven": supported values: "Request", '
        '"RequireAny", "VerifyIfGiven", "RequireAndVerify"',
        "policy-refused-by-api",
        meant="VerifyIfGiven",
        crd=EG,
    ),
    Case(
        "ctp-ca-refs-max-items",
        "envoy-gateway/healthy.yaml",
        "ClientTrafficPolicy",
        _set("spec", "tls", "clientValidation", "caCertificateRefs", value=[{"kind": "ConfigMap", "name": "ca"}] * 9),
        "spec.tls.clientValidation.caCertificateRefs: Too many: 9: must have at most 8 items",
        "policy-refused-by-api",
        crd=EG,
    ),
    Case(
        "ctp-no-target",
        "envoy-gateway/healthy.yaml",
        "ClientTrafficPolicy",
        _drop("spec", "targetRefs"),
        'spec: Invalid value: "object": either targetRef or targetRefs must be used',
        "policy-refused-by-api",
        cel=True,
        crd=EG,
    ),
    # Traefik
    Case(
        "tlsoption-client-auth-type-enum",
        "traefik/healthy-ingressroute.yaml",
        "TLSOption",
        _set("spec", "clientAuth", "clientAuthType", value="requireAndVerifyClientCert"),
        'spec.clientAuth.clientAuthType: Unsupported value: "requireAndVerifyClientCert": supported values: '
        '"NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", '
        '"RequireAndVerifyClientCert"',
        "tls-option-refused-by-api",
        meant="RequireAndVerifyClientCert",
        crd=TRAEFIK + "tlsoptions.yaml",
    ),
    Case(
        "tlsoption-secret-names-type",
        "traefik/healthy-ingressroute.yaml",
        "TLSOption",
        _set("spec", "clientAuth", "secretNames", value="meow-ca"),
        'spec.clientAuth.secretNames: Invalid value: "string": spec.clientAuth.secretNames in body must be of type '
        'array: "string"',
        "tls-option-refused-by-api",
        crd=TRAEFIK + "tlsoptions.yaml",
    ),
    Case(
        "ingressroute-match-required",
        "traefik/healthy-ingressroute.yaml",
        "IngressRoute",
        _drop("spec", "routes", 0, "match"),
        "spec.routes[0].match: Required value",
        "route-refused-by-api",
        crd=TRAEFIK + "ingressroutes.yaml",
    ),
    # F5 NGINX Ingress Controller
    Case(
        "policy-verify-depth-type",
        "f5-nginx/healthy-virtualserver.yaml",
        "Policy",
        _set("spec", "ingressMTLS", "verifyDepth", value="1"),
        'spec.ingressMTLS.verifyDepth: Invalid value: "string": spec.ingressMTLS.verifyDepth in body must be of type '
        'integer: "string"',
        "policy-refused-by-api",
        crd=F5 + "policies.yaml",
    ),
    Case(
        "virtualserver-upstream-port-type",
        "f5-nginx/healthy-virtualserver.yaml",
        "VirtualServer",
        _set("spec", "upstreams", 0, "port", value="8080"),
        'spec.upstreams[0].port: Invalid value: "string": spec.upstreams[0].port in body must be of type integer: '
        '"string"',
        "virtual-server-refused-by-api",
        crd=F5 + "virtualservers.yaml",
    ),
    # Istio
    Case(
        "istio-tls-mode-enum",
        "istio/healthy.yaml",
        "Gateway",
        _set("spec", "servers", 0, "tls", "mode", value="mutual"),
        'spec.servers[0].tls.mode: Unsupported value: "mutual": supported values: "PASSTHROUGH", "SIMPLE", "MUTUAL", '
        '"AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"',
        "gateway-refused-by-api",
        meant="MUTUAL",
        crd=ISTIO,
    ),
    Case(
        "istio-hosts-required",
        "istio/healthy.yaml",
        "Gateway",
        _drop("spec", "servers", 0, "hosts"),
        "spec.servers[0].hosts: Required value",
        "gateway-refused-by-api",
        crd=ISTIO,
    ),
    Case(
        "istio-credential-name-and-names",
        "istio/healthy.yaml",
        "Gateway",
        _set("spec", "servers", 0, "tls", "credentialNames", value=["meow-credential"]),
        'spec.servers[0].tls: Invalid value: "object": only one of credentialName or credentialNames can be set',
        "gateway-refused-by-api",
        cel=True,
        crd=ISTIO,
    ),
]


def case_docs(case: Case) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The case's file with its one change; the changed object."""
    docs = copy.deepcopy(load(case.file))
    target = next(d for d in docs if d["kind"] == case.kind)
    case.change(target)
    return docs, target


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_api_server_refuses_the_object_and_it_is_judged_absent(case: Case) -> None:
    docs, target = case_docs(case)
    schema = raw_schema(target["apiVersion"], target["kind"])
    assert schema is not None
    independent = list(jsonschema.Draft7Validator(schema).iter_errors({**target, "metadata": {}}))
    assert bool(independent) is not case.cel, independent  # the schema says so (CEL: jsonschema cannot tell)
    snapshot = snapshot_from_objects(docs, "files", complete=False)
    (finding,) = [f for f in snapshot.unreadable if f.code.endswith("-refused-by-api")]
    assert (finding.code, finding.severity.value) == (case.code, "error")
    assert finding.evidence[0] == case.message
    assert f"({case.message})" in finding.title and target["metadata"]["name"] in finding.title
    assert all(r.body is not target for r in snapshot.resources)  # absent for the readers
    if case.meant is None:
        assert finding.fix == ""
    else:
        assert json.dumps(case.meant) in finding.fix and finding.fix.endswith("| kubectl apply -f -")
    untouched = snapshot_from_objects(load(case.file), "files", complete=False)
    assert not [f for f in untouched.unreadable if f.code.endswith("-refused-by-api")]


def test_a_clusters_objects_are_not_checked_again() -> None:
    """A cluster's objects passed the API server when they were stored (or under an older CRD)."""
    docs, _ = case_docs(CASES[0])
    assert snapshot_from_objects(docs, "cluster", complete=True).unreadable == ()


ENFORCING = {"require-and-verify"}


@pytest.mark.parametrize(
    "name",
    [
        "gateway-tls-mode-enum",
        "ctp-mode-enum",
        "tlsoption-client-auth-type-enum",
        "policy-verify-depth-type",
        "istio-tls-mode-enum",
        "virtualserver-upstream-port-type",
    ],
)
def test_a_refused_objects_hosts_are_not_reported_as_enforcing(name: str) -> None:
    """Before the change, each of these files was judged as written and meow.com came out enforcing;
    the same file without the change still does, so the refusal is what changes the verdict.
    Refused, the object is absent: a Traefik TLSOption missing from the files is then not seen
    (unverified, never works), the others leave the host open, broken or unserved."""
    case = next(c for c in CASES if c.name == name)
    healthy = client_validations(snapshot_from_objects(load(case.file), "files", complete=False))
    assert [v.host for v in healthy if enforcing(v)] == ["meow.com"]
    docs, _ = case_docs(case)
    found = client_validations(snapshot_from_objects(docs, "files", complete=False))
    assert not [v for v in found if enforcing(v)], found
    assert "works" not in {successor_report(v, client=None, now=NOW).state for v in found}


def test_a_refused_tls_option_is_an_unknown_option_not_an_unseen_one() -> None:
    """The files hold the TLSOption and its CRD refuses it, so it never exists: Traefik's
    Manager.Get answers 'unknown TLS options' and, from v2.9.6 (7e3fe48b80), the host gets the
    closing route (tlsmanager.go, tcp/manager.go). The review found it read "unverified, requires
    a certificate" with a who-gets-in table of HTTP 200 for good clients."""
    case = next(c for c in CASES if c.name == "tlsoption-client-auth-type-enum")
    docs, _ = case_docs(case)
    (validation,) = [
        v for v in client_validations(snapshot_from_objects(docs, "files", complete=False)) if v.port == 443
    ]
    assert (validation.breakage, validation.unseen) == ("connection-closed", ())
    codes = [f.code for f in validation.findings]
    assert codes[:2] == ["tls-option-refused-by-api", "tls-option-unknown"], codes
    assert successor_report(validation, client=None, now=NOW).state == "broken"


def enforcing(validation: ClientValidation) -> bool:
    """Read as keeping out clients without a trusted certificate, on everything it needs."""
    return validation.mode in ENFORCING and validation.breakage is None and not validation.unseen


# The lab serves Gateway API and Envoy Gateway kinds; for these tests it also serves Traefik's and
# F5's, and (alone, since its kind is also `Gateway`) Istio's Gateway, as a cluster with those CRDs.
EXTRA = {
    "traefik": (
        Resource("TLSOption", "tlsoptions", "traefik.io", "v1alpha1", True),
        Resource("IngressRoute", "ingressroutes", "traefik.io", "v1alpha1", True),
    ),
    "f5": (
        Resource("Policy", "policies", "k8s.nginx.org", "v1", True),
        Resource("VirtualServer", "virtualservers", "k8s.nginx.org", "v1", True),
    ),
    "istio": (Resource("Gateway", "gateways", "networking.istio.io", "v1", True),),
}


def serve(monkeypatch: pytest.MonkeyPatch, extra: tuple[Resource, ...]) -> None:
    kinds = {r.kind for r in extra}
    served = tuple(r for r in resources.RESOURCES if r.kind not in kinds) + extra
    monkeypatch.setattr(resources, "RESOURCES", served)
    monkeypatch.setattr(resources, "GROUP_VERSIONS", tuple(dict.fromkeys((r.group, r.version) for r in served)))


def kubectl(
    command: str, docs: list[dict[str, Any]], folder: Path
) -> tuple[subprocess.CompletedProcess[str], ClusterSnapshot]:
    """`command` in bash with the real kubectl against the lab holding `docs`; the objects read back."""
    return read_back_as_printed(command, docs, folder)


# What each corrected object configures (docs/successors.md G3, E2, T2, I1): VerifyIfGiven stays
# VerifyIfGiven, spelt right.
MEANT_MODE = {
    "gateway-tls-mode-enum": "require-and-verify",
    "ctp-mode-enum": "verify-if-given",
    "tlsoption-client-auth-type-enum": "require-and-verify",
    "istio-tls-mode-enum": "require-and-verify",
}
LAB_KINDS = {"Namespace", "Secret", "ConfigMap", "GatewayClass", "Gateway", "ReferenceGrant", "ClientTrafficPolicy"}


@pytest.mark.parametrize("name", [c.name for c in CASES if c.meant is not None])
def test_the_fix_runs_as_printed_and_the_host_gets_the_mode_meant(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lab holds what the API server kept (the file without the refused object); the printed
    fix creates it corrected; read back from the lab, meow.com has the mode the value meant."""
    case = next(c for c in CASES if c.name == name)
    extra = next((v for k, v in EXTRA.items() if k in case.file), ())
    serve(monkeypatch, extra)
    served = LAB_KINDS | {r.kind for r in extra}
    docs, target = case_docs(case)
    (finding,) = snapshot_from_objects(docs, "files", complete=False).unreadable
    kept = [d for d in docs if d is not target and d["kind"] in served and d["kind"] != "HTTPRoute"]
    done, after = kubectl(finding.fix, kept, tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    assert any(r.kind == case.kind and r.name == target["metadata"]["name"] for r in after.resources)
    found = client_validations(after)
    assert [(v.host, v.mode, v.breakage) for v in found] == [("meow.com", MEANT_MODE[name], None)], found


def test_the_lab_refuses_what_the_api_server_refuses(tmp_path: Path) -> None:
    """The refused object applied as written fails with the API server's message (422 Invalid)."""
    case = next(c for c in CASES if c.name == "gateway-tls-mode-enum")
    docs, target = case_docs(case)
    (tmp_path / "gateway.yaml").write_text(yaml.safe_dump(target))
    kept = [d for d in docs if d is not target and d["kind"] in LAB_KINDS]
    done, after = kubectl("kubectl apply -f gateway.yaml", kept, tmp_path)
    assert done.returncode != 0
    assert 'The Gateway "meow" is invalid: ' + case.message in done.stderr  # kubectl's rendering of the 422
    assert not after.of_kind("Gateway")


def test_an_unknown_field_is_refused_by_kubectl_and_pruned_for_other_clients(tmp_path: Path) -> None:
    """kubectl apply asks for strict field validation by default (kubectl pkg/cmd/util/helpers.go
    AddValidateFlags): the lab answers as the apiextensions-apiserver decoder does; with
    --validate=false the object is stored without the field."""
    docs = load("gateway-api/experimental-frontendvalidation-v1.3.yaml")
    gateway = next(d for d in docs if d["kind"] == "Gateway")
    (tmp_path / "gateway.yaml").write_text(yaml.safe_dump(gateway))
    kept = [d for d in docs if d is not gateway and d["kind"] in LAB_KINDS]
    done, after = kubectl("kubectl apply -f gateway.yaml", kept, tmp_path)
    assert done.returncode != 0
    assert 'strict decoding error: unknown field "spec.listeners[0].tls.frontendValidation"' in done.stderr
    done, after = kubectl("kubectl apply --validate=false -f gateway.yaml", kept, tmp_path)
    assert done.returncode == 0, done.stderr
    (stored,) = after.of_kind("Gateway")
    assert "frontendValidation" not in stored.body["spec"]["listeners"][0]["tls"]
    snapshot = snapshot_from_objects(docs, "files", complete=False)
    (warning,) = snapshot.unreadable
    assert (warning.code, warning.severity.value) == ("field-pruned-by-api", "warning")
    assert "spec.listeners[0].tls.frontendValidation" in warning.title and warning.fix == ""


def test_check_manifests_json_names_the_refusal(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "ctp-mode-enum")
    docs, _ = case_docs(case)
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(docs))
    done = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path / "all.yaml"), "--no-probe", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    lead = report["findings"][0]
    assert (lead["code"], lead["severity"], lead["subject"]) == (
        "policy-refused-by-api",
        "error",
        "ClientTrafficPolicy meow/meow-mtls",
    )
    assert case.message in lead["title"]
    assert not any(h["state"] == "works" for h in report["other_controllers"])


def test_with_no_host_left_the_text_says_why_not_that_no_ingress_exists(tmp_path: Path) -> None:
    """A refused Gateway leaves no host: the closing line points above, not at `kubectl get ingress`
    (the review found the Ingress hint for a Gateway file)."""
    case = next(c for c in CASES if c.kind == "Gateway")
    docs, _ = case_docs(case)
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(docs))
    done = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path / "all.yaml"), "--no-probe"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "No host to judge: the 1 object or document above could not be used" in done.stdout
    assert "kubectl get ingress -A" not in done.stdout


def test_every_vendored_kind_says_what_its_refusal_means() -> None:
    """Each schema shipped has a finding code and a consequence (refused_objects.CONSEQUENCES)."""
    for name in vendored():
        group, _, kind = name.removesuffix(".json").rpartition("_")
        assert (group, kind) in CONSEQUENCES, name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("spec", value=["listeners"]),
            'spec: Invalid value: "array": spec in body must be of type object: "array"',
        ),
        (
            _set("spec", "listeners", value="https"),
            'spec.listeners: Invalid value: "string": spec.listeners in body must be of type array: "string"',
        ),
        (
            _set("spec", "listeners", 0, value=None),
            'spec.listeners[0]: Invalid value: "null": spec.listeners[0] in body must be of type object: "null"',
        ),
    ],
)
def test_odd_shapes_are_refused_in_one_line(
    change: Callable[[dict[str, Any]], None], message: str, tmp_path: Path
) -> None:
    """A hand-written file with the wrong shape: the command names the refusal, no traceback."""
    docs = copy.deepcopy(load("gateway-api/healthy.yaml"))
    change(next(d for d in docs if d["kind"] == "Gateway"))
    (tmp_path / "all.yaml").write_text(yaml.safe_dump_all(docs))
    done = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "check", "--manifests", str(tmp_path / "all.yaml"), "--no-probe", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, "Traceback" in done.stderr) == (1, False), done.stderr
    lead = json.loads(done.stdout)["findings"][0]
    assert lead["code"] == "gateway-refused-by-api" and message in lead["title"]


@pytest.mark.parametrize(("value", "refused"), [("aGk=", False), ("hi", True), ("", True)])
def test_a_format_is_checked_as_the_api_server_checks_it(value: str, refused: bool) -> None:
    """istio/istio 86c9f01f crd-all.gen.yaml VirtualService `directResponse.body.bytes` has `format:
    byte` (the one spec format the vendored schemas use): kube-openapi pkg/validation/strfmt
    default.go checks it with govalidator.IsBase64, which wants at least one 4-character group."""
    service = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "meow", "namespace": "meow"},
        "spec": {"http": [{"directResponse": {"status": 200, "body": {"bytes": value}}}]},
    }
    verdict = validate(service)
    assert verdict is not None
    expected = (
        f'spec.http[0].directResponse.body.bytes: Invalid value: "{value}": spec.http[0].directResponse.body.bytes '
        f'in body must be of type byte: "{value}"'
    )
    assert [r.message for r in verdict.refused] == ([expected] if refused else [])
