"""Gateway API Gateways (`spec.tls.frontend`), read by policy/successors/gateway_api.py and, for
Envoy Gateway's class, envoy_gateway.py: every manifest of tests/data/successors/gateway-api/,
loaded as `check --manifests` loads it, against its README "Expected" line.

The files name Envoy Gateway's GatewayClass; the same Gateway under Istio, NGINX Gateway Fabric
and an unknown controller is read by replacing `controllerName` (`with_controller`), since each
implementation reads the spec's implementation-specific parts differently (docs/successors.md
G11–G16). Answers are `predict()` for a client with no certificate, a trusted one, one from
another CA and an expired one, over TLS 1.3 (`alert N+`: on the first read after the handshake).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.successor_gateways import (
    DATA,
    Expect,
    answers,
    check,
    manifests,
    one,
    read,
    readme_expected,
    with_controller,
)

FOLDER = DATA / "gateway-api"
ENFORCED = ("alert 116+", "200", "alert 48+", "alert 45+")
OPEN = ("200", "200", "200", "200")
CLOSED = ("closed", "closed", "closed", "closed")
# Envoy Gateway drops a refused listener and, when it held the port alone, the port (listener.go
# ProcessListeners, processInfraIRListener): nothing listens (eg_server_secret.py refused_answers)
NOTHING_LISTENS = ("refused",) * 4
REFUSED = frozenset({"ca-all-refs-invalid"})

# file → expectation, with the source of each rule.
EXPECTED: dict[str, Expect] = {
    # gateway-api 4564255a apis/v1/gateway_types.go FrontendTLSValidation; conformance
    # gateway-with-clientcertificate-validation.go; measured measure/results/envoy-require-verify.txt
    "healthy.yaml": Expect("require-and-verify", ENFORCED),
    # conformance gateway-invalid-default-frontend-client-certificate-validation.go; envoyproxy/gateway
    # listener.go ProcessGatewayTLS + ProcessListeners (frontendTLSValidationInvalid → continue)
    "ca-configmap-missing.yaml": Expect("none", NOTHING_LISTENS, REFUSED | {"ca-ref-not-found"}, "listener-refused"),
    # conformance gateway-with-invalid-clientcertificate-validation.go (https-invalid-kind);
    # envoyproxy/gateway backendtlspolicy.go getCaCertsFromCARefs (ErrInvalidCACertificateKind)
    "ca-wrong-kind.yaml": Expect("none", NOTHING_LISTENS, REFUSED | {"ca-ref-wrong-kind"}, "listener-refused"),
    # gateway_types.go FrontendTLSValidation; envoyproxy/gateway helpers.go getFirstMatchOrFirstFromData
    "ca-configmap-no-ca-key.yaml": Expect("none", NOTHING_LISTENS, REFUSED | {"ca-ref-no-ca-key"}, "listener-refused"),
    # conformance (https-grant-missing); backendtlspolicy.go getCaCertsFromCARefs isCrossNamespaceReferencePermitted
    "ca-cross-namespace-no-grant.yaml": Expect(
        "none", NOTHING_LISTENS, REFUSED | {"ca-ref-not-permitted"}, "listener-refused"
    ),
    # gateway_types.go FrontendTLSValidation (ReferenceGrant clause)
    "ca-cross-namespace-with-grant.yaml": Expect("require-and-verify", ENFORCED),
    # conformance gateway-with-clientcertificate-validation-insecure-fallback.go; envoyproxy/gateway
    # helpers.go frontendValidationMode (→ Request); measured envoy-optional-accept-untrusted.txt
    "insecure-fallback.yaml": Expect("request", OPEN, frozenset({"mtls-fallback-mode"})),
    # envoyproxy/gateway listener.go ProcessGatewayTLS ("An explicit per-port tls override with no
    # validation disables frontend default validation on that port")
    "perport-override-without-validation.yaml": Expect("none", OPEN, frozenset({"mtls-fail-open"})),
    # gateway_types.go FrontendTLSConfig / TLSPortConfig: per port, every HTTPS listener on it
    "shared-port-two-hosts.yaml": Expect("require-and-verify", ENFORCED),
    # backendtlspolicy.go getCaCertsFromCARefs (bundles concatenated)
    "two-ca-refs.yaml": Expect("require-and-verify", ENFORCED),
    # v1.1–v1.3 experimental listeners[].tls.frontendValidation: Envoy Gateway reads only
    # spec.tls.frontend (listener.go ProcessGatewayTLS; added in 77965c33, v1.8.0) → not read: fail open
    "experimental-frontendvalidation-v1.3.yaml": Expect("none", OPEN, frozenset({"mtls-fail-open"})),
}


def test_every_manifest_has_an_expectation() -> None:
    """A new file in the folder needs its row here (and its README line)."""
    assert sorted(EXPECTED) == manifests("gateway-api")
    for name in EXPECTED:
        assert readme_expected("gateway-api", name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_envoy_gateway_reads_each_manifest(name: str) -> None:
    """Envoy Gateway (the files' GatewayClass): mode, breakage, finding codes and the predicted
    answers, as the README's Expected line says for each file."""
    found = read(FOLDER / name)
    assert found, "no ClientValidation"
    for validation in found:
        check(validation, EXPECTED[name])


def test_shared_port_is_port_scoped() -> None:
    """Both HTTPS listeners on 443 get the default: scope port, each naming the other host
    (gateway_types.go TLSPortConfig "applied to all Listeners handling HTTPS traffic that match this port")."""
    found = {v.host: v for v in read(FOLDER / "shared-port-two-hosts.yaml")}
    assert sorted(found) == ["meow.com", "public.meow.com"]
    assert found["meow.com"].scope == found["public.meow.com"].scope == "port"
    assert found["meow.com"].shared_with == ("public.meow.com",)
    assert found["public.meow.com"].shared_with == ("meow.com",)


def test_two_refs_are_concatenated_on_envoy_gateway() -> None:
    """getCaCertsFromCARefs joins the bundles: both CAs are trusted, named in ca_refs."""
    validation = one(FOLDER / "two-ca-refs.yaml")
    assert validation.ca_refs == ("ConfigMap meow/meow-ca key ca.crt", "ConfigMap meow/meow-ca-2 key ca.crt")
    assert validation.ca_pem is not None and validation.ca_pem.count(b"BEGIN CERTIFICATE") == 2


def test_refused_listener_names_the_reason_and_the_gateway() -> None:
    """G5/G13: the ca-all-refs-invalid finding names the Gateway, the port and the bad reference."""
    validation = one(FOLDER / "ca-configmap-missing.yaml")
    finding = next(f for f in validation.findings if f.code == "ca-all-refs-invalid")
    assert finding.subject == "Gateway meow/meow" and "port 443" in finding.title
    assert any("ConfigMap meow/meow-ca: not-found" in line for line in finding.evidence)
    assert "drops the listener" in finding.detail  # Envoy Gateway: listener not built (G13)


def test_fallback_and_fail_open_fixes_are_patches_of_the_gateway() -> None:
    """The fix is the JSON patch that puts the mode back, or removes the perPort entry."""
    fallback = one(FOLDER / "insecure-fallback.yaml").findings[0]
    assert fallback.fix.startswith("kubectl patch gateways.gateway.networking.k8s.io meow -n meow --type json -p ")
    assert '"path":"/spec/tls/frontend/default/validation/mode","value":"AllowValidOnly"' in fallback.fix
    fail_open = one(FOLDER / "perport-override-without-validation.yaml").findings[0]
    assert (
        fail_open.severity.value == "error" and '"op":"remove","path":"/spec/tls/frontend/perPort/0"' in fail_open.fix
    )


def test_grant_fix_is_a_reference_grant_from_the_gateway() -> None:
    validation = one(FOLDER / "ca-cross-namespace-no-grant.yaml")
    fix = next(f for f in validation.findings if f.code == "ca-ref-not-permitted").fix
    assert fix.startswith("printf '%s' '") and fix.endswith("| kubectl apply -f -")
    assert '"from":[{"group":"gateway.networking.k8s.io","kind":"Gateway","namespace":"meow"}]' in fix
    assert '"namespace":"pki"' in fix


# --- the same Gateways under the other implementations ----------------------------------------

ISTIO = "istio.io/gateway-controller"  # istio pilot/pkg/features/pilot.go PILOT_GATEWAY_API_CONTROLLER_NAME
NGF = "gateway.nginx.org/nginx-gateway-controller"  # nginx-gateway-fabric charts values gatewayControllerName


@pytest.mark.parametrize(
    ("name", "expect"),
    [
        # conversion.go buildTLS: AllowValidOnly → MUTUAL (Envoy data plane)
        ("healthy.yaml", Expect("require-and-verify", ENFORCED, implementation="istio")),
        # conversion.go buildTLS "only one caCertificateRef is supported" → InvalidCACertificateRef
        ("two-ca-refs.yaml", Expect("none", CLOSED, REFUSED, "listener-refused", "istio")),
        # buildCaCertificateReference + secrets.go ExtractRootFromString: cacert or ca.crt
        (
            "ca-configmap-no-ca-key.yaml",
            Expect("none", CLOSED, REFUSED | {"ca-ref-no-ca-key"}, "listener-refused", "istio"),
        ),
        # buildTLS: grant checked before the object (RefNotPermitted)
        (
            "ca-cross-namespace-no-grant.yaml",
            Expect("none", CLOSED, REFUSED | {"ca-ref-not-permitted"}, "listener-refused", "istio"),
        ),
        # buildTLS at 1.30.3 (the release assumed) reads no frontend mode: AllowInsecureFallback is served as
        # MUTUAL (releases.py ISTIO_FRONTEND_MODE; 1.31 renders OPTIONAL_MUTUAL + insecureSkipVerify:
        # tests/test_successor_releases.py test_istio_1_31_reads_the_fallback_mode)
        (
            "insecure-fallback.yaml",
            Expect(
                "require-and-verify",
                ENFORCED,
                frozenset({"frontend-mode-ignored", "controller-release-unseen"}),
                implementation="istio",
            ),
        ),
        # conversion.go buildTLS reads spec.tls only: the v1.3 listener field is not read
        (
            "experimental-frontendvalidation-v1.3.yaml",
            Expect("none", OPEN, frozenset({"mtls-fail-open"}), implementation="istio"),
        ),
    ],
)
def test_istio_reads_the_gateway(tmp_path: Path, name: str, expect: Expect) -> None:
    """Istio's Gateway API path (docs/successors.md G15)."""
    for validation in read(with_controller(FOLDER / name, ISTIO, tmp_path)):
        check(validation, expect)


def test_nginx_gateway_fabric_closes_instead_of_alerting(tmp_path: Path) -> None:
    """NGF: ssl_verify_client on, ssl_verify_depth 4, 495/496 → `return 444` (servers_template.go;
    dataplane/configuration.go addClientSettingsToSSLServers): a refused client sees the connection
    closed, no alert and no HTTP answer (measured: nginx.txt)."""
    validation = one(with_controller(FOLDER / "healthy.yaml", NGF, tmp_path))
    check(
        validation,
        Expect("require-and-verify", ("closed", "200", "closed", "closed"), implementation="nginx-gateway-fabric"),
    )
    assert validation.data_plane == "nginx" and validation.verify_depth == 4
    fallback = one(with_controller(FOLDER / "insecure-fallback.yaml", NGF, tmp_path))
    assert answers(fallback) == OPEN  # ssl_verify_client optional_no_ca


def test_nginx_gateway_fabric_skips_a_per_port_entry_without_validation(tmp_path: Path) -> None:
    """NGF: a perPort entry whose tls has no validation (or no caCertificateRefs) is skipped, and
    frontend.default still applies on that port (internal/controller/state/graph/gateway_listener.go
    createFrontendTLSCaCertReferenceResolver: `continue`), where Envoy Gateway turns validation off
    (the audit's ngf-01: the tool said mtls-fail-open)."""
    validation = one(with_controller(FOLDER / "perport-override-without-validation.yaml", NGF, tmp_path))
    check(
        validation,
        Expect("require-and-verify", ("closed", "200", "closed", "closed"), implementation="nginx-gateway-fabric"),
    )
    assert validation.ca_pem and b"BEGIN CERTIFICATE" in validation.ca_pem


def test_unknown_controller_is_judged_by_the_spec(tmp_path: Path) -> None:
    """An implementation this tool does not know: the spec's core (ConfigMap ca.crt, AllowValidOnly
    refuses with no HTTP answer: conformance tls.go MakeTLSRequestAndExpectEventuallyConsistentFailureResponse)
    and a finding that says the implementation is unknown."""
    validation = one(with_controller(FOLDER / "healthy.yaml", "example.com/other-controller", tmp_path))
    check(
        validation,
        Expect(
            "require-and-verify",
            ("refused", "200", "refused", "refused"),
            frozenset({"gateway-implementation-unknown"}),
            implementation="gateway-api",
        ),
    )
    assert validation.data_plane == "unknown"
    finding = validation.findings[0]
    assert "example.com/other-controller" in finding.title and finding.severity.value == "warning"


def test_unknown_controller_keeps_the_v13_field_with_a_warning(tmp_path: Path) -> None:
    """Where the implementation is unknown the old field may still be read (v1.1–v1.3 CRDs):
    its meaning then is AllowValidOnly, with a warning that v1.5+ CRDs drop it (G9)."""
    path = with_controller(FOLDER / "experimental-frontendvalidation-v1.3.yaml", "example.com/x", tmp_path)
    validation = one(path)
    assert validation.mode == "require-and-verify"
    assert {f.code for f in validation.findings} == {"gateway-implementation-unknown", "frontend-validation-legacy"}


def test_status_conditions_are_evidence(tmp_path: Path) -> None:
    """Conditions the controller wrote (a Gateway read back from a cluster) are kept as evidence:
    the listener's Accepted=False NoValidCACertificate appears in `conditions` and in the finding."""
    documents = [d for d in yaml.safe_load_all((FOLDER / "ca-configmap-missing.yaml").read_text()) if d]
    gateway = next(d for d in documents if d["kind"] == "Gateway")
    gateway["status"] = {
        "conditions": [{"type": "ResolvedRefs", "status": "False", "reason": "InvalidParameters"}],
        "listeners": [
            {
                "name": "https",
                "conditions": [
                    {"type": "Accepted", "status": "False", "reason": "NoValidCACertificate", "message": "no CA"},
                    {"type": "Programmed", "status": "False", "reason": "Invalid"},
                ],
            }
        ],
    }
    path = tmp_path / "with-status.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    validation = one(path)
    assert "listener https Accepted=False NoValidCACertificate: no CA" in validation.conditions
    assert "Gateway meow/meow ResolvedRefs=False InvalidParameters" in validation.conditions
    refused = next(f for f in validation.findings if f.code == "ca-all-refs-invalid")
    assert "listener https Programmed=False Invalid" in refused.evidence


def _with_old_ingress(path: Path, folder: Path, depth: str | None) -> Path:
    """The manifest plus the seed article's ingress-nginx Ingress for meow.com (a migration that
    left it in place): its auth-tls annotations are what the user expected."""
    annotations = {"nginx.ingress.kubernetes.io/auth-tls-secret": "meow/meow-ca"}
    if depth is not None:
        annotations["nginx.ingress.kubernetes.io/auth-tls-verify-depth"] = depth
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "meow-old", "namespace": "meow", "annotations": annotations},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "meow.com"}]},
    }
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    out = folder / ("old-ingress-" + path.name)
    out.write_text(yaml.safe_dump_all([*documents, ingress]))
    return out


def test_ingress_nginx_depth_is_not_carried_to_envoy(tmp_path: Path) -> None:
    """verify-depth-ignored: ingress-nginx verified to depth 1 (its default); Envoy Gateway sets no
    max_verify_depth (translator/listener.go setTLSValidationContext; measured depth 2 accepted)."""
    validation = one(_with_old_ingress(FOLDER / "healthy.yaml", tmp_path, None))
    finding = next(f for f in validation.findings if f.code == "verify-depth-ignored")
    assert finding.severity.value == "warning" and "depth 1" in finding.title and "no limit" in finding.title
    assert "now accepted" in finding.detail and finding.subject == "Gateway meow/meow"
    assert answers(validation) == ENFORCED  # the CA and mode prediction is unchanged


def test_ingress_nginx_depth_above_four_is_refused_by_ngf(tmp_path: Path) -> None:
    """NGF fixes ssl_verify_depth 4 (servers_template.go): an Ingress that allowed 6 loses chains."""
    path = with_controller(_with_old_ingress(FOLDER / "healthy.yaml", tmp_path, "6"), NGF, tmp_path)
    finding = next(f for f in one(path).findings if f.code == "verify-depth-ignored")
    assert "depth 6" in finding.title and "depth 4" in finding.title and "now refused" in finding.detail
    (tmp_path / "four").mkdir()
    same = with_controller(_with_old_ingress(FOLDER / "healthy.yaml", tmp_path / "four", "4"), NGF, tmp_path / "four")
    assert "verify-depth-ignored" not in {f.code for f in one(same).findings}


def test_a_listener_without_hostname_serves_its_routes_hosts(tmp_path: Path) -> None:
    """Without `hostname` the listener serves the hostnames of the HTTPRoutes attached to it
    (parentRefs name + sectionName): one ClientValidation per host, all on the same port setting."""
    documents = [d for d in yaml.safe_load_all((FOLDER / "healthy.yaml").read_text()) if d]
    gateway = next(d for d in documents if d["kind"] == "Gateway")
    del gateway["spec"]["listeners"][0]["hostname"]
    route = next(d for d in documents if d["kind"] == "HTTPRoute")
    route["spec"]["hostnames"] = ["meow.com", "purr.meow.com"]
    elsewhere = dict(route, metadata={"name": "other", "namespace": "meow"})
    elsewhere["spec"] = dict(route["spec"], parentRefs=[{"name": "meow", "sectionName": "http"}], hostnames=["x.com"])
    path = tmp_path / "no-hostname.yaml"
    path.write_text(yaml.safe_dump_all([*documents, elsewhere]))
    found = {v.host: v for v in read(path)}
    assert sorted(found) == ["meow.com", "purr.meow.com"]  # x.com is attached to another section
    assert found["purr.meow.com"].shared_with == ("meow.com",) and answers(found["purr.meow.com"]) == ENFORCED


@pytest.mark.parametrize(
    ("option", "mode", "expected", "codes"),
    [
        ("MUTUAL", "require-and-verify", ENFORCED, frozenset()),
        (
            "OPTIONAL_MUTUAL",
            "verify-if-given",
            ("200", "200", "alert 48+", "alert 45+"),
            frozenset({"mtls-fallback-mode"}),
        ),
    ],
)
def test_istio_listener_option_forces_the_mode(
    tmp_path: Path, option: str, mode: str, expected: tuple[str, str, str, str], codes: frozenset[str]
) -> None:
    """conversion.go buildTLS: tls.options gateway.istio.io/tls-terminate-mode (gateway_utils.go
    GatewayTLSTerminateModeKey) MUTUAL / OPTIONAL_MUTUAL replaces the frontend mode, with verification
    (insecureSkipVerify false) — here over AllowInsecureFallback."""
    documents = [d for d in yaml.safe_load_all((FOLDER / "insecure-fallback.yaml").read_text()) if d]
    gateway = next(d for d in documents if d["kind"] == "Gateway")
    gateway["spec"]["listeners"][0]["tls"]["options"] = {"gateway.istio.io/tls-terminate-mode": option}
    path = tmp_path / "option.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    check(one(with_controller(path, ISTIO, tmp_path)), Expect(mode, expected, codes, implementation="istio"))


def test_as_manifests_a_missing_configmap_is_unseen_not_refused() -> None:
    """`check --manifests` (complete=False): the ConfigMap may be in the cluster. It is assumed present
    and usable (the prediction follows the mode), listed in `unseen`, with a warning that says what
    Envoy Gateway does if the cluster lacks it too (G13) — never an error on a guess."""
    validation = one(FOLDER / "ca-configmap-missing.yaml", complete=False)
    assert validation.breakage is None and validation.mode == "require-and-verify"
    assert validation.unseen == ("ConfigMap meow/meow-ca",) and validation.ca_pem is None
    assert answers(validation) == ENFORCED
    (finding,) = validation.findings
    assert finding.code == "configmap-not-in-manifests" and finding.severity.value == "warning"
    assert "refused" in finding.detail
    assert finding.fix == "kubectl get configmap meow-ca -n meow -o yaml > meow-ca-configmap.yaml"
    assert finding.detail.endswith("then add that file to --manifests.")
