"""Checks that run in a location, after the client's certificate: the proxy-ssl-secret and basic
auth denials (`return 503;`) beside denials.py's other parsers, auth-url's skipped
external check, and whose annotations the `/` location carries. Separate: these act per location,
after the server-level checks the rest of the package judges.
"""

from __future__ import annotations

import json
import re

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX, normalized
from mtls_tui.policy.ingress_nginx.controller_secrets import auth_certificate, secret_unread
from mtls_tui.policy.ingress_nginx.denials import DENIED, LocationDenial, authreq_skipped, location_denials
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.releases import controller_rules
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg


def _proxy_ssl_denied(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> tuple[str | None, str | None]:
    """proxyssl/main.go proxySSL.Parse, the steps that deny: (why every location of the Ingress is
    denied, the Secret not read here). proxy-ssl-* is nginx's own certificate towards an HTTPS
    backend, often taken for the client check; a reference the controller cannot use is a
    LocationDeniedError, and annotations.go Extract sets the Ingress's `Denied`, which nginx.tmpl
    renders in each of its locations as `return 503;` ("Location denied")."""
    value = normalized(ingress.annotation(PREFIX + "proxy-ssl-secret"))
    if not value or not value.strip():  # parseString: absent or empty, nothing to parse
        return None, None
    parts = value.split("/")  # k8s.ParseNameNS: exactly one '/'
    if len(parts) != 2:
        return f"invalid format (namespace/name) found in '{clipped(value)}'", None
    rules = controller_rules(controller)
    if (
        parts[0] != ingress.namespace
        and rules.security_settings
        and not (controller and controller.allow_cross_namespace)
    ):
        return "cross namespace secrets are not supported", None
    _, unseen, denial = auth_certificate(value, snapshot)  # p.r.GetAuthCertificate, as auth-tls
    return denial, (f"Secret {value} (proxy-ssl-secret of {ingress.ref})" if unseen else None)


def location_denial(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> tuple[str | None, list[LocationDenial], list[str]]:
    """annotations.go Extract: any parser's LocationDeniedError sets the Ingress's `Denied` (the
    first one met; Go's map order decides which, so every one is looked for), and nginx.tmpl
    renders `return 503;` in each of its locations. (the reason, every denial with a reason, what
    could not be read here.) The parsers besides the two Secret ones are denials.py's."""
    proxy_reason, proxy_unseen = _proxy_ssl_denied(ingress, controller, snapshot)
    denials = [
        LocationDenial(proxy_reason, "proxy-ssl-secret", proxy_unseen),
        _basic_auth_denied(ingress, controller, snapshot),
        *location_denials(ingress, controller, snapshot),
    ]
    unseen = [d.unseen for d in denials if d.unseen]
    given = [d for d in denials if d.reason]
    return (given[0].reason if given else None), given, unseen


def _basic_auth_denied(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> LocationDenial:
    """auth/main.go auth.Parse, the steps that deny (basic and digest authentication, which nginx
    asks after the client certificate): an auth-type the regex `basic|digest` does not find, no
    auth-secret, a Secret in another namespace (v1.9+ without allow-cross-namespace-resources),
    a Secret that does not exist, an auth-file Secret without the key `auth` (dumpSecretAuthFile),
    an auth-secret-type other than auth-file or auth-map. The Secret's own htpasswd lines are not
    judged."""

    def denied(reason: str | None, unseen: str | None = None) -> LocationDenial:
        return LocationDenial(reason, "auth-secret", unseen)

    kind = normalized(ingress.annotation(PREFIX + "auth-type"))
    if not kind:  # GetStringAnnotation: absent or empty, the parser stops (not a denial)
        return denied(None)
    validators = controller_rules(controller).validators  # on: a bad auth-type or auth-secret-type drops the Ingress
    if not re.search("basic|digest", kind):
        return denied(None if validators else "invalid authentication type")
    secret_type = normalized(ingress.annotation(PREFIX + "auth-secret-type")) or "auth-file"
    if validators and re.search("auth-file|auth-map", secret_type) is None:
        return denied(None)  # a validation error: the whole Ingress is dropped, not denied
    name = normalized(ingress.annotation(PREFIX + "auth-secret"))
    if not name:
        return denied("error reading secret name from annotation: ingress rule without annotations")
    parts = name.split("/")  # cache.SplitMetaNamespaceKey
    if len(parts) > 2:
        return denied(f'error reading secret name from annotation: unexpected key format: "{name}"')
    namespace, secret_name = (parts[0] or ingress.namespace, parts[1]) if len(parts) == 2 else (ingress.namespace, name)
    ref = f"{namespace}/{secret_name}"
    if (
        namespace != ingress.namespace
        and controller_rules(controller).security_settings
        and not (controller and controller.allow_cross_namespace)
    ):
        return denied("cross namespace usage of secrets is not allowed")
    secret = snapshot.secret(ref)
    if secret is None:
        if secret_unread(snapshot, ref):
            return denied(None, f"Secret {ref} (auth-secret of {ingress.ref})")
        return denied(f'unexpected error reading secret {ref}: secrets "{secret_name}" not found')
    if secret_type == "auth-file" and secret.get("auth") is None:
        return denied(f"the secret {secret_name} does not contain a key with value auth")
    if secret_type not in ("auth-file", "auth-map"):  # e.g. "auth-files": the validator's regex is not anchored
        return denied("invalid auth-secret-type in annotation, must be 'auth-file' or 'auth-map'")
    return denied(None)


def location_denial_findings(
    host: str, applying: list[IngressObj], controllers: dict[str, ControllerObj | None], snapshot: ClusterSnapshot
) -> tuple[list[Finding], list[str]]:
    """`location_denial` for the Ingresses whose paths the host's server has. The 503 comes in
    the location, after nginx has checked the client's certificate (ngx_http_process_request):
    clients without one still get 400, clients with one get 503 (measured on nginx 1.22)."""
    findings, unseen = [], []
    for ingress in applying:
        _, denials, missing = location_denial(ingress, controllers[ingress.ref], snapshot)
        unseen += missing
        if not denials:
            continue
        paths = ", ".join(dict.fromkeys(p.path or "/" for p in ingress.paths if p.host == host)) or "/"
        findings.append(_location_denied_finding(host, ingress, paths, denials, snapshot))
    return findings, unseen


def external_auth_skipped(
    host: str, applying: list[IngressObj], controllers: dict[str, ControllerObj | None], snapshot: ClusterSnapshot
) -> list[Finding]:
    """An Ingress whose paths the host's server has, with auth-url, whose authreq Parse fails with an
    error annotations.go Extract skips (denials.authreq_skipped): its paths are served
    without the external check. An Ingress whose locations are denied (503) is not served: left out."""
    findings = []
    for ingress in applying:
        controller = controllers[ingress.ref]
        skipped = authreq_skipped(ingress, controller, snapshot)
        if skipped is None or location_denial(ingress, controller, snapshot)[1]:
            continue
        paths = ", ".join(dict.fromkeys(p.path or "/" for p in ingress.paths if p.host == host)) or "/"
        url = ingress.annotation(PREFIX + "auth-url")
        unseen = (
            f" Unless {skipped.unseen} is missing: then Parse denies the locations first (503)."
            if skipped.unseen
            else ""
        )
        findings.append(
            ingress_finding(
                code="external-auth-skipped",
                severity=Severity.WARNING if skipped.empty else Severity.ERROR,
                title=f"{host}: the paths of {ingress.ref} ({paths}) are served without the external "
                f"authentication of auth-url: {skipped.by} {clipped(skipped.value)!r} is refused ({skipped.reason})",
                detail=skipped.detail + unseen,
                fix=skipped.fix,
                ingress=ingress,
                evidence=(
                    f"{PREFIX}auth-url: {clipped(url or '')}",
                    f"{PREFIX}{skipped.by}: {clipped(skipped.value)}",
                    skipped.reason,
                ),
                then=skipped.then,
            )
        )
    return findings


def _location_denied_finding(
    host: str, ingress: IngressObj, paths: str, denials: list[LocationDenial], snapshot: ClusterSnapshot
) -> Finding:
    """One finding for the Ingress: the first denial leads the title and the detail; the fix runs
    each denial's fix in turn, since nginx serves the paths only once none is left."""
    explained = [
        (d, *(_secret_denial_words(ingress, d, snapshot) if not d.fix else (d.detail, d.fix))) for d in denials
    ]
    first, detail, _ = explained[0]
    value = ingress.annotation(PREFIX + first.by)
    also = [f"{d.by} {clipped(ingress.annotation(PREFIX + d.by) or '')}: {d.reason}" for d in denials[1:]]
    return ingress_finding(
        code="location-denied",
        severity=Severity.ERROR,
        title=f"{host}: the paths of {ingress.ref} ({paths}) answer 503 to every client past the certificate check: "
        f"{first.by} {clipped(value or '')}: {first.reason}",
        detail=detail + (f" Also denied by {'; '.join(also)}." if also else ""),
        fix=" && ".join(dict.fromkeys(fix for _, _, fix in explained)),
        ingress=ingress,
        evidence=tuple(
            e for d in denials for e in (f"{PREFIX}{d.by}: {ingress.annotation(PREFIX + d.by)}", d.reason or "")
        ),
    )


def _secret_denial_words(ingress: IngressObj, denial: LocationDenial, snapshot: ClusterSnapshot) -> tuple[str, str]:
    """The detail and fix of a proxy-ssl-secret or basic auth denial."""
    reason = denial.reason or ""
    if denial.by == "proxy-ssl-secret":
        detail = (
            "proxy-ssl-secret names the certificate nginx presents to an HTTPS backend (and the CA it checks "
            "the backend with); it does not ask clients for certificates (auth-tls-secret does). The controller "
            f"cannot use this one. {DENIED} If the backend needs nginx's certificate, name a Secret of the "
            "Ingress's namespace with ca.crt (and tls.crt, tls.key) instead of removing the annotation."
        )
        return detail, f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + 'proxy-ssl-secret-')}"
    namespace, _, name = (ingress.annotation(PREFIX + "auth-secret") or "").rpartition("/")
    namespace = namespace or ingress.namespace
    detail = (
        "auth-type asks for a password after the client certificate, from the htpasswd lines of the Secret "
        "auth-secret names (key `auth` for auth-secret-type auth-file, the default). The controller cannot "
        f"use it (auth/main.go auth.Parse). {DENIED}"
    )
    if reason == "invalid authentication type":
        return detail, annotate(ingress, "auth-type", "basic")
    if reason.startswith("cross namespace"):
        detail += f" The fix names a Secret of the Ingress's namespace: copy Secret {namespace}/{name} to {ingress.namespace} first."
        return detail, annotate(ingress, "auth-secret", name)
    if (lines := _htpasswd_key(snapshot, f"{namespace}/{name}")) is not None:
        # the htpasswd lines are there under another key (`--from-file=htpasswd`): copied to `auth`, unseen
        read = f"kubectl get secret {arg(name)} -n {arg(namespace)} -o go-template=" + arg(
            "{{index .data " + json.dumps(lines) + " | base64decode}}"
        )
        fix = (
            f'auth=$({read}) && kubectl create secret generic {arg(name)} -n {arg(namespace)} --from-literal=auth="$auth" '
            "--dry-run=client -o yaml | kubectl apply -f -"
        )
        return detail, fix
    detail += (
        " The fix reads the htpasswd lines from the file auth of the current folder (htpasswd -c auth USER makes it)."
    )
    fix = (
        f"kubectl create secret generic {arg(name or 'basic-auth')} -n {arg(namespace)} "
        "--from-file=auth=auth --dry-run=client -o yaml | kubectl apply -f -"
    )
    return detail, fix


def _htpasswd_key(snapshot: ClusterSnapshot, ref: str) -> str | None:
    """The key of the Secret whose value holds htpasswd lines (`user:hash`), when it is not `auth`."""
    secret = snapshot.secret(ref)
    if secret is None:
        return None
    return next((key for key, value in secret.data if key != "auth" and b":" in value), None)


def root_location_owner(host: str, makers: list[IngressObj], locations: list[IngressObj]) -> IngressObj | None:
    """Whose annotations the server's `/` location carries: the first Ingress with a `/` path for
    the host (getBackendServers replaces the default location, locationApplyAnnotations); else the
    Ingress that made the server, whose annotations createServers gave the default one."""
    return next((i for i in locations if any(p.host == host and p.path in ("", "/") for p in i.paths)), None) or (
        makers[0] if makers else None
    )
