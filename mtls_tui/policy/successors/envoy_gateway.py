"""Envoy Gateway: Gateways of its GatewayClass, with `spec.tls.frontend` read as Envoy Gateway
reads it (gateway_api.py) and its ClientTrafficPolicies put on top (docs/successors.md E1–E15).

The policy's client validation replaces the mode and, when it has CAs, the CA the Gateway's
frontend gave the listener (helpers.go irTLSConfigs, then clienttrafficpolicy.go
buildListenerTLSParameters). Which policy a listener gets: section policies before Gateway-wide
ones, oldest first, ties by namespace then name (ProcessClientTrafficPolicies; resource.go sort).
An invalid policy does not refuse the handshake: TLS still terminates without its client
validation and every route answers 500 (translateClientTrafficPolicyForListener).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from cryptography import x509

from mtls_tui.certs.go_pem import go_pem_decoded, go_pem_encode
from mtls_tui.certs.go_x509 import go_certificates
from mtls_tui.model import ClusterSnapshot, Finding, KubeResource, Severity
from mtls_tui.policy.label_selector import from_label_selector
from mtls_tui.policy.successors.common import Breakage, ClientCertMode, ClientValidation, Pins
from mtls_tui.policy.successors.eg_server_secret import refused_answers, with_server_secrets
from mtls_tui.policy.successors.envoy_gateway_joins import glued
from mtls_tui.policy.successors.gateway_api import (
    Frontend,
    Gateway,
    Listener,
    ListenerResult,
    Overlay,
    gateways,
    plain_result,
    validations,
)
from mtls_tui.policy.successors.pem_checks import glued_junction
from mtls_tui.policy.successors.references import (
    GATEWAY_GROUP,
    CaRef,
    RefOutcome,
    ca_ref,
    conditions,
    grant_command,
    grant_permits,
    object_data,
    pick_key,
    pins_from,
    presence,
    ref_finding,
    unseen_finding,
)
from mtls_tui.policy.successors.releases import (
    ControllerRelease,
    eg_ca_refs_joined_as_written,
    eg_crl_refs_unloaded,
    eg_first_ca_block_only,
    eg_mode_written_first,
    release_for,
    unchecked,
)
from mtls_tui.policy.successors.san_match import MatchKind, SanMatcher, SanMatchers, SanType
from mtls_tui.policy.values import as_dict, as_list, text
from mtls_tui.shell import arg, json_arg

EG_GROUP = "gateway.envoyproxy.io"
EgMode = Literal["Request", "RequireAny", "VerifyIfGiven", "RequireAndVerify"]

# helpers.go convertClientValidationModeType (E2): required? verified?
MODES: dict[str, ClientCertMode] = {
    "Request": "request",
    "RequireAny": "require-any",
    "VerifyIfGiven": "verify-if-given",
    "RequireAndVerify": "require-and-verify",
}
_POLICY_KINDS = ("ConfigMap", "Secret", "ClusterTrustBundle")
_POLICY_KEYS = ("ca.crt",)
_CRL_KEYS = ("ca.crl",)
# tls.go validCipherSuites: the TLS 1.2 suites Envoy Gateway accepts in tls.ciphers, by their OpenSSL
# and IANA names; any other (a TLS 1.3 suite, a typo) fails validateCipherSuites
VALID_CIPHERS = frozenset(
    {
        *("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
        *("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        *("ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
        *("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        *("ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        *("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
        *("ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
        *("ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
        *("AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"),
        *("AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"),
        *("ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
        *("ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
        *("AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384"),
        *("AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"),
    }
)
# clienttrafficpolicy.go translateListenerHeaderSettings: maxRequestHeaderLimit from 1Ki to 8192Ki
HEADER_LIMIT_BYTES = (1024, 8192 * 1024)
_QUANTITY = re.compile(r"^([0-9]+)(Ki|Mi|Gi|k|M|G)?$")
_QUANTITY_UNITS = {"": 1, "Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "k": 1000, "M": 1000**2, "G": 1000**3}


@dataclass(frozen=True)
class Target:
    gateway: str
    section: str | None
    index: int  # position in targetRefs (for patches); -1 for the old single targetRef
    namespace: str = ""  # the Gateway's namespace: the policy's, or the one a targetSelector found it in
    selector: int | None = None  # position in targetSelectors when a label selector chose the Gateway


@dataclass(frozen=True)
class Ignored:
    """A Gateway a targetSelector matched and Envoy Gateway leaves out: it is in another namespace
    and no ReferenceGrant there lets the policy target it (helpers.go resolvePolicyTargetsFromSelectors,
    isCrossNamespaceReferencePermitted: "Cross-namespace targets without a matching ReferenceGrant are
    ignored", api/v1alpha1/policy_helpers.go TargetSelector.Namespaces)."""

    namespace: str
    gateway: str
    selector: int


@dataclass(frozen=True)
class Policy:
    resource: KubeResource
    created: str
    targets: tuple[Target, ...]
    ignored: tuple[Ignored, ...] = ()

    @property
    def label(self) -> str:
        return f"ClientTrafficPolicy {self.resource.ref}"

    @property
    def validation(self) -> dict[str, Any] | None:
        tls = as_dict(as_dict(self.resource.body.get("spec")).get("tls"))
        value = tls.get("clientValidation")
        return as_dict(value) if isinstance(value, dict) else None

    def patch(self, ops: list[dict[str, Any]] | dict[str, Any], kind: str = "json") -> str:
        return (
            f"kubectl patch clienttrafficpolicies.gateway.envoyproxy.io {arg(self.resource.name)} "
            f"-n {arg(self.resource.namespace)} --type {kind} -p {json_arg(ops)}"
        )


def policies(snapshot: ClusterSnapshot) -> list[Policy]:
    """Every ClientTrafficPolicy, in the order Envoy Gateway processes them: oldest
    creationTimestamp first, then namespace, then name, ascending (resource.go); each with its
    targets as helpers.go resolvePolicyTargets composes them: the Gateways its targetSelectors
    match (oldest Gateway first), then its targetRef, or else its targetRefs
    (PolicyTargetReferences.GetTargetRefs), less those already found by a selector."""
    found = []
    for resource in snapshot.of_kind("ClientTrafficPolicy", EG_GROUP):
        meta = as_dict(resource.body.get("metadata"))
        spec = as_dict(resource.body.get("spec"))
        selected, ignored = _selected(resource, snapshot)
        # GetTargetRefs: the deprecated targetRef, when set, hides targetRefs
        if isinstance(spec.get("targetRef"), dict):
            raw = [(-1, as_dict(spec.get("targetRef")))]
        else:
            raw = [(n, as_dict(t)) for n, t in enumerate(as_list(spec.get("targetRefs")))]
        plain = [
            Target(text(t.get("name")), text(t.get("sectionName")) or None, n, resource.namespace)
            for n, t in raw
            if text(t.get("kind")) == "Gateway" and text(t.get("group")) in ("", GATEWAY_GROUP)
        ]
        # composePolicyTargetRefs: a plain targetRef a selector already found is not added again
        seen = {(t.namespace, t.gateway, t.section) for t in selected}
        targets = [*selected, *(t for t in plain if (t.namespace, t.gateway, t.section) not in seen)]
        found.append(Policy(resource, text(meta.get("creationTimestamp")), tuple(targets), tuple(ignored)))
    return sorted(found, key=lambda p: (p.created, p.resource.namespace, p.resource.name))


def _selected(policy: KubeResource, snapshot: ClusterSnapshot) -> tuple[list[Target], list[Ignored]]:
    """helpers.go resolvePolicyTargetsFromSelectors for Gateways: each targetSelector of kind
    Gateway (group defaults to gateway.networking.k8s.io) picks the Gateways whose labels match
    its matchLabels/matchExpressions (metav1.LabelSelectorAsSelector; a selector it refuses matches
    nothing, selectorFromTargetSelector) in the namespaces it names (targetSelectorNamespacesMatch:
    none or Same = the policy's, All, or Selector on the Namespace's labels); one in another
    namespace needs a ReferenceGrant there (isCrossNamespaceReferencePermitted). The targets have no
    sectionName: a selector attaches the policy to the whole Gateway. Sorted by the Gateway's
    creationTimestamp (composePolicyTargetRefs); testdata clienttrafficpolicy-listenerset-selector-and-
    gateway-selector, policy-cross-namespace-targetselector-*-referencegrant-gateway*."""
    spec = as_dict(policy.body.get("spec"))
    gateway_objects = snapshot.of_kind("Gateway", GATEWAY_GROUP)
    namespace_labels = {n.name: dict(n.labels) for n in snapshot.namespaces}
    chosen: dict[tuple[str, str], tuple[str, Target]] = {}
    ignored: list[Ignored] = []
    referrer = (EG_GROUP, "ClientTrafficPolicy", policy.namespace)
    for n, raw in enumerate(as_list(spec.get("targetSelectors"))):
        selector = as_dict(raw)
        group = selector.get("group")
        if text(selector.get("kind")) != "Gateway" or (group is not None and text(group) != GATEWAY_GROUP):
            continue  # ListenerSets (and other kinds) are not read here
        labels = from_label_selector(selector.get("matchLabels"), selector.get("matchExpressions"))
        if labels is None:
            continue
        for gateway in gateway_objects:
            key = (gateway.namespace, gateway.name)
            if key in chosen or not _namespace_matches(selector, policy.namespace, gateway.namespace, namespace_labels):
                continue
            meta = as_dict(gateway.body.get("metadata"))
            own = {str(k): str(v) for k, v in as_dict(meta.get("labels")).items()}
            if not labels.matches(own):
                continue
            if gateway.namespace != policy.namespace:
                wanted = CaRef("Gateway", GATEWAY_GROUP, gateway.namespace, gateway.name)
                if grant_permits(snapshot, referrer, wanted) is None:
                    if all((i.namespace, i.gateway) != key for i in ignored):
                        ignored.append(Ignored(gateway.namespace, gateway.name, n))
                    continue
            chosen[key] = (text(meta.get("creationTimestamp")), Target(gateway.name, None, n, gateway.namespace, n))
    ordered = sorted(chosen.values(), key=lambda pair: pair[0])  # stable: ties keep the order found
    return [target for _, target in ordered], [i for i in ignored if (i.namespace, i.gateway) not in chosen]


def _namespace_matches(
    selector: dict[str, Any], policy_namespace: str, namespace: str, namespace_labels: dict[str, dict[str, str]]
) -> bool:
    """helpers.go targetSelectorNamespacesMatch: no `namespaces` or from Same: the policy's own;
    All: any; Selector: the Namespace's labels must match (an unknown Namespace matches nothing)."""
    namespaces = selector.get("namespaces")
    if not isinstance(namespaces, dict):
        return namespace == policy_namespace
    origin = text(namespaces.get("from"))
    if origin in ("", "Same"):
        return namespace == policy_namespace
    if origin == "All":
        return True
    if origin == "Selector":
        picked = as_dict(namespaces.get("selector"))
        if namespace not in namespace_labels or not isinstance(namespaces.get("selector"), dict):
            return False
        parsed = from_label_selector(picked.get("matchLabels"), picked.get("matchExpressions"))
        return parsed is not None and parsed.matches(namespace_labels[namespace])
    return False


# --- which policy each listener gets ----------------------------------------------------------


@dataclass
class Attachments:
    """Per listener name: the policy applied and the findings about the others."""

    chosen: dict[str, Policy]
    findings: dict[str, list[Finding]]
    missing_sections: list[Finding]  # policy-target-not-found: the listener runs without it


def attach(gateway: Gateway, all_policies: list[Policy], snapshot: ClusterSnapshot | None = None) -> Attachments:
    """ProcessClientTrafficPolicies: section-targeted policies first (the first claims the
    section, later ones are Conflicted), then Gateway-wide ones (the first applies to the
    unclaimed listeners and is Overridden on the claimed ones, later ones are Conflicted). With the
    snapshot: a policy with clientValidation whose targetRefs name this Gateway's name in a namespace
    holding no such Gateway (targetRefs are local to the policy's namespace) is named here too."""
    names = [
        text(as_dict(raw).get("name")) for raw in as_list(as_dict(gateway.resource.body.get("spec")).get("listeners"))
    ]
    tls_names = {listener.name for listener in gateway.listeners}
    here = (gateway.resource.namespace, gateway.resource.name)
    mine = [(p, t) for p in all_policies for t in p.targets if (t.namespace, t.gateway) == here]
    result = Attachments({}, {name: [] for name in names}, [])
    for policy in all_policies:
        for ignored in policy.ignored:
            if (ignored.namespace, ignored.gateway) == here:
                result.missing_sections.append(_selector_not_permitted(gateway, policy, ignored))
    if snapshot is not None:
        result.missing_sections += _stray_policies(gateway, all_policies, snapshot)
    for policy, target in mine:
        if target.section is None:
            continue
        if target.section not in names:
            result.missing_sections.append(_target_not_found(gateway, policy, target, names))
        elif policy.validation is not None and target.section not in tls_names:
            result.missing_sections.append(_target_not_tls(gateway, policy, target))
        elif target.section in result.chosen:
            winner = result.chosen[target.section]
            result.findings[target.section].append(_conflicted(gateway, policy, winner, target.section))
        else:
            result.chosen[target.section] = policy
    wide: Policy | None = None
    for policy, target in mine:
        if target.section is not None:
            continue
        if wide is not None:
            for name in names:
                result.findings[name].append(_conflicted(gateway, policy, wide, None))
            continue
        wide = policy
        claimed = [n for n in names if n in result.chosen]
        for name in names:
            if name in result.chosen:
                result.findings[name].append(_overridden(gateway, policy, result.chosen[name], claimed))
            else:
                result.chosen[name] = policy
    return result


def _stray_policies(gateway: Gateway, all_policies: list[Policy], snapshot: ClusterSnapshot) -> list[Finding]:
    """Policies meant for this Gateway that target a Gateway of its name in their own namespace,
    where there is none: resolveClientTrafficPolicyTargetRef finds no Gateway and returns nothing
    (no status is written), so the policy applies nowhere (clienttrafficpolicy.go)."""
    here = {(g.namespace, g.name) for g in snapshot.of_kind("Gateway", GATEWAY_GROUP)}
    return [
        _target_elsewhere(gateway, policy, target, snapshot)
        for policy in all_policies
        for target in policy.targets
        if policy.validation is not None
        and target.selector is None
        and target.gateway == gateway.resource.name
        and target.namespace != gateway.resource.namespace
        and (target.namespace, target.gateway) not in here
    ]


# --- one policy on one listener ----------------------------------------------------------------


# How far buildListenerTLSParameters wrote into the listener's TLS before it failed. It edits the
# listener's TLS in place, and translateClientTrafficPolicyForListener keeps that TLS when the policy
# is invalid (only the routes change, to a 500; testdata clienttrafficpolicy-invalid-settings.out.yaml
# and clienttrafficpolicy-mtls-client-verification-expired-crl.out.yaml show the listener TLS):
# "nothing": it failed on tls.ciphers, before client validation (or the policy has none);
# "mode": ClientValidationEnabled and convertClientValidationModeType ran, then a CA reference failed;
# "all": the CA, the matchers and allowExpiredCertificate were set (a CRL failed, or no TLS step did).
Applied = Literal["nothing", "mode", "all"]


@dataclass(frozen=True)
class Translated:
    mode: ClientCertMode  # the policy's mode
    ca_refs: tuple[str, ...]
    ca_pem: bytes | None  # None: the policy has no CA (the frontend's stays)
    error: Finding | None  # the policy is invalid: routes answer 500
    findings: tuple[Finding, ...]
    crl: bool
    unseen: tuple[str, ...] = ()
    allow_expired: bool = False
    applied: Applied = "all"
    crl_pem: bytes | None = None  # the refs' data, joined as clienttrafficpolicy.go appends it
    crl_leaf_only: bool = False  # crl.onlyVerifyLeafCertificate, set with the CRL (only_verify_leaf_cert_crl)
    envoy_refused: Finding | None = None  # Envoy refuses the joined CA or CRL: connections closed
    pins: Pins | None = None  # certificateHashes and spkiHashes (setTLSClientValidationContext)
    sans: SanMatchers | None = None  # subjectAltNames (setTLSClientValidationContext)


def _policy_mode(validation: dict[str, Any]) -> tuple[str, bool]:
    """(Envoy Gateway mode, from the deprecated `optional`)."""
    mode = text(validation.get("mode"))
    if mode:
        return mode, False
    if validation.get("optional") is True:
        return "VerifyIfGiven", True  # "Legacy mapping: Optional=true means VerifyIfGiven"
    return "RequireAndVerify", False


def _read_data(
    policy: Policy, ref: CaRef, snapshot: ClusterSnapshot, keys: tuple[str, ...], what: str = "certificate"
) -> RefOutcome:
    """validateAndGetDataAtKeyInRef: the kind (Secret, ConfigMap, ClusterTrustBundle, else "unsupported ref
    kind"); for a Secret or ConfigMap validate.go validateSecretObjectRef: the group must be empty ("secret
    ref group must be unspecified/empty": `core` too), then the ReferenceGrant; then the object, then the
    key (or the only key)."""
    if ref.kind == "ClusterTrustBundle":
        return _read_bundle(ref, snapshot)
    if ref.kind not in _POLICY_KINDS:
        return RefOutcome(ref, problem="wrong-kind", detail=f"unsupported ref kind:{ref.kind}")
    if ref.group:
        return RefOutcome(ref, problem="wrong-group", detail="secret ref group must be unspecified/empty")
    referrer = (EG_GROUP, "ClientTrafficPolicy", policy.resource.namespace)
    if ref.namespace != policy.resource.namespace and grant_permits(snapshot, referrer, ref) is None:
        return RefOutcome(ref, problem="not-permitted", detail="policy Accepted=False Invalid")
    data = object_data(snapshot, ref.kind, ref.namespace, ref.name)
    if data is None:
        status = presence(snapshot, ref.kind, ref.namespace, ref.name)
        if status in ("unseen", "forbidden"):
            return RefOutcome(ref, unseen=status)
        # clienttrafficpolicy.go buildListenerTLSParameters wraps validate.go's "secret NS/NAME does not exist"
        # in "failed to get certificate from ref" (caCertificateRefs) or "failed to get crl from ref" (crl.refs)
        missing = f"{ref.kind.lower()} {ref.namespace}/{ref.name} does not exist"
        return RefOutcome(ref, problem="not-found", detail=f"TLS: failed to get {what} from ref: {missing}")
    key = pick_key(data, keys, single_key=True)
    if key is None or not data[key]:
        names = ", ".join(sorted(data)) or "no keys"
        return RefOutcome(ref, problem="no-ca-key", detail=f"keys: {names}")
    return RefOutcome(ref, pem=data[key], key=key)


def _read_bundle(ref: CaRef, snapshot: ClusterSnapshot) -> RefOutcome:
    """validateAndGetDataAtKeyInRef, kind ClusterTrustBundle: cluster-scoped, looked up by name alone (no
    group, namespace or ReferenceGrant check); missing → "ref ClusterTrustBundle [NAME] not found" and the
    policy is invalid (testdata clienttrafficpolicy-invalid-settings target-gateway-3: tls-ctb-1 absent →
    Accepted=False, routes 500); else its spec.trustBundle, judged as any CA bundle (testdata
    clienttrafficpolicy-mtls-clustertrustbundle). Envoy Gateway reads them at certificates.k8s.io/v1beta1
    (provider/kubernetes controller.go processClusterTrustBundleRef, controller_watch.go)."""
    data = object_data(snapshot, ref.kind, ref.namespace, ref.name)
    if data is None:
        status = presence(snapshot, ref.kind, ref.namespace, ref.name)
        if status in ("unseen", "forbidden"):
            return RefOutcome(ref, unseen=status)
        return RefOutcome(ref, problem="not-found", detail=f"ref ClusterTrustBundle [{ref.name}] not found")
    return RefOutcome(ref, pem=data["spec.trustBundle"], key="spec.trustBundle")


def _read_policy_ref(policy: Policy, ref: CaRef, snapshot: ClusterSnapshot, now: datetime) -> RefOutcome:
    """validateAndGetDataAtKeyInRef, then filterValidCACertificates (E3, E5): each PEM block that
    does not parse as a certificate, or is expired or not yet valid, is dropped; none left is an
    error ("no valid certificates exist in NAME"). Before v1.7 only the first block is judged
    (releases.py EG_ALL_CA_BLOCKS)."""
    outcome = _read_data(policy, ref, snapshot, _POLICY_KEYS)
    if outcome.problem is not None or outcome.unseen or outcome.pem is None:
        return outcome
    release = release_for(snapshot, "envoy-gateway")
    if eg_first_ca_block_only(release):
        return _first_block_judged(outcome, now, release)
    key = outcome.key
    valid, count, expired = _valid_ca_blocks(outcome.pem, now)
    if not valid:
        what = (
            "has expired or is not yet valid"
            if expired and expired == count
            else "holds no certificate Envoy Gateway can parse (not PEM, or no CERTIFICATE block: a key?)"
        )
        return RefOutcome(
            ref,
            key=key,
            problem="expired" if expired and expired == count else "no-certificate",
            detail=f'every PEM block in {ref.label} key {key} {what}: "no valid certificates exist in {ref.name}" '
            "(tls.go filterValidCACertificates)",
        )
    dropped = count - len(valid)
    why = "expired" if dropped == expired else "expired or not certificates"
    return RefOutcome(ref, pem=b"".join(valid), key=key, detail=f"{dropped} of {count} {why}" if dropped else "")


def _older_releases(policy: Policy, outcome: RefOutcome, snapshot: ClusterSnapshot, now: datetime) -> Finding | None:
    """The release was not seen and the reference's first CA block is one v1.7+ drops: before v1.7
    that fails the whole policy (releases.py EG_ALL_CA_BLOCKS), so the verdict holds only from v1.7."""
    release = release_for(snapshot, "envoy-gateway")
    raw = _read_data(policy, outcome.ref, snapshot, _POLICY_KEYS).pem  # as written: `outcome` has what was kept
    first = next(go_pem_decoded(raw or b""), None) if outcome.detail else None
    if release.seen or first is None or _block_fault(first.der, now) is None:
        return None
    return unchecked(
        release,
        policy.label,
        f"The first CA certificate of {outcome.label} is expired, not yet valid or not a certificate: before v1.7 "
        "Envoy Gateway judges only that block (tls.go validateCertificates; every block from commit c52327a8de), "
        "refuses the whole policy, and every route on its listeners answers HTTP 500.",
    )


def _first_block_judged(outcome: RefOutcome, now: datetime, release: ControllerRelease) -> RefOutcome:
    """tls.go validateCertificates (v1.0.0–v1.6.7): pem.Decode of the first PEM block only, which must
    parse as certificates valid now; the whole reference goes to Envoy as written (issue #7608)."""
    pem = outcome.pem or b""
    first = next(go_pem_decoded(pem), None)
    fault = "does not decode as PEM" if first is None else _block_fault(first.der, now)
    if fault is not None:
        return RefOutcome(
            outcome.ref,
            key=outcome.key,
            problem="expired" if "valid" in fault else "no-certificate",
            detail=f"the first PEM block in {outcome.ref.label} key {outcome.key} {fault}: "
            f'"invalid certificate in {outcome.ref.name}" ({release.named} judges only the first block: '
            "tls.go validateCertificates; every block from v1.7, commit c52327a8de)",
        )
    _, count, expired = _valid_ca_blocks(pem, now)
    later = f"{expired} of {count} expired, loaded unchecked" if expired else ""
    return RefOutcome(outcome.ref, pem=pem, key=outcome.key, detail=later)


def _block_fault(der: bytes, now: datetime) -> str | None:
    """Why one PEM block's bytes are not certificates valid now, as tls.go validateCertBlock (and
    validateCertificates before v1.7) judge them: x509.ParseCertificates on the bytes, whatever the
    block's type (certs/go_x509.py go_certificates: TRUSTED CERTIFICATE, a CRL or a key fails; an
    empty block holds none and passes), then each one's validity; None when they pass."""
    certs = go_certificates(der)
    if isinstance(certs, str):
        return "is not a certificate"
    for cert in certs:
        if now > cert.not_valid_after_utc:
            return f"has expired (not valid after {cert.not_valid_after_utc:%Y-%m-%d})"
        if now < cert.not_valid_before_utc:
            return f"is not yet valid (not valid before {cert.not_valid_before_utc:%Y-%m-%d})"
    return None


def _valid_ca_blocks(pem: bytes, now: datetime) -> tuple[list[bytes], int, int]:
    """(the PEM blocks kept, blocks seen, of which expired or not yet valid), as v1.9.0 tls.go
    filterValidCACertificates judges them: every block Go's pem.Decode finds (certs/go_pem.py: a BOM
    or an indent before BEGIN, a fold, literal \\n hide a block), each kept when _block_fault passes
    and written again by pem.EncodeToMemory, which is what Envoy gets (from v1.7.0, c52327a8de: CRLF,
    text around the blocks, an indented body do not reach Envoy). Held to Go by
    tests/test_secret_encodings.py test_eg_ca_filter_is_gos."""
    kept, count, expired = [], 0, 0
    for block in go_pem_decoded(pem):
        count += 1
        fault = _block_fault(block.der, now)
        if fault is None:
            kept.append(go_pem_encode(block))
        elif "valid" in fault:
            expired += 1
    return kept, count, expired


def _envoy_refuses(outcome: RefOutcome) -> str | None:
    """What, among the blocks filterValidCACertificates kept, makes Envoy refuse the whole CA: an empty
    block (ParseCertificates finds no certificate in no bytes, so it passes) or a block with headers
    (pem.EncodeToMemory writes them again). Measured on Envoy 1.40 by SDS with the bytes Go's
    filter writes: "Failed to load trusted CA certificates from <inline>", every connection closed
    (tests/test_eg_ca_encodings_envoy.py; BoringSSL's PEM_X509_INFO_read_bio takes no header but
    Proc-Type and no empty certificate). An X509 CERTIFICATE block, kept under that label, loads."""
    for block in go_pem_decoded(outcome.pem or b""):
        if not block.der:
            return "an empty PEM block"
        if block.headers:
            return (
                "a PEM block with header lines (" + ", ".join(k.decode(errors="replace") for k in block.headers) + ")"
            )
    return None


def _crl_data(
    policy: Policy, gateway: Gateway, ref: CaRef, index: int, snapshot: ClusterSnapshot, now: datetime
) -> tuple[Finding | None, RefOutcome | None, Finding | None]:
    """One crl.refs entry: (the problem that makes the policy invalid, the data Envoy loads, the warning
    that it was not read). A CRL object not among the files is assumed usable, as a CA object is, and
    said so: buildListenerTLSParameters fails the whole policy when it is missing ("failed to get crl
    from ref", envoyproxy/gateway#7805), so the verdict rests on it."""
    release = release_for(snapshot, "envoy-gateway")
    if eg_crl_refs_unloaded(release) and not _also_a_ca_ref(policy, ref):
        return _crl_not_loaded(policy, gateway, ref, release), None, None
    outcome = _read_data(policy, ref, snapshot, _CRL_KEYS, what="crl")
    if outcome.unseen:
        return (
            None,
            None,
            unseen_finding(ref, outcome.unseen, subject=policy.label, if_missing=_INVALID_CONSEQUENCE, role="CRL"),
        )
    problem = _crl_problem(policy, gateway, outcome, index, snapshot, now)
    return problem, None if problem is not None else outcome, None


def _also_a_ca_ref(policy: Policy, ref: CaRef) -> bool:
    """The CRL object is also one of the policy's caCertificateRefs: the provider loads it for that."""
    validation = as_dict(as_dict(as_dict(policy.resource.body.get("spec")).get("tls")).get("clientValidation"))
    cas = [ca_ref(r, policy.resource.namespace, "Secret") for r in as_list(validation.get("caCertificateRefs"))]
    return any((c.kind, c.namespace, c.name) == (ref.kind, ref.namespace, ref.name) for c in cas)


def _crl_not_loaded(policy: Policy, gateway: Gateway, ref: CaRef, release: ControllerRelease) -> Finding:
    """releases.py EG_CRL_INDEXED: v1.6.0 and v1.6.1 never load an object named only by crl.refs."""
    missing = f"{ref.kind.lower()} {ref.namespace}/{ref.name} does not exist"
    return Finding(
        code="crl-ref-not-loaded",
        severity=Severity.ERROR,
        title=f"{release.named} does not load the CRL {ref.label}: {policy.label} is invalid",
        detail=f"{release.named} reads tls.clientValidation.crl but its provider loads no object named only by "
        "crl.refs (internal/provider/kubernetes/controller.go processCTPCrlRefs arrived in v1.6.2 and v1.7.0, "
        f'envoyproxy/gateway#7805): the policy is refused ("TLS: failed to get crl from ref: {missing}") even '
        f"when the object exists. {_INVALID_CONSEQUENCE} The command shows the controller's image; then upgrade "
        "Envoy Gateway to v1.6.2 or later, or remove crl from the policy until then.",
        fix=f"kubectl get deployment {arg(release.controller.name)} -n {arg(release.controller.namespace)} -o "
        + arg("jsonpath={.spec.template.spec.containers[*].image}")
        if release.controller is not None
        else f"kubectl get deployments -A -l {arg(release.product.selector)} -o wide",
        subject=policy.label,
        evidence=(f"reference: {ref.label}", f"controller {release.named}", f"target {gateway.label}"),
    )


def _crl_problem(
    policy: Policy, gateway: Gateway, outcome: RefOutcome, index: int, snapshot: ClusterSnapshot, now: datetime
) -> Finding | None:
    """validateAndGetDataAtKeyInRef (key ca.crl), then tls.go validateCrl (the first PEM block
    must parse as a CRL, and be current: nextUpdate not passed, thisUpdate reached)."""
    if outcome.problem is not None:
        return _policy_ref_finding(policy, gateway, outcome, index, snapshot, crl=True)
    first = next(go_pem_decoded(outcome.pem or b""), None)  # pem.Decode's first block, any type
    der = first.der if first else None
    try:
        crl = x509.load_der_x509_crl(der) if der else None
    except ValueError:
        crl = None
    if crl is None:
        return _crl_finding(policy, gateway, outcome, "crl-invalid", "does not hold a CRL Envoy Gateway can parse")
    if crl.next_update_utc is not None and now > crl.next_update_utc:
        return _crl_finding(
            policy,
            gateway,
            outcome,
            "crl-expired",
            f"is expired (next update was due at {crl.next_update_utc:%Y-%m-%d})",
            _EXPIRED_CRL,
        )
    if now < crl.last_update_utc:
        return _crl_finding(
            policy,
            gateway,
            outcome,
            "crl-not-yet-valid",
            f"is not yet valid (this update starts at {crl.last_update_utc:%Y-%m-%d})",
        )
    return None


def translate(policy: Policy, gateway: Gateway, snapshot: ClusterSnapshot, now: datetime) -> Translated:
    """translateClientTrafficPolicyForListener for what decides client certificates: the header
    settings fail the policy without stopping it (their error is joined, the TLS step still runs and
    edits the listener), then buildListenerTLSParameters."""
    earlier = _header_errors(policy, gateway)
    done = _tls(policy, gateway, snapshot, now)
    if not earlier:
        return done
    return replace(done, error=done.error or earlier[0], findings=(*earlier, *done.findings))


def _tls(policy: Policy, gateway: Gateway, snapshot: ClusterSnapshot, now: datetime) -> Translated:
    """buildListenerTLSParameters: tls.ciphers first (validateCipherSuites), then client validation."""
    tls = as_dict(as_dict(policy.resource.body.get("spec")).get("tls"))
    bad = [text(c) for c in as_list(tls.get("ciphers")) if text(c) not in VALID_CIPHERS]
    if bad:
        finding = _cipher_unsupported(policy, gateway, bad[0])
        return Translated("none", (), None, finding, (finding,), False, applied="nothing")
    if policy.validation is None:
        return Translated("none", (), None, None, (), False, applied="nothing")
    return _client_validation(policy, gateway, policy.validation, snapshot, now)


def _client_validation(
    policy: Policy, gateway: Gateway, validation: dict[str, Any], snapshot: ClusterSnapshot, now: datetime
) -> Translated:
    """The clientValidation part of buildListenerTLSParameters, in its order: mode, CA references,
    matchers and allowExpiredCertificate, CRL references."""
    raw_mode, legacy = _policy_mode(validation)
    mode = MODES.get(raw_mode, "require-and-verify")
    refs = [ca_ref(r, policy.resource.namespace, "Secret") for r in as_list(validation.get("caCertificateRefs"))]
    pems: list[bytes] = []
    labels: list[str] = []
    unseen: list[str] = []
    findings: list[Finding] = []
    written: list[RefOutcome | None] = []  # each reference's value as written (None: not read here)
    refused_kept: Finding | None = None  # a block Envoy Gateway keeps and Envoy refuses
    for n, ref in enumerate(refs):
        outcome = _read_policy_ref(policy, ref, snapshot, now)
        if outcome.problem is not None:
            finding = _policy_ref_finding(policy, gateway, outcome, n, snapshot)
            # releases.py EG_MODE_FIRST: before v1.8 nothing of the client validation was written yet
            applied: Applied = "mode" if eg_mode_written_first(release_for(snapshot, "envoy-gateway")) else "nothing"
            return Translated(mode, tuple(r.label for r in refs), None, finding, (finding,), False, applied=applied)
        if outcome.unseen:
            unseen.append(outcome.ref.label)
            findings.append(
                unseen_finding(outcome.ref, outcome.unseen, subject=policy.label, if_missing=_INVALID_CONSEQUENCE)
            )
            labels.append(outcome.label)
            written.append(None)
            continue
        written.append(replace(outcome, pem=_read_data(policy, ref, snapshot, _POLICY_KEYS).pem))
        if outcome.detail:
            findings.append(_partly_expired(policy, gateway, outcome, n))
            older = _older_releases(policy, outcome, snapshot, now)
            findings += [older] if older else []
        pems.append(outcome.pem or b"")
        labels.append(outcome.label)
        unloadable = None if eg_first_ca_block_only(release_for(snapshot, "envoy-gateway")) else _envoy_refuses(outcome)
        if unloadable is not None and refused_kept is None:
            refused_kept = _kept_refused(policy, gateway, outcome, unloadable)
            findings.append(refused_kept)
    if raw_mode in ("VerifyIfGiven", "RequireAndVerify") and not pems and not unseen:
        finding = _needs_ca(policy, gateway, raw_mode, legacy)
        return Translated(mode, (), None, finding, (finding,), False, applied="mode")
    matchers = _matchers_set(validation)
    if mode == "verify-if-given" and matchers:
        # default_validator.cc initializeSslContexts: SAN matchers or certificate/SPKI hashes turn the verify
        # mode into SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT unless trust is ACCEPT_UNTRUSTED (Request,
        # RequireAny): with VerifyIfGiven a client without a certificate is refused (measured on Envoy 1.40)
        mode = "require-and-verify"
        findings.append(_matchers_require(policy, gateway, matchers, legacy))
    elif mode != "require-and-verify":
        findings.append(_fallback(policy, gateway, raw_mode, legacy))
    if matchers:
        findings.append(_matchers(policy, gateway, matchers))
    # clienttrafficpolicy.go setTLSClientValidationContext → listener.go setTLSValidationContext
    # renders allow_expired_certificate: Envoy then accepts an expired certificate of the CA
    allow_expired = validation.get("allowExpiredCertificate") is True and mode in (
        "require-and-verify",
        "verify-if-given",
    )
    if allow_expired:
        findings.append(_expired_allowed(policy, gateway))
    # a CA repeated (v1.9.0 drops the repeats, appendDedupPEMCertsWithSeen) is loaded by Envoy as one copy:
    # envoy_gateway_joins.py; the bundle is kept as written
    pem = b"".join(p.strip() + b"\n" for p in pems) if pems else None
    refused, joins = _ca_join(policy, gateway, written, snapshot)
    refused = refused or refused_kept
    findings += joins
    crl_refs = [
        ca_ref(r, policy.resource.namespace, "Secret") for r in as_list(as_dict(validation.get("crl")).get("refs"))
    ]
    crls = [_crl_data(policy, gateway, r, n, snapshot, now) for n, r in enumerate(crl_refs)]
    for ref, (_, _, not_read) in zip(crl_refs, crls, strict=True):
        if not_read is not None:
            findings.append(not_read)
            unseen.append(ref.label)
    crl_error = next((problem for problem, _, _ in crls if problem is not None), None)
    if crl_error is not None:
        findings.append(crl_error)
        return Translated(
            mode,
            tuple(labels),
            pem,
            crl_error,
            tuple(findings),
            False,
            tuple(unseen),
            allow_expired,
            envoy_refused=refused,
        )
    # clienttrafficpolicy.go buildListenerTLSParameters appends every ref's data as written into one
    # ir.TLSCrl (and sets its OnlyVerifyLeafCertificate from crl.onlyVerifyLeafCertificate when it holds
    # any); listener.go buildXdsTLSCaCertSecret renders them as the validation context's crl and
    # only_verify_leaf_cert_crl
    loaded = [loaded for _, loaded, _ in crls]
    crl_pem = b"".join(o.pem or b"" for o in loaded if o is not None) or None
    glued_at = glued_junction([o.pem if o is not None else None for o in loaded])
    if refused is None and glued_at is not None:
        first, after = loaded[glued_at], loaded[glued_at + 1]
        assert first is not None and after is not None  # glued_junction skips what was not read
        refused = _glued(policy, gateway, "CRL", first, after, snapshot)
        findings.append(refused)
    leaf_only = crl_pem is not None and as_dict(validation.get("crl")).get("onlyVerifyLeafCertificate") is True
    return Translated(
        mode,
        tuple(labels),
        pem,
        None,
        tuple(findings),
        bool(crl_refs),
        tuple(unseen),
        allow_expired,
        crl_pem=crl_pem,
        crl_leaf_only=leaf_only,
        envoy_refused=refused,
        # setTLSClientValidationContext, then listener.go setTLSValidationContext
        pins=pins_from(validation, "certificateHashes", "spkiHashes"),
        sans=_san_matchers(validation),
    )


def _ca_join(
    policy: Policy, gateway: Gateway, written: list[RefOutcome | None], snapshot: ClusterSnapshot
) -> tuple[Finding | None, list[Finding]]:
    """The CA references joined as buildListenerTLSParameters joins them (releases.py EG_CA_REENCODED):
    before v1.7 as written, so a value without its last newline makes Envoy refuse the bundle; from v1.7
    each block is written again. (The refusal, the findings.) A release not seen: said not checked."""
    at = glued_junction([o.pem if o is not None else None for o in written])
    if at is None:
        return None, []
    release = release_for(snapshot, "envoy-gateway")
    first, after = written[at], written[at + 1]
    assert first is not None and after is not None  # glued_junction skips what was not read
    if eg_ca_refs_joined_as_written(release):
        finding = _glued(policy, gateway, "CA", first, after, snapshot)
        return finding, [finding]
    if release.seen:
        return None, []
    elsewhere = (
        f"{first.label} does not end in a newline: before v1.7 Envoy Gateway appends the CA values as written, "
        "Envoy refuses the joined bundle and the listener closes every connection (envoyproxy/gateway#5369; "
        "clienttrafficpolicy.go buildListenerTLSParameters, fixed by commit c52327a8de)."
    )
    return None, [unchecked(release, policy.label, elsewhere)]


def _glued(
    policy: Policy, gateway: Gateway, role: str, first: RefOutcome, after: RefOutcome, snapshot: ClusterSnapshot
) -> Finding:
    release = release_for(snapshot, "envoy-gateway")
    return glued(role, first, after, policy.label, f"the listeners of {gateway.label} it targets", release.named)


def _header_errors(policy: Policy, gateway: Gateway) -> list[Finding]:
    """translateListenerHeaderSettings: maxRequestHeaderLimit below 1Ki or above 8192Ki fails the
    policy (testdata clienttrafficpolicy-max-request-header-limit-with-error: "512"). Only the plain
    and binary/decimal-suffixed integer forms are judged; another quantity form is left alone."""
    headers = as_dict(as_dict(policy.resource.body.get("spec")).get("headers"))
    raw = headers.get("maxRequestHeaderLimit")
    match = _QUANTITY.match(str(raw)) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else None
    if match is None:
        return []
    size = int(match.group(1)) * _QUANTITY_UNITS[match.group(2) or ""]
    low, high = HEADER_LIMIT_BYTES
    if low <= size <= high:
        return []
    why = "must be at least 1Ki" if size < low else "exceeds the maximum of 8192Ki"
    return [_header_limit_invalid(policy, gateway, str(raw), why)]


# --- the overlay: frontend, then the policy ------------------------------------------------------


def _overlay(snapshot: ClusterSnapshot, now: datetime, all_policies: list[Policy]) -> Overlay:
    cache: dict[str, Attachments] = {}

    def overlay(gateway: Gateway, listener: Listener, frontend: Frontend) -> ListenerResult:
        key = gateway.resource.ref
        if key not in cache:
            cache[key] = attach(gateway, all_policies, snapshot)
        attached = cache[key]
        base = plain_result(gateway, listener, frontend)
        extra = tuple(attached.findings.get(listener.name, ()))
        policy = attached.chosen.get(listener.name)
        done = translate(policy, gateway, snapshot, now) if policy is not None and not frontend.refused else None
        if policy is None or done is None or (policy.validation is None and done.error is None):
            # no policy, a listener not built at all (G13), or a valid policy without clientValidation
            result = _with(base, extra)
        else:
            result = _apply(gateway, listener, frontend, policy, done, base, extra)
        result = with_server_secrets(gateway, listener, result, snapshot, now)
        if attached.missing_sections:
            result = _with(result, tuple(attached.missing_sections))
            errors = [f for f in attached.missing_sections if f.severity is Severity.ERROR]
            if errors and result.mode != "require-and-verify" and result.breakage is None:
                result = _with(result, (_fail_open(gateway, listener, errors),))
        return result

    return overlay


def _with(result: ListenerResult, findings: tuple[Finding, ...]) -> ListenerResult:
    return replace(result, findings=(*result.findings, *findings))


def _apply(
    gateway: Gateway,
    listener: Listener,
    frontend: Frontend,
    policy: Policy,
    done: Translated,
    base: ListenerResult,
    extra: tuple[Finding, ...],
) -> ListenerResult:
    """The listener after the policy: its TLS as buildListenerTLSParameters left it (all of the
    policy's client validation, or, when it failed, the part it had written: `Applied`), and a 500
    on every route when the policy is invalid."""
    here = [
        t for t in policy.targets if (t.namespace, t.gateway) == (gateway.resource.namespace, gateway.resource.name)
    ]
    if any(t.section == listener.name for t in here):
        scope_word = f" section {listener.name}"
    else:
        by = next((t.selector for t in here if t.section is None and t.selector is not None), None)
        scope_word = f" (targetSelectors[{by}])" if by is not None else ""
    decided = (*base.decided_by, f"{policy.label}{scope_word}") if frontend.source else (f"{policy.label}{scope_word}",)
    findings = list(done.findings) + list(extra)
    if frontend.source and frontend.mode != "none" and done.applied != "nothing":
        findings.append(_frontend_overridden(gateway, listener, frontend, policy, done))
    if done.error is not None:
        findings.append(
            _http_500(policy, gateway, listener, done.error)
            if listener.protocol == "HTTPS"
            else _routes_removed(policy, gateway, listener, done.error)
        )
    frontend_ca = done.applied != "all" or (done.ca_pem is None and not done.unseen)
    ca_pem = base.ca_pem if frontend_ca else done.ca_pem
    unseen = (*(base.unseen if frontend_ca else ()), *done.unseen)
    mode = base.mode if done.applied == "nothing" else done.mode
    if ca_pem is None and not unseen:
        mode = "none"  # Envoy asks no certificate without a CA (measured: tests/test_lab_envoy.py)
    return ListenerResult(
        mode=mode,
        scope="listener",
        ca_refs=base.ca_refs if frontend_ca else done.ca_refs,
        ca_pem=ca_pem,
        decided_by=decided,
        findings=tuple(findings),
        breakage=_breakage(listener, done),
        crl=done.crl,
        crl_pem=done.crl_pem,
        crl_leaf_only=done.crl_leaf_only,
        conditions=conditions(policy.resource.body, policy.label),
        unseen=unseen,
        allow_expired=done.allow_expired and done.applied == "all",
        pins=done.pins if done.applied == "all" else None,
        sans=done.sans if done.applied == "all" else None,
    )


def _breakage(listener: Listener, done: Translated) -> Breakage | None:
    """Envoy refusing the joined CA or CRL closes the connections before any route answers
    (envoy_gateway_joins.py); else an invalid policy's 500, or its TLS routes removed."""
    if done.envoy_refused is not None:
        return "connection-closed"
    if done.error is None:
        return None
    return "http-500" if listener.protocol == "HTTPS" else "routes-removed"


# --- findings ---------------------------------------------------------------------------------

_INVALID_CONSEQUENCE = (
    "The policy is invalid (Accepted=False Invalid): every route on its listeners answers HTTP 500 "
    "(clienttrafficpolicy.go translateClientTrafficPolicyForListener)."
)


def _policy_ref_finding(
    policy: Policy, gateway: Gateway, outcome: RefOutcome, index: int, snapshot: ClusterSnapshot, crl: bool = False
) -> Finding:
    value = {"group": "", "kind": "ConfigMap", "name": outcome.ref.name}
    field = "crl/refs" if crl else "caCertificateRefs"
    path = f"/spec/tls/clientValidation/{field}/{index}"
    op = (
        {"op": "replace", "path": f"{path}/group", "value": ""}
        if outcome.problem == "wrong-group"
        else {"op": "replace", "path": path, "value": value}
    )
    return ref_finding(
        outcome,
        subject=policy.label,
        referrer=(EG_GROUP, "ClientTrafficPolicy", policy.resource.namespace),
        keys=_CRL_KEYS if crl else _POLICY_KEYS,
        role="CRL" if crl else "CA",
        source="ca.crl" if crl else "ca.crt",
        kinds=_POLICY_KINDS,
        consequence=_INVALID_CONSEQUENCE,
        kind_fix=policy.patch([op]),
        snapshot=snapshot,
        evidence=(f"target {gateway.label}", *conditions(policy.resource.body, policy.label)),
    )


def _show_ref(outcome: RefOutcome) -> str:
    return f"kubectl get {outcome.ref.kind.lower()} {arg(outcome.ref.name)} -n {arg(outcome.ref.namespace)} -o yaml"


def _kept_refused(policy: Policy, gateway: Gateway, outcome: RefOutcome, what: str) -> Finding:
    return Finding(
        code="ca-ref-no-certificate",
        severity=Severity.ERROR,
        title=f"{outcome.label} holds {what}: Envoy refuses the CA bundle and the listeners of {gateway.label} "
        "close every connection",
        detail="Envoy Gateway keeps every PEM block whose bytes parse as certificates, whatever its type, and writes "
        "it again with its header lines (tls.go filterValidCACertificates, pem.EncodeToMemory); an empty block "
        "passes, as no bytes hold no certificate. The policy reports Accepted, but Envoy cannot read the block and "
        'rejects the whole validation context ("Failed to load trusted CA certificates from <inline>", measured on '
        "Envoy 1.40): connections are closed, with a good client certificate too. The command shows the object; "
        f"then remove that block from {outcome.key or 'ca.crt'}.",
        fix=_show_ref(outcome),
        subject=policy.label,
        evidence=(f"target {gateway.label}", f"{outcome.label}: {what}"),
    )


def _partly_expired(policy: Policy, gateway: Gateway, outcome: RefOutcome, index: int) -> Finding:
    del index
    unchecked_load = outcome.detail.endswith("loaded unchecked")  # before v1.7: _first_block_judged
    return Finding(
        code="ca-expired",
        severity=Severity.WARNING,
        title=f"{outcome.label}: {outcome.detail} CA certificates" + ("" if unchecked_load else " are dropped"),
        detail=(
            "Before v1.7 Envoy Gateway checks only the first CA certificate of a reference (tls.go "
            "validateCertificates) and hands the rest to Envoy as written; Envoy refuses the clients an expired "
            "CA issued. Should the first one expire, the policy becomes invalid and every route answers 500."
            if unchecked_load
            else "Envoy Gateway drops expired and not-yet-valid CA certificates from the bundle with a warning "
            "(tls.go filterValidCACertificates); clients issued by them are refused. If every CA of a reference "
            "expires, the policy becomes invalid and every route answers 500."
        )
        + f" The command shows the object; then replace the expired CA under {outcome.key or 'ca.crt'}.",
        fix=_show_ref(outcome),
        subject=policy.label,
        evidence=(f"target {gateway.label}",),
    )


def _needs_ca(policy: Policy, gateway: Gateway, mode: str, legacy: bool) -> Finding:
    said = "optional=true (maps to mode VerifyIfGiven)" if legacy else f'mode "{mode}"'
    value = {"group": "", "kind": "ConfigMap", "name": "CA-CONFIGMAP"}
    return Finding(
        code="ca-ref-not-found",
        severity=Severity.ERROR,
        title=f"{policy.label}: {said} without caCertificateRefs",
        detail=f"tls.clientValidation {said} requires caCertificateRefs (clienttrafficpolicy.go "
        "buildListenerTLSParameters): the policy is invalid.",
        fix=policy.patch({"spec": {"tls": {"clientValidation": {"caCertificateRefs": [value]}}}}, "merge"),
        subject=policy.label,
        evidence=(f"target {gateway.label}",),
    )


def _http_500(policy: Policy, gateway: Gateway, listener: Listener, cause: Finding) -> Finding:
    return Finding(
        code="policy-invalid-http-500",
        severity=Severity.ERROR,
        title=f"{policy.label} is invalid: every route on {gateway.label} listener {listener.name} answers HTTP 500",
        detail="Envoy Gateway sets a 500 direct response on the listener's routes when a ClientTrafficPolicy "
        'fails to translate ("setting 500 direct response in routes due to errors in ClientTrafficPolicy"). The '
        "listener keeps the TLS settings the policy had written before the failure (buildListenerTLSParameters edits "
        "them in place): a client the handshake lets through gets 500; one it refuses still gets the TLS alert; "
        f"with no CA on the listener no certificate is asked and every client gets 500. Cause: {cause.title}.",
        fix=cause.fix,
        then=cause.then,
        subject=policy.label,
        evidence=(f"listener {listener.name} port {listener.port}", *conditions(policy.resource.body, policy.label)),
    )


def _routes_removed(policy: Policy, gateway: Gateway, listener: Listener, cause: Finding) -> Finding:
    """An invalid policy on a TLS listener: translateClientTrafficPolicyForListener removes the TCP
    listener's routes ("any client traffic will be forwarded to the default empty cluster")."""
    return Finding(
        code="policy-invalid-routes-removed",
        severity=Severity.ERROR,
        title=f"{policy.label} is invalid: {gateway.label} TLS listener {listener.name} forwards no connection",
        detail="On a TLS listener Envoy Gateway removes the routes when a ClientTrafficPolicy fails to translate "
        '(clienttrafficpolicy.go translateClientTrafficPolicyForListener: "Remove all TCP routes if there are any '
        'errors ... any client traffic will be forwarded to the default empty cluster"): the connection is closed '
        f"after the handshake. Cause: {cause.title}.",
        fix=cause.fix,
        then=cause.then,
        subject=policy.label,
        evidence=(f"listener {listener.name} port {listener.port}", *conditions(policy.resource.body, policy.label)),
    )


def _fallback(policy: Policy, gateway: Gateway, mode: str, legacy: bool) -> Finding:
    what = {
        "Request": "a certificate is asked for but neither required nor verified",
        "RequireAny": "a certificate is required but not verified: any certificate, from any CA or expired, gets in",
        "VerifyIfGiven": "a client without a certificate gets in; a presented one must verify",
    }.get(mode, mode)
    said = "optional: true (deprecated; read as mode VerifyIfGiven)" if legacy else f"mode {mode}"
    return Finding(
        code="mtls-fallback-mode",
        severity=Severity.WARNING,  # the objects\' own choice: as ingress-nginx\'s optional (README: exit 0)
        title=f"{policy.label}: {said} does not enforce client certificates",
        detail=f"With {said}, {what} (helpers.go convertClientValidationModeType; measured on Envoy 1.40, "
        "docs/successors.md section 7).",
        fix=policy.patch(
            {"spec": {"tls": {"clientValidation": {"mode": "RequireAndVerify", "optional": None}}}}, "merge"
        ),
        subject=policy.label,
        evidence=(f"target {gateway.label}", f"spec.tls.clientValidation: {said}"),
    )


_SAN_KINDS = ("dnsNames", "emailAddresses", "ipAddresses", "uris", "otherNames")
# v1.9.0 clienttrafficpolicy.go setTLSClientValidationContext: each list's SAN type, in the order rendered
_SAN_TYPES: dict[str, SanType] = dict(zip(_SAN_KINDS, ("DNS", "EMAIL", "IP_ADDRESS", "URI", "OTHER_NAME"), strict=True))
_MATCH_KINDS: tuple[MatchKind, ...] = ("Exact", "Prefix", "Suffix", "RegularExpression")


def _san_matchers(validation: dict[str, Any]) -> SanMatchers | None:
    """subjectAltNames as Envoy gets them: setTLSClientValidationContext appends the lists in the order
    above (helpers.go irStringMatch: type Exact when unset or unknown), listener.go setTLSValidationContext
    renders each as a match_typed_subject_alt_names entry (otherNames with their oid). None: none set."""
    sans = as_dict(validation.get("subjectAltNames"))
    found = []
    for field, san_type in _SAN_TYPES.items():
        for entry in as_list(sans.get(field)):
            entry = as_dict(entry)
            kind: MatchKind = next((k for k in _MATCH_KINDS if k == entry.get("type")), "Exact")
            oid = text(entry.get("oid")) if san_type == "OTHER_NAME" else ""
            found.append(SanMatcher(san_type, kind, text(entry.get("value")), oid))
    return SanMatchers(tuple(found), "subjectAltNames") if found else None


def _matchers_set(validation: dict[str, Any]) -> list[str]:
    """The matcher fields setTLSClientValidationContext renders (clienttrafficpolicy.go): spkiHashes,
    certificateHashes, and subjectAltNames when one of its lists holds a name."""
    sans = as_dict(validation.get("subjectAltNames"))
    found = ["subjectAltNames"] if any(as_list(sans.get(kind)) for kind in _SAN_KINDS) else []
    return found + [m for m in ("spkiHashes", "certificateHashes") if as_list(validation.get(m))]


def _matchers_require(policy: Policy, gateway: Gateway, matchers: list[str], legacy: bool) -> Finding:
    said = "optional: true (read as mode VerifyIfGiven)" if legacy else "mode VerifyIfGiven"
    return Finding(
        code="client-cert-required-by-matchers",
        severity=Severity.WARNING,
        title=f"{policy.label}: {said} with {', '.join(matchers)} refuses a client without a certificate",
        detail="Envoy Gateway renders the matchers in the listener's validation context (clienttrafficpolicy.go "
        "setTLSClientValidationContext, xds/translator/listener.go setTLSValidationContext) with "
        "require_client_certificate false (helpers.go convertClientValidationModeType). Envoy then asks the "
        "certificate with SSL_VERIFY_FAIL_IF_NO_PEER_CERT (default_validator.cc initializeSslContexts: matchers "
        "set the verify mode unless trust is ACCEPT_UNTRUSTED): a client without one is refused, alert 116 in "
        "TLS 1.3 (measured on Envoy 1.40), as with RequireAndVerify. Clients that should get in without a "
        "certificate need a listener without the matchers. The command shows the policy's client validation.",
        fix=_show_validation(policy),
        subject=policy.label,
        evidence=(f"target {gateway.label}", f"spec.tls.clientValidation: {said}, {', '.join(matchers)}"),
    )


def _show_validation(policy: Policy) -> str:
    return (
        f"kubectl get clienttrafficpolicies.gateway.envoyproxy.io {arg(policy.resource.name)} -n "
        f"{arg(policy.resource.namespace)} -o jsonpath='{{.spec.tls.clientValidation}}'"
    )


def _matchers(policy: Policy, gateway: Gateway, matchers: list[str]) -> Finding:
    return Finding(
        code="client-cert-matchers",
        severity=Severity.INFO,
        title=f"{policy.label}: a trusted client must also match {', '.join(matchers)}",
        detail="Envoy refuses a trusted certificate that does not match: alert 46 for subjectAltNames, 114 for "
        "certificate or SPKI hashes (measured). The table covers only the CA and the mode; --cert is checked against the matchers too.",
        fix=_show_validation(policy),
        subject=policy.label,
        evidence=(f"target {gateway.label}",),
    )


def _expired_allowed(policy: Policy, gateway: Gateway) -> Finding:
    return Finding(
        code="client-cert-expired-allowed",
        severity=Severity.WARNING,
        title=f"{policy.label}: allowExpiredCertificate lets an expired client certificate in",
        detail="Envoy Gateway renders allow_expired_certificate in the listener's validation context "
        "(clienttrafficpolicy.go setTLSClientValidationContext, xds/translator/listener.go "
        "setTLSValidationContext; testdata clienttrafficpolicy-mtls-allow-expired-cert): a client whose "
        "certificate was issued by the CA but has expired completes the handshake and reaches the route "
        "(measured on Envoy 1.40: HTTP 200, where alert 45 is the answer without it). Envoy sets "
        "X509_V_FLAG_NO_CHECK_TIME for it (default_validator.cc), so no date is checked: a certificate not "
        "valid yet, and one under an expired intermediate, get in too (measured).",
        fix=policy.patch([{"op": "remove", "path": "/spec/tls/clientValidation/allowExpiredCertificate"}]),
        subject=policy.label,
        evidence=(f"target {gateway.label}", "spec.tls.clientValidation.allowExpiredCertificate: true"),
    )


# tls.go validateCrl checks the CRL's dates whatever clientValidation.allowExpiredCertificate says (it takes
# the CRL's bytes alone). Envoy given a CRL that expired after the last translation (Envoy Gateway checks at
# translation only), measured on Envoy 1.40 (tests/test_field_reports_successors_3.py): every certificate the
# CRL covers gets alert 45, a revoked one too; with allow_expired_certificate (X509_V_FLAG_NO_CHECK_TIME,
# default_validator.cc initializeSslContexts) no date is checked, the CRL's included: such clients get in,
# a revoked one gets 44.
_EXPIRED_CRL = (
    " allowExpiredCertificate does not change this: validateCrl checks the CRL's dates whatever it says. A proxy "
    "still holding this CRL from an earlier translation (Envoy Gateway checks dates only when it translates) "
    "refuses every client certificate the CRL covers with TLS alert 45 (certificate_expired, 'CRL has expired'), "
    "unless allowExpiredCertificate is set: Envoy then checks no date, the CRL's included, and refuses only the "
    "certificates it revokes (alert 44); measured on Envoy 1.40."
)


def _crl_finding(
    policy: Policy, gateway: Gateway, outcome: RefOutcome, code: str, what: str, more: str = ""
) -> Finding:
    return Finding(
        code=code,
        severity=Severity.ERROR,
        title=f"CRL {outcome.label} {what}: {policy.label} is invalid",
        detail=f"tls.clientValidation.crl names {outcome.label}; Envoy Gateway refuses it (tls.go validateCrl: "
        '"invalid crl in NAME", testdata clienttrafficpolicy-mtls-client-verification-expired-crl). The CA and mode '
        "were already set on the listener, so clients are still checked in the handshake, but the CRL is not loaded. "
        + _INVALID_CONSEQUENCE
        + more
        + f" The command shows the object; then publish a current CRL under {outcome.key or 'ca.crl'}.",
        fix=f"kubectl get {outcome.ref.kind.lower()} {arg(outcome.ref.name)} -n {arg(outcome.ref.namespace)} -o yaml",
        subject=policy.label,
        evidence=(
            f"target {gateway.label}",
            f"reference: {outcome.label}",
            *conditions(policy.resource.body, policy.label),
        ),
    )


def _cipher_unsupported(policy: Policy, gateway: Gateway, cipher: str) -> Finding:
    return Finding(
        code="policy-field-invalid",
        severity=Severity.ERROR,
        title=f"{policy.label}: tls.ciphers names {cipher}, which Envoy Gateway does not accept",
        detail=f'validateCipherSuites refuses it ("unsupported cipher suite: {cipher}", tls.go; testdata '
        "clienttrafficpolicy-tls-invalid-cipher): only TLS 1.2 suites are listed there (TLS 1.3 suites are not "
        "configurable in Envoy). It fails before client validation, so the listener keeps what the Gateway alone "
        f"configures. {_INVALID_CONSEQUENCE}",
        fix=policy.patch([{"op": "remove", "path": "/spec/tls/ciphers"}]),
        subject=policy.label,
        evidence=(
            f"target {gateway.label}",
            f"spec.tls.ciphers: {cipher}",
            *conditions(policy.resource.body, policy.label),
        ),
    )


def _header_limit_invalid(policy: Policy, gateway: Gateway, value: str, why: str) -> Finding:
    return Finding(
        code="policy-field-invalid",
        severity=Severity.ERROR,
        title=f"{policy.label}: headers.maxRequestHeaderLimit {value} {why}",
        detail=f'translateListenerHeaderSettings refuses it ("MaxRequestHeaderLimit value {value} {why}", '
        "clienttrafficpolicy.go; testdata clienttrafficpolicy-max-request-header-limit-with-error). The TLS step "
        f"still runs, so the policy's client validation is on the listener. {_INVALID_CONSEQUENCE}",
        fix=policy.patch([{"op": "replace", "path": "/spec/headers/maxRequestHeaderLimit", "value": "60Ki"}]),
        subject=policy.label,
        evidence=(f"target {gateway.label}", *conditions(policy.resource.body, policy.label)),
    )


def _target_not_found(gateway: Gateway, policy: Policy, target: Target, names: list[str]) -> Finding:
    https = [listener.name for listener in gateway.listeners] or names
    path = f"/spec/targetRefs/{target.index}/sectionName" if target.index >= 0 else "/spec/targetRef/sectionName"
    return Finding(
        code="policy-target-not-found",
        severity=Severity.ERROR,
        title=f"{policy.label} targets section {target.section}, which {gateway.label} does not have",
        detail=f'Envoy Gateway sets Accepted=False TargetNotFound ("No section name {target.section} found for '
        f'Gateway {gateway.resource.ref}") and applies the policy nowhere (clienttrafficpolicy.go '
        "resolveClientTrafficPolicyTargetRef): the listener it was meant for runs without it.",
        fix=policy.patch([{"op": "replace", "path": path, "value": https[0] if https else "LISTENER"}]),
        subject=policy.label,
        evidence=(
            f"listeners of {gateway.label}: {', '.join(names) or 'none'}",
            *conditions(policy.resource.body, policy.label),
        ),
    )


def _target_not_tls(gateway: Gateway, policy: Policy, target: Target) -> Finding:
    """A section policy with clientValidation on a listener that does not terminate TLS: the policy is
    accepted, but buildListenerTLSParameters returns at once for a listener without TLS ("Return if
    this listener isn't a TLS listener"), so no listener checks client certificates because of it."""
    tls = [listener.name for listener in gateway.listeners]
    path = f"/spec/targetRefs/{target.index}/sectionName" if target.index >= 0 else "/spec/targetRef/sectionName"
    return Finding(
        code="policy-target-not-tls",
        severity=Severity.ERROR,
        title=f"{policy.label} puts client validation on {gateway.label} listener {target.section}, which does not "
        "terminate TLS",
        detail=f"Listener {target.section} serves plain HTTP (or passes TLS through), so Envoy Gateway has no TLS "
        "settings to add client validation to: clienttrafficpolicy.go buildListenerTLSParameters returns at once "
        '("Return if this listener isn\'t a TLS listener") and the policy still reports Accepted. The '
        f"HTTPS/TLS listeners of the Gateway ({', '.join(tls) or 'none'}) get nothing from it.",
        fix=policy.patch([{"op": "replace", "path": path, "value": tls[0] if tls else "LISTENER"}]),
        subject=policy.label,
        evidence=(f"targetRefs section {target.section}", *conditions(policy.resource.body, policy.label)),
    )


def _target_elsewhere(gateway: Gateway, policy: Policy, target: Target, snapshot: ClusterSnapshot) -> Finding:
    """The policy, moved to the Gateway's namespace: its CA and CRL references keep naming the same
    objects (their namespace written out, with the ReferenceGrants a policy in another namespace
    needs: buildListenerTLSParameters crossNamespaceFrom), and the stray one deleted."""
    old, new = policy.resource.namespace, gateway.resource.namespace
    spec = json.loads(json.dumps(as_dict(policy.resource.body.get("spec")), default=str))  # a YAML timestamp: a string
    validation = as_dict(as_dict(spec.get("tls")).get("clientValidation"))
    refs = [*as_list(validation.get("caCertificateRefs")), *as_list(as_dict(validation.get("crl")).get("refs"))]
    grants = []
    for raw in refs:
        if isinstance(raw, dict):
            raw.setdefault("namespace", old)
            ref = ca_ref(raw, old, "Secret")
            if ref.namespace != new and ref.kind != "ClusterTrustBundle":
                grants.append(grant_command((EG_GROUP, "ClientTrafficPolicy", new), ref))
    moved = {
        "apiVersion": text(policy.resource.body.get("apiVersion")) or f"{EG_GROUP}/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": {"name": policy.resource.name, "namespace": new},
        "spec": spec,
    }
    fix = " && ".join(
        [
            f"printf '%s' {json_arg(moved)} | kubectl apply -f -",
            *dict.fromkeys(grants),
            f"kubectl delete clienttrafficpolicies.gateway.envoyproxy.io {arg(policy.resource.name)} -n {arg(old)}",
        ]
    )
    sure = snapshot.complete
    return Finding(
        code="policy-target-not-found",
        severity=Severity.ERROR if sure else Severity.WARNING,
        title=f"{policy.label} targets Gateway {target.gateway} in its own namespace {old}"
        + (", where there is none" if sure else ", which is not among the files")
        + f": {gateway.label} does not get it",
        detail="A targetRef names a Gateway in the policy's own namespace. Envoy Gateway finds no Gateway "
        f"{old}/{target.gateway} (clienttrafficpolicy.go resolveClientTrafficPolicyTargetRef returns nothing and "
        f"writes no status), so the policy applies nowhere and {gateway.label} runs without it. Create the policy "
        "in the Gateway's namespace."
        + ("" if sure else f" (If a Gateway {old}/{target.gateway} exists in the cluster, the policy is its.)"),
        fix=fix,
        subject=policy.label,
        evidence=(f"targetRefs: Gateway {target.gateway} (namespace {old})", f"{gateway.label} exists"),
    )


def _selector_not_permitted(gateway: Gateway, policy: Policy, ignored: Ignored) -> Finding:
    target = CaRef("Gateway", GATEWAY_GROUP, gateway.resource.namespace, gateway.resource.name)
    return Finding(
        code="policy-target-not-found",
        severity=Severity.ERROR,
        title=f"{policy.label} selects {gateway.label} by its labels, but no ReferenceGrant in "
        f"{gateway.resource.namespace} lets it: Envoy Gateway ignores the match",
        detail=f"targetSelectors[{ignored.selector}] matches {gateway.label} in another namespace. Envoy Gateway "
        "keeps a cross-namespace match only when a ReferenceGrant in the Gateway's namespace allows "
        "ClientTrafficPolicy (group gateway.envoyproxy.io) from the policy's namespace to Gateway (helpers.go "
        "resolvePolicyTargetsFromSelectors, isCrossNamespaceReferencePermitted; testdata "
        "policy-cross-namespace-targetselector-missing-referencegrant-gateway: no status at all). The Gateway "
        "runs without this policy.",
        fix=grant_command((EG_GROUP, "ClientTrafficPolicy", policy.resource.namespace), target),
        subject=policy.label,
        evidence=(f"targetSelectors[{ignored.selector}]", *conditions(policy.resource.body, policy.label)),
    )


def _fail_open(gateway: Gateway, listener: Listener, missing: list[Finding]) -> Finding:
    return Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name} runs without client validation: the policy meant for it does not apply",
        detail=f"{missing[0].title}. Nothing else asks for a client certificate on this listener, so every "
        "client gets in.",
        fix=missing[0].fix,
        subject=missing[0].subject,
        evidence=(f"listener {listener.name} port {listener.port}",),
    )


def _conflicted(gateway: Gateway, loser: Policy, winner: Policy, section: str | None) -> Finding:
    where = f"section {section} of {gateway.label}" if section else gateway.label
    # an error when the policy that lost asked for more than the one that applies
    lost = _policy_mode(loser.validation or {})[0] == "RequireAndVerify" and loser.validation is not None
    won = _policy_mode(winner.validation or {})[0] == "RequireAndVerify" and winner.validation is not None
    return Finding(
        code="policy-conflicted",
        severity=Severity.ERROR if lost and not won else Severity.WARNING,
        title=f"{loser.label} has no effect on {where}: {winner.label} applies",
        detail=f"Two ClientTrafficPolicies target {where}. Envoy Gateway applies the oldest (creationTimestamp), "
        "ties broken by namespace then name in ascending order, and sets Accepted=False Conflicted on the other "
        '("Unable to target section of …, another ClientTrafficPolicy has already attached to it") — '
        f"ProcessClientTrafficPolicies; ingress-nginx breaks ties the other way. The fix deletes {loser.label}, which "
        f"has no effect: {winner.label} applies.",
        fix=f"kubectl delete clienttrafficpolicies.gateway.envoyproxy.io {arg(loser.resource.name)} -n "
        f"{arg(loser.resource.namespace)}",
        subject=loser.label,
        evidence=(
            f"{winner.label} created {winner.created or 'unknown'}",
            f"{loser.label} created {loser.created or 'unknown'}",
            *conditions(loser.resource.body, loser.label),
        ),
    )


def _overridden(gateway: Gateway, wide: Policy, section_policy: Policy, claimed: list[str]) -> Finding:
    return Finding(
        code="policy-overridden",
        severity=Severity.INFO,
        title=f"{wide.label} is overridden on sections {', '.join(claimed)} by section policies",
        detail=f"A policy for a listener (sectionName) beats one for the whole Gateway: {section_policy.label} "
        f'applies here; {wide.label} gets Overridden=True ("There are existing ClientTrafficPolicies that are '
        f'overriding these sections [{", ".join(claimed)}]") and applies to the other listeners of {gateway.label}.',
        fix=f"kubectl get clienttrafficpolicies.gateway.envoyproxy.io {arg(wide.resource.name)} -n "
        f"{arg(wide.resource.namespace)} -o jsonpath='{{.status}}'",
        subject=wide.label,
        evidence=(f"{section_policy.label} applies", *conditions(wide.resource.body, wide.label)),
    )


def _frontend_overridden(
    gateway: Gateway, listener: Listener, frontend: Frontend, policy: Policy, done: Translated
) -> Finding:
    replaced = "mode and CA" if done.ca_pem is not None else "mode"
    return Finding(
        code="policy-overridden",
        severity=Severity.WARNING,
        title=f"{gateway.label} {frontend.source} is overridden by {policy.label} on listener {listener.name}",
        detail=f"Envoy Gateway puts the Gateway's frontend validation into the listener first, then the "
        f"ClientTrafficPolicy replaces its {replaced} (helpers.go irTLSConfigs, clienttrafficpolicy.go "
        "buildListenerTLSParameters): the Gateway's setting does not decide this listener.",
        fix=policy.patch([{"op": "remove", "path": "/spec/tls/clientValidation"}]),
        subject=gateway.label,
        evidence=(
            f"frontend: {frontend.mode}, {', '.join(frontend.ca_refs)}",
            f"policy: {done.mode}, {', '.join(done.ca_refs) or 'no CA of its own'}",
        ),
    )


def read(snapshot: ClusterSnapshot, now: datetime | None = None) -> list[ClientValidation]:
    """Gateways of Envoy Gateway's class, with their ClientTrafficPolicies."""
    when = now or datetime.now(UTC)
    all_policies = policies(snapshot)
    overlay = _overlay(snapshot, when, all_policies)
    found: list[ClientValidation] = []
    for gateway in gateways(snapshot):
        if gateway.implementation == "envoy-gateway":
            found += refused_answers(gateway, validations(gateway, snapshot, overlay))
    return found


def crl_leaf_only_command(decided_by: tuple[str, ...], only_leaf: bool = True) -> str | None:
    """The patch that sets crl.onlyVerifyLeafCertificate (to `only_leaf`) on the ClientTrafficPolicy that
    decided a listener (its entry in `decided_by`, as `_apply` writes it), None when none did. Envoy Gateway
    renders it as only_verify_leaf_cert_crl (clienttrafficpolicy.go buildListenerTLSParameters,
    xds/translator/listener.go buildXdsTLSCaCertSecret)."""
    entry = next((d for d in decided_by if d.startswith("ClientTrafficPolicy ")), None)
    if entry is None:
        return None
    namespace, _, name = entry.split()[1].partition("/")
    patch = {"spec": {"tls": {"clientValidation": {"crl": {"onlyVerifyLeafCertificate": only_leaf}}}}}
    return (
        f"kubectl patch clienttrafficpolicies.gateway.envoyproxy.io {arg(name)} -n {arg(namespace)} "
        f"--type merge -p {json_arg(patch)}"
    )
