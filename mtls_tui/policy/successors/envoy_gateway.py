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

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from mtls_tui.model import ClusterSnapshot, Finding, KubeResource, Severity
from mtls_tui.policy.successors.common import ClientCertMode, ClientValidation
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
from mtls_tui.policy.successors.references import (
    GATEWAY_GROUP,
    CaRef,
    RefOutcome,
    as_dict,
    as_list,
    ca_ref,
    conditions,
    expired_blocks,
    grant_permits,
    object_data,
    pick_key,
    presence,
    ref_finding,
    text,
    unseen_finding,
)
from mtls_tui.shell import arg, comment, json_arg

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


@dataclass(frozen=True)
class Target:
    gateway: str
    section: str | None
    index: int  # position in targetRefs (for patches); -1 for the old single targetRef


@dataclass(frozen=True)
class Policy:
    resource: KubeResource
    created: str
    targets: tuple[Target, ...]

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
    creationTimestamp first, then namespace, then name, ascending (resource.go)."""
    found = []
    for resource in snapshot.of_kind("ClientTrafficPolicy", EG_GROUP):
        meta = as_dict(resource.body.get("metadata"))
        spec = as_dict(resource.body.get("spec"))
        raw = [(n, as_dict(t)) for n, t in enumerate(as_list(spec.get("targetRefs")))]
        if isinstance(spec.get("targetRef"), dict):
            raw.append((-1, as_dict(spec.get("targetRef"))))
        targets = tuple(
            Target(text(t.get("name")), text(t.get("sectionName")) or None, n)
            for n, t in raw
            if text(t.get("kind")) == "Gateway" and text(t.get("group")) in ("", GATEWAY_GROUP)
        )
        found.append(Policy(resource, text(meta.get("creationTimestamp")), targets))
    return sorted(found, key=lambda p: (p.created, p.resource.namespace, p.resource.name))


# --- which policy each listener gets ----------------------------------------------------------


@dataclass
class Attachments:
    """Per listener name: the policy applied and the findings about the others."""

    chosen: dict[str, Policy]
    findings: dict[str, list[Finding]]
    missing_sections: list[Finding]  # policy-target-not-found: the listener runs without it


def attach(gateway: Gateway, all_policies: list[Policy]) -> Attachments:
    """ProcessClientTrafficPolicies: section-targeted policies first (the first claims the
    section, later ones are Conflicted), then Gateway-wide ones (the first applies to the
    unclaimed listeners and is Overridden on the claimed ones, later ones are Conflicted)."""
    names = [
        text(as_dict(raw).get("name")) for raw in as_list(as_dict(gateway.resource.body.get("spec")).get("listeners"))
    ]
    mine = [
        (p, t)
        for p in all_policies
        if p.resource.namespace == gateway.resource.namespace
        for t in p.targets
        if t.gateway == gateway.resource.name
    ]
    result = Attachments({}, {name: [] for name in names}, [])
    for policy, target in mine:
        if target.section is None:
            continue
        if target.section not in names:
            result.missing_sections.append(_target_not_found(gateway, policy, target, names))
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


# --- one policy on one listener ----------------------------------------------------------------


@dataclass(frozen=True)
class Translated:
    mode: ClientCertMode
    ca_refs: tuple[str, ...]
    ca_pem: bytes | None  # None: the policy has no CA (the frontend's stays)
    error: Finding | None  # the policy is invalid: routes answer 500
    findings: tuple[Finding, ...]
    crl: bool
    unseen: tuple[str, ...] = ()
    allow_expired: bool = False


def _policy_mode(validation: dict[str, Any]) -> tuple[str, bool]:
    """(Envoy Gateway mode, from the deprecated `optional`)."""
    mode = text(validation.get("mode"))
    if mode:
        return mode, False
    if validation.get("optional") is True:
        return "VerifyIfGiven", True  # "Legacy mapping: Optional=true means VerifyIfGiven"
    return "RequireAndVerify", False


def _read_policy_ref(policy: Policy, ref: CaRef, snapshot: ClusterSnapshot, now: datetime) -> RefOutcome:
    """validateAndGetDataAtKeyInRef, then filterValidCACertificates (E3, E5)."""
    referrer = (EG_GROUP, "ClientTrafficPolicy", policy.resource.namespace)
    if ref.namespace != policy.resource.namespace and grant_permits(snapshot, referrer, ref) is None:
        return RefOutcome(ref, problem="not-permitted", detail="policy Accepted=False Invalid")
    if ref.kind not in _POLICY_KINDS:
        return RefOutcome(ref, problem="wrong-kind", detail=f"unsupported ref kind:{ref.kind}")
    data = object_data(snapshot, ref.kind, ref.namespace, ref.name)
    if ref.kind == "ClusterTrustBundle":  # cluster-scoped, not in a snapshot: taken as usable
        return RefOutcome(ref, key="spec.trustBundle", detail="", unseen="unseen")
    if data is None:
        status = presence(snapshot, ref.kind, ref.namespace, ref.name)
        if status in ("unseen", "forbidden"):
            return RefOutcome(ref, unseen=status)
        return RefOutcome(ref, problem="not-found", detail="TLS: failed to get certificate from ref")
    key = pick_key(data, _POLICY_KEYS, single_key=True)
    if key is None or not data[key]:
        keys = ", ".join(sorted(data)) or "no keys"
        return RefOutcome(ref, problem="no-ca-key", detail=f"keys: {keys}")
    count, bad = expired_blocks(data[key], now)
    if count and bad == count:
        return RefOutcome(
            ref,
            key=key,
            problem="expired",
            detail=f'every CA certificate in {ref.label} key {key} has expired or is not yet valid: "no valid '
            f'certificates exist in {ref.name}" (tls.go filterValidCACertificates)',
        )
    return RefOutcome(ref, pem=data[key], key=key, detail=f"{bad} of {count} expired" if bad else "")


def translate(policy: Policy, gateway: Gateway, snapshot: ClusterSnapshot, now: datetime) -> Translated:
    """buildListenerTLSParameters for the client-validation part of one policy."""
    validation = policy.validation or {}
    raw_mode, legacy = _policy_mode(validation)
    mode = MODES.get(raw_mode, "require-and-verify")
    refs = [ca_ref(r, policy.resource.namespace, "Secret") for r in as_list(validation.get("caCertificateRefs"))]
    pems: list[bytes] = []
    labels: list[str] = []
    unseen: list[str] = []
    findings: list[Finding] = []
    for n, ref in enumerate(refs):
        outcome = _read_policy_ref(policy, ref, snapshot, now)
        if outcome.problem is not None:
            finding = _policy_ref_finding(policy, gateway, outcome, n, snapshot)
            return Translated("none", tuple(r.label for r in refs), None, finding, (finding,), False)
        if outcome.unseen:
            unseen.append(outcome.ref.label)
            if outcome.ref.kind != "ClusterTrustBundle":
                findings.append(
                    unseen_finding(outcome.ref, outcome.unseen, subject=policy.label, if_missing=_INVALID_CONSEQUENCE)
                )
            labels.append(outcome.label)
            continue
        if outcome.detail:
            findings.append(_partly_expired(policy, gateway, outcome, n))
        pems.append(outcome.pem or b"")
        labels.append(outcome.label)
    if raw_mode in ("VerifyIfGiven", "RequireAndVerify") and not pems and not unseen:
        finding = _needs_ca(policy, gateway, raw_mode, legacy)
        return Translated("none", (), None, finding, (finding,), False)
    if mode != "require-and-verify":
        findings.append(_fallback(policy, gateway, raw_mode, legacy))
    matchers = [m for m in ("subjectAltNames", "spkiHashes", "certificateHashes") if validation.get(m)]
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
    crl = bool(as_list(as_dict(validation.get("crl")).get("refs")))
    pem = b"".join(p.strip() + b"\n" for p in pems) if pems else None
    return Translated(mode, tuple(labels), pem, None, tuple(findings), crl, tuple(unseen), allow_expired)


# --- the overlay: frontend, then the policy ------------------------------------------------------


def _overlay(snapshot: ClusterSnapshot, now: datetime, all_policies: list[Policy]) -> Overlay:
    cache: dict[str, Attachments] = {}

    def overlay(gateway: Gateway, listener: Listener, frontend: Frontend) -> ListenerResult:
        key = gateway.resource.ref
        if key not in cache:
            cache[key] = attach(gateway, all_policies)
        attached = cache[key]
        base = plain_result(gateway, listener, frontend)
        extra = tuple(attached.findings.get(listener.name, ()))
        policy = attached.chosen.get(listener.name)
        if policy is None or policy.validation is None or frontend.refused:
            # no policy, a policy without clientValidation, or a listener not built at all (G13)
            result = _with(base, extra)
        else:
            result = _apply(gateway, listener, frontend, policy, base, extra, snapshot, now)
        if attached.missing_sections:
            result = _with(result, tuple(attached.missing_sections))
            if result.mode != "require-and-verify" and result.breakage is None:
                result = _with(result, (_fail_open(gateway, listener, attached.missing_sections),))
        return result

    return overlay


def _with(result: ListenerResult, findings: tuple[Finding, ...]) -> ListenerResult:
    return replace(result, findings=(*result.findings, *findings))


def _apply(
    gateway: Gateway,
    listener: Listener,
    frontend: Frontend,
    policy: Policy,
    base: ListenerResult,
    extra: tuple[Finding, ...],
    snapshot: ClusterSnapshot,
    now: datetime,
) -> ListenerResult:
    done = translate(policy, gateway, snapshot, now)
    scope_word = f" section {listener.name}" if any(t.section for t in policy.targets) else ""
    decided = (*base.decided_by, f"{policy.label}{scope_word}") if frontend.source else (f"{policy.label}{scope_word}",)
    policy_conditions = conditions(policy.resource.body, policy.label)
    findings = list(done.findings) + list(extra)
    if frontend.source and frontend.mode != "none":
        findings.append(_frontend_overridden(gateway, listener, frontend, policy, done))
    if done.error is not None:
        findings.append(_http_500(policy, gateway, listener, done.error))
        return ListenerResult(
            mode="none",
            scope="listener",
            ca_refs=done.ca_refs,
            ca_pem=None,
            decided_by=decided,
            findings=tuple(findings),
            breakage="http-500",
            conditions=policy_conditions,
        )
    keep_frontend_ca = done.ca_pem is None and not done.unseen
    return ListenerResult(
        mode=done.mode,
        scope="listener",
        ca_refs=base.ca_refs if keep_frontend_ca else done.ca_refs,
        ca_pem=base.ca_pem if keep_frontend_ca else done.ca_pem,
        decided_by=decided,
        findings=tuple(findings),
        breakage=None,
        crl=done.crl,
        conditions=policy_conditions,
        unseen=(*(base.unseen if keep_frontend_ca else ()), *done.unseen),
        allow_expired=done.allow_expired,
    )


# --- findings ---------------------------------------------------------------------------------

_INVALID_CONSEQUENCE = (
    "The policy is invalid (Accepted=False Invalid): every route on its listeners answers HTTP 500, and TLS "
    "still terminates without client validation (clienttrafficpolicy.go translateClientTrafficPolicyForListener)."
)


def _policy_ref_finding(
    policy: Policy, gateway: Gateway, outcome: RefOutcome, index: int, snapshot: ClusterSnapshot
) -> Finding:
    value = {"group": "", "kind": "ConfigMap", "name": outcome.ref.name}
    return ref_finding(
        outcome,
        subject=policy.label,
        referrer=(EG_GROUP, "ClientTrafficPolicy", policy.resource.namespace),
        keys=_POLICY_KEYS,
        kinds=_POLICY_KINDS,
        consequence=_INVALID_CONSEQUENCE,
        kind_fix=policy.patch(
            [{"op": "replace", "path": f"/spec/tls/clientValidation/caCertificateRefs/{index}", "value": value}]
        ),
        snapshot=snapshot,
        evidence=(f"target {gateway.label}", *conditions(policy.resource.body, policy.label)),
    )


def _partly_expired(policy: Policy, gateway: Gateway, outcome: RefOutcome, index: int) -> Finding:
    del index
    return Finding(
        code="ca-expired",
        severity=Severity.WARNING,
        title=f"{outcome.label}: {outcome.detail} CA certificates are dropped",
        detail="Envoy Gateway drops expired and not-yet-valid CA certificates from the bundle with a warning "
        "(tls.go filterValidCACertificates); clients issued by them are refused. If every CA of a reference "
        "expires, the policy becomes invalid and every route answers 500.",
        fix=f"kubectl get {outcome.ref.kind.lower()} {arg(outcome.ref.name)} -n {arg(outcome.ref.namespace)} -o yaml"
        + "  "
        + comment("# replace the expired CA under " + (outcome.key or "ca.crt")),
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
        'fails to translate ("setting 500 direct response in routes due to errors in ClientTrafficPolicy"); the '
        "listener keeps TLS without the policy's client validation, so even a client without a certificate "
        f"completes the handshake and gets 500, not an alert. Cause: {cause.title}.",
        fix=cause.fix,
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
        severity=Severity.ERROR,
        title=f"{policy.label}: {said} does not enforce client certificates",
        detail=f"With {said}, {what} (helpers.go convertClientValidationModeType; measured on Envoy 1.40, "
        "docs/successors.md section 7).",
        fix=policy.patch(
            {"spec": {"tls": {"clientValidation": {"mode": "RequireAndVerify", "optional": None}}}}, "merge"
        ),
        subject=policy.label,
        evidence=(f"target {gateway.label}", f"spec.tls.clientValidation: {said}"),
    )


def _matchers(policy: Policy, gateway: Gateway, matchers: list[str]) -> Finding:
    return Finding(
        code="client-cert-matchers",
        severity=Severity.INFO,
        title=f"{policy.label}: a trusted client must also match {', '.join(matchers)}",
        detail="Envoy refuses a trusted certificate that does not match: alert 46 for subjectAltNames, 114 for "
        "certificate or SPKI hashes (measured). The prediction here covers only the CA and the mode.",
        fix=f"kubectl get clienttrafficpolicies.gateway.envoyproxy.io {arg(policy.resource.name)} -n "
        f"{arg(policy.resource.namespace)} -o jsonpath='{{.spec.tls.clientValidation}}'",
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
        "(measured on Envoy 1.40: HTTP 200, where alert 45 is the answer without it).",
        fix=policy.patch([{"op": "remove", "path": "/spec/tls/clientValidation/allowExpiredCertificate"}]),
        subject=policy.label,
        evidence=(f"target {gateway.label}", "spec.tls.clientValidation.allowExpiredCertificate: true"),
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


def _fail_open(gateway: Gateway, listener: Listener, missing: list[Finding]) -> Finding:
    return Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"{gateway.label} listener {listener.name} runs without client validation: the policy meant for it targets no listener",
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
        "ProcessClientTrafficPolicies; ingress-nginx breaks ties the other way.",
        fix=f"kubectl delete clienttrafficpolicies.gateway.envoyproxy.io {arg(loser.resource.name)} -n "
        f"{arg(loser.resource.namespace)}  " + comment(f"# it has no effect; {winner.label} applies"),
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
            found += validations(gateway, snapshot, overlay)
    return found
