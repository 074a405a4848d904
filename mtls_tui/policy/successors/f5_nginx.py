"""F5 NGINX Ingress Controller (nginx/kubernetes-ingress): `Policy.spec.ingressMTLS`, applied to a
VirtualServer's `spec.policies` or to an Ingress through `nginx.org/policies` (v5.4+).

Rules from nginx/kubernetes-ingress 0eb3072d (docs/successors.md section 4, F1-F8):
- internal/configs/policy.go `generatePolicies`: a referenced Policy that is missing or invalid
  makes the resource answer `return 500;` (ErrorReturn{Code: 500}).
- `addIngressMTLSConfig`, in its order: only in the spec context (a route's policies -> 500), only
  with TLS on the VirtualServer (-> 500), a second ingressMTLS policy is ignored with a warning,
  the Secret `<policy namespace>/<clientCertSecret>` must exist (-> 500), be of type `nginx.org/ca`
  (-> 500) and valid (`ValidateCASecret`: key ca.crt whose first PEM block is a certificate; -> 500).
  `verifyClient` defaults to on, `verifyDepth` to 1; `crlFileName` or a `ca.crl` key add `ssl_crl`.
- Rendered at server level: ssl_client_certificate, ssl_verify_client, ssl_verify_depth. The data
  plane is nginx: a refused client gets HTTP 400, depth is honoured (measured, section 7).
- An Ingress: the policy applies to each host with TLS; a host without TLS gets a warning and no
  client checks (internal/configs/ingress.go).
- ingress-nginx's `nginx.ingress.kubernetes.io/auth-tls-*` annotations are not read
  (internal/configs/annotations.go parses nginx.org/ and nginx.com/ keys only): an Ingress that
  carries them to F5's IngressClass (`nginx.org/ingress-controller`, internal/k8s/controller.go
  IngressControllerName) is served with no client certificate check (fail open).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mtls_tui.certs.go_x509 import x509_keypair_refusal
from mtls_tui.model import ClusterSnapshot, Finding, IngressObj, KubeResource, SecretObj, Severity
from mtls_tui.policy.controller_images import PRODUCTS
from mtls_tui.policy.ingress_classes import F5_INGRESS_CONTROLLER
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_words
from mtls_tui.policy.secret_commands import (
    read_key_command,
    retype_secret_command,
    tls_secret_command,
    typed_secret_command,
)
from mtls_tui.policy.successors.common import Breakage, ClientCertMode, ClientValidation, WireAnswer
from mtls_tui.policy.successors.f5_controllers import CLASS_ANNOTATION, F5Controller, f5_controllers
from mtls_tui.policy.successors.pem_checks import first_block_refusal
from mtls_tui.policy.successors.releases import (
    F5_PREVIEW_FLAG,
    ControllerRelease,
    f5_policy_gated,
    f5_preview_fix,
    release_for,
    unchecked,
)
from mtls_tui.policy.successors.traefik import ingress_hosts
from mtls_tui.policy.values import as_dict, as_list
from mtls_tui.shell import arg, json_arg

GROUP = "k8s.nginx.org"
CONTROLLER = F5_INGRESS_CONTROLLER
POLICIES_ANNOTATIONS = ("nginx.org/policies", "nginx.com/policies")  # annotations.go PoliciesAnnotation(Plus)
CA_TYPE = "nginx.org/ca"  # internal/k8s/secrets SecretTypeCA
HTTPS_PORT = 443
MODES: dict[str, ClientCertMode] = {
    "on": "require-and-verify",
    "optional": "verify-if-given",
    "optional_no_ca": "request",
    "off": "none",
}
Context = Literal["spec", "route", "minion"]
# validation/policy.go policyFields: a Policy names exactly one of these (validatePolicySpec,
# "must specify exactly one of"), or the controller rejects it (internal/k8s/controller.go getPolicies)
POLICY_TYPES = (
    "accessControl",
    "rateLimit",
    "jwt",
    "basicAuth",
    "ingressMTLS",
    "egressMTLS",
    "externalAuth",
    "oidc",
    "apiKey",
    "waf",
    "cache",
    "cors",
)
MERGEABLE = "nginx.org/mergeable-ingress-type"  # annotations.go mergeableIngressTypeAnnotation
SECRETS_DIR = "/etc/nginx/secrets"  # configs DefaultSecretPath: where crlFileName is looked up


@dataclass(frozen=True)
class Owner:
    """A VirtualServer or an Ingress and the Policy references it makes, in order."""

    kind: Literal["VirtualServer", "Ingress"]
    namespace: str
    name: str
    hosts: tuple[str, ...]
    tls: bool
    refs: tuple[tuple[str, Context], ...]  # `namespace/name` of each Policy, and where it is referenced
    master: str = ""  # a minion Ingress: its master's `namespace/name` (which holds tls and the policies)
    route_refs: tuple[tuple[str, int, int], ...] = ()  # a VirtualServer's route policies: ref, route, position
    master_policies: str = ""  # the master's nginx.org/policies value
    # an Ingress: the hosts its `tls:` (a minion: its master's) names. ingress.go addSSLConfig enables TLS per
    # host (`h == host` over every tls entry's hosts), and generateNginxCfg gives ingressMTLS only to a
    # server with TLS ("IngressMTLS policy is ignored for host %q because TLS is not enabled for that host")
    tls_hosts: tuple[str, ...] = ()
    tls_secret: str = ""  # the first tls entry's secretName (where a host without TLS can join)
    ingress_class: str = ""  # as HasCorrectIngressClass reads it (f5_controllers.py): "" for none
    # the Secret (`namespace/name`) each host is served with: a VirtualServer's spec.tls.secret; an Ingress's
    # last tls entry naming the host (ingress.go addSSLConfig: the loop over entries does not stop)
    server_secrets: tuple[tuple[str, str], ...] = ()

    def has_tls(self, host: str) -> bool:
        return self.tls and (self.kind == "VirtualServer" or host in self.tls_hosts)

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


@dataclass
class Outcome:
    """What `generatePolicies` + `addIngressMTLSConfig` leave for the server."""

    mode: ClientCertMode = "none"
    ca_pem: bytes | None = None
    depth: int | None = None
    crl: bool = False
    crl_pem: bytes | None = None  # the Secret's ca.crl, rendered as ssl_crl (None: none, or crlFileName's file)
    error: bool = False  # ErrorReturn: `return 500;`
    applied: str | None = None  # the Policy whose ingressMTLS is rendered
    findings: list[Finding] = field(default_factory=list)
    unseen: list[str] = field(default_factory=list)
    ca_refs: list[str] = field(default_factory=list)


def read_f5_nginx(snapshot: ClusterSnapshot) -> list[ClientValidation]:
    """One ClientValidation per host of each VirtualServer or F5 Ingress that uses an ingressMTLS
    Policy, and per host of an F5 Ingress that carries ingress-nginx's auth-tls annotations."""
    policies = {p.ref: p for p in snapshot.of_kind("Policy", GROUP)}
    controllers = f5_controllers(snapshot)
    found: list[ClientValidation] = []
    for owner in _virtual_servers(snapshot) + _ingresses(snapshot):
        mtls_refs = [
            r
            for r in owner.refs
            if r[0] not in policies
            or _ingress_mtls(policies[r[0]]) is not None
            or _type_error(policies[r[0]]) is not None
        ]
        if not mtls_refs:
            continue
        # no controller seen, or none that serves it: the rules of the release seen (release_for)
        serving: list[F5Controller | None] = [
            c for c in controllers if c.serves(owner.kind, owner.ingress_class, owner.namespace, snapshot)
        ]
        outcomes = [(c, _outcome(owner, mtls_refs, policies, snapshot, c)) for c in serving or [None]]
        outcome = _served(outcomes)
        if controllers and not serving:
            outcome.findings.append(_not_served(owner, controllers))
        found += _validations(owner, outcome, snapshot)
    for ingress in snapshot.ingresses:
        if f5_serves(ingress, snapshot) and ingress.annotation(PREFIX + "auth-tls-secret") is not None:
            if not any(ingress.annotation(a) for a in POLICIES_ANNOTATIONS):
                found += _ignored_annotations(ingress)
    return found


# --- owners ---------------------------------------------------------------------------------------


def _virtual_servers(snapshot: ClusterSnapshot) -> list[Owner]:
    owners = []
    for resource in snapshot.of_kind("VirtualServer", GROUP):
        spec = as_dict(resource.body.get("spec"))
        host = str(spec.get("host") or "").lower()
        refs: list[tuple[str, Context]] = [
            (_policy_ref(p, resource.namespace), "spec") for p in as_list(spec.get("policies"))
        ]
        route_refs: list[tuple[str, int, int]] = []
        for index, route in enumerate(as_list(spec.get("routes"))):
            for position, entry in enumerate(as_list(as_dict(route).get("policies"))):
                refs.append((_policy_ref(entry, resource.namespace), "route"))
                route_refs.append((_policy_ref(entry, resource.namespace), index, position))
        secret = str(as_dict(spec.get("tls")).get("secret") or "")
        tls = isinstance(spec.get("tls"), dict) and bool(secret)
        owners.append(
            Owner(
                "VirtualServer",
                resource.namespace,
                resource.name,
                (host,) if host else (),
                tls,
                tuple((r, c) for r, c in refs if r),
                route_refs=tuple(route_refs),
                ingress_class=str(spec.get("ingressClassName") or ""),
                server_secrets=((host, f"{resource.namespace}/{secret}"),) if host and secret else (),
            )
        )
    return owners


def _policy_ref(entry: Any, namespace: str) -> str:
    entry = as_dict(entry)
    name = str(entry.get("name") or "")
    return f"{entry.get('namespace') or namespace}/{name}" if name else ""


def _ingresses(snapshot: ClusterSnapshot) -> list[Owner]:
    """F5 Ingresses with `nginx.org/policies` (then `nginx.com/policies`): comma-separated
    `name` or `namespace/name` (policies.GetPolicyRefsFromAnnotation), de-duplicated in order.

    A mergeable minion (`nginx.org/mergeable-ingress-type: minion`) takes its host's TLS from the
    master (internal/configs/ingress.go generateNginxCfgForMergeableIngresses: the master's server,
    the minion's locations) and its policies are generated in the minion context (generateNginxCfg
    `pathContext = minionContext`), where addIngressMTLSConfig refuses ingressMTLS."""
    owners = []
    masters = {
        (i.namespace, h): i
        for i in snapshot.ingresses
        if f5_serves(i, snapshot) and (i.annotation(MERGEABLE) or "").strip() == "master"
        for h in ingress_hosts(i)
    }
    for ingress in snapshot.ingresses:
        if not f5_serves(ingress, snapshot):
            continue
        refs: list[str] = []
        for annotation in POLICIES_ANNOTATIONS:
            for item in (ingress.annotation(annotation) or "").split(","):
                item = item.strip()
                if item:
                    refs.append(item if "/" in item else f"{ingress.namespace}/{item}")
        if refs:
            hosts = tuple(ingress_hosts(ingress))
            minion = (ingress.annotation(MERGEABLE) or "").strip() == "minion"
            master = next((masters[(ingress.namespace, h)] for h in hosts if (ingress.namespace, h) in masters), None)
            context: Context = "minion" if minion else "spec"
            with_tls = master if minion and master is not None else ingress
            owners.append(
                Owner(
                    "Ingress",
                    ingress.namespace,
                    ingress.name,
                    hosts,
                    bool(with_tls.tls),
                    tuple((r, context) for r in dict.fromkeys(refs)),
                    master=f"{master.namespace}/{master.name}" if minion and master is not None else "",
                    master_policies=(master.annotation(POLICIES_ANNOTATIONS[0]) or "") if minion and master else "",
                    tls_hosts=tuple(dict.fromkeys(h.lower() for entry in with_tls.tls for h in entry.hosts)),
                    tls_secret=next((e.secret_name for e in with_tls.tls if e.secret_name), ""),
                    ingress_class=ingress.annotation(CLASS_ANNOTATION) or ingress.ingress_class or "",
                    server_secrets=tuple(
                        {
                            h: f"{with_tls.namespace}/{e.secret_name}"
                            for e in with_tls.tls
                            for h in e.hosts
                            if e.secret_name
                        }.items()
                    ),
                )
            )
    return owners


def f5_serves(ingress: IngressObj, snapshot: ClusterSnapshot) -> bool:
    """The Ingress's IngressClass names `nginx.org/ingress-controller`. In manifest files
    without that IngressClass, an `nginx.org/` or `nginx.com/` policies annotation is the sign."""
    klass = next((c for c in snapshot.ingress_classes if c.name == ingress.ingress_class), None)
    if klass is not None:
        return klass.controller == CONTROLLER
    return not snapshot.complete and any(ingress.annotation(a) for a in POLICIES_ANNOTATIONS)


# --- the policy chain ---------------------------------------------------------------------------


def _ingress_mtls(policy: KubeResource) -> dict[str, Any] | None:
    value = as_dict(policy.body.get("spec")).get("ingressMTLS")
    return value if isinstance(value, dict) else None


def _type_error(policy: KubeResource) -> str | None:
    """validation/policy.go validatePolicySpec: a Policy whose spec names no policy type (or several)
    is rejected. A spec whose fields the API server pruned (a misspelt `ingress_MTLS`) names none."""
    spec = as_dict(policy.body.get("spec"))
    named = [t for t in POLICY_TYPES if spec.get(t) is not None]
    if len(named) == 1:
        return None
    unknown = sorted(k for k in spec if k not in POLICY_TYPES)
    found = (
        f"it names {', '.join(named)}"
        if named
        else "it names none" + (f" ({', '.join(unknown)} is not a field)" if unknown else "")
    )
    return f"spec must specify exactly one of: {', '.join(POLICY_TYPES)}; {found}"


def _served(outcomes: list[tuple[F5Controller | None, Outcome]]) -> Outcome:
    """The verdict of the controllers that serve the owner (f5_controllers.py): each has its own nginx and
    address, so one that answers HTTP 500 breaks the host for the clients it gets; when they disagree, the
    failing one's verdict is given, and its first finding names what the others do."""
    failing = next((o for _, o in outcomes if o.error), None)
    chosen = failing or outcomes[0][1]
    if failing is None or all(o.error for _, o in outcomes):
        return chosen
    others = "; ".join(f"{c.label}: {'HTTP 500' if o.error else 'applies it'}" for c, o in outcomes if c)
    first = chosen.findings[0]
    chosen.findings[0] = replace(
        first,
        detail=first.detail + " Several F5 controllers serve it (each its own nginx and address), and they "
        "disagree: a client reaching the other one is not refused this way. Give the resource the "
        "ingressClassName of the controller meant to serve it.",
        evidence=(*first.evidence, f"served by {others}"),
    )
    return chosen


def _outcome(
    owner: Owner,
    refs: list[tuple[str, Context]],
    policies: dict[str, KubeResource],
    snapshot: ClusterSnapshot,
    controller: F5Controller | None = None,
) -> Outcome:
    """The Policy chain as `controller` (one that serves the owner; None: none seen) runs it."""
    out = Outcome()
    for ref, context in refs:
        policy = policies.get(ref)
        if policy is None:
            if snapshot.complete:
                out.error = True
                out.findings.append(_policy_missing(owner, ref))
            else:
                out.unseen.append(f"Policy {ref}")
                out.findings.append(_policy_unseen(owner, ref))
                if out.applied is None:
                    out.mode, out.applied = "require-and-verify", ref
            continue
        _apply(owner, policy, context, out, snapshot, controller)
    return out


def _apply(
    owner: Owner,
    policy: KubeResource,
    context: Context,
    out: Outcome,
    snapshot: ClusterSnapshot,
    controller: F5Controller | None,
) -> None:
    """`addIngressMTLSConfig` for one Policy, once the controller took it (getPolicies, ValidatePolicy);
    the release and flags are the serving controller's (f5_controllers.py)."""
    mtls = _ingress_mtls(policy) or {}
    release = controller.release if controller else release_for(snapshot, "f5-nginx")
    unseen_by = _not_seen_by(controller, policy, snapshot) if controller else None
    if controller and unseen_by:
        out.error = True
        out.findings.append(_policy_not_seen(owner, policy, controller, unseen_by))
        return
    rejected = _type_error(policy)
    if rejected:
        out.error = True
        out.findings.append(
            _http_500(
                owner,
                policy,
                f"the Policy is invalid ({rejected}): Policy {policy.ref} is missing or invalid",
                spec=True,
            )
        )
        return
    if f5_policy_gated(release):
        out.error = True
        out.findings.append(_preview_refused(owner, policy, release))
        return
    invalid = _invalid_fields(mtls)
    if invalid:
        out.error = True
        found = _http_500(
            owner, policy, f"the Policy is invalid ({invalid}): Policy {policy.ref} is missing or invalid"
        )
        if not mtls.get("clientCertSecret"):
            fix, then = _name_ca_secret(policy, snapshot)
            found = replace(found, fix=fix, then=then)
        out.findings.append(found)
        return
    if context != "spec":
        out.error = True
        out.findings.append(
            _http_500(
                owner, policy, f"IngressMTLS policy {policy.ref} is not allowed in the {context} context", route=True
            )
        )
        return
    if not owner.tls and owner.kind == "VirtualServer":
        out.error = True
        out.findings.append(
            _http_500(owner, policy, f"TLS must be enabled for IngressMTLS policy {policy.ref}", tls=True)
        )
        return
    if out.applied is not None:
        out.findings.append(_second_policy(owner, policy, out.applied))
        return
    secret_ref = f"{policy.namespace}/{mtls.get('clientCertSecret') or ''}"
    out.ca_refs.append(f"Secret {secret_ref} key ca.crt")
    secret = snapshot.secret(secret_ref)
    if secret is None:
        problem = snapshot.secret_problem(secret_ref)
        if snapshot.complete and (problem is None or problem.status == "not-found"):
            out.error = True
            out.findings.append(_secret_missing(owner, policy, secret_ref))
            return
        out.unseen.append(f"Secret {secret_ref}")
        out.findings.append(_secret_unseen(owner, policy, secret_ref))
    else:
        refusal = ca_secret_refusal(secret)
        if refusal is not None:
            out.error = True
            out.findings.append(_secret_refused(owner, policy, secret, refusal))
            return
        out.ca_pem = secret.get("ca.crt")
        out.crl_pem = secret.get("ca.crl")
        out.crl = out.crl_pem is not None
    verify = str(mtls.get("verifyClient") or "on")
    out.mode, out.applied = MODES[verify], policy.ref
    if mtls.get("crlFileName"):  # policy.go addIngressMTLSConfig: crlFileName beats ca.crl (a file not read here)
        out.findings.append(_crl_file(owner, policy, str(mtls.get("crlFileName")), out.crl, release))
        out.crl, out.crl_pem = True, None
        out.unseen.append(f"the CRL file {SECRETS_DIR}/{mtls.get('crlFileName')} on the controller's pods")
    if not release.seen:  # taken here; from v1.10.0 to v2.1.x it may not be (releases.py F5_PREVIEW)
        out.findings.append(unchecked(release, owner.ref, _PREVIEW_ELSEWHERE))
    depth = mtls.get("verifyDepth")
    out.depth = depth if isinstance(depth, int) and not isinstance(depth, bool) else 1
    if out.mode != "require-and-verify":
        out.findings.append(_fallback(owner, policy, verify))


_CA_SECRET_THEN = (
    "ca.crt is the CA that signs your clients' certificates; with verifyClient optional_no_ca any CA will do: the "
    "controller requires the Secret, nginx only names it to the client"
)


def _name_ca_secret(policy: KubeResource, snapshot: ClusterSnapshot) -> tuple[str, str]:
    """validation/policy.go validateIngressMTLS requires clientCertSecret, whatever verifyClient says
    (optional_no_ca too: nginx/kubernetes-ingress issue 9147): name a Secret of type nginx.org/ca in the
    Policy's namespace, the one there is, or one written from ca.crt."""
    have = sorted(s.name for s in snapshot.secrets if s.namespace == policy.namespace and s.type == CA_TYPE)
    name = have[0] if len(have) == 1 else f"{policy.name}-ca"
    patch = f"kubectl patch policy {arg(policy.name)} -n {arg(policy.namespace)} --type merge -p " + json_arg(
        {"spec": {"ingressMTLS": {"clientCertSecret": name}}}
    )
    if len(have) == 1:
        return patch, ""
    return f"{typed_secret_command(f'{policy.namespace}/{name}', CA_TYPE)} && {patch}", _CA_SECRET_THEN


def _invalid_fields(mtls: dict[str, Any]) -> str | None:
    """validation/policy.go validateIngressMTLS: clientCertSecret required, verifyClient one of
    on/off/optional/optional_no_ca, verifyDepth >= 0."""
    if not mtls.get("clientCertSecret"):
        return "clientCertSecret is required"
    verify = mtls.get("verifyClient")
    if verify not in (None, "", *MODES):
        return f"verifyClient: {json.dumps(verify, default=str)} is not one of {', '.join(MODES)}"
    depth = mtls.get("verifyDepth")
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 0):
        return f"verifyDepth: {json.dumps(depth, default=str)} is not a whole number >= 0"
    return None


def ca_secret_refusal(secret: SecretObj) -> str | None:
    """The type first (addIngressMTLSConfig), then `ValidateCASecret` (internal/k8s/secrets/validation.go):
    key ca.crt, whose first block by Go's pem.Decode (a BOM or an indent before BEGIN hides it) is a
    CERTIFICATE that x509.ParseCertificate takes; the words are its own."""
    if secret.type != CA_TYPE:
        return "type"
    ca = secret.get("ca.crt")
    if ca is None:
        return f"CA secret must have the data field ca.crt (it holds {', '.join(secret.keys) or 'no keys'})"
    found = first_block_refusal(ca)
    if found is None:
        return None
    problem, detail = found
    if problem == "no-block":
        return "the data field ca.crt must hold a valid CERTIFICATE PEM block"
    if problem == "not-certificate":
        return f"the data field ca.crt must hold a valid CERTIFICATE PEM block, but got '{detail}'"
    return f"failed to validate certificate: {detail}"


# --- validations --------------------------------------------------------------------------------


def tls_secret_refusal(secret: SecretObj) -> str | None:
    """Why F5 refuses the Secret a host is served with, in its words (ingress.go addSSLConfig and
    virtualserver.go generateSSLConfig, which warn "TLS secret NAME is invalid: ..."): the type, else
    internal/k8s/secrets/validation.go ValidateTLSSecret, `tls.X509KeyPair(tls.crt, tls.key)`
    (certs/go_x509.py); None when it is served."""
    if secret.type != "kubernetes.io/tls":
        return f"is of a wrong type '{secret.type}', must be 'kubernetes.io/tls'"
    refused = x509_keypair_refusal(secret.get("tls.crt") or b"", secret.get("tls.key") or b"")
    return None if refused is None else f"is invalid: failed to validate TLS cert and key: {refused}"


# nginx's answer to a server with `ssl_reject_handshake on` for the name: alert 112 (unrecognized_name),
# measured on the Debian nginx (tests/test_server_secret_refused.py)
_REJECTED = WireAnswer("tls-alert", alert=112)


def _server_secret_refused(owner: Owner, host: str, snapshot: ClusterSnapshot) -> Finding | None:
    """The host's Secret, read here, is one F5 refuses: the server is rendered with `ssl_reject_handshake
    on` (rejectHandshake; version1/nginx.ingress.tmpl, version2/nginx-plus.virtualserver.tmpl) and the
    resource gets a Warning event (AddedOrUpdatedWithWarning; a VirtualServer's status too)."""
    ref = dict(owner.server_secrets).get(host)
    secret = snapshot.secret(ref) if ref else None
    why = tls_secret_refusal(secret) if secret is not None else None
    if ref is None or why is None:
        return None
    return Finding(
        code="tls-secret-unusable",
        severity=Severity.ERROR,
        title=f"{host}: F5 refuses the server Secret {ref} and rejects every TLS handshake for the name",
        detail=f"The controller warns 'TLS secret {ref} {why}' (Warning event on {owner.ref}) and renders the server "
        "with ssl_reject_handshake on (ingress.go addSSLConfig, virtualserver.go generateSSLConfig): a client, "
        "with a certificate or without, gets TLS alert 112 (unrecognized_name) before any client check. The "
        "command writes the Secret again, type kubernetes.io/tls, from server.crt and server.key.",
        fix=tls_secret_command(ref),
        subject=owner.ref,
        evidence=(f"Secret {ref} {why}",),
    )


def _validations(owner: Owner, out: Outcome, snapshot: ClusterSnapshot) -> list[ClientValidation]:
    found = []
    for host in owner.hosts:
        breakage: Breakage | None = "http-500" if out.error else None
        findings = list(out.findings)
        mode = out.mode
        if owner.kind == "Ingress" and not owner.has_tls(host) and not out.error:
            mode = "none"
            findings.append(_no_tls_on_ingress(owner, host))
        elif (refused := _server_secret_refused(owner, host, snapshot)) is not None:
            breakage = "listener-refused"
            findings.insert(0, refused)
        found.append(
            ClientValidation(
                implementation="f5-nginx",
                data_plane="nginx",
                host=host,
                port=HTTPS_PORT,
                scope="host",
                shared_with=(),
                mode="none" if breakage else mode,
                ca_refs=tuple(out.ca_refs),
                ca_pem=None if breakage else out.ca_pem,
                decided_by=(owner.ref, *(f"Policy {out.applied}",) * (out.applied is not None)),
                findings=tuple(findings),
                breakage=breakage,
                verify_depth=None if breakage else out.depth,
                crl=out.crl and not breakage,
                crl_pem=None if breakage else out.crl_pem,
                unseen=tuple(out.unseen),
                refused_answer=_REJECTED if breakage == "listener-refused" else None,
            )
        )
    return found


def _ignored_annotations(ingress: IngressObj) -> list[ClientValidation]:
    finding = Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"F5 NGINX Ingress Controller ignores the auth-tls annotations of Ingress {ingress.ref}: no client certificate is asked",
        detail="F5's controller parses only nginx.org/ and nginx.com/ annotations (internal/configs/annotations.go); "
        f"{PREFIX}auth-tls-* belong to ingress-nginx. The hosts are served over TLS with no client check: everyone "
        "gets in. F5 needs a Policy with ingressMTLS, a CA Secret of type nginx.org/ca, and the Ingress annotation "
        "nginx.org/policies (v5.4+), or a VirtualServer.",
        fix=_migrate_fix(ingress),
        subject=f"Ingress {ingress.ref}",
        evidence=tuple(f"{k}: {v}" for k, v in ingress.annotations if k.startswith(PREFIX + "auth-tls")),
    )
    return [
        ClientValidation(
            implementation="f5-nginx",
            data_plane="nginx",
            host=host,
            port=HTTPS_PORT,
            scope="host",
            shared_with=(),
            mode="none",
            ca_refs=(),
            ca_pem=None,
            decided_by=(f"Ingress {ingress.ref}",),
            findings=(finding,),
        )
        for host in ingress_hosts(ingress)
    ]


def _migrate_fix(ingress: IngressObj) -> str:
    """The CA copied into a Secret of type nginx.org/ca, an ingressMTLS Policy with the same
    verify mode and depth, and the Ingress pointed at it."""
    value = (ingress.annotation(PREFIX + "auth-tls-secret") or "").strip()
    namespace, _, name = value.partition("/")
    source = f"{namespace or ingress.namespace}/{name or 'SECRET'}"
    ca_ref = f"{ingress.namespace}/{name or 'client'}-ca"
    copied = f"{source.partition('/')[2]}-ca.crt"  # the cluster's CA, beside the user's own ca.crt
    policy = f"{ingress.name}-mtls"
    verify = (ingress.annotation(PREFIX + "auth-tls-verify-client") or "on").strip()
    depth = (ingress.annotation(PREFIX + "auth-tls-verify-depth") or "1").strip()
    lines = [
        "apiVersion: k8s.nginx.org/v1",
        "kind: Policy",
        "metadata:",
        f"  name: {policy}",
        f"  namespace: {ingress.namespace}",
        "spec:",
        "  ingressMTLS:",
        f"    clientCertSecret: {ca_ref.split('/', 1)[1]}",
        f'    verifyClient: "{verify if verify in MODES else "on"}"',
        f"    verifyDepth: {depth if depth.isdigit() else '1'}",
    ]
    return (
        f"{read_key_command(source, 'ca.crt')} > {arg(copied)} && "
        f"{typed_secret_command(ca_ref, CA_TYPE, files={'ca.crt': copied})} && "
        f"printf '%s\\n' {' '.join(arg(line) for line in lines)} | kubectl apply -f - && "
        f"kubectl annotate ingress {ingress_words(ingress)} {arg('nginx.org/policies=' + policy)} --overwrite"
    )


# --- findings -------------------------------------------------------------------------------------


def _f(
    *, code: str, severity: Severity, title: str, detail: str, fix: str, subject: str, evidence: tuple[str, ...] = ()
) -> Finding:
    return Finding(
        code=code, severity=severity, title=title, detail=detail, fix=fix, subject=subject, evidence=evidence
    )


def _500_detail(why: str, route: bool = False, minion: bool = False) -> str:
    where = (
        "the minion's locations answer" if minion else "the route's locations answer" if route else "the server answers"
    )
    return (
        f"The controller warns '{why}' and renders `return 500;` with no ssl_verify_client "
        f"(policy.go generatePolicies, ErrorReturn{{Code: 500}}): {where} HTTP 500 to every request, with or "
        "without a client certificate."
    )


def _http_500(
    owner: Owner, policy: KubeResource, why: str, route: bool = False, tls: bool = False, spec: bool = False
) -> Finding:
    """`spec`: the Policy itself is rejected (validatePolicySpec); `route`: referenced where ingressMTLS
    is refused (a VirtualServer route, a mergeable minion); `tls`: a VirtualServer without TLS."""
    minion = route and owner.kind == "Ingress"
    then = ""
    if minion:
        fix = _to_master_fix(owner, policy)
        then = (
            " The fix moves the policy to the master Ingress, whose server holds TLS and the client certificate check "
            "for every merged path (ingress.go generateNginxCfgForMergeableIngresses)."
        )
    elif route:
        fix = _to_spec_fix(owner, policy)
        then = " The fix moves the policy to spec.policies: ingressMTLS applies to the whole server."
    elif tls:
        fix = f"kubectl patch virtualserver {arg(owner.name)} -n {arg(owner.namespace)} --type merge -p " + json_arg(
            {"spec": {"tls": {"secret": "TLS-SECRET"}}}
        )
    elif spec:
        fix = (
            f"kubectl get policy {arg(policy.name)} -n {arg(policy.namespace)} "
            "-o jsonpath='{.status.state}: {.status.message}'"
        )
        then = (
            " The command prints the controller's reason; then write spec.ingressMTLS with its fields "
            "clientCertSecret, verifyClient and verifyDepth (kubectl apply refuses fields the CRD does not know; "
            "other clients store the object without them)."
        )
    else:
        fix = (
            f"kubectl get policy {arg(policy.name)} -n {arg(policy.namespace)} "
            "-o jsonpath='{.status.state}: {.status.message}'"
        )
        then = " The command prints the controller's reason; then correct spec.ingressMTLS."
    return _f(
        code="policy-invalid-http-500",
        severity=Severity.ERROR,
        title=f"{owner.ref} answers HTTP 500: {why}",
        detail=_500_detail(why, route, minion) + then,
        fix=fix,
        subject=owner.ref,
        evidence=(why,),
    )


def _to_spec_fix(owner: Owner, policy: KubeResource) -> str:
    """A JSON patch: every route entry that names `policy` is removed (last first, so the positions
    hold), and spec.policies gains it once."""
    ops: list[dict[str, Any]] = [
        {"op": "remove", "path": f"/spec/routes/{route}/policies/{position}"}
        for ref, route, position in sorted(owner.route_refs, key=lambda r: (r[1], r[2]), reverse=True)
        if ref == policy.ref
    ]
    entry = {"name": policy.name, **({"namespace": policy.namespace} if policy.namespace != owner.namespace else {})}
    if any(context == "spec" for ref, context in owner.refs if ref == policy.ref):
        pass  # spec.policies already names it
    elif any(context == "spec" for _, context in owner.refs):
        ops.append({"op": "add", "path": "/spec/policies/-", "value": entry})
    else:
        ops.append({"op": "add", "path": "/spec/policies", "value": [entry]})
    return f"kubectl patch virtualserver {arg(owner.name)} -n {arg(owner.namespace)} --type json -p {json_arg(ops)}"


def _to_master_fix(owner: Owner, policy: KubeResource) -> str:
    """The minion loses its nginx.org/policies entry for `policy`; the master gains it."""
    remove = f"kubectl annotate ingress {arg(owner.name)} -n {arg(owner.namespace)} nginx.org/policies-"
    if not owner.master:
        return remove
    namespace, _, master = owner.master.partition("/")
    kept = [p.strip() for p in owner.master_policies.split(",") if p.strip()]
    value = ",".join(dict.fromkeys([*kept, policy.name if policy.namespace == namespace else policy.ref]))
    return (
        f"{remove} && kubectl annotate ingress {arg(master)} -n {arg(namespace)} "
        f"{arg('nginx.org/policies=' + value)} --overwrite"
    )


_PREVIEW_ELSEWHERE = (
    "From v1.10.0 to v2.1.x the controller rejects an ingressMTLS Policy unless it runs with "
    "-enable-preview-policies (validation/policy.go validatePolicySpec; ungated by commit 069ca8e26 in v2.2.0), "
    "and the resource answers HTTP 500 to every request."
)


def _not_served(owner: Owner, controllers: tuple[F5Controller, ...]) -> Finding:
    """F5 controllers were seen, and none takes the owner (HasCorrectIngressClass, -watch-namespace): no
    F5 nginx serves its hosts, so what the Policy says reaches no client (the verdict below is what a
    controller of the release seen would do if it served them)."""
    klass = owner.ingress_class or "(none)"
    columns = "NAMESPACE:.metadata.namespace,NAME:.metadata.name,ARGS:.spec.template.spec.containers[*].args"
    return _f(
        code="controller-not-found",
        severity=Severity.WARNING,
        title=f"no F5 NGINX Ingress Controller seen serves {owner.ref} (class {klass}, namespace {owner.namespace})",
        detail="A controller takes an Ingress whose class (kubernetes.io/ingress.class, else spec.ingressClassName) is "
        "its -ingress-class, a VirtualServer whose ingressClassName is that or empty (internal/k8s/controller.go "
        "HasCorrectIngressClass), and only in the namespaces -watch-namespace lists (cmd/nginx-ingress/flags.go). "
        "None of those seen does: unless another runs, nothing serves these hosts. The command lists the "
        "controllers and their flags; then give the resource a class one of them takes.",
        fix=f"kubectl get deployments -A -l {arg(PRODUCTS['f5-nginx'].selector)} -o custom-columns={arg(columns)}",
        subject=owner.ref,
        evidence=tuple(
            f"controller {c.label}" + (f" -watch-namespace={','.join(c.namespaces)}" if c.namespaces else "")
            for c in controllers
        ),
    )


def _not_seen_by(controller: F5Controller, policy: KubeResource, snapshot: ClusterSnapshot) -> str | None:
    """controller.go getPolicies, in its order: the Policy's namespace watched, then its class."""
    if not controller.watches(policy.namespace, snapshot):
        return f"failed to get namespace {policy.namespace}"
    klass = str(as_dict(policy.body.get("spec")).get("ingressClassName") or "")
    if not controller.takes("Policy", klass):
        return (
            f"referenced policy {policy.ref} has incorrect ingress class: {klass} "
            f"(controller ingress class: {controller.ingress_class})"
        )
    return None


def _policy_not_seen(owner: Owner, policy: KubeResource, controller: F5Controller, why: str) -> Finding:
    """The serving controller does not take the Policy: the owner answers 500 there. A Policy of another
    class loses its ingressClassName (a Policy without one is every controller's: HasCorrectIngressClass);
    one outside the watched namespaces cannot be reached by that controller: its args are shown."""
    klass = "ingressClassName" in as_dict(policy.body.get("spec"))
    if klass and not why.startswith("failed to get namespace"):
        fix = f"kubectl patch policy {arg(policy.name)} -n {arg(policy.namespace)} --type json -p " + json_arg(
            [{"op": "remove", "path": "/spec/ingressClassName"}]
        )
        then = " The fix removes the Policy's ingressClassName: a Policy without one is taken by every controller."
    else:
        where = controller.controller
        fix = f"kubectl get deployment {arg(where.name)} -n {arg(where.namespace)} -o jsonpath=" + arg(
            f"{{.spec.template.spec.containers[{where.container}].args}}"
        )
        then = (
            f" The command shows the controller's flags; then add {policy.namespace} to its -watch-namespace, or "
            f"move the Policy and its CA Secret into a namespace it watches."
        )
    return _f(
        code="policy-invalid-http-500",
        severity=Severity.ERROR,
        title=f"{owner.ref} answers HTTP 500: the controller {controller.label} does not take Policy {policy.ref}",
        detail=f"The controller that serves {owner.ref} refuses the reference ('{why}': internal/k8s/controller.go "
        "getPolicies, HasCorrectIngressClass) and treats the Policy as missing. "
        + _500_detail(f"Policy {policy.ref} is missing or invalid")
        + then,
        fix=fix,
        subject=owner.ref,
        evidence=(why, f"controller {controller.controller.ref} image {controller.controller.image}"),
    )


def _preview_refused(owner: Owner, policy: KubeResource, release: ControllerRelease) -> Finding:
    """releases.py F5_PREVIEW: a release that gates ingressMTLS behind -enable-preview-policies."""
    why = (
        "ingressMTLS is a preview policy. Preview policies must be enabled to use via cli argument "
        "-enable-preview-policies"
    )
    flag = "its controller runs without -enable-preview-policies" if release.controller else "if the flag is not set"
    return _f(
        code="policy-preview-disabled",
        severity=Severity.ERROR,
        title=f"{owner.ref} answers HTTP 500: {release.named} rejects Policy {policy.ref} ({flag})",
        detail=f"The controller rejects the Policy ('{why}': validation/policy.go validatePolicySpec, v1.10.0 to "
        f"v2.1.x) and then treats it as missing. "
        + _500_detail(f"Policy {policy.ref} is missing or invalid")
        + " From v2.2.0 (commit 069ca8e26) ingressMTLS needs no flag."
        + (
            ""
            if release.controller
            else f" The command shows the controller's Deployment; then add -{F5_PREVIEW_FLAG} to its args."
        ),
        fix=f5_preview_fix(release),
        subject=owner.ref,
        evidence=(
            f"controller image {release.controller.image}" if release.controller else f"assumed {release.named}",
        ),
    )


def _policy_missing(owner: Owner, ref: str) -> Finding:
    why = f"Policy {ref} is missing or invalid"
    namespace, _, name = ref.partition("/")
    return _f(
        code="policy-invalid-http-500",
        severity=Severity.ERROR,
        title=f"{owner.ref} names Policy {ref}, which does not exist: HTTP 500 for every request",
        detail=_500_detail(why) + f" The command lists the Policies of {namespace}; then create Policy {name} "
        "(spec.ingressMTLS) or correct the reference.",
        fix=f"kubectl get policy -n {arg(namespace)}",
        subject=owner.ref,
        evidence=(why,),
    )


def _policy_unseen(owner: Owner, ref: str) -> Finding:
    namespace, _, name = ref.partition("/")
    return _f(
        code="policy-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: Policy {ref} is not among the files",
        detail="It decides who gets in, and it was not read. If the cluster lacks it too, every request gets HTTP 500. "
        "The command saves it to a file; then add that file to --manifests.",
        fix=f"kubectl get policy {arg(name)} -n {arg(namespace)} -o yaml > {arg(name + '-policy.yaml')}",
        subject=owner.ref,
    )


def _secret_unseen(owner: Owner, policy: KubeResource, ref: str) -> Finding:
    """Manifest files without the Policy's CA Secret: assumed present, with what a missing one does."""
    namespace, _, name = ref.partition("/")
    why = f'IngressMTLS policy "{policy.ref}" references a non-existent secret {ref}'
    return _f(
        code="secret-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: the CA Secret {ref} of Policy {policy.ref} is not among the files",
        detail="It decides who gets in, and it was not read; it is assumed present and usable. If the cluster lacks "
        f"it too, the controller warns '{why}' and {owner.ref} answers HTTP 500 to every request "
        "(policy.go addIngressMTLSConfig; tests/suite/test_ingress_mtls_ingress.py "
        "test_ingress_mtls_missing_secret_ingress). The command saves it to a file; then add that file to --manifests.",
        fix=f"kubectl get secret {arg(name)} -n {arg(namespace)} -o yaml > {arg(name + '-secret.yaml')}",
        subject=f"Policy {policy.ref}",
        evidence=(f"spec.ingressMTLS.clientCertSecret: {name}",),
    )


def _crl_file(owner: Owner, policy: KubeResource, file: str, secret_crl: bool, release: ControllerRelease) -> Finding:
    """policy.go addIngressMTLSConfig renders `ssl_crl /etc/nginx/secrets/<crlFileName>`: a file on the
    controller's pods, which this tool cannot read. nginx refuses a configuration whose ssl_crl file is
    missing; the reload fails (nginx/manager.go Reload), the resource is marked invalid
    (k8s/controller.go: AddedOrUpdatedWithError) and nginx keeps its previous configuration, where a
    new host is not served (tests/suite/test_ingress_mtls.py test_ingress_mtls_policy_crl: 404)."""
    path = f"{SECRETS_DIR}/{file}"
    both = (
        f" The Secret's ca.crl is not used: the controller warns 'Both ca.crl in the Secret and ingressMTLS.crlFileName "
        f"fields cannot be used. ca.crl in {policy.namespace}/{as_dict(_ingress_mtls(policy)).get('clientCertSecret')} "
        f"will be ignored and {policy.ref} will be applied'."
        if secret_crl
        else ""
    )
    where = release.controller
    fix = (
        f"kubectl get deployment {arg(where.name)} -n {arg(where.namespace)} -o yaml"
        if where is not None
        else f"kubectl get deployments -A -l {arg(PRODUCTS['f5-nginx'].selector)} -o yaml"
    )
    return _f(
        code="crl-file-unchecked",
        severity=Severity.WARNING,
        title=f"not checked: Policy {policy.ref} loads the CRL {path} from the controller's pods",
        detail=f"crlFileName renders `ssl_crl {path};` (policy.go addIngressMTLSConfig); the file is read from every "
        "controller pod, not from a Secret, and this tool cannot see it. If a pod lacks it, nginx refuses the new "
        f"configuration: the reload fails, {owner.ref} is marked invalid, and nginx keeps serving its previous "
        "configuration, where a new host answers HTTP 404 (the project's test_ingress_mtls_policy_crl expects 404)."
        + both
        + f" The command shows the controller's Deployment; then check that a volume mounts {file} into "
        f"{SECRETS_DIR}/, or drop crlFileName and put the CRL in the CA Secret under ca.crl.",
        fix=fix,
        subject=f"Policy {policy.ref}",
        evidence=(f"spec.ingressMTLS.crlFileName: {file}", *(("the CA Secret also has ca.crl",) if secret_crl else ())),
    )


def _secret_missing(owner: Owner, policy: KubeResource, ref: str) -> Finding:
    why = f'IngressMTLS policy "{policy.ref}" references a non-existent secret {ref}'
    return _f(
        code="ca-ref-not-found",
        severity=Severity.ERROR,
        title=f"Policy {policy.ref} names CA Secret {ref}, which does not exist: {owner.ref} answers HTTP 500",
        detail=_500_detail(why),
        fix=typed_secret_command(ref, CA_TYPE),
        subject=f"Policy {policy.ref}",
        evidence=(why,),
    )


def _secret_refused(owner: Owner, policy: KubeResource, secret: SecretObj, refusal: str) -> Finding:
    if refusal == "type":
        why = f"IngressMTLS policy {policy.ref} references a secret {secret.ref} of a wrong type '{secret.type}', must be '{CA_TYPE}'"
        return _f(
            code="ca-secret-wrong-type",
            severity=Severity.ERROR,
            title=f"CA Secret {secret.ref} is of type {secret.type}, not {CA_TYPE}: {owner.ref} answers HTTP 500",
            detail=_500_detail(why) + " A Secret's type cannot be changed in place: the Secret is created again.",
            fix=retype_secret_command(secret.ref, CA_TYPE)
            if secret.get("ca.crt")
            else typed_secret_command(secret.ref, CA_TYPE),
            subject=f"Secret {secret.ref}",
            evidence=(why,),
        )
    why = f'IngressMTLS policy "{policy.ref}" references an invalid secret {secret.ref}: {refusal}'
    return _f(
        code="ca-ref-no-ca-key" if "data field ca.crt (it holds" in refusal else "policy-invalid-http-500",
        severity=Severity.ERROR,
        title=f"CA Secret {secret.ref} is not usable ({refusal}): {owner.ref} answers HTTP 500",
        detail=_500_detail(why),
        fix=typed_secret_command(secret.ref, CA_TYPE),
        subject=f"Secret {secret.ref}",
        evidence=(why,),
    )


def _second_policy(owner: Owner, policy: KubeResource, applied: str) -> Finding:
    return _f(
        code="policy-conflicted",
        severity=Severity.WARNING,
        title=f"{owner.ref} has two ingressMTLS policies: {applied} applies, {policy.ref} is ignored",
        detail="addIngressMTLSConfig: 'Multiple ingressMTLS policies are not allowed. IngressMTLS policy "
        f"{policy.ref} will be ignored' (a warning, no error). The first in spec.policies wins. The command shows "
        f"{owner.ref}; then keep one ingressMTLS policy: remove {policy.name}.",
        fix=f"kubectl get {owner.kind.lower()} {arg(owner.name)} -n {arg(owner.namespace)} -o yaml",
        subject=owner.ref,
        evidence=(f"applied: {applied}", f"ignored: {policy.ref}"),
    )


def _fallback(owner: Owner, policy: KubeResource, verify: str) -> Finding:
    return _f(
        code="mtls-fallback-mode",
        severity=Severity.WARNING,  # the objects\' own choice: as ingress-nginx\'s optional (README: exit 0)
        title=f"Policy {policy.ref} has verifyClient {verify}: {owner.ref} lets clients without a certificate in",
        detail=f"nginx renders ssl_verify_client {verify}: only 'on' requires a verified client certificate; "
        "with optional, optional_no_ca or off a request without one reaches the upstream.",
        fix=f"kubectl patch policy {arg(policy.name)} -n {arg(policy.namespace)} --type merge -p "
        + json_arg({"spec": {"ingressMTLS": {"verifyClient": "on"}}}),
        subject=f"Policy {policy.ref}",
        evidence=(f"verifyClient: {verify}",),
    )


def _no_tls_on_ingress(owner: Owner, host: str) -> Finding:
    """The fix adds the host to the Ingress's TLS (a minion's: its master's, where F5 reads it): beside
    the other hosts' entry, with its Secret, when there is one (a JSON patch: a merge patch would replace
    the whole `tls` list and take TLS from the hosts that have it); else a new entry."""
    namespace, _, name = (owner.master or f"{owner.namespace}/{owner.name}").partition("/")
    patch = f"kubectl patch ingress {arg(name)} -n {arg(namespace)} --type "
    if owner.tls_secret:
        entry = {"hosts": [host], "secretName": owner.tls_secret}
        fix = patch + "json -p " + json_arg([{"op": "add", "path": "/spec/tls/-", "value": entry}])
        then = f" The fix adds {host} to the Ingress's TLS with Secret {owner.tls_secret}, which must name it."
    else:
        fix = patch + "merge -p " + json_arg({"spec": {"tls": [{"hosts": [host], "secretName": "TLS-SECRET"}]}})
        then = ""
    return _f(
        code="tls-section-missing",
        severity=Severity.ERROR,
        title=f"{host} has no TLS on {owner.ref}: F5 ignores its ingressMTLS policy there",
        detail=f'ingress.go: \'IngressMTLS policy is ignored for host "{host}" because TLS is not enabled for that '
        "host' (a warning): the host is served without client certificates. TLS is enabled per host: only the hosts "
        "a `tls:` entry lists get it (addSSLConfig)." + then,
        fix=fix,
        subject=owner.ref,
    )
