"""The cloud load balancer in front of the controller: whether it ends the client's TLS itself.

The controller's Service of type LoadBalancer is turned into a cloud load balancer by the cloud's
controller, from the Service's annotations. When a listener holds a certificate of its own, the
client's handshake ends there: nginx behind it never sees a client certificate, whatever auth-tls
says. What the client then gets depends on what the load balancer sends on and to which of nginx's
listeners the port's targetPort leads. Which annotations end TLS, cloud by cloud, is lb_clouds.py's,
citing each cloud controller's source; what nginx answers is measured in tests/test_lb_tls_termination.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, KubeResource, Severity
from mtls_tui.policy.ingress_nginx.cert_answers import refused_answer
from mtls_tui.policy.ingress_nginx.lb_clouds import HTTPS_PORT, PREFIXES, Sends, ends_tls
from mtls_tui.policy.nginx_answers import NO_CERT
from mtls_tui.policy.values import as_dict
from mtls_tui.shell import arg, json_arg

SERVICE_NAME = "ingress-nginx-controller"  # the name every ingress-nginx install gives the controller's Service
# Which of nginx's listeners the port's targetPort is (nginx.tmpl define "SERVER": buildHTTPListener
# on the container port "http", 80, and buildHTTPSListener on "https", 443, with `ssl`).
Listener = Literal["tls", "http", "other"]
SENT: dict[str, str] = {"tcp": "the decrypted bytes", "http": "plain HTTP", "tls": "a TLS connection of its own"}


@dataclass(frozen=True)
class LbTermination:
    """A load balancer listener that ends TLS for the Service's HTTPS port."""

    service: KubeResource
    provider: str
    sends: Sends
    listener: Listener
    target: str  # the port's targetPort, as written
    evidence: tuple[str, ...]
    fix: str


def _services(controller: ControllerObj, snapshot: ClusterSnapshot) -> list[KubeResource]:
    """The Services in the controller's namespace with a selector every label of which its pods
    carry, then those named ingress-nginx-controller."""
    services = [s for s in snapshot.of_kind("Service", "") if s.namespace == controller.namespace]
    pods = dict(controller.pod_labels)

    def selects(service: KubeResource) -> bool:
        selector = as_dict(as_dict(service.body.get("spec")).get("selector"))
        return bool(selector) and all(pods.get(str(k)) == str(v) for k, v in selector.items())

    return [s for s in services if selects(s)] + [s for s in services if s.name == SERVICE_NAME and not selects(s)]


def controller_service(controller: ControllerObj, snapshot: ClusterSnapshot) -> KubeResource | None:
    """The controller's Service of type LoadBalancer (the first of `_services`)."""
    return next(
        (s for s in _services(controller, snapshot) if as_dict(s.body.get("spec")).get("type") == "LoadBalancer"), None
    )


def service_unseen(controller: ControllerObj | None, snapshot: ClusterSnapshot) -> bool:
    """Manifests with the controller's Deployment but none of its Services: whether a load balancer
    in front ends TLS or sends a PROXY header is not checked. Not a reason to call the host unverified
    (most dumps lack the Service): a note, as for a controller not among the files."""
    return controller is not None and not snapshot.complete and not _services(controller, snapshot)


def service_annotations(service: KubeResource) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(as_dict(service.body.get("metadata")).get("annotations")).items()}


def service_spec(service: KubeResource) -> dict[str, Any]:
    return as_dict(service.body.get("spec"))


def https_port(service: KubeResource) -> tuple[int, dict[str, Any]] | None:
    """The Service port clients ask HTTPS of: 443, else the one named https."""
    ports = [p for p in (as_dict(p) for p in as_dict(service.body.get("spec")).get("ports") or []) if p]
    tcp = [(i, p) for i, p in enumerate(ports) if str(p.get("protocol") or "TCP") == "TCP"]
    return next((x for x in tcp if x[1].get("port") == HTTPS_PORT), None) or next(
        (x for x in tcp if x[1].get("name") == "https"), None
    )


def listener(target: str) -> Listener:
    return "tls" if target in ("https", "443") else "http" if target in ("http", "80") else "other"


def lb_termination(controller: ControllerObj, snapshot: ClusterSnapshot) -> LbTermination | None:
    """The load balancer listener in front of the controller's HTTPS port that ends TLS, if any."""
    service = controller_service(controller, snapshot)
    found = https_port(service) if service is not None else None
    if service is None or found is None:
        return None
    index, port = found
    annotations = service_annotations(service)
    ended = ends_tls(annotations, service_spec(service), port)
    if ended is None:
        return None
    target = str(port.get("targetPort") or port.get("port"))
    evidence = tuple(f"{k}: {v}" for k, v in sorted(annotations.items()) if k.startswith(PREFIXES))
    words = f"{arg(service.name)} -n {arg(service.namespace)}"
    fix = f"kubectl annotate service {words} {' '.join(map(arg, ended.change))} --overwrite"
    if listener(target) != "tls":
        patch = [{"op": "replace", "path": f"/spec/ports/{index}/targetPort", "value": "https"}]
        fix += f" && kubectl patch service {words} --type json -p {json_arg(patch)}"
    return LbTermination(service, ended.provider, ended.sends, listener(target), target, evidence, fix)


NO_CERT_REFUSAL = f'400 "{NO_CERT}"'


def lb_terminates_tls(
    host: str,
    verify_client: str,
    controller: ControllerObj | None,
    snapshot: ClusterSnapshot,
    redirected: bool,
    error_page: str | None = None,
) -> list[Finding]:
    """lb-terminates-tls: the host asks for client certificates, and the load balancer in front ends
    TLS before nginx. What each client gets, measured with a TLS-ending proxy before a real nginx
    (tests/test_lb_tls_termination.py): a TLS connection of the balancer's own to nginx's TLS listener
    carries no client certificate (400 "No required SSL certificate was sent" with verify on; served
    unchecked with optional); plain bytes on the TLS listener get 400 "The plain HTTP request was sent
    to HTTPS port"; a TLS connection to the HTTP listener fails, and the client's is closed unanswered;
    on the HTTP listener, the HTTPS redirect (lua_ingress.lua redirect_to_https) sends
    the client back to the balancer without end, and without it nginx serves the request unchecked.
    With an auth-tls-error-page the refusal is the page's (cert_answers.refused_answer)."""
    if controller is None:
        return []
    ended = lb_termination(controller, snapshot)
    if ended is None:
        return []
    # lua_ingress.lua rewrite: with use-forwarded-headers the scheme is the X-Forwarded-Proto an HTTP
    # target gets from the balancer ("https"): no redirect then
    redirects = redirected and not (controller.use_forwarded_headers and ended.sends == "http")
    if ended.listener == "tls" and ended.sends == "tls":
        gets = (
            f"every client gets {refused_answer(error_page, NO_CERT_REFUSAL)}"
            if verify_client == "on"
            else f"every request is served without a client certificate (verify {verify_client})"
        )
    elif ended.listener == "tls":
        gets = 'every client gets 400 "The plain HTTP request was sent to HTTPS port"'
    elif ended.listener == "http" and ended.sends == "tls":
        # measured: nginx answers the balancer's ClientHello with a plain-text 400, the balancer's
        # handshake fails, and the client's connection ends without an answer
        gets = "every connection is closed without an answer (nginx's HTTP listener refuses the balancer's TLS)"
    elif ended.listener == "http":
        gets = (
            "every client is redirected to https:// and comes back through the balancer as plain HTTP, without end"
            if redirects
            else "every request is served without any client certificate check"
        )
    else:
        gets = f"what nginx does on targetPort {ended.target} is unverified; no client certificate reaches it"
    return [
        Finding(
            code="lb-terminates-tls",
            severity=Severity.ERROR,
            title=f"{host}: the {ended.provider} of Service {ended.service.ref} ends TLS itself: {gets}",
            detail=f"The Service's annotations give its HTTPS port a certificate of the load balancer's own, so the "
            f"client's TLS handshake ends there and nginx never sees a client certificate; the balancer sends nginx "
            f"{SENT[ended.sends]} "
            f"on targetPort {ended.target}. Client certificates need the TLS to reach nginx: let the balancer pass "
            "TCP (or TLS) through and have the port lead to nginx's https listener.",
            fix=ended.fix,
            subject=f"Service {ended.service.ref}",
            evidence=ended.evidence,
            then="clients then get the certificate of the host's tls: section from nginx, not the balancer's; the "
            "cloud controller reconfigures the listener (an AWS NLB's type itself cannot change)",
        )
    ]


def lb_unseen(controller: ControllerObj | None, snapshot: ClusterSnapshot) -> list[str]:
    """The controller's Services, when our credentials could not list them: whether a load balancer
    ends TLS in front of it is then unverified, never guessed."""
    if controller is None or ("Service", controller.namespace, "") not in snapshot.forbidden:
        return []
    return [f"the Services of namespace {controller.namespace} (its load balancer)"]
