"""The CRDs' x-kubernetes-validations (CEL) rules that decide client certificates, by hand.

CEL is not evaluated in general (crd_schema.py says what is not checked). The rules below decide
whether a listener terminates TLS or which policy applies, so each is translated with its CRD's
own message, as the API server reports a failed rule: `field: Invalid value: "<schema type>":
<message>` (k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/validation.go, field.Invalid
with the rule's message). Defaults apply first (a listener's `tls.mode` is Terminate when unset).

- kubernetes-sigs/gateway-api 4564255a config/crd/standard/gateway.networking.k8s.io_gateways.yaml
  (apis/v1/gateway_types.go +kubebuilder:validation:XValidation on Listeners, GatewayTLSConfig,
  FrontendTLSConfig.PerPort);
- envoyproxy/gateway d32f2829 gateway.envoyproxy.io_clienttrafficpolicies.yaml (api/v1alpha1
  clienttrafficpolicy_types.go, tls_types.go ClientValidationContext);
- istio/istio 86c9f01f crd-all.gen.yaml networking.istio.io Gateway servers[].tls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from mtls_tui.policy.crd_schema import Refusal
from mtls_tui.policy.values import as_dict, as_list

TERMINATE_NEEDS_CERTIFICATES = "certificateRefs or options must be specified when mode is Terminate"


def _gateway_api_gateway(spec: dict[str, Any]) -> Iterator[Refusal]:
    listeners = [as_dict(item) for item in as_list(spec.get("listeners"))]

    def failed(message: str) -> Refusal:
        return Refusal(("spec", "listeners"), f'spec.listeners: Invalid value: "array": {message}')

    # a listener's tls.mode is defaulted (Terminate) before the rules run
    tls = [(li.get("protocol"), "tls" in li, as_dict(li.get("tls")).get("mode", "Terminate")) for li in listeners]
    if any(protocol in ("HTTP", "TCP", "UDP") and has_tls for protocol, has_tls, _ in tls):
        yield failed("tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']")
    if any(protocol == "HTTPS" and has_tls and mode not in ("", "Terminate") for protocol, has_tls, mode in tls):
        yield failed("tls mode must be Terminate for protocol HTTPS")
    if any(protocol == "TLS" and (not has_tls or mode == "") for protocol, has_tls, mode in tls):
        yield failed("tls mode must be set for protocol TLS")
    if any(Counter(li.get("name") for li in listeners)[li.get("name")] > 1 for li in listeners):
        yield failed("Listener name must be unique within the Gateway")
    keys = [(li.get("port"), li.get("protocol"), li.get("hostname")) for li in listeners]
    if len(set(map(repr, keys))) < len(keys):
        yield failed("Combination of port, protocol and hostname must be unique for each listener")
    for index, listener in enumerate(listeners):
        config = listener.get("tls")
        if isinstance(config, dict) and config.get("mode", "Terminate") == "Terminate":
            if not as_list(config.get("certificateRefs")) and not as_dict(config.get("options")):
                where = f"spec.listeners[{index}].tls"
                yield Refusal(
                    ("spec", "listeners", index, "tls"),
                    f'{where}: Invalid value: "object": {TERMINATE_NEEDS_CERTIFICATES}',
                )
    per_port = [
        as_dict(entry).get("port")
        for entry in as_list(as_dict(as_dict(spec.get("tls")).get("frontend")).get("perPort"))
    ]
    if len(set(per_port)) < len(per_port):
        yield Refusal(
            ("spec", "tls", "frontend", "perPort"),
            'spec.tls.frontend.perPort: Invalid value: "array": Port for TLS configuration must be unique within the Gateway',
        )


# clienttrafficpolicy_types.go (v1.9.0) XValidation on ClientTrafficPolicySpec: a policy attaches to a
# Gateway or a ListenerSet only, so one aimed at an HTTPRoute (envoyproxy/gateway#8097 asks for per-route
# mTLS) is refused at apply. A missing group or kind is the schema's `required` refusal, not these rules'.
POLICY_TARGET_GROUP = "gateway.networking.k8s.io"
POLICY_TARGET_KINDS = ("Gateway", "ListenerSet")


def _policy_targets(spec: dict[str, Any]) -> Iterator[Refusal]:
    single = spec.get("targetRef")
    for field, refs in (
        ("targetRef", [single] if single is not None else []),
        ("targetRefs[*]", spec.get("targetRefs")),
    ):
        refs = [as_dict(ref) for ref in as_list(refs)]
        if any(isinstance(ref.get("group"), str) and ref["group"] != POLICY_TARGET_GROUP for ref in refs):
            message = f"this policy can only have a {field}.group of {POLICY_TARGET_GROUP}"
            yield Refusal(("spec",), f'spec: Invalid value: "object": {message}')
        if any(isinstance(ref.get("kind"), str) and ref["kind"] not in POLICY_TARGET_KINDS for ref in refs):
            message = f"this policy can only have a {field}.kind of Gateway or ListenerSet"
            yield Refusal(("spec",), f'spec: Invalid value: "object": {message}')


def _client_traffic_policy(spec: dict[str, Any]) -> Iterator[Refusal]:
    if not (
        ("targetRef" in spec) != ("targetRefs" in spec) or as_list(spec.get("targetSelectors"))
    ):  # clienttrafficpolicy_types.go: a policy must say what it targets
        yield Refusal(("spec",), 'spec: Invalid value: "object": either targetRef or targetRefs must be used')
    yield from _policy_targets(spec)
    validation = as_dict(as_dict(spec.get("tls")).get("clientValidation"))
    mode = validation.get("mode")
    if validation.get("allowExpiredCertificate") is True and mode is not None:
        if mode not in ("VerifyIfGiven", "RequireAndVerify"):
            yield Refusal(
                ("spec", "tls", "clientValidation"),
                'spec.tls.clientValidation: Invalid value: "object": allowExpiredCertificate can only be set when mode '
                "is VerifyIfGiven or RequireAndVerify",
            )


# Each rule as the CRD writes it, with its message: the third checks credentialNames (not
# credentialName) beside tlsCertificates, whatever its message says.
ISTIO_RULES = (
    ("tlsCertificates", "credentialNames", "only one of credentialNames or tlsCertificates can be set"),
    ("credentialName", "credentialNames", "only one of credentialName or credentialNames can be set"),
    ("credentialNames", "tlsCertificates", "only one of credentialName or tlsCertificates can be set"),
)


def _istio_gateway(spec: dict[str, Any]) -> Iterator[Refusal]:
    for index, server in enumerate(as_list(spec.get("servers"))):
        tls = as_dict(as_dict(server).get("tls"))
        for first, second, message in ISTIO_RULES:
            if first in tls and second in tls:
                where = f"spec.servers[{index}].tls"
                yield Refusal(("spec", "servers", index, "tls"), f'{where}: Invalid value: "object": {message}')


RULES: dict[tuple[str, str], Callable[[dict[str, Any]], Iterator[Refusal]]] = {
    ("gateway.networking.k8s.io", "Gateway"): _gateway_api_gateway,
    ("gateway.envoyproxy.io", "ClientTrafficPolicy"): _client_traffic_policy,
    ("networking.istio.io", "Gateway"): _istio_gateway,
}


def rule_refusals(obj: dict[str, Any]) -> tuple[Refusal, ...]:
    """The translated rules' refusals for this object (none for a kind without translated rules)."""
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    rules = RULES.get((group, str(obj.get("kind") or "")))
    return tuple(rules(as_dict(obj.get("spec")))) if rules is not None else ()
