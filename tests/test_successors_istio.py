"""Istio's own Gateway (networking.istio.io), read by policy/successors/istio.py: every manifest of
tests/data/successors/istio/, loaded as `check --manifests` loads it, against its README
"Expected" line (docs/successors.md I1–I7).

Sources (istio/istio 86c9f01f): pilot/pkg/networking/core/listener.go BuildListenerTLSContext
(modes); pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext
(insecureSkipVerify → ACCEPT_UNTRUSTED); pilot/pkg/credentials/kube/secrets.go GetCaCert, ExtractRoot
(`-cacert` first; cacert before ca.crt); pilot/pkg/model/credentials/resource.go ParseResourceName
(the proxy's namespace). Answers: `predict()` for no certificate, a trusted one, another CA's, an
expired one, TLS 1.3 (`alert N+`: on the first read).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from tests.successor_gateways import DATA, Expect, check, manifests, one, readme_expected
from tests.test_field_reports_successors_2 import ingress_gateway

FOLDER = DATA / "istio"
ENFORCED = ("alert 116+", "200", "alert 48+", "alert 45+")
CLOSED = ("closed", "closed", "closed", "closed")

EXPECTED: dict[str, Expect] = {
    # MUTUAL → require_client_certificate + validation; measured envoy-require-verify.txt
    "healthy.yaml": Expect("require-and-verify", ENFORCED, implementation="istio"),
    # GetCaCert: <credentialName>-cacert first, key cacert (ExtractRoot)
    "healthy-separate-cacert.yaml": Expect("require-and-verify", ENFORCED, implementation="istio"),
    # OPTIONAL_MUTUAL: not required, validated if given; measured envoy-optional-verify.txt
    "optional-mutual.yaml": Expect(
        "verify-if-given",
        ("200", "200", "alert 48+", "alert 45+"),
        frozenset({"mtls-fallback-mode"}),
        implementation="istio",
    ),
    # MUTUAL + insecureSkipVerify: required, ACCEPT_UNTRUSTED; measured envoy-require-accept-untrusted.txt
    "insecure-skip-verify.yaml": Expect(
        "require-any", ("alert 116+", "200", "200", "200"), frozenset({"mtls-fallback-mode"}), implementation="istio"
    ),
    # sds.go SecretGen.generate "failed to fetch ca certificate": no validation secret pushed;
    # expected fail closed (not measured: docs/successors.md I5, section 11)
    "secret-no-ca.yaml": Expect(
        "require-and-verify", CLOSED, frozenset({"ca-ref-no-ca-key"}), "connection-closed", implementation="istio"
    ),
    # authentication.go ApplyCredentialSDSToServerCommonTLSContext: caCertCredentialName is the SDS name;
    # sds.go SecretGen.generate reads it as CA-only only with the -cacert suffix, else GetCertInfo
    # (key pair) fails: no validation secret pushed; expected fail closed (not measured, as secret-no-ca.yaml)
    "cacert-credential-name-no-suffix.yaml": Expect(
        "require-and-verify", CLOSED, frozenset({"ca-ref-not-ca-only"}), "connection-closed", implementation="istio"
    ),
    # ParseResourceName: no namespace → the proxy's (istio-system); the Secret is in meow
    # no proxy workload among the objects: its namespace, where credentialName is read, is not known
    "secret-in-gateway-resource-namespace.yaml": Expect(
        "require-and-verify", ENFORCED, frozenset({"gateway-workload-not-found"}), implementation="istio"
    ),
}


def test_every_manifest_has_an_expectation() -> None:
    assert sorted(EXPECTED) == manifests("istio")
    for name in EXPECTED:
        assert readme_expected("istio", name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_manifest(name: str) -> None:
    """Mode, breakage, finding codes and predicted answers per the README's Expected line."""
    validation = one(FOLDER / name)
    check(validation, EXPECTED[name])
    assert validation.data_plane == "envoy" and validation.port == 443 and validation.host == "meow.com"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_workload_namespace_is_an_assumption_said_aloud(name: str) -> None:
    """The snapshot has no gateway pods: istio-system is assumed, and every validation says so."""
    validation = one(FOLDER / name)
    assert any("assumed" in line and "istio-system" in line for line in validation.decided_by)
    for finding in validation.findings:
        if finding.code.startswith("ca-ref"):
            assert any("assumed" in line and "istio-system" in line for line in finding.evidence)


def test_the_cacert_secret_is_read_before_the_credential() -> None:
    """GetCaCert reads `<name>-cacert` (key cacert) when it exists; healthy.yaml has only the
    credential Secret, read under ca.crt."""
    assert one(FOLDER / "healthy-separate-cacert.yaml").ca_refs == (
        "Secret istio-system/meow-credential-cacert key cacert",
    )
    assert one(FOLDER / "healthy.yaml").ca_refs == ("Secret istio-system/meow-credential key ca.crt",)


def test_secret_in_the_gateway_namespace_is_named() -> None:
    """With no proxy workload among the objects, where the Secret is read is not known (sds.go
    SecretGen.generate: the proxy's namespace): not called broken on the assumed istio-system; the finding
    names the copy in meow and the command lists the proxies' pods. With the proxy's Deployment in
    istio-system (the manifest's premise) the Secret is known missing there: connections closed."""
    validation = one(FOLDER / "secret-in-gateway-resource-namespace.yaml")
    (finding,) = validation.findings
    assert "istio-system/meow-credential" in finding.title and finding.severity.value == "warning"
    assert "meow/meow-credential" in finding.detail and "namespace of the gateway proxy" in finding.detail
    assert finding.fix.startswith("kubectl get pods -A -l istio=ingressgateway ")
    assert validation.breakage is None and validation.unseen
    docs = [d for d in yaml.safe_load_all((FOLDER / "secret-in-gateway-resource-namespace.yaml").read_text()) if d]
    (known,) = client_validations(snapshot_from_objects([*docs, ingress_gateway("istio-system")], "cluster"))
    assert (known.breakage, [f.code for f in known.findings]) == ("connection-closed", ["ca-ref-not-found"])
    assert known.findings[0].fix.startswith("kubectl create secret generic meow-credential -n istio-system ")


def test_fallback_fixes_patch_the_server() -> None:
    skip = one(FOLDER / "insecure-skip-verify.yaml").findings[0]
    assert '"op":"remove","path":"/spec/servers/0/tls/insecureSkipVerify"' in skip.fix
    optional = one(FOLDER / "optional-mutual.yaml").findings[0]
    assert '"path":"/spec/servers/0/tls/mode","value":"MUTUAL"' in optional.fix
    no_ca = one(FOLDER / "secret-no-ca.yaml").findings[0]
    assert no_ca.fix == "kubectl create secret generic meow-credential-cacert -n istio-system --from-file=cacert=ca.crt"


def test_ingress_nginx_depth_is_not_carried(tmp_path: Path) -> None:
    """verify-depth-ignored: an ingress-nginx Ingress for meow.com with auth-tls-verify-depth 2; Istio
    sets no depth (authentication.go ApplyCredentialSDSToServerCommonTLSContext: no max_verify_depth)."""
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "meow-old",
            "namespace": "meow",
            "annotations": {
                "nginx.ingress.kubernetes.io/auth-tls-secret": "meow/meow-ca",
                "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "2",
            },
        },
        "spec": {"rules": [{"host": "meow.com"}]},
    }
    documents = [d for d in yaml.safe_load_all((FOLDER / "healthy.yaml").read_text()) if d]
    path = tmp_path / "with-ingress.yaml"
    path.write_text(yaml.safe_dump_all([*documents, ingress]))
    validation = one(path)
    finding = next(f for f in validation.findings if f.code == "verify-depth-ignored")
    assert "depth 2" in finding.title and finding.subject == "Gateway.networking.istio.io meow/meow"
    assert any("auth-tls-verify-depth=2" in line for line in finding.evidence)


def test_as_manifests_the_credential_secret_is_unseen() -> None:
    """complete=False: istio-system/meow-credential may exist in the cluster: assumed present, with a
    warning that also names the copy in the Gateway's namespace, which the gateway does not read."""
    validation = one(FOLDER / "secret-in-gateway-resource-namespace.yaml", complete=False)
    assert validation.breakage is None and validation.unseen == ("Secret istio-system/meow-credential",)
    (finding,) = validation.findings
    assert finding.code == "secret-not-in-manifests" and finding.severity.value == "warning"
    assert "meow/meow-credential" in finding.detail
    assert any("assumed" in line and "istio-system" in line for line in finding.evidence)


def test_a_forbidden_secret_is_unseen() -> None:
    """Our credentials may not read the Secret (the API said forbidden): secret-forbidden, not an error."""
    from dataclasses import replace

    from mtls_tui.model import SecretProblem
    from mtls_tui.policy.successors import client_validations
    from tests.successor_gateways import load

    snapshot = load(FOLDER / "secret-in-gateway-resource-namespace.yaml")
    problem = SecretProblem("istio-system/meow-credential", "forbidden", "secrets is forbidden")
    (validation,) = client_validations(replace(snapshot, secret_problems=(problem,)))
    assert [f.code for f in validation.findings] == ["secret-forbidden"]
    assert validation.findings[0].fix.startswith("kubectl auth can-i get secrets -n istio-system")


def test_a_ca_credential_name_without_the_suffix_is_never_called_working(tmp_path: Path) -> None:
    """sds.go SecretGen.generate (isCAOnlySecret) reads caCertCredentialName meow-ca as a key pair:
    the finding says no CA reaches the gateway and that the wire answer is not measured; with
    the -cacert suffix the same Secret is read as the CA (GetCaCert, ExtractRoot) and enforced."""
    validation = one(FOLDER / "cacert-credential-name-no-suffix.yaml")
    [finding] = validation.findings
    assert "not measured" in finding.detail and "failed to fetch key and certificate" in finding.detail
    assert "meow-ca-cacert" in finding.fix and validation.ca_pem is None
    text = (FOLDER / "cacert-credential-name-no-suffix.yaml").read_text()
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(
        text.replace("name: meow-ca\n", "name: meow-ca-cacert\n").replace(
            "caCertCredentialName: meow-ca\n", "caCertCredentialName: meow-ca-cacert\n"
        )
    )
    fixed = one(renamed)
    assert (fixed.mode, fixed.breakage, fixed.findings) == ("require-and-verify", None, ())
    assert fixed.ca_pem and b"BEGIN CERTIFICATE" in fixed.ca_pem
