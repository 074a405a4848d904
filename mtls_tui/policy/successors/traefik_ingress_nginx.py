"""Traefik's `kubernetesIngressNGINX` provider (v3.7+): ingress-nginx's own Ingresses, auth-tls
annotations and all, served by Traefik (docs/successors.md section 3b, TN1-TN5).

Rules from traefik/traefik fd5a576d, pkg/provider/kubernetes/ingress-nginx/:
- annotations.go parses `auth-tls-secret`, `auth-tls-verify-client` and
  `auth-tls-pass-certificate-to-upstream` only; depth, error page and match-cn are not read.
- build.go `buildClientAuthTLSOption`: the Secret must be `namespace/name`, in the Ingress's
  namespace unless `allowCrossNamespaceResources`, and hold `ca.crt`; any of these failing skips
  the whole Ingress ("Cannot build client auth TLS option, skipping ingress"): no router, the host
  is not served. (ingress-nginx served a Secret without ca.crt with mTLS off.)
- `clientAuthTypeFromString`: unset or unknown -> RequireAndVerifyClientCert, `off` -> NoClientCert,
  `optional` -> VerifyClientCertIfGiven, `optional_no_ca` -> RequestClientCert.
- The TLS option then goes through Traefik's `buildTLSConfig` (traefik.py): Go crypto/tls answers.

Which Ingresses: the provider's default controller class is `k8s.io/ingress-nginx`
(kubernetes.go `defaultControllerName`), the same string as ingress-nginx's. An Ingress
ingress-nginx serves stays with policy/ingress_nginx/; this reader takes an Ingress of such a
class only where the snapshot knows the cluster's controllers and no ingress-nginx controller
serves it (`serving_controller`).
"""

from __future__ import annotations

from mtls_tui.model import ClusterSnapshot, Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_words
from mtls_tui.policy.ingress_nginx.serving import serving_controller
from mtls_tui.policy.kube_objects import NGINX_CONTROLLER
from mtls_tui.policy.secret_commands import add_ca_command
from mtls_tui.policy.successors.common import Breakage, ClientCertMode, ClientValidation
from mtls_tui.policy.successors.traefik import HTTPS_PORT, go_pool_accepts, go_pool_pem, ingress_hosts
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg

CONTROLLER = NGINX_CONTROLLER  # kubernetes.go defaultControllerName: Traefik claims ingress-nginx's class
VERIFY_CLIENT: dict[str, tuple[str, ClientCertMode]] = {  # clientAuthTypeFromString
    "off": ("NoClientCert", "none"),
    "optional": ("VerifyClientCertIfGiven", "verify-if-given"),
    "optional_no_ca": ("RequestClientCert", "request"),
}
REQUIRE: tuple[str, ClientCertMode] = ("RequireAndVerifyClientCert", "require-and-verify")
NOT_READ = {  # annotations.go has no field for these
    "auth-tls-verify-depth": ("verify-depth-ignored", Severity.WARNING),
    "auth-tls-match-cn": ("match-cn-ignored", Severity.ERROR),
    "auth-tls-error-page": ("error-page-ignored", Severity.WARNING),
}


def read_traefik_ingress_nginx(snapshot: ClusterSnapshot) -> list[ClientValidation]:
    """One ClientValidation per TLS host of each Ingress with auth-tls-secret that Traefik's
    kubernetesIngressNGINX provider serves."""
    found = []
    for ingress in snapshot.ingresses:
        if ingress.annotation(PREFIX + "auth-tls-secret") is None or not provider_serves(ingress, snapshot):
            continue
        found += ingress_validations(ingress, snapshot)
    return found


def provider_serves(ingress: IngressObj, snapshot: ClusterSnapshot) -> bool:
    """The Ingress's class names `k8s.io/ingress-nginx`, and the cluster snapshot has no
    ingress-nginx controller: an ingress-nginx controller that is there but does not serve it
    (another namespace watched, flags it refuses) is that controller's finding, not a sign of
    Traefik."""
    klass = next((c for c in snapshot.ingress_classes if c.name == ingress.ingress_class), None)
    if klass is None or klass.controller != CONTROLLER or not snapshot.controllers_known:
        return False
    if snapshot.controllers:
        return False
    controller, _ = serving_controller(ingress, snapshot)
    return controller is None


def ingress_validations(ingress: IngressObj, snapshot: ClusterSnapshot) -> list[ClientValidation]:
    value = (ingress.annotation(PREFIX + "auth-tls-secret") or "").strip()
    findings = _not_read(ingress)
    type_name, mode = _mode(ingress)
    if mode != "require-and-verify":
        findings.append(_fallback(ingress, type_name))
    skip, ca, unseen = _secret(ingress, value, snapshot)
    breakage: Breakage | None = None
    if skip is not None:
        findings.insert(0, skip)
        breakage = "not-served"
    elif ca is not None and not go_pool_accepts(ca):
        findings.insert(0, _ca_unloadable(ingress, value))
        breakage = "connection-closed"
    return [
        ClientValidation(
            implementation="traefik",
            data_plane="go",
            host=host,
            port=HTTPS_PORT,
            scope="host",
            shared_with=(),
            mode="none" if breakage else mode,
            ca_refs=(f"Secret {value} key ca.crt",),
            ca_pem=None if ca is None else go_pool_pem([ca]),  # what crypto/tls verifies with
            decided_by=(f"Ingress {ingress.ref}",),
            findings=tuple(findings),
            breakage=breakage,
            verify_depth=None,
            unseen=unseen,
        )
        for host in ingress_hosts(ingress)
    ]


def _mode(ingress: IngressObj) -> tuple[str, ClientCertMode]:
    verify = ingress.annotation(PREFIX + "auth-tls-verify-client")
    return VERIFY_CLIENT.get(verify.strip() if verify else "", REQUIRE)


def _secret(
    ingress: IngressObj, value: str, snapshot: ClusterSnapshot
) -> tuple[Finding | None, bytes | None, tuple[str, ...]]:
    """`buildClientAuthTLSOption`: (why the Ingress is skipped, the CA, what was not read)."""
    namespace, _, name = value.partition("/")
    if not namespace or not name:
        return (
            _skipped(ingress, "ca-ref-not-found", "auth-tls-secret must be in namespace/name format", value),
            None,
            (),
        )
    if namespace != ingress.namespace:
        return (
            _skipped(
                ingress,
                "ca-ref-not-permitted",
                f"cross-namespace auth-tls-secret not allowed: {clipped(value)}",
                value,
                " unless the provider runs with allowCrossNamespaceResources",
            ),
            None,
            (),
        )
    secret = snapshot.secret(value)
    if secret is None:
        problem = snapshot.secret_problem(value)
        if snapshot.complete and (problem is None or problem.status == "not-found"):
            return _skipped(ingress, "ca-ref-not-found", f'secrets "{name}" not found', value), None, ()
        return None, None, (f"Secret {value}",)
    ca = secret.get("ca.crt")
    if ca is None:
        return (
            _skipped(
                ingress,
                "ca-ref-no-ca-key",
                "secret does not contain a CA certificate",
                value,
                f" (it holds {', '.join(secret.keys) or 'no keys'}; ingress-nginx served such a host with mTLS off)",
            ),
            None,
            (),
        )
    return None, ca, ()


def _skipped(ingress: IngressObj, code: str, reason: str, value: str, more: str = "") -> Finding:
    namespace, _, name = value.partition("/")
    fix = (
        add_ca_command(value)
        if code == "ca-ref-no-ca-key"
        else f"kubectl get secret {arg(name)} -n {arg(namespace)} -o yaml | sed "
        f"{arg('s/namespace: ' + namespace + '/namespace: ' + ingress.namespace + '/')} | kubectl apply -f - && "
        f"kubectl annotate ingress {ingress_words(ingress)} {arg(PREFIX + 'auth-tls-secret=' + ingress.namespace + '/' + name)} --overwrite"
        if code == "ca-ref-not-permitted"
        else f"kubectl create secret generic {arg(name or 'CA-SECRET')} -n {arg(ingress.namespace)} --from-file=ca.crt=ca.crt"
    )
    return Finding(
        code=code,
        severity=Severity.ERROR,
        title=f"Traefik skips Ingress {ingress.ref}: {reason}",
        detail="Traefik's kubernetesIngressNGINX provider cannot build the client-auth TLS option and skips the whole "
        f"Ingress (build.go: 'Cannot build client auth TLS option, skipping ingress'){more}: no router, its hosts are "
        "not served (404).",
        fix=fix,
        subject=f"Ingress {ingress.ref}",
        evidence=(f"{PREFIX}auth-tls-secret: {clipped(value)}",),
    )


def _ca_unloadable(ingress: IngressObj, value: str) -> Finding:
    return Finding(
        code="tls-option-broken",
        severity=Severity.ERROR,
        title=f"the ca.crt of {value} holds no certificate Go can load: Traefik closes every connection for Ingress {ingress.ref}",
        detail="buildTLSConfig fails ('invalid certificate(s) content') and the hosts get the closing route: the "
        "connection is closed in the handshake (fail closed).",
        fix=add_ca_command(value),
        subject=f"Ingress {ingress.ref}",
    )


def _fallback(ingress: IngressObj, type_name: str) -> Finding:
    verify = ingress.annotation(PREFIX + "auth-tls-verify-client")
    return Finding(
        code="mtls-fallback-mode",
        severity=Severity.WARNING,  # the objects\' own choice: as ingress-nginx\'s optional (README: exit 0)
        title=f"auth-tls-verify-client {verify}: Traefik runs {type_name}, clients without a trusted certificate get in",
        detail=f"clientAuthTypeFromString maps '{verify}' to {type_name}; only on (or unset) requires a verified "
        "certificate, and Traefik rejects in the TLS handshake rather than with HTTP 400.",
        fix=f"kubectl annotate ingress {ingress_words(ingress)} {arg(PREFIX + 'auth-tls-verify-client=on')} --overwrite",
        subject=f"Ingress {ingress.ref}",
        evidence=(f"{PREFIX}auth-tls-verify-client: {verify}",),
    )


def _not_read(ingress: IngressObj) -> list[Finding]:
    findings = []
    for name, (code, severity) in NOT_READ.items():
        value = ingress.annotation(PREFIX + name)
        if value is None:
            continue
        findings.append(
            Finding(
                code=code,
                severity=severity,
                title=f"{PREFIX}{name} is not read by Traefik's kubernetesIngressNGINX provider",
                detail=_not_read_detail(name)
                + (
                    " The fix removes the annotation; then check the subject in the upstream (Ssl-Client-Subject-Dn)."
                    if code == "match-cn-ignored"
                    else " The fix removes the annotation, which has no effect on Traefik."
                ),
                fix=f"kubectl annotate ingress {ingress_words(ingress)} {arg(PREFIX + name + '-')}",
                subject=f"Ingress {ingress.ref}",
                evidence=(f"{PREFIX}{name}: {clipped(value)}",),
            )
        )
    return findings


def _not_read_detail(name: str) -> str:
    if name == "auth-tls-verify-depth":
        return "Go's crypto/tls has no depth limit: a client certificate any number of intermediates below the CA is accepted."
    if name == "auth-tls-match-cn":
        return "Every client certificate the CA signed gets in, whatever its CN: the restriction is lost."
    return "A refused client gets a TLS alert in the handshake, not a redirect to the error page."
