"""Successor objects of manifest files that the API server refuses, or stores without a field.

`kubectl apply -f dir/` creates every object the API server accepts and reports the others: a
refused Gateway or policy never exists, so the readers must not judge it (a cluster's objects were
stored, so only files are checked). Each refused object becomes one finding here, titled with the
field and the API server's own message (crd_schema.py, crd_rules.py); the snapshot keeps it beside
the unreadable documents, and the readers never see the object.

An unknown field is not a refusal: the API server prunes it and stores the rest, unless the client
asks for strict field validation, which `kubectl apply` and `kubectl create` do by default since
Kubernetes 1.27 (kubernetes/kubectl pkg/cmd/util/helpers.go AddValidateFlags, `--validate` default
"strict"; GetValidationDirective → metav1.FieldValidationStrict): then the object is refused with
`strict decoding error: unknown field "spec.x"` (apiextensions-apiserver customresource_handler.go).
Clients that send no directive (the server's default is Warn: kubernetes/apiserver
pkg/endpoints/handlers/rest.go fieldValidation) or `--validate=false` store it without the field.
Which client, and which CRD release, the cluster has is not in the files: the object is judged as
written, with a warning that says both.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from mtls_tui.model import Finding, KubeResource, Severity
from mtls_tui.policy.api_validation import annotation_refusals
from mtls_tui.policy.crd_rules import rule_refusals
from mtls_tui.policy.crd_schema import Path, Refusal, SchemaVerdict, dotted, validate
from mtls_tui.policy.reapply import apply_corrected

# (group, kind): (finding code, what the refusal means for client certificates)
CONSEQUENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("gateway.networking.k8s.io", "Gateway"): (
        "gateway-refused-by-api",
        "none of its listeners exists: nothing listens for its hosts",
    ),
    ("gateway.networking.k8s.io", "GatewayClass"): (
        "gateway-class-refused-by-api",
        "no controller picks up the Gateways of this class",
    ),
    ("gateway.networking.k8s.io", "HTTPRoute"): ("route-refused-by-api", "its hostnames are not routed"),
    ("gateway.networking.k8s.io", "TLSRoute"): ("route-refused-by-api", "its hostnames are not routed"),
    ("gateway.networking.k8s.io", "ReferenceGrant"): (
        "reference-grant-refused-by-api",
        "the references it would allow (a CA in another namespace) are refused",
    ),
    ("gateway.envoyproxy.io", "ClientTrafficPolicy"): (
        "policy-refused-by-api",
        "nothing it says reaches the listeners it targets: they run without its client validation",
    ),
    ("traefik.io", "TLSOption"): (
        "tls-option-refused-by-api",
        "routers naming it do not get its client authentication",
    ),
    ("traefik.io", "IngressRoute"): ("route-refused-by-api", "its routers do not exist"),
    ("k8s.nginx.org", "Policy"): (
        "policy-refused-by-api",
        "resources naming it get an invalid policy reference instead of its ingressMTLS",
    ),
    ("k8s.nginx.org", "VirtualServer"): ("virtual-server-refused-by-api", "its host is not served"),
    ("networking.istio.io", "Gateway"): ("gateway-refused-by-api", "none of its servers exists"),
    ("networking.istio.io", "VirtualService"): ("route-refused-by-api", "its hosts are not routed"),
}


def server_verdict(body: dict[str, Any]) -> SchemaVerdict | None:
    """What the API server says of a custom resource: its schema's refusals, else the translated
    CEL rules' (the rules run on an object that passed its schema), after the annotations' size
    that every kind's metadata is held to (apiextensions-apiserver pkg/registry/customresource/
    validator.go Validate runs ValidateObjectMetaAccessor beside the schema); None when no schema is vendored."""
    verdict = validate(body)
    if verdict is None:
        return verdict
    size = tuple(Refusal(("metadata", "annotations"), message) for message in annotation_refusals(body))
    return replace(verdict, refused=(*size, *(verdict.refused or rule_refusals(body))))


def schema_findings(resource: KubeResource) -> tuple[Finding | None, Finding | None]:
    """(the refusal, the pruned-fields warning) for one object read from a file; None for each
    that does not apply (or when no schema is vendored for its apiVersion and kind)."""
    verdict = server_verdict(resource.body)
    if verdict is None:
        return None, None
    refusals = verdict.refused
    refused = _refused(resource, refusals, verdict.pruned, verdict.source) if refusals else None
    pruned = _pruned(resource, verdict.pruned, verdict.source) if verdict.pruned and not refusals else None
    return refused, pruned


def _label(resource: KubeResource) -> str:
    return f"{resource.kind} {resource.ref}"


def _refused(resource: KubeResource, refusals: tuple[Refusal, ...], pruned: tuple[Path, ...], source: str) -> Finding:
    code, consequence = CONSEQUENCES[(resource.group, resource.kind)]  # every vendored kind has one (tested)
    first = refusals[0].message
    more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
    certain = not pruned and all(r.meant is not None for r in refusals)

    def correct(body: dict[str, Any]) -> None:
        for refusal in refusals:
            _set(body, refusal.path, refusal.meant)

    return Finding(
        code=code,
        severity=Severity.ERROR,
        title=f"{_label(resource)}: the API server refuses it ({first}{more}): {consequence}",
        detail=f"`kubectl apply` of this {resource.kind} fails (422 Invalid) and the other objects are created without "
        f"it, so it is judged as absent. The rule is its CRD's openAPIV3Schema ({source}), checked as the API server "
        "checks it (kube-openapi validate)."
        + (" The fix applies it again with the value each field was closest to." if certain else ""),
        fix=apply_corrected(resource, correct) if certain else "",
        subject=_label(resource),
        evidence=tuple(r.message for r in refusals),
    )


def _pruned(resource: KubeResource, pruned: tuple[Path, ...], source: str) -> Finding:
    fields = ", ".join(map(dotted, pruned))
    return Finding(
        code="field-pruned-by-api",
        severity=Severity.WARNING,
        title=f"{_label(resource)}: {fields} {'is' if len(pruned) == 1 else 'are'} not in its CRD: `kubectl apply` "
        "refuses the object; other clients store it without " + ("that field" if len(pruned) == 1 else "those fields"),
        detail=f"Its CRD ({source}) has no such field. kubectl asks for strict field validation by default (since "
        '1.27): the API server answers `strict decoding error: unknown field "…"` and the object is not created. '
        "A client that does not ask (`kubectl apply --validate=false`, or any API client that sends no "
        "fieldValidation: the server's default is Warn) gets it stored with the field pruned. It is judged here "
        "as written: a field of another release or of the experimental channel exists in clusters that installed "
        "that CRD, and only there does the controller read it.",
        fix="",
        subject=_label(resource),
        evidence=tuple(f"unknown field {dotted(p)}" for p in pruned),
    )


def _set(body: dict[str, Any], path: Path, value: Any) -> None:
    here: Any = body
    for part in path[:-1]:
        here = here[part]
    here[path[-1]] = value
