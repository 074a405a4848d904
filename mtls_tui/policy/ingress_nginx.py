"""ingress-nginx's reading of the auth-tls annotations, host by host.

The controller's rules (v1.15.1, see DESIGN.md) are reproduced exactly, including
the silent ones: an unknown verify mode becomes `on`, a bad depth becomes 1, the
first Ingress for a host that sets mTLS wins, a Secret in another namespace is
refused. Each rewrite or refusal becomes a finding that says what the controller
does instead.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from mtls_tui.certs.crl import controller_refusal
from mtls_tui.certs.hostnames import name_matches
from mtls_tui.model import (
    VERIFY_MODES, ClusterSnapshot, ControllerObj, Finding, IngressObj, MtlsPolicy, SecretObj, Severity,
)
from mtls_tui.policy.kube_objects import NGINX_CONTROLLER
from mtls_tui.policy.nginx_directives import location_directives, server_directives

PREFIX = "nginx.ingress.kubernetes.io/"
AUTH_TLS_KEYS = (
    "auth-tls-secret", "auth-tls-verify-client", "auth-tls-verify-depth",
    "auth-tls-error-page", "auth-tls-pass-certificate-to-upstream", "auth-tls-match-cn",
)
WRONG_PREFIXES = ("nginx.org/", "ingress.kubernetes.io/", "nginx.ingress.kubernetes.io.")
GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
REMOVED_APIS = ("extensions/v1beta1", "networking.k8s.io/v1beta1")
DEFAULTS = {"auth-tls-verify-client": "on", "auth-tls-verify-depth": "1", "auth-tls-pass-certificate-to-upstream": "false"}
SSL_DIR = "/etc/ingress-controller/ssl"


@dataclass(frozen=True)
class ParsedAuthTls:
    """One Ingress's auth-tls annotations after the controller's parsing."""

    ingress: IngressObj
    policy_fields: dict = field(default_factory=dict)  # secret, verify_client, ...; empty: no mTLS
    findings: tuple[Finding, ...] = ()
    dropped: bool = False  # a validation error: the controller ignores this Ingress entirely
    denied: bool = False  # a parsing error: the controller answers 503 for its locations


def _f(code: str, severity: Severity, title: str, detail: str, fix: str, ingress: IngressObj, *evidence: str) -> Finding:
    return Finding(code, severity, title, detail, fix, f"Ingress {ingress.ref}", tuple(evidence))


def _annotate(ingress: IngressObj, key: str, value: str) -> str:
    return f"kubectl annotate ingress {ingress.name} -n {ingress.namespace} {PREFIX}{key}={value} --overwrite"


def wrong_prefix_findings(ingress: IngressObj) -> list[Finding]:
    findings = []
    for key, value in ingress.annotations:
        suffix = None
        for prefix in WRONG_PREFIXES:
            if key.startswith(prefix):
                suffix = key[len(prefix):]
        target = difflib.get_close_matches(suffix, AUTH_TLS_KEYS, n=1, cutoff=0.6) if suffix is not None else []
        meant_mtls = suffix is not None and any(word in suffix for word in ("auth-tls", "client", "verify"))
        if target or meant_mtls:  # others (nginx.org/ssl-services…) are not ours to judge
            present = bool(target) and ingress.annotation(PREFIX + target[0]) is not None
            remove = f"kubectl annotate ingress {ingress.name} -n {ingress.namespace} {key}-"
            findings.append(_f(
                "annotation-wrong-prefix", Severity.WARNING if present else Severity.ERROR,
                f"{key} is not read by ingress-nginx" + (f"; {PREFIX}{target[0]} is set too" if present else ""),
                f"ingress-nginx reads only annotations starting with {PREFIX}; '{key.split('/')[0]}/' belongs to "
                "another controller (nginx.org/ is F5's NGINX Ingress Controller) or an old prefix, and is ignored.",
                remove if present else f"{remove} {PREFIX}{target[0]}={value}" if target
                else f"{remove}  # then set what you meant: {', '.join(PREFIX + k for k in AUTH_TLS_KEYS)}",
                ingress, f"{key}: {value}",
            ))
        elif key.startswith(PREFIX):
            name = key[len(PREFIX):]
            if name not in AUTH_TLS_KEYS and ("tls" in name or name.startswith("auth-")):
                close = difflib.get_close_matches(name, AUTH_TLS_KEYS, n=1, cutoff=0.75)
                if close:
                    harmless = DEFAULTS.get(close[0]) == value.strip().lower()
                    findings.append(_f(
                        "annotation-wrong-prefix", Severity.WARNING if harmless else Severity.ERROR,
                        f"{key} is misspelt: did you mean {PREFIX}{close[0]}?",
                        "The controller ignores annotations it does not know, without a word."
                        + (f" Harmless here: '{value}' is the default anyway." if harmless else ""),
                        f"kubectl annotate ingress {ingress.name} -n {ingress.namespace} {key}- {PREFIX}{close[0]}={value}",
                        ingress, f"{key}: {value}",
                    ))
    return findings


def parse_auth_tls(ingress: IngressObj, controller: ControllerObj | None) -> ParsedAuthTls:
    get = lambda name: ingress.annotation(PREFIX + name)  # noqa: E731
    secret = get("auth-tls-secret")
    others = [k for k in AUTH_TLS_KEYS[1:] if get(k) is not None]
    findings: list[Finding] = []
    if secret is None:
        if others:
            findings.append(_f(
                "annotation-invalid-value", Severity.WARNING,
                "auth-tls annotations without auth-tls-secret: no client certificates asked",
                f"{', '.join(others)} take effect only with {PREFIX}auth-tls-secret.",
                _annotate(ingress, "auth-tls-secret", f"{ingress.namespace}/SECRET"), ingress,
            ))
        return ParsedAuthTls(ingress, {}, tuple(findings))
    parts = secret.split("/")
    if len(parts) != 2 or not all(parts):
        findings.append(_f(
            "annotation-secret-format", Severity.ERROR, f"auth-tls-secret '{secret}' is not namespace/name",
            "The controller cannot parse it (invalid format (namespace/name)), records an "
            "AnnotationParsingFailed event, and answers 503 for this Ingress's locations.",
            _annotate(ingress, "auth-tls-secret", f"{ingress.namespace}/{parts[-1] or 'SECRET'}"), ingress,
            f"{PREFIX}auth-tls-secret: {secret}",
        ))
        return ParsedAuthTls(ingress, {}, tuple(findings), denied=True)
    if parts[0] != ingress.namespace and not (controller and controller.allow_cross_namespace):
        findings.append(_f(
            "annotation-cross-namespace", Severity.ERROR,
            f"auth-tls-secret {secret} is in another namespace than the Ingress ({ingress.namespace})",
            "Since v1.12 the controller refuses it (cross namespace secrets are not supported) unless it runs "
            "with --allow-cross-namespace-resources; the Ingress's locations answer 503.",
            f"kubectl get secret {parts[1]} -n {parts[0]} -o yaml | sed 's/namespace: {parts[0]}/namespace: {ingress.namespace}/' "
            f"| kubectl apply -f - && {_annotate(ingress, 'auth-tls-secret', ingress.namespace + '/' + parts[1])}",
            ingress, f"{PREFIX}auth-tls-secret: {secret}",
        ))
        return ParsedAuthTls(ingress, {}, tuple(findings), denied=True)

    fields: dict = {"secret": secret}
    verify = get("auth-tls-verify-client")
    if verify is None:
        fields["verify_client"] = "on"
    elif verify in VERIFY_MODES:
        fields["verify_client"] = verify
    else:
        fields["verify_client"] = "on"
        findings.append(_f(
            "annotation-invalid-value", Severity.WARNING,
            f"auth-tls-verify-client '{verify}' is not a mode: the controller uses 'on'",
            f"Valid values: {', '.join(VERIFY_MODES)}. Anything else silently becomes on.",
            _annotate(ingress, "auth-tls-verify-client", "on"), ingress,
        ))
    depth_text = get("auth-tls-verify-depth")
    depth = 1
    if depth_text is not None:
        try:
            depth = int(depth_text.strip())
        except ValueError:
            depth = 0
        if depth == 0:
            depth = 1
            findings.append(_f(
                "annotation-invalid-value", Severity.WARNING,
                f"auth-tls-verify-depth '{depth_text}' becomes 1",
                "A value that is not a whole number, or 0, silently becomes the default depth 1.",
                _annotate(ingress, "auth-tls-verify-depth", "1"), ingress,
            ))
        elif depth < 0:
            findings.append(_f(
                "annotation-invalid-value", Severity.ERROR,
                f"auth-tls-verify-depth {depth} is negative: nginx refuses the configuration",
                "The controller renders ssl_verify_depth as given and nginx rejects the reload.",
                _annotate(ingress, "auth-tls-verify-depth", "1"), ingress,
            ))
    fields["verify_depth"] = depth
    dropped = False
    for name, (field_name, parse, expected, example) in VALIDATED.items():
        value = get(name)
        if value is None:
            continue
        parsed = parse(value)
        if parsed is not None:
            fields[field_name] = parsed
            continue
        dropped = True
        findings.append(_f(
            "annotation-invalid-value", Severity.ERROR, f"{name} '{value}' is not {expected}",
            "The annotation fails validation and the controller drops the whole Ingress.",
            _annotate(ingress, name, example), ingress,
        ))
    return ParsedAuthTls(ingress, fields, tuple(findings), dropped=dropped)


def _error_page(value: str) -> str | None:
    return value if re.match(r"^(https?://\S+|@[\w-]+)$", value) else None


def _match_cn(value: str) -> str | None:
    if not value.startswith("CN="):
        return None
    try:
        re.compile(value)
    except re.error:
        return None
    return value


# Annotations whose bad values fail validation (the Ingress is dropped): the policy
# field, the parser (None: invalid), what a valid value is, and an example for the fix.
VALIDATED = {
    "auth-tls-error-page": ("error_page", _error_page, "a URL or @location", "https://example.com/mtls-error"),
    "auth-tls-pass-certificate-to-upstream": ("pass_certificate", GO_BOOLS.get, "a boolean", '"true"'),
    "auth-tls-match-cn": ("match_cn", _match_cn, "CN=<regex>", '"CN=NAME"'),
}


def removed_api_finding(ingress: IngressObj) -> Finding | None:
    if ingress.api_version not in REMOVED_APIS:
        return None
    return _f(
        "ingress-api-removed", Severity.ERROR, f"{ingress.api_version} Ingress is no longer served (removed in Kubernetes 1.22)",
        "Use apiVersion networking.k8s.io/v1: spec.ingressClassName, and backends as "
        "service: {name: meow-svc, port: {number: 80}} with pathType: Prefix.",
        "kubectl convert is gone; edit the manifest: apiVersion: networking.k8s.io/v1, "
        "backend.serviceName/servicePort -> backend.service.name/port.number, add pathType: Prefix",
        ingress,
    )


def serving_controller(ingress: IngressObj, snapshot: ClusterSnapshot) -> tuple[ControllerObj | None, Finding | None]:
    """Which ingress-nginx controller serves this Ingress, or the finding that says none does."""
    if not snapshot.controllers_known:
        return None, None
    if not snapshot.controllers:
        return None, _f(
            "controller-not-found", Severity.ERROR, "no ingress-nginx controller found in the cluster",
            "No Deployment labelled app.kubernetes.io/name=ingress-nginx, app.kubernetes.io/component=controller. "
            "Without it no Ingress is served (another controller may serve this one, with other annotations).",
            "kubectl get pods -A -l app.kubernetes.io/name=ingress-nginx", ingress,
        )
    classes = {c.name: c for c in snapshot.ingress_classes}
    for controller in snapshot.controllers:
        name = ingress.ingress_class
        if name is None:
            default = next((c for c in snapshot.ingress_classes if c.is_default and c.controller == controller.controller_class), None)
            if controller.watch_without_class or default:
                return controller, None
            continue
        klass = classes.get(name)
        if klass is not None and klass.controller == controller.controller_class:
            return controller, None
        if ingress.class_source == "annotation" and name == controller.ingress_class:
            return controller, None
    known = ", ".join(f"{c.name} ({c.controller})" for c in snapshot.ingress_classes) or "none"
    wanted = ingress.ingress_class or "(no class)"
    return None, _f(
        "ingress-class-mismatch", Severity.ERROR, f"no ingress-nginx controller serves class {wanted}",
        f"The Ingress asks for {wanted} via {ingress.class_source}; IngressClasses: {known}. ingress-nginx "
        f"controllers: {', '.join(c.ref + ' (' + c.controller_class + ')' for c in snapshot.controllers)}.",
        f"kubectl patch ingress {ingress.name} -n {ingress.namespace} --type merge -p "
        f"'{{\"spec\":{{\"ingressClassName\":\"{_nginx_class(snapshot)}\"}}}}'",
        ingress,
    )


def _nginx_class(snapshot: ClusterSnapshot) -> str:
    return next((c.name for c in snapshot.ingress_classes if c.controller == NGINX_CONTROLLER), "nginx")


def secret_path(ref: str) -> str:
    namespace, _, name = ref.partition("/")
    return f"{SSL_DIR}/{namespace}-{name}.pem"


def crl_path(ref: str) -> str:
    """Where ingress-nginx's ssl.ConfigureCRL writes the Secret's ca.crl."""
    namespace, _, name = ref.partition("/")
    return f"{SSL_DIR}/crl-{namespace}-{name}.pem"


@dataclass(frozen=True)
class HostPolicy:
    """One host (nginx `server`) as the controller configures it."""

    host: str
    policy: MtlsPolicy | None  # None: TLS without client certificates
    ingresses: tuple[IngressObj, ...]
    mtls_from: IngressObj | None
    tls_secret: str | None
    controller: ControllerObj | None
    findings: tuple[Finding, ...]
    directives: tuple[str, ...]
    denied: bool = False  # an auth-tls annotation the controller could not use: its locations answer 503
    served: bool = True  # False when every Ingress for the host was dropped (or serves another class): no server block


def _order(ingress: IngressObj) -> tuple[str, str, str]:
    """The controller's order: oldest first, then namespace/name."""
    return (ingress.created, ingress.namespace, ingress.name)


def host_policies(snapshot: ClusterSnapshot) -> list[HostPolicy]:
    parsed: dict[str, ParsedAuthTls] = {}
    per_ingress: dict[str, list[Finding]] = {}
    controllers: dict[str, ControllerObj | None] = {}
    for ingress in sorted(snapshot.ingresses, key=_order):
        controller, class_finding = serving_controller(ingress, snapshot)
        controllers[ingress.ref] = controller
        result = parse_auth_tls(ingress, controller)
        parsed[ingress.ref] = result
        findings = wrong_prefix_findings(ingress) + list(result.findings)
        removed = removed_api_finding(ingress)
        findings += [f for f in (removed, class_finding) if f]
        per_ingress[ingress.ref] = findings

    hosts: dict[str, list[IngressObj]] = {}
    for ingress in sorted(snapshot.ingresses, key=_order):
        for host in ingress.hosts:
            hosts.setdefault(host, []).append(ingress)
    reports = []
    for host, ingresses in hosts.items():
        report = _host_policy(host, ingresses, parsed, per_ingress, controllers, snapshot)
        if report is not None:
            reports.append(report)
    return reports


def _host_policy(host, ingresses, parsed, per_ingress, controllers, snapshot) -> HostPolicy | None:
    findings: list[Finding] = [f for i in ingresses for f in per_ingress[i.ref]]
    served = [i for i in ingresses if not parsed[i.ref].dropped and (controllers[i.ref] or not snapshot.controllers_known)]
    asking = [i for i in served if parsed[i.ref].policy_fields]
    tls_entry = next(((i, t) for i in ingresses for t in i.tls if any(name_matches(h, host) for h in t.hosts)), None)
    wants_mtls = any(i.annotation(PREFIX + "auth-tls-secret") is not None for i in ingresses)
    if not asking and not tls_entry and not wants_mtls:
        return None
    winner = asking[0] if asking else None
    fields = parsed[winner.ref].policy_fields if winner else {}
    policy = MtlsPolicy(host, **fields) if winner else None
    if winner:
        findings += _conflicts(host, winner, served, parsed)
    tls_secret = f"{tls_entry[0].namespace}/{tls_entry[1].secret_name}" if tls_entry and tls_entry[1].secret_name else None
    subject_ingress = winner or ingresses[0]
    if tls_entry is None:
        findings.append(_f(
            "tls-section-missing", Severity.ERROR if winner else Severity.WARNING,
            f"{host} has no tls: entry: clients get the controller's fake certificate",
            "Without a tls: entry naming this host the controller serves its default certificate "
            "(CN 'Kubernetes Ingress Controller Fake Certificate'); clients that verify the server refuse it.",
            f"kubectl patch ingress {subject_ingress.name} -n {subject_ingress.namespace} --type merge -p "
            f"'{{\"spec\":{{\"tls\":[{{\"hosts\":[\"{host}\"],\"secretName\":\"{_secret_name(fields) or 'TLS-SECRET'}\"}}]}}}}'",
            subject_ingress,
        ))
    elif tls_secret is None:
        findings.append(_f(
            "tls-section-missing", Severity.WARNING, f"the tls: entry for {host} names no secretName",
            "The controller serves its default (fake) certificate for this host.",
            "add secretName to the tls: entry", tls_entry[0],
        ))
    if tls_secret:
        findings += _secret_access(tls_secret, "TLS", subject_ingress, snapshot)
    if policy:
        findings += _secret_access(policy.secret, "auth-tls", winner, snapshot)
        secret = snapshot.secret(policy.secret)
        if secret is not None and secret.get("ca.crt") is None:
            findings.append(_missing_ca(host, secret, winner))
    auth = snapshot.secret(policy.secret) if policy else None
    directives: tuple[str, ...] = ()
    if policy and (auth is None or auth.get("ca.crt") is not None):  # no ca.crt: the template renders no client checks
        crl = crl_path(policy.secret) if auth and auth.get("ca.crl") else None
        directives = tuple(server_directives(policy, secret_path(policy.secret), crl) + location_directives(policy))
    controller = next((controllers[i.ref] for i in served if controllers[i.ref]), None)
    unusable = auth is None or (auth.get("ca.crt") is None and not _keypair(auth)) or bool(
        auth.get("ca.crl") is not None and controller_refusal(auth.get("ca.crl") or b""))  # the controller keeps no copy of it
    denied = any(parsed[i.ref].denied for i in served) or bool(
        policy and unusable and not snapshot.secret_problem(policy.secret))
    return HostPolicy(host, policy, tuple(ingresses), winner, tls_secret, controller, tuple(findings), directives, denied,
                      served=bool(served))


def _keypair(secret: SecretObj) -> bool:
    return bool(secret.get("tls.crt") and secret.get("tls.key"))


def _missing_ca(host: str, secret: SecretObj, ingress: IngressObj) -> Finding:
    """ingress-nginx keeps a Secret that holds a keypair even without ca.crt; the server
    then gets no CA file and the template renders no client checks: mTLS is off, quietly.
    With neither, it refuses the Secret and the locations are denied."""
    fix = (f"kubectl create secret generic {secret.name} -n {secret.namespace} --from-file=ca.crt=ca.crt "
           "--from-file=tls.crt=server.crt --from-file=tls.key=server.key --dry-run=client -o yaml | kubectl apply -f -")
    held = ", ".join(secret.keys) or "no keys"
    if _keypair(secret):
        return _f(
            "secret-missing-ca", Severity.ERROR,
            f"Secret {secret.ref} has no ca.crt key: the controller turns mTLS off for {host}",
            f"It holds {held}. ingress-nginx keeps the Secret as a keypair, configures no client-certificate check "
            "for this host, and says so only at log level -v=3 (\"Secret has no 'ca.crt' key, mutual authentication "
            "disabled\"): requests without a certificate get through.",
            fix, ingress, f"keys: {held}",
        )
    return _f(
        "secret-missing-ca", Severity.ERROR, f"Secret {secret.ref} has no ca.crt key",
        f"It holds {held}: no keypair and no CA. The controller logs 'Error obtaining X.509 certificate: ... contains "
        "no keypair or CA certificate' and denies the host's locations (503).",
        fix, ingress, f"keys: {held}",
    )


def _secret_name(fields: dict) -> str | None:
    secret = fields.get("secret")
    return secret.split("/", 1)[1] if secret else None


def _conflicts(host: str, winner: IngressObj, served: list[IngressObj], parsed: dict[str, ParsedAuthTls]) -> list[Finding]:
    findings = []
    mine = parsed[winner.ref].policy_fields
    for other in served:
        if other.ref == winner.ref:
            continue
        theirs = parsed[other.ref].policy_fields
        if theirs and theirs != mine:
            findings.append(_f(
                "mtls-host-conflict", Severity.WARNING,
                f"{other.ref} sets different mTLS for {host}; {winner.ref} wins",
                "mTLS is configured per host (nginx server), and the oldest Ingress that sets it wins; the "
                f"controller logs 'Server \"{host}\" is already configured for mutual authentication'.",
                f"kubectl annotate ingress {other.name} -n {other.namespace} {PREFIX}auth-tls-secret- "
                f"{PREFIX}auth-tls-verify-client- {PREFIX}auth-tls-verify-depth-  # keep one source of truth",
                other, f"wins: {winner.ref} {mine}", f"ignored: {other.ref} {theirs}",
            ))
        elif not theirs:
            findings.append(_f(
                "mtls-host-conflict", Severity.WARNING,
                f"{other.ref} has no auth-tls annotations, but its paths on {host} require client certificates too",
                f"mTLS is per host, not per path: {winner.ref} turns it on for every location of {host}.",
                "move the paths that must stay open to another host name", other,
            ))
    return findings


def _secret_access(ref: str, role: str, ingress: IngressObj, snapshot: ClusterSnapshot) -> list[Finding]:
    namespace, _, name = ref.partition("/")
    problem = snapshot.secret_problem(ref)
    if problem and problem.status == "forbidden":
        return [_f(
            "secret-forbidden", Severity.WARNING, f"not allowed to read the {role} Secret {ref}",
            f"Our credentials lack 'get secrets' in namespace {namespace} ({problem.message}); the controller "
            "has its own permissions, so this does not break mTLS, but the certificates cannot be checked.",
            f"kubectl auth can-i get secrets -n {namespace}  # ask for get on secrets, or run check --manifests with the Secret",
            ingress, problem.message,
        )]
    if (problem and problem.status == "not-found") or (snapshot.secret(ref) is None and snapshot.controllers_known):
        consequence = ("the host gets the controller's fake certificate" if role == "TLS"
                       else "the controller logs it and denies the host's locations (503)")
        return [_f(
            "secret-not-found", Severity.ERROR, f"the {role} Secret {ref} does not exist",
            f"The Ingress refers to it but there is no Secret {name} in namespace {namespace}: {consequence}.",
            f"kubectl create secret generic {name} -n {namespace} --from-file=tls.crt=server.crt "
            "--from-file=tls.key=server.key --from-file=ca.crt=ca.crt --dry-run=client -o yaml | kubectl apply -f -",
            ingress, problem.message if problem else f"secrets \"{name}\" not found",
        )]
    return []
