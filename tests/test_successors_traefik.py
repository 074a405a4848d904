"""Traefik's client validation, read from every manifest in tests/data/successors/traefik/ (the
oracle: each file's "expected" line, repeated in tests/data/successors/README.md).

Each manifest is read by the product's own reader (`ManifestSet`, as `check --manifests` reads
files) and turned into a snapshot as a cluster's objects are (`snapshot_from_objects`,
complete: what is not there does not exist), because the README's expectations describe a
cluster holding exactly these objects. What the same files give as manifests (complete=False: a
missing Secret may exist elsewhere) is tested separately below.

Sources are traefik/traefik at fd5a576d (docs/successors.md section 3 and 3b); the wire answers
are the measured table of docs/successors.md section 7 (Go 1.27 crypto/tls), re-measured against a
real Go server in test_successors_go_wire.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.model import ClusterSnapshot, Severity
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import READERS, client_validations
from mtls_tui.policy.successors.common import ClientValidation, predict
from mtls_tui.policy.successors.traefik import read_traefik
from mtls_tui.policy.successors.traefik_ingress_nginx import read_traefik_ingress_nginx
from mtls_tui.sources.manifests import ManifestSet

DATA = Path(__file__).parent / "data" / "successors"
FOLDER = DATA / "traefik"
# Traefik's Deployment at the release these rules were read at (fd5a576d, v3.7.9): read as that release
# (tests/test_successor_releases.py covers other releases, and none seen)
CURRENT = [d for d in yaml.safe_load_all((DATA / "releases" / "traefik-v3.7.9.yaml").read_text()) if d]

# Traefik's Ingress provider reads an Ingress whose ingressClassName names an IngressClass of
# controller traefik.io/ingress-controller (pkg/provider/kubernetes/ingress/kubernetes.go
# shouldProcessIngress, traefikDefaultIngressClassController). The manifests name class
# `traefik` without the IngressClass object: a cluster has it, so the test adds it.
TRAEFIK_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "traefik"},
    "spec": {"controller": "traefik.io/ingress-controller"},
}


def load_manifest(path: Path, *extra: dict[str, Any], complete: bool = True) -> ClusterSnapshot:
    """The file read as `check --manifests` reads it; `complete`: as a cluster holding exactly
    these objects (and `extra`) would be read."""
    objects = list(ManifestSet([str(path)]).objects())
    return snapshot_from_objects([*objects, *extra], f"manifests {path.name}", complete=complete)


def only(validations: Iterable[ClientValidation]) -> ClientValidation:
    found = list(validations)
    assert len(found) == 1, found
    return found[0]


def answers(validation: ClientValidation, tls: str = "1.3") -> dict[str, str]:
    return {kind: str(predict(validation, kind, tls)) for kind in ("none", "trusted", "other-ca", "expired")}  # type: ignore[arg-type]


def assert_fixes_runnable(validation: ClientValidation) -> None:
    """Every fix is a command of a program the fixes may use, and no private key is printed."""
    for finding in validation.findings:
        assert finding.is_command, finding.fix
        assert "PRIVATE KEY" not in finding.fix + finding.detail + " ".join(finding.evidence)


# Go crypto/tls, RequireAndVerifyClientCert, TLS 1.3 (measured: go-RequireAndVerifyClientCert.txt)
ENFORCED = {
    "none": "TLS alert 116 after the handshake",
    "trusted": "HTTP 200",
    "other-ca": "TLS alert 48 after the handshake",
    "expired": "TLS alert 45 after the handshake",
}
EVERYONE_IN = dict.fromkeys(ENFORCED, "HTTP 200")  # go-RequestClientCert.txt: nothing asked, all get in
CLOSED = dict.fromkeys(ENFORCED, "connection closed")  # brokenTLSRouter: closed in the handshake
NOT_SERVED = dict.fromkeys(ENFORCED, "HTTP 404")  # no router for the host


@dataclass(frozen=True)
class Expected:
    mode: str
    breakage: str | None
    codes: frozenset[str]
    answers: dict[str, str]
    cite: str  # repository file and function the expectation comes from
    host: str = "meow.com"


EXPECTED: dict[str, Expected] = {
    "healthy-ingressroute.yaml": Expected(
        "require-and-verify",
        None,
        frozenset(),
        ENFORCED,
        "crd/kubernetes.go buildTLSOptions, getCABlocks; pkg/tls/tlsmanager.go buildTLSConfig",
    ),
    "healthy-ingress.yaml": Expected(
        "require-and-verify",
        None,
        frozenset(),
        ENFORCED,
        "crd/kubernetes.go makeID (namespace-name), getCABlocks (tls.ca then ca.crt); ingress fixtures "
        "Ingress-with-tls-options-annotation.yml",
    ),
    "ca-secret-missing-no-type.yaml": Expected(
        "none",
        None,
        frozenset({"ca-ref-not-found", "mtls-fail-open"}),
        EVERYONE_IN,
        "crd/kubernetes.go buildTLSOptions (missing Secret: warn, continue); tlsmanager.go buildTLSConfig "
        "(no CA, no type: NoClientCert)",
    ),
    "ca-secret-missing-with-type.yaml": Expected(
        "none",
        "connection-closed",
        frozenset({"ca-ref-not-found", "tls-option-broken"}),
        CLOSED,
        "tlsmanager.go buildTLSConfig ('CAFiles is required'); tcp/manager.go buildEntryPointHandler; "
        "tcp/router.go brokenTLSRouter.ServeTCP",
    ),
    "ca-secret-wrong-key.yaml": Expected(
        "none",
        None,
        frozenset({"ca-ref-no-ca-key", "mtls-fail-open"}),
        EVERYONE_IN,
        "crd/kubernetes.go getCABlocks ('contains neither tls.ca nor ca.crt'), buildTLSOptions",
    ),
    "conflicting-options-same-host.yaml": Expected(
        "none",
        None,
        frozenset({"mtls-fail-open"}),
        EVERYONE_IN,
        "server/aggregator.go resolveHTTPTLSOptions; tcp/manager.go buildEntryPointHandler",
    ),
    "unknown-tlsoption.yaml": Expected(
        "none",
        "connection-closed",
        frozenset({"tls-option-unknown"}),
        CLOSED,
        "tlsmanager.go Manager.Get ('unknown TLS options'); tcp/manager.go buildEntryPointHandler",
    ),
    "verify-if-given.yaml": Expected(
        "verify-if-given",
        None,
        frozenset({"mtls-fallback-mode"}),
        {**ENFORCED, "none": "HTTP 200"},
        "tlsmanager.go buildTLSConfig; measured go-VerifyClientCertIfGiven.txt",
    ),
    "cipher-suite-openssl-name.yaml": Expected(
        "none",
        "connection-closed",
        frozenset({"tls-option-broken"}),
        CLOSED,
        "tlsmanager.go buildTLSConfig ('invalid CipherSuite'), Manager.Get; cipher.go CipherSuites; "
        "tcp/manager.go buildEntryPointHandler",
    ),
    "no-host-rule.yaml": Expected(
        "none",
        None,
        frozenset({"mtls-fail-open"}),
        EVERYONE_IN,
        "tcp/manager.go buildEntryPointHandler ('No domain found in rule %v, the TLS option %s cannot be applied'; "
        "Host(*) gets the default TLS config)",
        host="*",
    ),
    "two-default-tlsoptions.yaml": Expected(
        "none",
        None,
        frozenset({"mtls-fail-open"}),
        EVERYONE_IN,
        "crd/kubernetes.go buildTLSOptions (default in several namespaces: deleted); server/aggregator.go "
        "mergeConfiguration (no provider defines default: tls.DefaultTLSOptions, no clientAuth); aggregator_test.go "
        "Test_mergeConfiguration_tlsOptions 'Create a default TLS Options configuration if none was provided'",
    ),
    "ingress-nginx-provider-healthy.yaml": Expected(
        "require-and-verify",
        None,
        frozenset({"verify-depth-ignored"}),
        ENFORCED,
        "ingress-nginx/build.go buildClientAuthTLSOption, clientAuthTypeFromString; annotations.go (no depth)",
    ),
    "ingress-nginx-provider-secret-no-ca.yaml": Expected(
        "none",
        "not-served",
        frozenset({"ca-ref-no-ca-key"}),
        NOT_SERVED,
        "ingress-nginx/build.go ingress loop ('skipping ingress'), buildClientAuthTLSOption",
    ),
    "ingress-nginx-provider-cross-namespace.yaml": Expected(
        "none",
        "not-served",
        frozenset({"ca-ref-not-permitted"}),
        NOT_SERVED,
        "ingress-nginx/build.go buildClientAuthTLSOption (AllowCrossNamespaceResources)",
    ),
    "ingress-nginx-provider-optional-no-ca.yaml": Expected(
        "request",
        None,
        frozenset({"mtls-fallback-mode"}),
        EVERYONE_IN,
        "ingress-nginx/build.go clientAuthTypeFromString (optional_no_ca -> RequestClientCert)",
    ),
}


def test_every_manifest_has_an_expectation() -> None:
    assert {p.name for p in FOLDER.glob("*.yaml")} == set(EXPECTED)


def test_the_readers_are_registered() -> None:
    assert read_traefik in READERS and read_traefik_ingress_nginx in READERS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_manifest(name: str) -> None:
    """One manifest: mode, breakage, finding codes, and the answer each client gets (TLS 1.3;
    TLS 1.2 differs only for no certificate: alert 40 in the handshake). Source: traefik/traefik
    fd5a576d, the file and function in EXPECTED[name].cite."""
    expected = EXPECTED[name]
    snapshot = load_manifest(FOLDER / name, TRAEFIK_CLASS, *CURRENT)
    validation = only(client_validations(snapshot))
    assert (validation.implementation, validation.data_plane, validation.host) == ("traefik", "go", expected.host)
    assert validation.mode == expected.mode
    assert validation.breakage == expected.breakage
    assert {f.code for f in validation.findings} == expected.codes, [f.title for f in validation.findings]
    assert answers(validation) == expected.answers
    if expected.answers == ENFORCED:
        assert str(predict(validation, "none", "1.2")) == "TLS alert 40"
        assert str(predict(validation, "no-client-auth-eku")) == "TLS alert 42 after the handshake"
        assert validation.ca_pem and b"BEGIN CERTIFICATE" in validation.ca_pem
    for finding in validation.findings:
        if "fail-open" in finding.code or finding.code.startswith(("ca-ref", "tls-option")):
            assert finding.severity == Severity.ERROR
        assert re.match(r"(TLSOption|Ingress|IngressRoute|Secret) ", finding.subject), finding.subject
    assert_fixes_runnable(validation)


def test_fail_open_names_the_tls_option() -> None:
    """Every fail-open is an error naming the object that causes it (crd/kubernetes.go buildTLSOptions)."""
    validation = only(client_validations(load_manifest(FOLDER / "ca-secret-missing-no-type.yaml")))
    fail_open = next(f for f in validation.findings if f.code == "mtls-fail-open")
    assert fail_open.subject == "TLSOption meow/meow-mtls" and "Secret meow/meow-ca" in fail_open.title
    assert "kubectl create secret generic meow-ca -n meow" in fail_open.fix


def test_tls_ca_is_read_before_ca_crt() -> None:
    """getCABlocks: `tls.ca` first, then `ca.crt` (crd/kubernetes.go)."""
    snapshot = load_manifest(FOLDER / "healthy-ingressroute.yaml")
    ca = next(s for s in snapshot.secrets if s.name == "meow-ca")
    other = (DATA / "pki" / "other-ca.crt").read_bytes()
    both = replace(ca, data=(("ca.crt", other), ("tls.ca", ca.get("ca.crt") or b"")))
    changed = replace(snapshot, secrets=(both, *[s for s in snapshot.secrets if s is not ca]))
    validation = only(read_traefik(changed))
    assert validation.ca_pem == ca.get("ca.crt")


def test_manifests_without_the_secret_are_not_called_fail_open() -> None:
    """As `check --manifests` reads files (complete=False), a CA Secret that is not among them may
    exist in the cluster: a warning says it was not checked, the verdict lists it as unseen."""
    validation = only(client_validations(load_manifest(FOLDER / "ca-secret-missing-no-type.yaml", complete=False)))
    assert {f.code for f in validation.findings} == {"secret-not-in-manifests"}
    assert validation.unseen == ("Secret meow/meow-ca",)
    assert all(f.severity == Severity.WARNING for f in validation.findings)


def test_manifests_without_the_ingress_class_still_read_traefik_annotations() -> None:
    """Manifest files often lack the cluster's IngressClass: a traefik.ingress.kubernetes.io/
    annotation is taken as the sign that Traefik serves the Ingress."""
    validation = only(client_validations(load_manifest(FOLDER / "healthy-ingress.yaml", complete=False)))
    assert validation.mode == "require-and-verify" and not validation.findings


def test_the_old_api_group_is_read_with_a_warning() -> None:
    """traefik.containo.us: served by Traefik v2.10 beside traefik.io, removed in v3
    (docs/content/migrate/v2-to-v3-details.md)."""
    objects = [_old_group(o) for o in ManifestSet([str(FOLDER / "healthy-ingressroute.yaml")]).objects()]
    validation = only(client_validations(snapshot_from_objects(objects, "old", complete=True)))
    assert validation.mode == "require-and-verify"
    assert {f.code for f in validation.findings} == {"traefik-api-group-removed"}


def _old_group(obj: dict[str, Any]) -> dict[str, Any]:
    if str(obj.get("apiVersion", "")).startswith("traefik.io/"):
        return {**obj, "apiVersion": "traefik.containo.us/v1alpha1"}
    return obj


def test_a_cross_namespace_tls_option_drops_the_router() -> None:
    """kubernetes_http.go: resolveReference refuses another namespace while allowCrossNamespace is
    off, and the route is skipped (`continue`): the host is not served."""
    objects = list(ManifestSet([str(FOLDER / "healthy-ingressroute.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "IngressRoute":
            obj["spec"]["tls"]["options"]["namespace"] = "pki"
    validation = only(client_validations(snapshot_from_objects(objects, "x", complete=True)))
    assert validation.breakage == "not-served" and answers(validation) == NOT_SERVED
    assert {f.code for f in validation.findings} == {"tls-option-not-permitted"}


def test_an_unqualified_annotation_names_no_crd_option() -> None:
    """A value without `@provider` is qualified with the Ingress provider (`@kubernetes`), which
    has no TLSOption: unknown TLS options, closing route (aggregator.go, tlsmanager.go Manager.Get)."""
    objects = list(ManifestSet([str(FOLDER / "healthy-ingress.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "Ingress":
            obj["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.tls.options"] = "meow-meow-mtls"
    validation = only(
        client_validations(snapshot_from_objects([*objects, TRAEFIK_CLASS, *CURRENT], "x", complete=True))
    )
    assert validation.breakage == "connection-closed"
    finding = only(validation.findings)
    assert finding.code == "tls-option-unknown" and "meow-meow-mtls@kubernetescrd" in finding.fix


def test_an_ingress_nginx_controller_keeps_its_ingresses() -> None:
    """Traefik's provider claims class k8s.io/ingress-nginx (ingress-nginx/kubernetes.go
    defaultControllerName). Where ingress-nginx's controller serves the Ingress, the ingress-nginx
    rules judge it, unchanged, and the Traefik reader stays out."""
    from mtls_tui.lab.objects import controller_objects

    path = FOLDER / "ingress-nginx-provider-secret-no-ca.yaml"
    with_controller = load_manifest(path, *controller_objects())
    assert with_controller.controllers
    assert read_traefik_ingress_nginx(with_controller) == []
    policy = only(host_policies(with_controller))
    assert "secret-missing-ca" in {f.code for f in policy.findings}  # ingress-nginx: mTLS silently off


def test_manifests_without_a_controller_stay_with_ingress_nginx() -> None:
    """In manifest files the controllers are unknown: the class is ingress-nginx's, so is the verdict."""
    path = FOLDER / "ingress-nginx-provider-healthy.yaml"
    assert read_traefik_ingress_nginx(load_manifest(path, complete=False)) == []


def test_two_default_tls_options_leave_the_built_in_default() -> None:
    """crd/kubernetes.go buildTLSOptions: `default` in two namespaces -> deleted ("Default TLS
    Options defined in multiple namespaces"); server/aggregator.go mergeConfiguration then inserts
    tls.DefaultTLSOptions (aggregator_test.go Test_mergeConfiguration_tlsOptions "Create a default
    TLS Options configuration if none was provided"), and the conflicting routers, which need the
    default options, ask no certificate. Neither default here asks for one: the host was plain TLS
    before the conflict, and its routers' conflict is what lets everyone in."""
    objects = list(ManifestSet([str(FOLDER / "conflicting-options-same-host.yaml")]).objects())
    defaults = [
        {
            "apiVersion": "traefik.io/v1alpha1",
            "kind": "TLSOption",
            "metadata": {"name": "default", "namespace": ns},
            "spec": {},
        }
        for ns in ("meow", "other")
    ]
    validation = only(client_validations(snapshot_from_objects([*objects, *defaults], "x", complete=True)))
    assert validation.breakage is None and answers(validation) == EVERYONE_IN
    assert {f.code for f in validation.findings} == {"mtls-fail-open"}


def test_two_default_tls_options_name_every_namespace() -> None:
    """The fail-open finding names the namespaces whose `default` TLSOptions Traefik drops
    (crd/kubernetes.go buildTLSOptions logs them: "Default TLS Options defined in multiple namespaces: %v")."""
    validation = only(client_validations(load_manifest(FOLDER / "two-default-tlsoptions.yaml")))
    [finding] = validation.findings
    assert finding.subject == "TLSOption meow/default" and "(meow, other)" in finding.title
    assert finding.evidence == ("TLSOption meow/default", "TLSOption other/default")


def test_fixes_quote_hostile_names() -> None:
    """Names come from the cluster: a Secret name with shell syntax stays one word in the fix."""
    import shlex

    hostile = "ca$(touch /tmp/pwned)`id`"
    objects = list(ManifestSet([str(FOLDER / "ca-secret-missing-no-type.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "TLSOption":
            obj["spec"]["clientAuth"]["secretNames"] = [hostile]
    validation = only(client_validations(snapshot_from_objects(objects, "x", complete=True)))
    for finding in validation.findings:
        words = shlex.split(finding.fix)
        assert hostile in words, finding.fix


def _with_spec(**spec: Any) -> ClientValidation:
    """healthy-ingressroute.yaml with the TLSOption's spec fields replaced."""
    objects = list(ManifestSet([str(FOLDER / "healthy-ingressroute.yaml")]).objects())
    for obj in objects:
        if obj.get("kind") == "TLSOption":
            obj["spec"].update(spec)
    return only(client_validations(snapshot_from_objects([*objects, *CURRENT], "x", complete=True)))


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"cipherSuites": ["TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]}, "invalid CipherSuite"),
        ({"curvePreferences": ["prime256v1"]}, "invalid CurveID in curvePreferences: prime256v1"),
    ],
)
def test_a_name_go_does_not_know_breaks_the_option(spec: dict[str, Any], error: str) -> None:
    """tlsmanager.go buildTLSConfig: a cipher suite not in cipher.go CipherSuites, or a curve not in
    certificate.go CurveIDs (OpenSSL's prime256v1 is Go's CurveP256), fails the config, and the
    host gets the closing route (tcp/manager.go buildEntryPointHandler)."""
    validation = _with_spec(**spec)
    assert validation.breakage == "connection-closed" and answers(validation) == CLOSED
    [finding] = validation.findings
    assert finding.code == "tls-option-broken" and any(error in e for e in finding.evidence), finding
    assert finding.fix.startswith("kubectl patch tlsoption meow-mtls -n meow --type json")


def test_go_names_and_unknown_versions_keep_the_option() -> None:
    """Go's cipher and curve names are accepted; an unknown minVersion or maxVersion is no error in
    buildTLSConfig (`MinVersion[...]`, `MaxVersion[...]` miss and Go's default stays: certificate.go)."""
    validation = _with_spec(
        cipherSuites=["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
        curvePreferences=["X25519", "secp256r1"],
        minVersion="TLSv1.2",
        maxVersion="VersionTLS13",
    )
    assert validation.breakage is None and validation.mode == "require-and-verify" and not validation.findings


def test_a_broken_cipher_list_is_broken_whatever_the_unseen_secret_holds() -> None:
    """As manifest files (the CA Secret not among them), the cipher error is still certain:
    buildTLSConfig checks the suites whatever the CA (tlsmanager.go)."""
    objects = [
        o
        for o in ManifestSet([str(FOLDER / "cipher-suite-openssl-name.yaml")]).objects()
        if not (o.get("kind") == "Secret" and o["metadata"]["name"] == "meow-ca")
    ]
    validation = only(client_validations(snapshot_from_objects([*objects, *CURRENT], "x", complete=False)))
    assert validation.breakage == "connection-closed"
    assert {f.code for f in validation.findings} == {"secret-not-in-manifests", "tls-option-broken"}


def test_a_router_without_host_under_enforcing_default_options() -> None:
    """Default TLS options that require certificates still decide for a router without Host(...)
    (tcp/manager.go buildEntryPointHandler: Host(*) -> default options): its own TLS option is not
    applied, which is a warning, and the default's CA is the one clients meet."""
    objects = list(ManifestSet([str(FOLDER / "no-host-rule.yaml")]).objects())
    default = next(o for o in objects if o.get("kind") == "TLSOption")
    objects.append({**default, "metadata": {"name": "default", "namespace": "meow"}})
    validation = only(client_validations(snapshot_from_objects(objects, "x", complete=True)))
    assert validation.host == "*" and validation.mode == "require-and-verify" and answers(validation) == ENFORCED
    [finding] = validation.findings
    assert finding.code == "tls-option-not-applied" and finding.severity == Severity.WARNING


def test_a_router_without_host_beside_one_with_host() -> None:
    """A Host-ful router keeps its options for its name; the Host-less one is reported on its own
    (the two never conflict: only routers with domains are compared, aggregator.go resolveHTTPTLSOptions)."""
    objects = list(ManifestSet([str(FOLDER / "healthy-ingressroute.yaml")]).objects())
    route = next(o for o in objects if o.get("kind") == "IngressRoute")
    hostless = {**route, "metadata": {"name": "any", "namespace": "meow"}}
    hostless["spec"] = {**route["spec"], "routes": [{**route["spec"]["routes"][0], "match": "PathPrefix(`/x`)"}]}
    objects.append(hostless)
    found = {v.host: v for v in client_validations(snapshot_from_objects(objects, "x", complete=True))}
    assert set(found) == {"meow.com", "*"}
    assert found["meow.com"].mode == "require-and-verify" and not found["meow.com"].findings
    assert {f.code for f in found["*"].findings} == {"mtls-fail-open"}
