"""The cloud load balancer in front of the controller: whether it ends the client's TLS itself.

The controller's Service of type LoadBalancer is turned into a cloud load balancer by the cloud's
controller, from the Service's annotations. When a listener holds a certificate of its own, the
client's handshake ends there: nginx behind it never sees a client certificate, whatever auth-tls
says. What the client then gets depends on what the load balancer sends on and to which of nginx's
listeners the port's targetPort leads. Each rule cites the cloud controller's source (snapshots of
kubernetes/cloud-provider-aws, kubernetes-sigs/aws-load-balancer-controller and
digitalocean/digitalocean-cloud-controller-manager) and the measurement in
tests/test_lb_tls_termination.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, KubeResource, Severity
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.shell import arg, json_arg

AWS = "service.beta.kubernetes.io/aws-load-balancer-"
DO = "service.beta.kubernetes.io/do-loadbalancer-"
SERVICE_NAME = "ingress-nginx-controller"  # the name every ingress-nginx install gives the controller's Service
HTTPS_PORT = 443

# What the load balancer sends nginx once it has ended the client's TLS: "tcp", the client's bytes
# decrypted (an SSL/TLS listener with a TCP target); "http", a proxied request with X-Forwarded-Proto
# (an HTTPS listener with an HTTP target); "tls", a TLS connection of its own, without a client
# certificate (a TLS or HTTPS target).
Sends = Literal["tcp", "http", "tls"]
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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def controller_service(controller: ControllerObj, snapshot: ClusterSnapshot) -> KubeResource | None:
    """The controller's Service of type LoadBalancer: in its namespace, with a selector every label
    of which the controller's pods carry, or, failing that, named ingress-nginx-controller."""
    services = [
        s
        for s in snapshot.of_kind("Service", "")
        if s.namespace == controller.namespace and _dict(s.body.get("spec")).get("type") == "LoadBalancer"
    ]
    pods = dict(controller.pod_labels)

    def selects(service: KubeResource) -> bool:
        selector = _dict(_dict(service.body.get("spec")).get("selector"))
        return bool(selector) and all(pods.get(str(k)) == str(v) for k, v in selector.items())

    return next(filter(selects, services), None) or next((s for s in services if s.name == SERVICE_NAME), None)


def _https_port(service: KubeResource) -> tuple[int, dict[str, Any]] | None:
    """The Service port clients ask HTTPS of: 443, else the one named https."""
    ports = [p for p in (_dict(p) for p in _dict(service.body.get("spec")).get("ports") or []) if p]
    tcp = [(i, p) for i, p in enumerate(ports) if str(p.get("protocol") or "TCP") == "TCP"]
    return next((x for x in tcp if x[1].get("port") == HTTPS_PORT), None) or next(
        (x for x in tcp if x[1].get("name") == "https"), None
    )


def _listener(target: str) -> Listener:
    return "tls" if target in ("https", "443") else "http" if target in ("http", "80") else "other"


def _in(ports: str, port: dict[str, Any]) -> bool:
    """cloud-provider-aws aws.go getPortSets (and the Load Balancer Controller's tlsPortsSet): a
    comma-separated list of numbers and names; empty (or "*" in-tree) means every port."""
    wanted = {p.strip() for p in ports.split(",") if p.strip()}
    return not wanted or "*" in wanted or str(port.get("port")) in wanted or str(port.get("name") or "") in wanted


def _aws(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> tuple[str, Sends] | None:
    """Whether AWS ends TLS on `port`, and what it sends on.
    In-tree (cloud-provider-aws pkg/providers/v1/aws.go EnsureLoadBalancer): with aws-load-balancer-ssl-cert
    set and the port among aws-load-balancer-ssl-ports, an NLB (aws-load-balancer-type nlb) gets a TLS
    listener whose target is TCP, or TLS when backend-protocol is "ssl"; a Classic ELB (buildListener) gets
    an SSL listener to TCP when backend-protocol is unset or "tcp", HTTPS to HTTP for "http", and HTTPS/SSL
    to HTTPS/SSL for "https"/"ssl" (backendProtocolMapping). The AWS Load Balancer Controller (type
    external or nlb-ip, or spec.loadBalancerClass service.k8s.aws/nlb; pkg/service/model_build_listener.go
    buildListenerSpec) does as the in-tree NLB."""
    certificate = annotations.get(AWS + "ssl-cert", "")
    if not certificate or not _in(annotations.get(AWS + "ssl-ports", ""), port):
        return None
    kind = annotations.get(AWS + "type", "")
    protocol = annotations.get(AWS + "backend-protocol", "")
    if kind in ("nlb", "nlb-ip", "external") or spec.get("loadBalancerClass") == "service.k8s.aws/nlb":
        owner = "AWS NLB (cloud-provider-aws)" if kind == "nlb" else "AWS NLB (AWS Load Balancer Controller)"
        return owner, "tls" if protocol == "ssl" else "tcp"
    sends: dict[str, Sends] = {"": "tcp", "tcp": "tcp", "http": "http", "https": "tls", "ssl": "tls"}
    # another backend-protocol is refused ("Invalid backend protocol"): no listener is made
    return ("AWS Classic ELB (cloud-provider-aws)", sends[protocol]) if protocol in sends else None


def _do(annotations: dict[str, str], port: dict[str, Any]) -> tuple[str, Sends] | None:
    """digitalocean-cloud-controller-manager cloud-controller-manager/do/loadbalancers.go
    buildForwardingRules: with a certificate (do-loadbalancer-certificate-id or -certificate-name) the
    ports of do-loadbalancer-tls-ports (443 when none is listed), or every port when
    do-loadbalancer-protocol is https/http2, are HTTPS rules; buildTLSForwardingRule gives them the
    certificate and an HTTP target. With do-loadbalancer-tls-passthrough the rule passes TLS through,
    and with both the controller refuses the Service (no rule changes)."""
    certificate = annotations.get(DO + "certificate-id") or annotations.get(DO + "certificate-name")
    passthrough = GO_BOOLS.get(annotations.get(DO + "tls-passthrough", ""), False)
    if not certificate or passthrough:
        return None
    listed = {p.strip() for p in annotations.get(DO + "tls-ports", "").split(",") if p.strip()}
    listed |= {p.strip() for p in annotations.get(DO + "http2-ports", "").split(",") if p.strip()}
    secure = annotations.get(DO + "protocol") in ("https", "http2") or str(port.get("port")) in (
        listed or {str(HTTPS_PORT)}
    )
    return ("DigitalOcean load balancer", "http") if secure else None


def lb_termination(controller: ControllerObj, snapshot: ClusterSnapshot) -> LbTermination | None:
    """The load balancer listener in front of the controller's HTTPS port that ends TLS, if any."""
    service = controller_service(controller, snapshot)
    found = _https_port(service) if service is not None else None
    if service is None or found is None:
        return None
    index, port = found
    annotations = {str(k): str(v) for k, v in _dict(_dict(service.body.get("metadata")).get("annotations")).items()}
    spec = _dict(service.body.get("spec"))
    ended = _aws(annotations, spec, port) or _do(annotations, port)
    if ended is None:
        return None
    provider, sends = ended
    target = str(port.get("targetPort") or port.get("port"))
    evidence = tuple(f"{k}: {v}" for k, v in sorted(annotations.items()) if k.startswith((AWS, DO)))
    words = f"{arg(service.name)} -n {arg(service.namespace)}"
    if provider.startswith("DigitalOcean"):
        removed = [k + "-" for k in (DO + "certificate-id", DO + "certificate-name") if k in annotations]
        change = [DO + "tls-passthrough=true", *removed]
    else:
        removed = [k + "-" for k in (AWS + "ssl-cert", AWS + "ssl-ports", AWS + "backend-protocol") if k in annotations]
        change = removed
    fix = f"kubectl annotate service {words} {' '.join(map(arg, change))} --overwrite"
    if _listener(target) != "tls":
        patch = [{"op": "replace", "path": f"/spec/ports/{index}/targetPort", "value": "https"}]
        fix += f" && kubectl patch service {words} --type json -p {json_arg(patch)}"
    return LbTermination(service, provider, sends, _listener(target), target, evidence, fix)


def lb_terminates_tls(
    host: str, verify_client: str, controller: ControllerObj | None, snapshot: ClusterSnapshot, redirected: bool
) -> list[Finding]:
    """lb-terminates-tls: the host asks for client certificates, and the load balancer in front ends
    TLS before nginx. What each client gets, measured with a TLS-ending proxy before a real nginx
    (tests/test_lb_tls_termination.py): a TLS connection of the balancer's own to nginx's TLS listener
    carries no client certificate (400 "No required SSL certificate was sent" with verify on; served
    unchecked with optional); plain bytes on the TLS listener get 400 "The plain HTTP request was sent
    to HTTPS port"; a TLS connection to the HTTP listener fails, and the client's is closed unanswered;
    on the HTTP listener, the HTTPS redirect (lua_ingress.lua redirect_to_https) sends
    the client back to the balancer without end, and without it nginx serves the request unchecked."""
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
            'every client gets 400 "No required SSL certificate was sent"'
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
