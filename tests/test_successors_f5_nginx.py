"""F5 NGINX Ingress Controller's client validation, read from every manifest in
tests/data/successors/f5-nginx/ (the oracle: each file's "expected" line, repeated in
tests/data/successors/README.md), loaded as test_successors_traefik.py loads them.

Sources are nginx/kubernetes-ingress at 0eb3072d (docs/successors.md section 4): policy.go
addIngressMTLSConfig and generatePolicies, ingress.go, annotations.go, k8s/secrets/validation.go.
The data plane is nginx: a refused client gets HTTP 400 (measured on nginx 1.22, section 7;
re-measured in test_successors_nginx_wire.py), an invalid policy `return 500;`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from test_successors_traefik import answers, assert_fixes_runnable, load_manifest, only

from mtls_tui.model import Severity
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import READERS, client_validations
from mtls_tui.policy.successors.common import predict
from mtls_tui.policy.successors.f5_nginx import read_f5_nginx
from mtls_tui.sources.manifests import ManifestSet

FOLDER = Path(__file__).parent / "data" / "successors" / "f5-nginx"
# F5's Deployment at the release these rules were read at (0eb3072d, v5.5.4): read as that release
# (tests/test_successor_releases.py covers other releases, and none seen)
CURRENT = [d for d in yaml.safe_load_all((FOLDER.parent / "releases" / "f5-nginx-5.5.4.yaml").read_text()) if d]

# The manifests' Ingresses ask for class `nginx` and are "given to F5's controller": in a cluster
# that class names F5's controller (internal/k8s/controller.go IngressControllerName).
F5_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "nginx"},
    "spec": {"controller": "nginx.org/ingress-controller"},
}

ENFORCED = {"none": "HTTP 400", "trusted": "HTTP 200", "other-ca": "HTTP 400", "expired": "HTTP 400"}
HTTP_500 = dict.fromkeys(ENFORCED, "HTTP 500")
EVERYONE_IN = dict.fromkeys(ENFORCED, "HTTP 200")


@dataclass(frozen=True)
class Expected:
    mode: str
    breakage: str | None
    codes: frozenset[str]
    answers: dict[str, str]
    cite: str


EXPECTED: dict[str, Expected] = {
    "healthy-virtualserver.yaml": Expected(
        "require-and-verify",
        None,
        frozenset(),
        ENFORCED,
        "policy.go addIngressMTLSConfig; version2/nginx.virtualserver.tmpl; tests/suite/test_ingress_mtls.py",
    ),
    "healthy-ingress.yaml": Expected(
        "require-and-verify",
        None,
        frozenset(),
        ENFORCED,
        "annotations.go PoliciesAnnotation; ingress.go (policyCfg.IngressMTLS on server.SSL)",
    ),
    "ca-secret-wrong-type.yaml": Expected(
        "none",
        "http-500",
        frozenset({"ca-secret-wrong-type"}),
        HTTP_500,
        "policy.go addIngressMTLSConfig ('of a wrong type'), generatePolicies (ErrorReturn{Code: 500})",
    ),
    "ca-secret-missing.yaml": Expected(
        "none",
        "http-500",
        frozenset({"ca-ref-not-found"}),
        HTTP_500,
        "policy.go addIngressMTLSConfig ('references a non-existent secret')",
    ),
    "policy-missing.yaml": Expected(
        "none",
        "http-500",
        frozenset({"policy-invalid-http-500"}),
        HTTP_500,
        "policy.go generatePolicies ('Policy ... is missing or invalid')",
    ),
    "policy-in-route-context.yaml": Expected(
        "none",
        "http-500",
        frozenset({"policy-invalid-http-500"}),
        HTTP_500,
        "policy.go addIngressMTLSConfig ('not allowed in the route context'); tests/suite/test_ingress_mtls.py",
    ),
    "no-tls.yaml": Expected(
        "none",
        "http-500",
        frozenset({"policy-invalid-http-500"}),
        HTTP_500,
        "policy.go addIngressMTLSConfig ('TLS must be enabled for IngressMTLS policy')",
    ),
    "two-ingressmtls-policies.yaml": Expected(
        "require-and-verify",
        None,
        frozenset({"policy-conflicted"}),
        ENFORCED,
        "policy.go addIngressMTLSConfig ('Multiple ingressMTLS policies are not allowed')",
    ),
    "verify-optional.yaml": Expected(
        "verify-if-given",
        None,
        frozenset({"mtls-fallback-mode"}),
        {**ENFORCED, "none": "HTTP 200"},
        "pkg/apis/configuration/v1/types.go IngressMTLS; nginx ssl_verify_client optional",
    ),
    "ingress-nginx-annotations.yaml": Expected(
        "none",
        None,
        frozenset({"mtls-fail-open"}),
        EVERYONE_IN,
        "internal/configs/annotations.go (only nginx.org/ and nginx.com/ keys are parsed)",
    ),
}


def test_every_manifest_has_an_expectation() -> None:
    assert {p.name for p in FOLDER.glob("*.yaml")} == set(EXPECTED)


def test_the_reader_is_registered() -> None:
    assert read_f5_nginx in READERS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_manifest(name: str) -> None:
    """One manifest: mode, breakage, finding codes and the answer each client gets (TLS 1.3 and
    1.2 alike: nginx decides after the handshake). Source: nginx/kubernetes-ingress 0eb3072d, the
    file and function in EXPECTED[name].cite."""
    expected = EXPECTED[name]
    validation = only(client_validations(load_manifest(FOLDER / name, F5_CLASS, *CURRENT)))
    assert (validation.implementation, validation.data_plane, validation.host) == ("f5-nginx", "nginx", "meow.com")
    assert validation.mode == expected.mode
    assert validation.breakage == expected.breakage
    assert {f.code for f in validation.findings} == expected.codes, [f.title for f in validation.findings]
    assert answers(validation) == expected.answers == answers(validation, "1.2")
    if expected.answers == ENFORCED:
        assert validation.verify_depth == 1  # F5's default, and the manifests' verifyDepth
        assert str(predict(validation, "no-client-auth-eku")) == "HTTP 400"
    for finding in validation.findings:  # a mode the Policy chose is a warning, as ingress-nginx's optional
        if finding.code not in ("policy-conflicted", "mtls-fallback-mode"):
            assert finding.severity == Severity.ERROR
        elif finding.code == "mtls-fallback-mode":
            assert finding.severity == Severity.WARNING
    assert_fixes_runnable(validation)


def test_the_wrong_type_fix_creates_the_secret_again() -> None:
    """A Secret's type cannot be changed in place: the fix saves ca.crt (beside the user's own ca.crt,
    never over it), deletes and re-creates."""
    validation = only(client_validations(load_manifest(FOLDER / "ca-secret-wrong-type.yaml")))
    fix = only(validation.findings).fix
    assert (
        "{{base64decode .}}{{end}}' > meow-ca-ca.crt && kubectl delete secret meow-ca -n meow && kubectl create secret generic meow-ca"
        in fix
    )
    assert "--type=nginx.org/ca --from-file=ca.crt=meow-ca-ca.crt" in fix and "> ca.crt" not in fix


def test_the_fail_open_fix_moves_the_annotations_to_a_policy() -> None:
    """F5 reads nginx.org/policies (v5.4+) and a Secret of type nginx.org/ca: the fix makes both."""
    validation = only(client_validations(load_manifest(FOLDER / "ingress-nginx-annotations.yaml", F5_CLASS)))
    finding = only(validation.findings)
    assert finding.subject == "Ingress meow/meow"
    assert "--type=nginx.org/ca" in finding.fix and "nginx.org/policies=meow-mtls" in finding.fix
    assert "'    verifyClient: \"on\"'" in finding.fix


def test_ingress_nginx_annotations_without_f5s_class_are_not_f5s() -> None:
    """Without an IngressClass naming F5's controller the Ingress is ingress-nginx's to judge."""
    assert client_validations(load_manifest(FOLDER / "ingress-nginx-annotations.yaml")) == []


def test_manifests_without_the_ingress_class_read_nginx_org_policies() -> None:
    """Files often lack the IngressClass: nginx.org/policies is F5's own annotation."""
    validation = only(client_validations(load_manifest(FOLDER / "healthy-ingress.yaml", *CURRENT, complete=False)))
    assert validation.mode == "require-and-verify" and not validation.findings


def test_manifests_without_the_policy_are_not_called_http_500() -> None:
    """As `check --manifests` reads files, a Policy not among them may exist in the cluster."""
    validation = only(client_validations(load_manifest(FOLDER / "policy-missing.yaml", complete=False)))
    assert validation.breakage is None and validation.unseen == ("Policy meow/ingress-mtls-policy",)
    assert {f.code for f in validation.findings} == {"policy-not-in-manifests"}


def test_an_ingress_host_without_tls_gets_no_client_checks() -> None:
    """ingress.go: 'IngressMTLS policy is ignored for host ... because TLS is not enabled' (a
    warning, not 500): the host is served without client certificates."""
    objects = list(ManifestSet([str(FOLDER / "healthy-ingress.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "Ingress":
            del obj["spec"]["tls"]
    validation = only(client_validations(snapshot_from_objects([*objects, F5_CLASS, *CURRENT], "x", complete=True)))
    assert validation.mode == "none" and validation.breakage is None
    assert answers(validation) == EVERYONE_IN
    assert {f.code for f in validation.findings} == {"tls-section-missing"}


def test_a_ca_secret_without_ca_crt_answers_500() -> None:
    """k8s/secrets/validation.go ValidateCASecret: 'CA secret must have the data field ca.crt'."""
    objects = list(ManifestSet([str(FOLDER / "healthy-virtualserver.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "Secret" and obj["metadata"]["name"] == "meow-ca":
            obj["data"] = {"ca.pem": obj["data"]["ca.crt"]}
    validation = only(client_validations(snapshot_from_objects(objects, "x", complete=True)))
    assert validation.breakage == "http-500"
    assert {f.code for f in validation.findings} == {"ca-ref-no-ca-key"}


def test_a_ca_crt_that_is_not_pem_answers_500() -> None:
    """ValidateCASecret: the first PEM block of ca.crt must be a CERTIFICATE that parses."""
    objects = list(ManifestSet([str(FOLDER / "healthy-virtualserver.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "Secret" and obj["metadata"]["name"] == "meow-ca":
            obj["data"] = {"ca.crt": "bm90IGEgY2VydGlmaWNhdGU="}  # "not a certificate"
    validation = only(client_validations(snapshot_from_objects(objects, "x", complete=True)))
    assert validation.breakage == "http-500" and answers(validation) == HTTP_500
    finding = only(validation.findings)
    assert finding.code == "policy-invalid-http-500" and "--type=nginx.org/ca" in finding.fix
