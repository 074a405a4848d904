"""CA references as the successors read them: which object a reference names, whether a
ReferenceGrant lets the referrer read it, which key of it holds the CA, and the findings when
one of those fails. Shared by the Gateway API, Envoy Gateway and Istio readers; pure (objects
in, outcomes out)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mtls_tui.model import ClusterSnapshot, Finding, KubeResource, Severity
from mtls_tui.policy.successors.common import Pins
from mtls_tui.policy.values import as_dict, as_list, text
from mtls_tui.shell import arg, json_arg

GATEWAY_GROUP = "gateway.networking.k8s.io"
TRUST_BUNDLE_GROUP = "certificates.k8s.io"
TRUST_BUNDLES = "clustertrustbundles.certificates.k8s.io"

# Why a reference gave no CA. "too-many": Istio reads one caCertificateRef only.
# "no-certificate": the key holds no certificate the controller parses (not PEM, only a private key, empty).
# "wrong-group": a Secret/ConfigMap reference with a group (Envoy Gateway wants it empty, even "core").
RefProblem = Literal[
    "not-found", "wrong-kind", "wrong-group", "no-ca-key", "not-permitted", "expired", "too-many", "no-certificate"
]

PROBLEM_CODES: dict[RefProblem, str] = {
    "not-found": "ca-ref-not-found",
    "wrong-kind": "ca-ref-wrong-kind",
    "wrong-group": "ca-ref-wrong-kind",
    "no-ca-key": "ca-ref-no-ca-key",
    "not-permitted": "ca-ref-not-permitted",
    "expired": "ca-expired",
    "too-many": "ca-all-refs-invalid",
    "no-certificate": "ca-ref-no-certificate",
}


@dataclass(frozen=True)
class CaRef:
    """One entry of a caCertificateRefs list, defaults filled in as the referrer's API does."""

    kind: str
    group: str
    namespace: str
    name: str

    @property
    def label(self) -> str:
        if self.kind == "ClusterTrustBundle":  # cluster-scoped: no namespace
            return f"{self.kind} {self.name}"
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class RefOutcome:
    ref: CaRef
    pem: bytes | None = None
    key: str | None = None  # the key the CA was read from
    problem: RefProblem | None = None
    detail: str = ""  # what the controller says, or what was found instead
    unseen: Presence | None = None  # "unseen"/"forbidden": not read here; assumed present and usable

    @property
    def label(self) -> str:
        return self.ref.label + (f" key {self.key}" if self.key else "")


# Whether a referenced object is known: read, known missing (a cluster, or the API's not-found),
# or not read (manifest files without it; RBAC forbids it): then assumed present and usable, as
# the ingress-nginx rules and the Traefik reader do (secret-not-in-manifests).
Presence = Literal["found", "missing", "unseen", "forbidden"]


def presence(snapshot: ClusterSnapshot, kind: str, namespace: str, name: str) -> Presence:
    if object_data(snapshot, kind, namespace, name) is not None:
        return "found"
    if kind == "Secret":
        problem = snapshot.secret_problem(f"{namespace}/{name}")
        if problem is not None:
            return "missing" if problem.status == "not-found" else "forbidden"
    where = "" if kind == "ClusterTrustBundle" else namespace
    if any(k == kind and n in ("", where) and o in ("", name) for k, n, o in snapshot.forbidden):
        return "forbidden"
    return "missing" if snapshot.complete else "unseen"


def unseen_finding(ref: CaRef, status: Presence, *, subject: str, if_missing: str, role: str = "CA") -> Finding:
    """A CA object the verdict needs and this run did not read: a warning, never an error (the
    cluster may hold it); `if_missing` says what the controller does when the cluster lacks it too;
    `role` what the object holds for the verdict ("CA", or "CRL" for a revocation list)."""
    kind = ref.kind.lower()
    if ref.kind == "ClusterTrustBundle":
        return _unseen_bundle(ref, status, subject=subject, if_missing=if_missing)
    if status == "forbidden":
        return Finding(
            code="secret-forbidden",
            severity=Severity.WARNING,
            title=f"not checked: reading {ref.label} is forbidden",
            detail=f"{subject} names {ref.label} as its client {role}; our credentials may not read it, so it is "
            f"assumed present and usable. If it is missing or unusable: {if_missing} The command asks the API server "
            "again; then ask for get on secrets, or check with --manifests holding it.",
            fix=f"kubectl auth can-i get secrets -n {arg(ref.namespace)}",
            subject=subject,
            evidence=(f"reference: {ref.label}",),
        )
    return Finding(
        code=f"{kind}-not-in-manifests" if kind in ("secret", "configmap") else "ca-ref-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: the {role} {ref.label} of {subject} is not among the files",
        detail=f"It decides who gets in, and it was not read; it is assumed present and usable. If the cluster lacks "
        f"it too: {if_missing} The command saves it to a file; then add that file to --manifests.",
        fix=f"kubectl get {kind} {arg(ref.name)} -n {arg(ref.namespace)} -o yaml > {arg(ref.name + '-' + kind + '.yaml')}",
        subject=subject,
        evidence=(f"reference: {ref.label}",),
    )


def _unseen_bundle(ref: CaRef, status: Presence, *, subject: str, if_missing: str) -> Finding:
    """A ClusterTrustBundle not read: not among the files, or our credentials may not list them."""
    if status == "forbidden":
        return Finding(
            code="objects-forbidden",
            severity=Severity.WARNING,
            title=f"not checked: listing {TRUST_BUNDLES} is forbidden, so {ref.label} was not read",
            detail=f"{subject} names {ref.label} as its client CA; our credentials may not list ClusterTrustBundles, "
            f"so it is assumed present and usable. If it is missing or unusable: {if_missing} The command asks the API "
            "server again; then ask for list on them, or check with --manifests holding it.",
            fix=f"kubectl auth can-i list {TRUST_BUNDLES}",
            subject=subject,
            evidence=(f"reference: {ref.label}",),
        )
    return Finding(
        code="ca-ref-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: the CA {ref.label} of {subject} is not among the files",
        detail=f"It decides who gets in, and it was not read; it is assumed present and usable. If the cluster lacks "
        f"it too, or none of its certificates is valid: {if_missing} The command saves it to a file; then add that "
        "file to --manifests.",
        fix=f"kubectl get {TRUST_BUNDLES} {arg(ref.name)} -o yaml > {arg(ref.name + '-clustertrustbundle.yaml')}",
        subject=subject,
        evidence=(f"reference: {ref.label}",),
    )


def ca_ref(raw: Any, namespace: str, default_kind: str) -> CaRef:
    """A reference from the manifest; `default_kind` where the API defaults `kind`
    (Envoy Gateway's SecretObjectReference: Secret; tls_types.go)."""
    ref = as_dict(raw)
    return CaRef(
        kind=text(ref.get("kind")) or default_kind,
        group=text(ref.get("group")),
        namespace=text(ref.get("namespace")) or namespace,
        name=text(ref.get("name")),
    )


def object_data(snapshot: ClusterSnapshot, kind: str, namespace: str, name: str) -> dict[str, bytes] | None:
    """The keys of a ConfigMap or Secret as bytes; None when it is not in the snapshot."""
    if kind == "Secret":
        secret = snapshot.secret(f"{namespace}/{name}")
        return None if secret is None else dict(secret.data)
    if kind == "ConfigMap":
        for resource in snapshot.of_kind("ConfigMap", ""):
            if resource.namespace == namespace and resource.name == name:
                data = as_dict(resource.body.get("data"))
                return {str(k): v.encode() for k, v in data.items() if isinstance(v, str)}
    if kind == "ClusterTrustBundle":  # cluster-scoped: by name alone; the PEM bundle is spec.trustBundle
        for resource in snapshot.of_kind("ClusterTrustBundle", TRUST_BUNDLE_GROUP):
            if resource.name == name:
                bundle = as_dict(resource.body.get("spec")).get("trustBundle")
                return {"spec.trustBundle": bundle.encode() if isinstance(bundle, str) else b""}
    return None


def pick_key(data: dict[str, bytes], keys: tuple[str, ...], single_key: bool) -> str | None:
    """The first of `keys` present; with `single_key`, the only key of a one-key object
    (Envoy Gateway helpers.go getFirstMatchOrFirstFromData)."""
    for key in keys:
        if key in data:
            return key
    if single_key and len(data) == 1:
        return next(iter(data))
    return None


def grant_permits(snapshot: ClusterSnapshot, referrer: tuple[str, str, str], ref: CaRef) -> str | None:
    """The ReferenceGrant (`namespace/name`) in the referenced namespace that lets
    `referrer` (group, kind, namespace) read `ref`; None when none does
    (gateway-api apis/v1beta1/referencegrant_types.go: `from` names the referrer, `to` the kind,
    with an optional name)."""
    group, kind, namespace = referrer
    for grant in snapshot.of_kind("ReferenceGrant", GATEWAY_GROUP):
        if grant.namespace != ref.namespace:
            continue
        spec = as_dict(grant.body.get("spec"))
        froms = [as_dict(f) for f in as_list(spec.get("from"))]
        tos = [as_dict(t) for t in as_list(spec.get("to"))]
        if not any(
            text(f.get("group")) == group and text(f.get("kind")) == kind and text(f.get("namespace")) == namespace
            for f in froms
        ):
            continue
        if any(
            text(t.get("group")) == ref.group
            and text(t.get("kind")) == ref.kind
            and text(t.get("name")) in ("", ref.name)
            for t in tos
        ):
            return grant.ref
    return None


def conditions(body: dict[str, Any], prefix: str, listener: str | None = None) -> tuple[str, ...]:
    """Status conditions written by the controller, as evidence lines: the object's own, or one
    listener's (`status.listeners[name]`) when `listener` is given; a policy's per ancestor."""
    status = as_dict(body.get("status"))
    if listener is not None:
        entries = [as_dict(e) for e in as_list(status.get("listeners")) if as_dict(e).get("name") == listener]
        raw = [c for e in entries for c in as_list(e.get("conditions"))]
    else:
        raw = list(as_list(status.get("conditions")))
        for ancestor in as_list(status.get("ancestors")):
            raw += as_list(as_dict(ancestor).get("conditions"))
    out = []
    for item in map(as_dict, raw):
        line = f"{prefix} {text(item.get('type'))}={text(item.get('status'))}"
        if item.get("reason"):
            line += f" {text(item.get('reason'))}"
        if item.get("message"):
            line += f": {text(item.get('message'))}"
        out.append(line)
    return tuple(out)


def absent(snapshot: ClusterSnapshot) -> str:
    """How to say an object was not found: in a cluster it does not exist; in manifest files
    it is only not among them."""
    return "does not exist" if snapshot.complete else "is not among the objects read"


def create_command(ref: CaRef, key: str, source: str = "ca.crt") -> str:
    """The command that creates (or replaces) the CA object with the file `source` under `key`."""
    if ref.kind == "Secret":
        made = f"kubectl create secret generic {arg(ref.name)} -n {arg(ref.namespace)} --from-file={arg(key + '=' + source)}"
    else:
        made = f"kubectl create configmap {arg(ref.name)} -n {arg(ref.namespace)} --from-file={arg(key + '=' + source)}"
    return f"{made} --dry-run=client -o yaml | kubectl apply -f -"


def grant_command(referrer: tuple[str, str, str], ref: CaRef) -> str:
    """A ReferenceGrant that lets `referrer` read `ref`, applied from JSON."""
    group, kind, namespace = referrer
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": f"{kind.lower()}-{namespace}-reads-{ref.name}"[:63], "namespace": ref.namespace},
        "spec": {
            "from": [{"group": group, "kind": kind, "namespace": namespace}],
            "to": [{"group": ref.group, "kind": ref.kind, "name": ref.name}],
        },
    }
    return f"printf '%s' {json_arg(grant)} | kubectl apply -f -"


def ref_finding(
    outcome: RefOutcome,
    *,
    subject: str,
    referrer: tuple[str, str, str],
    keys: tuple[str, ...],
    kinds: tuple[str, ...],
    consequence: str,
    kind_fix: str,
    snapshot: ClusterSnapshot,
    severity: Severity = Severity.ERROR,
    evidence: tuple[str, ...] = (),
    role: str = "CA",
    source: str = "ca.crt",
) -> Finding:
    """The finding for one reference that gave no CA; `consequence` says what the data plane
    then does (refused listener, HTTP 500, ...), `kind_fix` is the edit for a wrong kind; `role` is
    what the reference should hold ("CA", or "CRL") and `source` the file the fix writes it from."""
    ref, problem = outcome.ref, outcome.problem
    lines = (f"reference: {ref.label} (group {ref.group or 'core'})", *((outcome.detail,) if outcome.detail else ()))
    then = ""
    if problem == "not-found":
        title = f"{role} {ref.label} {absent(snapshot)}"
        detail = f"{subject} names {ref.label} as its client {role}; it {absent(snapshot)}. {consequence}"
        fix = create_command(ref, keys[0], source)
    elif problem == "wrong-kind":
        title = f"{role} reference {ref.label}: kind {ref.kind} is not read for a {role}"
        detail = f"{subject} names a {ref.kind} as its client {role}; this controller reads {', '.join(kinds)}. {consequence}"
        fix = kind_fix
    elif problem == "wrong-group":
        title = f"{role} reference {ref.label}: group: {ref.group} must be empty"
        detail = (
            f"{subject} names a {ref.kind} with group: {ref.group}; Secrets and ConfigMaps are in the core group, "
            f'which this controller wants written as an empty or absent group ("{outcome.detail}"). {consequence}'
        )
        fix = kind_fix
    elif problem == "no-ca-key":
        title = f"{role} {ref.label} has no key {' or '.join(keys)}"
        detail = (
            f"{subject} reads the {role} from {ref.label} under the key {' or '.join(keys)}; the object has "
            f"{outcome.detail or 'other keys'}. {consequence}"
        )
        fix = create_command(ref, keys[0], source)
    elif problem == "not-permitted":
        title = f"No ReferenceGrant lets a {referrer[1]} in {referrer[2]} read {ref.label}"
        detail = (
            f"{ref.label} is in another namespace than {subject}; a ReferenceGrant in {ref.namespace} must "
            f"allow {referrer[1]} (group {referrer[0]}) from {referrer[2]}. {consequence}"
        )
        fix = grant_command(referrer, ref)
    elif problem == "no-certificate":
        title = f"CA {outcome.label} holds no usable certificate"
        detail = f"{outcome.detail}. {consequence}"
        fix = create_command(ref, outcome.key or keys[0])
        then = " The fix writes the CA certificate (PEM) from the file ca.crt."
    elif problem == "expired":
        title = f"CA {ref.label} has expired"
        detail = f"{outcome.detail}. {consequence}"
        fix = create_command(ref, keys[0], source)
        then = " The fix writes the CA from the file ca.crt: one that has not expired."
    else:
        title = f"{subject}: only one caCertificateRef is read"
        detail = f"{outcome.detail}. {consequence}"
        fix = kind_fix
    if ref.kind == "ClusterTrustBundle" and problem in ("not-found", "expired", "no-certificate"):
        fix = _bundle_fix(ref, problem == "not-found")
        then = (
            f" The command lists the bundles that exist; then name one in caCertificateRefs, or create {ref.name}."
            if problem == "not-found"
            else " The command shows the dates of its certificates; then replace the expired CA in spec.trustBundle."
        )
    return Finding(
        code=PROBLEM_CODES[problem or "not-found"],
        severity=severity,
        title=title,
        detail=detail + then,
        fix=fix,
        subject=subject,
        evidence=(*lines, *evidence),
    )


def _bundle_fix(ref: CaRef, missing: bool) -> str:
    """ClusterTrustBundles have no `kubectl create`: list those that exist (a misspelt name), or show the
    dates of the one named (an expired CA is replaced in its spec.trustBundle)."""
    if missing:
        return f"kubectl get {TRUST_BUNDLES} -o custom-columns=NAME:.metadata.name,SIGNER:.spec.signerName"
    return (
        f"kubectl get {TRUST_BUNDLES} {arg(ref.name)} -o jsonpath='{{.spec.trustBundle}}' | openssl x509 -noout -dates"
    )


def resource_label(resource: KubeResource) -> str:
    return f"{resource.kind} {resource.ref}"


def pins_from(fields: dict[str, Any], certificate: str, spki: str) -> Pins | None:
    """The certificate and SPKI hash lists named `certificate` and `spki`, which the controller copies as
    written into Envoy's verify_certificate_hash and verify_certificate_spki (None: neither is set)."""
    lists = [tuple(text(h) for h in as_list(fields.get(name)) if text(h)) for name in (certificate, spki)]
    named = [name for name, given in zip((certificate, spki), lists, strict=True) if given]
    return Pins(lists[0], lists[1], " and ".join(named)) if named else None


def every_ref_refused(
    refs: tuple[str, ...], problem_of: Callable[[str], str | None], message: Callable[[int, str, str], str]
) -> list[str]:
    """A listener's messages, one per certificate reference (`message(index, ref, problem)`), when the
    controller refuses every one; [] when one is served or not judged here (`problem_of` gives None):
    a listener keeps serving with any usable Secret (Envoy Gateway and NGINX Gateway Fabric alike)."""
    messages = []
    for index, ref in enumerate(refs):
        problem = problem_of(ref)
        if problem is None:
            return []
        messages.append(message(index, ref, problem))
    return messages
