"""`authtls.Parse` (authtls/main.go), step by step: one Ingress's auth-tls annotations become the
policy's fields, a denial (`return 403;` for the host) or a drop, and each rewrite a finding.
Also auth-tls-pass-certificate-to-upstream towards an HTTPS backend, the other reading of these
annotations that concerns one Ingress alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mtls_tui.model import VERIFY_MODES, ClusterSnapshot, ControllerObj, Finding, IngressObj, Severity
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.annotations import AUTH_TLS_KEYS, PREFIX, normalized
from mtls_tui.policy.ingress_nginx.auth_tls_values import (
    VALIDATED,
    as_given,
    as_rendered,
    error_page_words,
    reload_refused,
)
from mtls_tui.policy.ingress_nginx.controller_secrets import auth_certificate
from mtls_tui.policy.ingress_nginx.dropped import blocklisted, dropped_finding, too_risky
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.releases import controller_rules, verify_client_as_read
from mtls_tui.policy.ingress_nginx.validators import BASIC_CHARS, GO_ATOI
from mtls_tui.policy.secret_commands import secret_update_command
from mtls_tui.policy.secret_store import StoredSecret
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg

BARE_AUTH_TLS = "auth-tls annotations without auth-tls-secret"  # the title the host's open door is read from


@dataclass(frozen=True)
class ParsedAuthTls:
    """One Ingress's auth-tls annotations after the controller's parsing (`authtls.Parse`)."""

    ingress: IngressObj
    policy_fields: dict[str, Any] = field(
        default_factory=dict
    )  # MtlsPolicy's: secret, verify_client, ...; empty: no mTLS
    findings: tuple[Finding, ...] = ()
    dropped: bool = False  # a validation error: the controller ignores this Ingress entirely
    denial: str | None = None  # `AuthTLSError`: the host's server answers 403 to every request
    ca: bool = False  # the Secret gives a CA file: this Ingress can turn the client checks on
    secret_unseen: bool = False  # the Secret could not be read here (manifests without it, RBAC)
    stored: StoredSecret | None = None

    @property
    def denied(self) -> bool:
        return self.denial is not None


def _denied(ingress: IngressObj, code: str, title: str, reason: str, detail: str, fix: str, value: str) -> Finding:
    return ingress_finding(
        code=code,
        severity=Severity.ERROR,
        title=title,
        detail=f"{detail} The controller logs 'error reading Ingress annotation' ({reason}), and the host's server gets "
        "`return 403;` before any location: every path of the host answers 403, with or without a client "
        "certificate, the paths of other Ingresses on the host included.",
        fix=fix,
        ingress=ingress,
        evidence=(f"{PREFIX}auth-tls-secret: {clipped(value)}",),
    )


def parse_auth_tls(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot | None = None
) -> ParsedAuthTls:
    """`authtls.Parse`, step by step and in its order: a denial returns before the later
    annotations are validated, so a denied Ingress is never dropped for them."""

    def get(name: str) -> str | None:
        return normalized(ingress.annotation(PREFIX + name))

    rules = controller_rules(controller)
    blocked = blocklisted(ingress, controller)
    if blocked is not None:
        return ParsedAuthTls(ingress, {}, (blocked,), dropped=True)
    risky = too_risky(ingress, controller) if rules.security_settings else None
    if risky is not None:
        return ParsedAuthTls(ingress, {}, (risky,), dropped=True)
    secret = get("auth-tls-secret")
    others = [k for k in AUTH_TLS_KEYS[1:] if get(k) is not None]
    findings: list[Finding] = []
    if secret is None or not secret.strip():
        if secret is not None:  # parseString: empty content is skipped, as if absent
            findings.append(
                ingress_finding(
                    code="annotation-invalid-value",
                    severity=Severity.ERROR,
                    title="auth-tls-secret is empty: no client certificates asked",
                    detail="The controller skips an empty annotation value (InvalidAnnotationContent) and configures no mTLS "
                    "for this Ingress: requests without a certificate get in.",
                    fix=_add_client_ca(ingress),
                    then="ca.crt is the CA that signs your clients' certificates",
                    ingress=ingress,
                )
            )
        elif others and not _secret_under_another_key(ingress):  # else annotation-wrong-prefix names the cause
            # authtls/main.go Parse returns an empty Config when auth-tls-secret is missing, and nginx.tmpl
            # renders the client checks and every ssl-client-* header (pass-certificate's included) only
            # under `if not (empty $server.CertificateAuth.CAFileName)`: nginx asks no certificate and the
            # upstream gets none (kubernetes/ingress-nginx issues 6413, 10285; PR 7202 documents it).
            verify = get("auth-tls-verify-client")
            wants_checks = verify is not None and verify not in ("off", "optional", "optional_no_ca")
            findings.append(
                ingress_finding(
                    code="annotation-invalid-value",
                    severity=Severity.ERROR if wants_checks else Severity.WARNING,
                    title=f"{BARE_AUTH_TLS}: no client certificates asked",
                    detail=f"{', '.join(others)} {'takes' if len(others) == 1 else 'take'} effect only with "
                    f"{PREFIX}auth-tls-secret: without it the controller renders no ssl_client_certificate, no "
                    "ssl_verify_client and no ssl-client-* header (ssl-client-cert included), whatever the other "
                    "auth-tls annotations say, optional_no_ca too: that mode still needs a CA file.",
                    fix=_add_client_ca(ingress),
                    then="ca.crt is the CA that signs your clients' certificates (with optional_no_ca any CA will "
                    "do: nginx only names it to the client)",
                    ingress=ingress,
                )
            )
        return ParsedAuthTls(ingress, {}, tuple(findings))
    if rules.validators and (not BASIC_CHARS.fullmatch(secret.replace(" ", "")) or "\r" in secret or "\n" in secret):
        findings.append(
            dropped_finding(
                ingress,
                "auth-tls-secret",
                secret,
                "namespace/name in plain characters",
                _ca_secret_ref(ingress, snapshot),
                " (BasicCharsRegex: letters, digits, - . _ ~ / :)",
            )
        )
        return ParsedAuthTls(ingress, {}, tuple(findings), dropped=True)
    parts = secret.split("/")
    if len(parts) != 2:
        findings.append(
            _denied(
                ingress,
                "annotation-secret-format",
                f"auth-tls-secret '{secret}' is not namespace/name: the host answers 403",
                f"invalid format (namespace/name) found in '{secret}'",
                "k8s.ParseNameNS needs exactly one '/'.",
                annotate(ingress, "auth-tls-secret", f"{ingress.namespace}/{parts[-1] or 'SECRET'}"),
                secret,
            )
        )
        return ParsedAuthTls(
            ingress, {}, tuple(findings), denial=f"invalid format (namespace/name) found in '{secret}'"
        )
    namespace = parts[0] or ingress.namespace
    if (
        namespace != ingress.namespace
        and rules.security_settings
        and not (controller and controller.allow_cross_namespace)
    ):
        reason = "cross namespace secrets are not supported"
        findings.append(
            _denied(
                ingress,
                "annotation-cross-namespace",
                f"auth-tls-secret {secret} is in another namespace than the Ingress ({ingress.namespace}): the host answers 403",
                reason,
                "Since v1.12 the controller refuses it unless its ConfigMap sets allow-cross-namespace-resources: "
                '"true" (config.go AllowCrossNamespaceResources, default false).',
                f"kubectl get secret {arg(parts[1])} -n {arg(parts[0])} -o yaml | "
                f"sed {arg('s/namespace: ' + parts[0] + '/namespace: ' + ingress.namespace + '/')} | kubectl apply -f - "
                f"&& {annotate(ingress, 'auth-tls-secret', ingress.namespace + '/' + parts[1])}",
                secret,
            )
        )
        return ParsedAuthTls(ingress, {}, tuple(findings), denial=reason)
    stored, unseen, denial = None, False, None
    if snapshot is not None:
        stored, unseen, denial = auth_certificate(secret, snapshot)
    if denial:
        return ParsedAuthTls(ingress, {}, tuple(findings), denial=denial, stored=stored)

    fields: dict[str, Any] = {"secret": secret}
    verify = get("auth-tls-verify-client")
    mode, how = verify_client_as_read(verify or "on", rules)
    fields["verify_client"] = mode
    if verify is not None and how == "mode" and mode != "on":
        read = f" (read as {mode} by nginx: {rules.named} writes the value as given)" if mode != verify else ""
        findings.append(
            ingress_finding(
                code="mtls-not-enforced",
                severity=Severity.WARNING,
                title=f"auth-tls-verify-client is {verify}{read}: requests without a client certificate get in",
                detail="Only 'on' makes nginx require a certificate (ssl_verify_client on). With optional, optional_no_ca "
                "or off, nginx lets requests without one through to the upstream, which must then check "
                "ssl-client-verify itself."
                + (" From v1.10.4 and v1.11.2 on, the same value becomes 'on'." if mode != verify else ""),
                fix=annotate(ingress, "auth-tls-verify-client", "on"),
                ingress=ingress,
                evidence=(f"{PREFIX}auth-tls-verify-client: {verify}",),
            )
        )
    elif verify is not None and how == "default":
        findings.append(
            ingress_finding(
                code="annotation-invalid-value",
                severity=Severity.WARNING,
                title=f"auth-tls-verify-client '{verify}' is not a mode: the controller uses 'on'",
                detail=f"Valid values: {', '.join(VERIFY_MODES)} (case-sensitive). Anything else silently becomes on."
                + (
                    " YAML reads an unquoted on/off/yes/no as a boolean: write the value in quotes."
                    if verify in ("True", "False", "true", "false")
                    else ""
                ),
                fix=annotate(ingress, "auth-tls-verify-client", "on"),
                ingress=ingress,
            )
        )
    elif verify is not None and how == "refused":
        findings.append(
            reload_refused(
                ingress,
                "auth-tls-verify-client",
                verify,
                f"{rules.named} matches the mode without anchors (authVerifyClientRegex `on|off|optional|optional_no_ca`), "
                f"so it writes `ssl_verify_client {verify};`, which nginx does not know",
                "on",
            )
        )
    depth_text = ingress.annotation(PREFIX + "auth-tls-verify-depth")  # parseInt: strconv.Atoi on the raw value
    depth = 1
    if depth_text is not None:
        depth = int(depth_text) if GO_ATOI.fullmatch(depth_text) else 0  # strconv.Atoi: no spaces, no '_'
        if depth == 0:
            depth = 1
            findings.append(
                ingress_finding(
                    code="annotation-invalid-value",
                    severity=Severity.WARNING,
                    title=f"auth-tls-verify-depth '{depth_text}' becomes 1",
                    detail="A value that is not a whole number (Go's strconv.Atoi), or 0, silently becomes the default depth 1.",
                    fix=annotate(ingress, "auth-tls-verify-depth", "1"),
                    ingress=ingress,
                )
            )
        elif depth < 0:
            findings.append(
                ingress_finding(
                    code="annotation-invalid-value",
                    severity=Severity.ERROR,
                    title=f"auth-tls-verify-depth {depth} is negative: nginx refuses the configuration",
                    detail="The controller renders ssl_verify_depth as given and nginx rejects the reload.",
                    fix=annotate(ingress, "auth-tls-verify-depth", "1"),
                    ingress=ingress,
                )
            )
    fields["verify_depth"] = depth
    for name, (field_name, parse, expected, example, why) in VALIDATED.items():
        value = ingress.annotation(PREFIX + name)  # checkAnnotation validates the raw value
        if value is None or value == "":  # checkAnnotation: empty values are not validated, parseString skips them
            continue
        parsed = parse(value, rules) if rules.validators else as_given(name, value, rules)
        if parsed is not None:
            if parsed != "":  # parseString: a value empty once trimmed is skipped
                fields[field_name] = normalized(parsed) if isinstance(parsed, str) else parsed
            continue
        if name == "auth-tls-error-page":  # what this release's redirectRegex takes
            expected, why = error_page_words(rules)
        findings.append(dropped_finding(ingress, name, value, expected, example, why(value) if callable(why) else why))
        return ParsedAuthTls(ingress, {}, tuple(findings), dropped=True)
    findings += as_rendered(ingress, fields, rules)
    return ParsedAuthTls(
        ingress, fields, tuple(findings), ca=bool(stored and stored.ca), secret_unseen=unseen, stored=stored
    )


def _secret_under_another_key(ingress: IngressObj) -> bool:
    """An auth-tls-secret under a key the controller does not read (another prefix, a typo of it)."""
    read = {(PREFIX + "auth-tls-secret").lower(), (ingress.prefix + "auth-tls-secret").lower()}
    return any(key.lower().endswith("auth-tls-secret") and key.lower() not in read for key, _ in ingress.annotations)


def _ca_secret_ref(ingress: IngressObj, snapshot: ClusterSnapshot | None) -> str:
    """The Secret the annotation most likely meant: the one Secret of the Ingress's namespace with a
    ca.crt among the objects read; with none or several, a placeholder (the user's to choose)."""
    found = [
        s.ref for s in (snapshot.secrets if snapshot else ()) if s.namespace == ingress.namespace and s.get("ca.crt")
    ]
    return found[0] if len(found) == 1 else f"{ingress.namespace}/SECRET"


def _add_client_ca(ingress: IngressObj) -> str:
    """A Secret holding the client CA (from the seed's ca.crt), written first, then named by the
    Ingress: never a placeholder (a Secret that does not exist makes every path of the host
    answer 403)."""
    ref = f"{ingress.namespace}/{ingress.name}-client-ca"
    return (
        f"{secret_update_command(ref, keys=('ca.crt',))} && "
        f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + 'auth-tls-secret=' + ref)} --overwrite"
    )


def pass_certificate_into_tls(ingress: IngressObj) -> Finding | None:
    """auth-tls-pass-certificate-to-upstream only adds the `ssl-client-cert` request header
    (nginx.tmpl: proxy_set_header ssl-client-cert $ssl_client_escaped_cert); nginx opens its own TLS
    connection to an HTTPS backend and cannot present the client's certificate in it (the key stays
    with the client). A backend that asks for a certificate in its handshake answers nginx with a
    handshake failure: 502 (kubernetes/ingress-nginx issue 5922; measured with openssl s_server -Verify)."""
    protocol = (ingress.annotation(PREFIX + "backend-protocol") or "").upper()
    if protocol not in ("HTTPS", "GRPCS") or not GO_BOOLS.get(
        ingress.annotation(PREFIX + "auth-tls-pass-certificate-to-upstream") or "", False
    ):
        return None
    bare = not (ingress.annotation(PREFIX + "auth-tls-secret") or "").strip()  # authtls Parse: an empty Config
    return ingress_finding(
        code="pass-certificate-not-tls",
        severity=Severity.WARNING,
        title=f"auth-tls-pass-certificate-to-upstream sends the client's certificate as a header, not in nginx's "
        f"TLS to the {protocol} backend"
        + (": without auth-tls-secret not even the header is sent, no certificate is asked" if bare else ""),
        detail="The annotation adds the request header ssl-client-cert (URL-escaped PEM) and nothing else. nginx's "
        "own connection to the backend cannot carry the client's certificate: a backend that requires a client "
        "certificate in its handshake refuses nginx (502), whatever the header says. Either the backend reads the "
        "header, or nginx presents a certificate of its own (proxy-ssl-secret), or TLS passes through to the "
        "backend untouched (ssl-passthrough, which ends every check of nginx's).",
        fix="",  # which of the three is the user's call: no command to guess it
        ingress=ingress,
        evidence=(f"{PREFIX}backend-protocol: {protocol}", f"{PREFIX}auth-tls-pass-certificate-to-upstream: true"),
    )
