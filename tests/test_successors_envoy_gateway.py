"""Envoy Gateway's ClientTrafficPolicy on top of a Gateway (policy/successors/envoy_gateway.py):
every manifest of tests/data/successors/envoy-gateway/, loaded as `check --manifests` loads it,
against its README "Expected" line (docs/successors.md E1–E15).

Sources (envoyproxy/gateway d32f2829): internal/gatewayapi/clienttrafficpolicy.go
ProcessClientTrafficPolicies, resolveClientTrafficPolicyTargetRef, buildListenerTLSParameters,
validateAndGetDataAtKeyInRef, translateClientTrafficPolicyForListener; helpers.go
convertClientValidationModeType, irTLSConfigs; tls.go filterValidCACertificates;
internal/gatewayapi/resource/resource.go (policy order). Answers: `predict()` for no certificate,
a trusted one, another CA's, an expired one, TLS 1.3 (`alert N+`: on the first read).
"""

from __future__ import annotations

import base64
import json
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.policy.successors import envoy_gateway
from tests.successor_gateways import DATA, Expect, answers, check, load, manifests, one, readme_expected

FOLDER = DATA / "envoy-gateway"
ENFORCED = ("alert 116+", "200", "alert 48+", "alert 45+")
OPEN = ("200", "200", "200", "200")
HTTP_500 = ("500", "500", "500", "500")
VERIFY_IF_GIVEN = ("200", "200", "alert 48+", "alert 45+")
INVALID = frozenset({"policy-invalid-http-500"})
# an invalid policy whose client validation reached the listener: the handshake refuses as usual, the
# route answers 500 to a trusted client (buildListenerTLSParameters edits the listener TLS in place)
TLS_THEN_500 = ("alert 116+", "500", "alert 48+", "alert 45+")

EXPECTED: dict[str, Expect] = {
    # buildListenerTLSParameters (mode defaults to RequireAndVerify); measured envoy-require-verify.txt
    "healthy.yaml": Expect("require-and-verify", ENFORCED),
    # translateClientTrafficPolicyForListener: 500 direct response, TLS without client validation
    "ca-configmap-missing.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-not-found"}, "http-500"),
    # validateAndGetDataAtKeyInRef + getFirstMatchOrFirstFromData: ca.crt or the only key
    "ca-secret-no-ca-key.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-no-ca-key"}, "http-500"),
    # tls.go filterValidCACertificates: all expired → "no valid certificates exist in meow-ca"
    "ca-expired.yaml": Expect("none", HTTP_500, INVALID | {"ca-expired"}, "http-500"),
    # buildListenerTLSParameters crossNamespaceFrom{gateway.envoyproxy.io, ClientTrafficPolicy}
    "cross-namespace-ca-no-grant.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-not-permitted"}, "http-500"),
    # convertClientValidationModeType: Request = not required + ACCEPT_UNTRUSTED; measured
    # envoy-optional-accept-untrusted.txt
    "mode-request.yaml": Expect("request", OPEN, frozenset({"mtls-fallback-mode"})),
    # RequireAny = required + ACCEPT_UNTRUSTED; measured envoy-require-accept-untrusted.txt
    "mode-require-any.yaml": Expect(
        "require-any", ("alert 116+", "200", "200", "200"), frozenset({"mtls-fallback-mode"})
    ),
    # VerifyIfGiven = not required + verified; measured envoy-optional-verify.txt
    "mode-verify-if-given.yaml": Expect("verify-if-given", VERIFY_IF_GIVEN, frozenset({"mtls-fallback-mode"})),
    # "Legacy mapping: Optional=true means VerifyIfGiven"
    "optional-true-deprecated.yaml": Expect("verify-if-given", VERIFY_IF_GIVEN, frozenset({"mtls-fallback-mode"})),
    # `tls.clientValidation.mode "RequireAndVerify" requires caCertificateRefs`
    "verify-mode-without-ca.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-not-found"}, "http-500"),
    # resolveClientTrafficPolicyTargetRef TargetNotFound; the listener runs without the policy (fail open)
    "section-not-found.yaml": Expect("none", OPEN, frozenset({"policy-target-not-found", "mtls-fail-open"})),
    # ProcessClientTrafficPolicies claimedSections; resource.go sort (oldest, then namespace/name ascending)
    "two-policies-one-listener.yaml": Expect("require-and-verify", ENFORCED, frozenset({"policy-conflicted"})),
    # section policies first, Gateway-wide second (PolicyConditionOverridden)
    "gateway-and-listener-policies.yaml": Expect("require-and-verify", ENFORCED, frozenset({"policy-overridden"})),
    # helpers.go irTLSConfigs (frontend first), buildListenerTLSParameters overwrites mode and CA
    "gateway-frontend-and-policy.yaml": Expect(
        "verify-if-given", VERIFY_IF_GIVEN, frozenset({"mtls-fallback-mode", "policy-overridden"})
    ),
    # setTLSClientValidationContext → listener.go setTLSValidationContext allow_expired_certificate;
    # testdata clienttrafficpolicy-mtls-allow-expired-cert; measured by tests/test_lab_envoy.py
    # tls.go validateCrl "CRL is expired"; buildListenerTLSParameters set the CA and mode in place before
    # the CRL loop (testdata clienttrafficpolicy-mtls-client-verification-expired-crl.out.yaml gateway-1)
    "crl-expired.yaml": Expect("require-and-verify", TLS_THEN_500, INVALID | {"crl-expired"}, "http-500"),
    # tls.go filterValidCACertificates: "unable to decode pem data for certificate"; no CA: nothing asked
    "ca-not-pem.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-no-certificate"}, "http-500"),
    # tls.go validateCertBlock: a PRIVATE KEY block does not parse as a certificate
    "ca-key-only.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-no-certificate"}, "http-500"),
    # convertClientValidationModeType ran before the CA loop failed; the frontend CA stays (irTLSConfigs);
    # testdata clienttrafficpolicy-invalid-settings.out.yaml keeps requireClientCertificate
    "frontend-and-invalid-policy.yaml": Expect(
        "require-and-verify", TLS_THEN_500, INVALID | {"ca-ref-not-found", "policy-overridden"}, "http-500"
    ),
    # tls.go validateCipherSuites fails before clientValidation; testdata clienttrafficpolicy-tls-invalid-cipher
    "cipher-tls13.yaml": Expect("none", HTTP_500, INVALID | {"policy-field-invalid"}, "http-500"),
    # translateListenerHeaderSettings; the TLS step still runs (errors joined); testdata
    # clienttrafficpolicy-max-request-header-limit-with-error
    "header-limit-too-small.yaml": Expect(
        "require-and-verify", TLS_THEN_500, INVALID | {"policy-field-invalid"}, "http-500"
    ),
    # backendtlspolicy.go getCaCertsFromCARefs: an empty ca.crt joins to "" → ErrNoValidCACertificate;
    # listener.go ProcessListeners does not build the listener, nor (its port's only listener) the port:
    # nothing listens (eg_server_secret.refused_answers)
    "frontend-ca-empty.yaml": Expect(
        "none", ("refused",) * 4, frozenset({"ca-ref-no-certificate", "ca-all-refs-invalid"}), "listener-refused"
    ),
    # helpers.go resolvePolicyTargetsFromSelectors (matchLabels → metav1.LabelSelectorAsSelector), then the
    # Gateway-wide pass of ProcessClientTrafficPolicies; testdata clienttrafficpolicy-listenerset-selector-and-
    # gateway-selector
    "target-selector.yaml": Expect("require-and-verify", ENFORCED),
    # isCrossNamespaceReferencePermitted: a cross-namespace match without a ReferenceGrant is dropped silently
    # (testdata policy-cross-namespace-targetselector-missing-referencegrant-gateway): the listener runs open
    "target-selector-other-namespace-no-grant.yaml": Expect(
        "none", OPEN, frozenset({"policy-target-not-found", "mtls-fail-open"})
    ),
    # validateAndGetDataAtKeyInRef kind ClusterTrustBundle: spec.trustBundle by name (testdata
    # clienttrafficpolicy-mtls-clustertrustbundle); not found → "ref ClusterTrustBundle [NAME] not found", the
    # policy is invalid (clienttrafficpolicy-invalid-settings target-gateway-3); all expired → filterValidCACertificates
    "ca-clustertrustbundle.yaml": Expect("require-and-verify", ENFORCED),
    "ca-clustertrustbundle-missing.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-not-found"}, "http-500"),
    "ca-clustertrustbundle-expired.yaml": Expect("none", HTTP_500, INVALID | {"ca-expired"}, "http-500"),
    # validate.go validateSecretObjectRef: "secret ref group must be unspecified/empty", core included
    "ca-ref-group-core.yaml": Expect("none", HTTP_500, INVALID | {"ca-ref-wrong-kind"}, "http-500"),
    "allow-expired-cert.yaml": Expect(
        "require-and-verify", ("alert 116+", "200", "alert 48+", "200"), frozenset({"client-cert-expired-allowed"})
    ),
}


def test_every_manifest_has_an_expectation() -> None:
    assert sorted(EXPECTED) == manifests("envoy-gateway")
    for name in EXPECTED:
        assert readme_expected("envoy-gateway", name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_manifest(name: str) -> None:
    """Mode, breakage, finding codes and predicted answers per the README's Expected line."""
    check(one(FOLDER / name), EXPECTED[name])


def test_invalid_policy_answers_500_even_without_a_certificate() -> None:
    """E6 / correction 4: the policy set RequireAndVerify on the listener before its CA failed
    (testdata clienttrafficpolicy-invalid-settings.out.yaml: requireClientCertificate true, no
    caCertificate), but with no CA Envoy asks for no certificate (measured: tests/test_lab_envoy.py
    test_envoy_without_a_ca_asks_no_certificate): no alert, every client gets the 500."""
    validation = one(FOLDER / "ca-configmap-missing.yaml")
    assert validation.scope == "listener" and validation.ca_pem is None and validation.mode == "none"
    assert answers(validation) == HTTP_500
    finding = next(f for f in validation.findings if f.code == "policy-invalid-http-500")
    assert finding.subject == "ClientTrafficPolicy meow/meow-mtls" and "listener https" in finding.title
    assert "no certificate is asked" in finding.detail


def test_an_expired_ca_beside_a_valid_one_is_dropped(tmp_path: Path) -> None:
    """filterValidCACertificates: an expired CA next to a valid one is dropped with a warning; the
    policy stays valid and the bundle keeps only the valid CA."""
    valid = (DATA / "pki" / "ca.crt").read_text()
    expired = (DATA / "pki" / "expired-ca.crt").read_text()
    documents = [d for d in yaml.safe_load_all((FOLDER / "ca-expired.yaml").read_text()) if d]
    next(d for d in documents if d["kind"] == "ConfigMap")["data"]["ca.crt"] = expired + valid
    path = tmp_path / "one-expired.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    validation = one(path)
    assert validation.mode == "require-and-verify" and validation.breakage is None
    assert answers(validation) == ENFORCED
    finding = next(f for f in validation.findings if f.code == "ca-expired")
    assert finding.severity.value == "warning" and "1 of 2 expired" in finding.title


def test_the_expired_rule_uses_the_clock() -> None:
    """Before 2020-01-01 the expired CA was valid: the same policy is then accepted (no ca-expired, no
    HTTP 500). The listener's own certificate (issued in 2026) was not valid yet then, and v1.9.0
    tls.go validateServingCertificateChain refuses it on the same clock: the listener is not built."""
    snapshot = load(FOLDER / "ca-expired.yaml")
    (validation,) = envoy_gateway.read(snapshot, now=datetime(2019, 6, 1, tzinfo=UTC))
    assert validation.mode == "require-and-verify"
    assert [f.code for f in validation.findings] == ["tls-secret-unusable"], validation.findings
    assert "will be valid after" in validation.findings[0].evidence[0]


def test_conflict_names_the_winner_and_the_order() -> None:
    """Same creationTimestamp: namespace then name ascending, so a-mtls wins over b-open (the
    opposite of ingress-nginx's tie-break). The fix deletes the loser, which has no effect."""
    validation = one(FOLDER / "two-policies-one-listener.yaml")
    assert validation.decided_by == ("ClientTrafficPolicy meow/a-mtls section https",)
    finding = next(f for f in validation.findings if f.code == "policy-conflicted")
    assert finding.subject == "ClientTrafficPolicy meow/b-open"
    assert "ClientTrafficPolicy meow/a-mtls applies" in finding.title
    assert finding.fix.startswith("kubectl delete clienttrafficpolicies.gateway.envoyproxy.io b-open -n meow")


def test_the_older_policy_wins_whatever_its_name(tmp_path: Path) -> None:
    """resource.go sorts by creationTimestamp first: make b-open older and it wins (fail open now)."""
    documents = [d for d in yaml.safe_load_all((FOLDER / "two-policies-one-listener.yaml").read_text()) if d]
    policy = next(d for d in documents if d["kind"] == "ClientTrafficPolicy" and d["metadata"]["name"] == "b-open")
    policy["metadata"]["creationTimestamp"] = "2026-10-01T10:00:00Z"
    path = tmp_path / "older-b.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    validation = one(path)
    assert validation.mode == "request" and answers(validation) == OPEN
    assert {f.code for f in validation.findings} == {"policy-conflicted", "mtls-fallback-mode"}
    conflicted = next(f for f in validation.findings if f.code == "policy-conflicted")
    assert conflicted.subject == "ClientTrafficPolicy meow/a-mtls"


def test_section_not_found_is_an_error_naming_the_policy() -> None:
    """E7: TargetNotFound; the fail-open names the policy that causes it and the fix points the
    sectionName at the listener the Gateway has."""
    validation = one(FOLDER / "section-not-found.yaml")
    fail_open = next(f for f in validation.findings if f.code == "mtls-fail-open")
    assert fail_open.severity.value == "error" and fail_open.subject == "ClientTrafficPolicy meow/meow-mtls"
    assert '"path":"/spec/targetRefs/0/sectionName","value":"https"' in fail_open.fix


def test_frontend_overridden_by_the_policy_takes_its_ca() -> None:
    """E10: the policy's CA (meow-ca-2) replaces the Gateway's (meow-ca): clients of meow-ca, the
    README's "trusted" CA, are now "another CA" to this listener; clients without a certificate get in."""
    validation = one(FOLDER / "gateway-frontend-and-policy.yaml")
    assert validation.ca_refs == ("ConfigMap meow/meow-ca-2 key ca.crt",)
    other_ca = (DATA / "pki" / "other-ca.crt").read_bytes().strip()
    assert validation.ca_pem is not None and validation.ca_pem.strip() == other_ca
    assert validation.decided_by == (
        "Gateway meow/meow spec.tls.frontend.default",
        "ClientTrafficPolicy meow/meow-mtls section https",
    )


def test_gateway_wide_policy_applies_to_the_other_listeners(tmp_path: Path) -> None:
    """With a second HTTPS listener the Gateway-wide policy (mode Request) applies to it: that
    listener is not enforced, the section one is; on one port this is mtls-port-scope."""
    documents = [d for d in yaml.safe_load_all((FOLDER / "gateway-and-listener-policies.yaml").read_text()) if d]
    gateway = next(d for d in documents if d["kind"] == "Gateway")
    second = dict(gateway["spec"]["listeners"][0], name="https-public", hostname="public.meow.com")
    gateway["spec"]["listeners"].append(second)
    path = tmp_path / "two-listeners.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    found = {v.host: v for v in envoy_gateway.read(load(path))}
    assert found["meow.com"].mode == "require-and-verify"
    assert found["public.meow.com"].mode == "request"
    assert found["public.meow.com"].decided_by == ("ClientTrafficPolicy meow/gateway-wide",)
    for validation in found.values():
        assert "mtls-port-scope" in {f.code for f in validation.findings}


def test_as_manifests_a_missing_ca_is_unseen() -> None:
    """complete=False: the policy's ConfigMap may exist in the cluster: assumed present, `unseen`,
    a warning naming the 500 that follows if it does not (E6); no policy-invalid-http-500."""
    validation = one(FOLDER / "ca-configmap-missing.yaml", complete=False)
    assert validation.breakage is None and validation.mode == "require-and-verify"
    assert validation.unseen == ("ConfigMap meow/meow-ca",)
    assert {f.code for f in validation.findings} == {"configmap-not-in-manifests"}
    assert "HTTP 500" in validation.findings[0].detail
    assert answers(validation) == ENFORCED


def test_conflict_severity_follows_what_was_lost(tmp_path: Path) -> None:
    """The README case loses a mode-Request policy to a RequireAndVerify one: a warning (nothing
    weaker applies). When the RequireAndVerify policy is the one that loses, it is an error."""
    kept = next(f for f in one(FOLDER / "two-policies-one-listener.yaml").findings if f.code == "policy-conflicted")
    assert kept.severity.value == "warning"
    documents = [d for d in yaml.safe_load_all((FOLDER / "two-policies-one-listener.yaml").read_text()) if d]
    policy = next(d for d in documents if d["kind"] == "ClientTrafficPolicy" and d["metadata"]["name"] == "b-open")
    policy["metadata"]["creationTimestamp"] = "2026-10-01T10:00:00Z"
    path = tmp_path / "older-b.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    lost = next(f for f in one(path).findings if f.code == "policy-conflicted")
    assert lost.severity.value == "error" and lost.subject == "ClientTrafficPolicy meow/a-mtls"


def _edited(tmp_path: Path, name: str, edit: Callable[[list[dict[str, Any]]], None]) -> Path:
    documents = [d for d in yaml.safe_load_all((FOLDER / name).read_text()) if d]
    edit(documents)
    path = tmp_path / f"edited-{name}"
    path.write_text(yaml.safe_dump_all(documents))
    return path


def _policy(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return next(d for d in documents if d["kind"] == "ClientTrafficPolicy")


def test_a_bad_cipher_keeps_the_frontend_validation(tmp_path: Path) -> None:
    """buildListenerTLSParameters returns on tls.ciphers before client validation: the listener
    keeps the Gateway's frontend mode and CA (helpers.go irTLSConfigs), the routes answer 500
    (testdata clienttrafficpolicy-tls-invalid-cipher); the policy overrides nothing."""

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["spec"]["tls"]["ciphers"] = ["TLS_AES_256_GCM_SHA384"]

    validation = one(_edited(tmp_path, "frontend-and-invalid-policy.yaml", edit))
    assert validation.ca_refs == ("ConfigMap meow/meow-ca key ca.crt",)
    assert answers(validation) == TLS_THEN_500
    assert {f.code for f in validation.findings} == INVALID | {"policy-field-invalid"}


def test_an_invalid_policy_without_client_validation_still_answers_500(tmp_path: Path) -> None:
    """translateClientTrafficPolicyForListener fails the policy on its header settings whatever its
    TLS part: without clientValidation and without a frontend no certificate is asked, every route 500."""

    def edit(documents: list[dict[str, Any]]) -> None:
        del _policy(documents)["spec"]["tls"]

    validation = one(_edited(tmp_path, "header-limit-too-small.yaml", edit))
    assert validation.breakage == "http-500" and answers(validation) == HTTP_500


def test_header_limit_in_range_is_accepted(tmp_path: Path) -> None:
    """1Ki is the lowest value translateListenerHeaderSettings accepts."""

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["spec"]["headers"]["maxRequestHeaderLimit"] = "1Ki"

    check(one(_edited(tmp_path, "header-limit-too-small.yaml", edit)), EXPECTED["healthy.yaml"])


def test_a_crl_that_does_not_parse_fails_the_policy(tmp_path: Path) -> None:
    """validateCrl parses the first PEM block as a CRL whatever its label ("failed to parse CRL"):
    a certificate in ca.crl fails the policy as an expired CRL does."""

    def edit(documents: list[dict[str, Any]]) -> None:
        secret = next(d for d in documents if d["kind"] == "Secret" and d["metadata"]["name"] == "meow-crl")
        secret["data"]["ca.crl"] = base64.b64encode((DATA / "pki" / "ca.crt").read_bytes()).decode()

    validation = one(_edited(tmp_path, "crl-expired.yaml", edit))
    assert answers(validation) == TLS_THEN_500
    assert {f.code for f in validation.findings} == INVALID | {"crl-invalid"}


def test_an_unparsable_block_beside_a_valid_ca_is_dropped(tmp_path: Path) -> None:
    """filterValidCACertificates drops a block that is not a certificate (here a private key) and
    keeps the valid CA: the policy stays valid, with a warning."""

    def edit(documents: list[dict[str, Any]]) -> None:
        config_map = next(d for d in documents if d["kind"] == "ConfigMap")
        config_map["data"]["ca.crt"] += (DATA / "pki" / "ca.crt").read_text()

    validation = one(_edited(tmp_path, "ca-key-only.yaml", edit))
    assert validation.breakage is None and answers(validation) == ENFORCED
    assert validation.ca_pem is not None and b"PRIVATE KEY" not in validation.ca_pem
    finding = next(f for f in validation.findings if f.code == "ca-expired")
    assert "1 of 2 expired or not certificates" in finding.title


# --- targetSelectors (envoyproxy/gateway d32f2829 internal/gatewayapi/helpers.go resolvePolicyTargets*) ----------


def _selector(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return _policy(documents)["spec"]["targetSelectors"][0]


def test_a_selected_gateway_names_the_selector() -> None:
    """The policy chose the Gateway by its labels: decided_by says so, and the policy's CA is the listener's."""
    validation = one(FOLDER / "target-selector.yaml")
    assert validation.decided_by == ("ClientTrafficPolicy meow/meow-mtls (targetSelectors[0])",)
    assert validation.ca_refs == ("ConfigMap meow/meow-ca key ca.crt",)


@pytest.mark.parametrize(
    ("selector", "enforced"),
    [
        ({"matchLabels": {"mtls": "off"}}, False),  # the label differs: nothing selected
        ({"matchLabels": {"mtls": "on"}, "kind": "ListenerSet"}, False),  # kind must be Gateway
        ({"matchExpressions": [{"key": "mtls", "operator": "In", "values": ["on", "yes"]}]}, True),
        ({"matchExpressions": [{"key": "legacy", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "mtls", "operator": "NotIn", "values": ["on"]}]}, False),
        # LabelSelectorAsSelector refuses In without values: selectorFromTargetSelector → labels.Nothing()
        ({"matchExpressions": [{"key": "mtls", "operator": "In", "values": []}]}, False),
        ({"matchExpressions": [{"key": "mtls", "operator": "Equals", "values": ["on"]}]}, False),
        ({}, True),  # neither matchLabels nor matchExpressions: labels.Everything()
        ({"namespaces": {"from": "Same"}}, True),
    ],
)
def test_selector_semantics(tmp_path: Path, selector: dict[str, Any], enforced: bool) -> None:
    """metav1.LabelSelectorAsSelector as Envoy Gateway builds it from matchLabels/matchExpressions
    (helpers.go selectorFromTargetSelector: an error selects nothing). Not selected: no policy on the
    listener, so mode none with no finding (nothing targets it)."""

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["spec"]["targetSelectors"] = [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway"} | selector
        ]

    validation = one(_edited(tmp_path, "target-selector.yaml", edit))
    if enforced:
        check(validation, EXPECTED["target-selector.yaml"])
    else:
        assert validation.mode == "none" and answers(validation) == OPEN
        assert not any("ClientTrafficPolicy" in d for d in validation.decided_by), validation.decided_by


def test_a_reference_grant_lets_the_selector_cross_namespaces(tmp_path: Path) -> None:
    """isCrossNamespaceReferencePermitted: with a ReferenceGrant in meow from gateway.envoyproxy.io
    ClientTrafficPolicy (namespace policies) to Gateway meow, the match stands (testdata
    policy-cross-namespace-targetselector-valid-referencegrant-gateway-target). The finding's fix is that grant."""
    fail_open = next(
        f
        for f in one(FOLDER / "target-selector-other-namespace-no-grant.yaml").findings
        if f.code == "policy-target-not-found"
    )
    grant = json.loads(shlex.split(fail_open.fix)[2])
    assert grant["spec"]["from"] == [
        {"group": "gateway.envoyproxy.io", "kind": "ClientTrafficPolicy", "namespace": "policies"}
    ]
    assert grant["metadata"]["namespace"] == "meow"

    def edit(documents: list[dict[str, Any]]) -> None:
        documents.append(grant)

    validation = one(_edited(tmp_path, "target-selector-other-namespace-no-grant.yaml", edit))
    check(validation, EXPECTED["target-selector.yaml"])
    assert validation.decided_by == ("ClientTrafficPolicy policies/meow-mtls (targetSelectors[0])",)


def test_namespaces_from_selector_reads_the_namespace_labels(tmp_path: Path) -> None:
    """targetSelectorNamespacesMatch from Selector: the Gateway's Namespace must carry the labels (an
    unknown Namespace matches nothing); a ReferenceGrant is still needed across namespaces."""

    def edit(labels: dict[str, str]) -> Callable[[list[dict[str, Any]]], None]:
        def apply(documents: list[dict[str, Any]]) -> None:
            _selector(documents)["namespaces"] = {"from": "Selector", "selector": {"matchLabels": {"team": "blue"}}}
            documents.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "meow", "labels": labels}})
            documents.append(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1beta1",
                    "kind": "ReferenceGrant",
                    "metadata": {"name": "ctp", "namespace": "meow"},
                    "spec": {
                        "from": [
                            {"group": "gateway.envoyproxy.io", "kind": "ClientTrafficPolicy", "namespace": "policies"}
                        ],
                        "to": [{"group": "gateway.networking.k8s.io", "kind": "Gateway"}],
                    },
                }
            )

        return apply

    name = "target-selector-other-namespace-no-grant.yaml"
    assert one(_edited(tmp_path, name, edit({"team": "blue"}))).mode == "require-and-verify"
    assert one(_edited(tmp_path, name, edit({"team": "red"}))).mode == "none"


def test_a_section_policy_beats_a_selected_one(tmp_path: Path) -> None:
    """Selectors have no sectionName (ProcessClientTrafficPolicies resolves section targets from targetRefs
    only): a policy with targetRefs sectionName https claims the listener first, the selected policy is
    Overridden there."""

    def edit(documents: list[dict[str, Any]]) -> None:
        section = dict(_policy(documents), metadata={"name": "listener-open", "namespace": "meow"})
        section["spec"] = {
            "targetRefs": [
                {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "meow", "sectionName": "https"}
            ],
            "tls": {
                "clientValidation": {"mode": "Request", "caCertificateRefs": [{"kind": "ConfigMap", "name": "meow-ca"}]}
            },
        }
        documents.append(section)

    validation = one(_edited(tmp_path, "target-selector.yaml", edit))
    assert validation.mode == "request" and answers(validation) == OPEN
    assert validation.decided_by == ("ClientTrafficPolicy meow/listener-open section https",)
    overridden = next(f for f in validation.findings if f.code == "policy-overridden")
    assert overridden.subject == "ClientTrafficPolicy meow/meow-mtls"


def test_a_selected_policy_and_a_gateway_wide_one_conflict_oldest_first(tmp_path: Path) -> None:
    """Two Gateway-wide policies, one by selector and one by targetRefs: the policy order decides (resource.go
    sort: oldest first), whichever way each found the Gateway; the other is Conflicted ("Unable to target
    Gateway meow, another ClientTrafficPolicy has already attached to it")."""

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["metadata"]["creationTimestamp"] = "2026-11-02T00:00:00Z"
        older = {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "ClientTrafficPolicy",
            "metadata": {"name": "z-open", "namespace": "meow", "creationTimestamp": "2026-11-01T00:00:00Z"},
            "spec": {
                "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "meow"}],
                "tls": {
                    "clientValidation": {
                        "mode": "Request",
                        "caCertificateRefs": [{"kind": "ConfigMap", "name": "meow-ca"}],
                    }
                },
            },
        }
        documents.append(older)

    validation = one(_edited(tmp_path, "target-selector.yaml", edit))
    assert validation.mode == "request" and validation.decided_by == ("ClientTrafficPolicy meow/z-open",)
    conflicted = next(f for f in validation.findings if f.code == "policy-conflicted")
    assert conflicted.subject == "ClientTrafficPolicy meow/meow-mtls" and conflicted.severity.value == "error"


def test_a_selector_and_a_target_ref_to_the_same_gateway_count_once(tmp_path: Path) -> None:
    """composePolicyTargetRefs drops a plain targetRef a selector already found: no conflict with itself."""

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["spec"]["targetRefs"] = [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "meow"}
        ]

    check(one(_edited(tmp_path, "target-selector.yaml", edit)), EXPECTED["target-selector.yaml"])


def test_the_deprecated_target_ref_hides_target_refs(tmp_path: Path) -> None:
    """api/v1alpha1/policy_helpers.go GetTargetRefs: when targetRef is set, targetRefs is not read (the CRD's
    CEL rule allows both beside targetSelectors)."""

    def edit(documents: list[dict[str, Any]]) -> None:
        spec = _policy(documents)["spec"]
        spec["targetRef"] = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "other"}
        spec["targetRefs"] = [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "meow"}]
        spec["targetSelectors"] = [{"kind": "Gateway", "matchLabels": {"nothing": "here"}}]

    validation = one(_edited(tmp_path, "target-selector.yaml", edit))
    assert validation.mode == "none" and answers(validation) == OPEN


# --- ClusterTrustBundle CA references (clienttrafficpolicy.go validateAndGetDataAtKeyInRef) ----------------------


def test_a_cluster_trust_bundle_is_read_by_name_for_its_trust_bundle() -> None:
    """Cluster-scoped: the reference's namespace plays no part; the listener's CA is spec.trustBundle."""
    validation = one(FOLDER / "ca-clustertrustbundle.yaml")
    assert validation.ca_refs == ("ClusterTrustBundle meow-bundle key spec.trustBundle",)
    ca = (DATA / "pki" / "ca.crt").read_bytes().strip()
    assert validation.ca_pem is not None and validation.ca_pem.strip() == ca


def test_a_missing_cluster_trust_bundle_names_it_and_lists_the_others() -> None:
    """ "ref ClusterTrustBundle [meow-bundle] not found": the policy is invalid (testdata
    clienttrafficpolicy-invalid-settings.out.yaml target-gateway-3); the fix lists the bundles that exist
    (no `kubectl create` makes one)."""
    validation = one(FOLDER / "ca-clustertrustbundle-missing.yaml")
    finding = next(f for f in validation.findings if f.code == "ca-ref-not-found")
    assert finding.title == "CA ClusterTrustBundle meow-bundle does not exist"
    assert "ref ClusterTrustBundle [meow-bundle] not found" in " ".join(finding.evidence)
    assert finding.fix.startswith("kubectl get clustertrustbundles.certificates.k8s.io -o custom-columns=")


def test_a_cluster_trust_bundle_not_among_the_files_is_not_checked() -> None:
    """As manifests (complete=False) the bundle may exist in the cluster: unseen, a warning that says what
    follows if it does not (HTTP 500), and the prediction of a present, valid bundle; never "works" unsaid."""
    validation = one(FOLDER / "ca-clustertrustbundle-missing.yaml", complete=False)
    assert validation.breakage is None and validation.unseen == ("ClusterTrustBundle meow-bundle",)
    (finding,) = validation.findings
    assert finding.code == "ca-ref-not-in-manifests" and finding.severity.value == "warning"
    assert "HTTP 500" in finding.detail
    assert finding.fix.startswith("kubectl get clustertrustbundles.certificates.k8s.io meow-bundle -o yaml")


def test_a_bundle_among_the_files_is_judged_even_as_manifests(tmp_path: Path) -> None:
    """eg-11 of the audit: the bundle is among the files and every CA in it expired: the policy is invalid
    whether the files are a whole cluster or not; a misspelt name (eg-12) stays not checked as manifests."""
    assert one(FOLDER / "ca-clustertrustbundle-expired.yaml", complete=False).breakage == "http-500"

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["spec"]["tls"]["clientValidation"]["caCertificateRefs"][0]["name"] = "meow-bundel"

    misspelt = _edited(tmp_path, "ca-clustertrustbundle.yaml", edit)
    assert {f.code for f in one(misspelt, complete=False).findings} == {"ca-ref-not-in-manifests"}
    check(one(misspelt), EXPECTED["ca-clustertrustbundle-missing.yaml"])


def test_a_forbidden_cluster_trust_bundle_is_not_checked() -> None:
    """Credentials that may not list ClusterTrustBundles (snapshot.forbidden): assumed usable, objects-forbidden."""
    from dataclasses import replace as replaced

    snapshot = replaced(
        load(FOLDER / "ca-clustertrustbundle-missing.yaml"), forbidden=(("ClusterTrustBundle", "", ""),)
    )
    (validation,) = envoy_gateway.read(snapshot)
    assert validation.breakage is None and validation.mode == "require-and-verify"
    assert [f.code for f in validation.findings] == ["objects-forbidden"]
    assert validation.findings[0].fix.startswith("kubectl auth can-i list clustertrustbundles.certificates.k8s.io")


def test_a_frontend_cluster_trust_bundle_is_read_too(tmp_path: Path) -> None:
    """Gateway spec.tls.frontend with a ClusterTrustBundle (backendtlspolicy.go getCaCertsFromCARefs): found,
    its bundle is the listener's CA; missing ("cluster trust bundle NAME not found"), the listener is refused."""

    def edit(documents: list[dict[str, Any]]) -> None:
        documents.remove(_policy(documents))
        gateway = next(d for d in documents if d["kind"] == "Gateway")
        gateway["spec"]["tls"] = {
            "frontend": {
                "default": {
                    "validation": {
                        "caCertificateRefs": [
                            {"group": "certificates.k8s.io", "kind": "ClusterTrustBundle", "name": "meow-bundle"}
                        ]
                    }
                }
            }
        }

    found = one(_edited(tmp_path, "ca-clustertrustbundle.yaml", edit))
    assert found.mode == "require-and-verify" and answers(found) == ENFORCED
    missing = one(_edited(tmp_path, "ca-clustertrustbundle-missing.yaml", edit))
    assert missing.breakage == "listener-refused" and "ca-ref-not-found" in {f.code for f in missing.findings}


# --- caCertificateRefs group (validate.go validateSecretObjectRef) ---------------------------------------------


@pytest.mark.parametrize(
    ("kind", "group", "breakage"),
    [
        ("ConfigMap", "core", "http-500"),
        ("ConfigMap", "v1", "http-500"),  # any non-empty group
        ("Secret", "core", "http-500"),
        ("ConfigMap", "", None),  # empty (or absent) is the core group
        ("ClusterTrustBundle", "core", None),  # no group check for a bundle: looked up by name alone
    ],
)
def test_a_secret_or_configmap_reference_must_have_an_empty_group(
    tmp_path: Path, kind: str, group: str, breakage: str | None
) -> None:
    """validateSecretObjectRef refuses any group on a Secret/ConfigMap reference, even `core` (the Gateway API
    readers accept "core"): the policy is invalid, every route 500. The fix empties the group; the kind and
    object stay. A ClusterTrustBundle reference is not checked for its group (validateAndGetDataAtKeyInRef)."""

    def edit(documents: list[dict[str, Any]]) -> None:
        if kind == "Secret":
            config_map = next(d for d in documents if d["kind"] == "ConfigMap")
            documents.remove(config_map)
            documents.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": "meow-ca", "namespace": "meow"},
                    "data": {"ca.crt": base64.b64encode(config_map["data"]["ca.crt"].encode()).decode()},
                }
            )
        if kind == "ClusterTrustBundle":
            ca = next(d for d in documents if d["kind"] == "ConfigMap")["data"]["ca.crt"]
            bundle = {"name": "meow-ca"}
            documents.append(
                {
                    "apiVersion": "certificates.k8s.io/v1beta1",
                    "kind": "ClusterTrustBundle",
                    "metadata": bundle,
                    "spec": {"trustBundle": ca},
                }
            )
        ref = _policy(documents)["spec"]["tls"]["clientValidation"]["caCertificateRefs"][0]
        ref.update(kind=kind, group=group)

    validation = one(_edited(tmp_path, "ca-ref-group-core.yaml", edit))
    assert validation.breakage == breakage
    if breakage:
        finding = next(f for f in validation.findings if f.code == "ca-ref-wrong-kind")
        assert f"group: {group} must be empty" in finding.title  # as the reference writes it
        assert "secret ref group must be unspecified/empty" in finding.detail
        assert '"path":"/spec/tls/clientValidation/caCertificateRefs/0/group","value":""' in finding.fix
    else:
        assert answers(validation) == ENFORCED


def test_a_crl_reference_with_a_group_fails_the_same_way(tmp_path: Path) -> None:
    """crl.refs go through validateAndGetDataAtKeyInRef too: a group on the CRL Secret reference fails the
    policy after the CA and mode were written (buildListenerTLSParameters): TLS as configured, then 500."""

    def edit(documents: list[dict[str, Any]]) -> None:
        _policy(documents)["spec"]["tls"]["clientValidation"]["crl"]["refs"][0]["group"] = "core"

    validation = one(_edited(tmp_path, "crl-expired.yaml", edit))
    assert answers(validation) == TLS_THEN_500
    finding = next(f for f in validation.findings if f.code == "ca-ref-wrong-kind")
    assert "/spec/tls/clientValidation/crl/refs/0/group" in finding.fix


@pytest.mark.parametrize(
    "name, verdict",
    [
        ("mode-verify-if-given.yaml", "a client with no certificate gets in"),
        ("mode-request.yaml", "clients with no certificate, another CA's certificate, an expired certificate or "),
    ],
)
def test_not_enforced_verdict_says_who_gets_in(name: str, verdict: str) -> None:
    """The verdict names the clients let in as clients: "no certificate gets in" alone reads as the
    opposite (nobody without one gets in). VERIFY_IF_GIVEN lets in only a client without one
    (measured envoy-optional-verify.txt); Request lets in every kind (envoy-optional-accept-untrusted.txt)."""
    from mtls_tui.diagnose.successors import successor_report

    report = successor_report(one(FOLDER / name), now=datetime.now(UTC))
    assert report.state == "not enforced" and verdict in report.verdict, report.verdict
