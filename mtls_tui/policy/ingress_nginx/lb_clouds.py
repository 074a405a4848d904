"""Which Service annotations make each cloud's load balancer end TLS, and what it sends on.

One reader a cloud controller, each citing the function of the controller's source (snapshots
fetched with the search tool's `fetch`; tests/test_lb_tls_termination.py names the commits) that
turns the annotations into a listener holding a certificate. A reader answers for one Service
port: None when that port's TLS reaches the targets as the client sent it, or when the
controller refuses the annotations (then it changes no listener).

Pass-through, with no reader: Azure (kubernetes-sigs/cloud-provider-azure pkg/provider/
azure_loadbalancer.go getExpectedLoadBalancingRulePropertiesForPort builds a load-balancing rule
of a transport protocol from azure_standard.go getProtocolsFromKubernetesProtocol, TCP/UDP/All,
with no certificate anywhere) and GCP (kubernetes/cloud-provider-gcp providers/gce/
gce_loadbalancer_external.go ensureExternalLoadBalancer and createForwardingRule, and
gce_loadbalancer_internal.go ensureInternalLoadBalancer: a forwarding rule of IPProtocol TCP/UDP to
a target pool or backend service, none with an SSL certificate): their L4 balancers cannot end TLS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mtls_tui.policy.go_bools import GO_BOOLS

AWS = "service.beta.kubernetes.io/aws-load-balancer-"
DO = "service.beta.kubernetes.io/do-loadbalancer-"
HETZNER = "load-balancer.hetzner.cloud/"
LINODE = "service.beta.kubernetes.io/linode-loadbalancer-"
OCI = "service.beta.kubernetes.io/oci-load-balancer-"
OCI_TYPE = "oci.oraclecloud.com/load-balancer-type"
SCALEWAY = "service.beta.kubernetes.io/scw-loadbalancer-"
PREFIXES = (
    AWS,
    DO,
    HETZNER,
    LINODE,
    OCI,
    "oci.oraclecloud.com/",
    "oci-network-load-balancer.oraclecloud.com/",
    SCALEWAY,
)
HTTPS_PORT = 443

# What the load balancer sends nginx once it has ended the client's TLS: "tcp", the client's bytes
# decrypted (an SSL/TLS listener with a TCP target); "http", a proxied request with X-Forwarded-Proto
# (an HTTPS listener with an HTTP target); "tls", a TLS connection of its own, without a client
# certificate (a TLS or HTTPS target).
Sends = Literal["tcp", "http", "tls"]


@dataclass(frozen=True)
class Ended:
    """A listener that ends TLS: whose it is, what it sends, and the `kubectl annotate` arguments
    that make the port pass TLS through instead."""

    provider: str
    sends: Sends
    change: tuple[str, ...]


Reader = Callable[[dict[str, str], dict[str, Any], dict[str, Any]], Ended | None]


def _removed(annotations: dict[str, str], *keys: str) -> tuple[str, ...]:
    return tuple(k + "-" for k in keys if k in annotations)


def _in(ports: str, port: dict[str, Any]) -> bool:
    """cloud-provider-aws aws.go getPortSets (and the Load Balancer Controller's tlsPortsSet): a
    comma-separated list of numbers and names; empty (or "*" in-tree) means every port."""
    wanted = {p.strip() for p in ports.split(",") if p.strip()}
    return not wanted or "*" in wanted or str(port.get("port")) in wanted or str(port.get("name") or "") in wanted


def aws_lbc(annotations: dict[str, str], spec: dict[str, Any]) -> bool:
    """The AWS Load Balancer Controller's Service (service_utils.go checkAWSLoadBalancerTypeAnnotation:
    type external or nlb-ip, or spec.loadBalancerClass service.k8s.aws/nlb), not the in-tree provider's."""
    kind = annotations.get(AWS + "type", "")
    return kind in ("nlb-ip", "external") or spec.get("loadBalancerClass") == "service.k8s.aws/nlb"


def _aws(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
    """In-tree (cloud-provider-aws pkg/providers/v1/aws.go EnsureLoadBalancer): with aws-load-balancer-ssl-cert
    set and the port among aws-load-balancer-ssl-ports, an NLB (aws-load-balancer-type nlb) gets a TLS
    listener whose target is TCP, or TLS when backend-protocol is "ssl"; a Classic ELB (buildListener) gets
    an SSL listener to TCP when backend-protocol is unset or "tcp", HTTPS to HTTP for "http", and HTTPS/SSL
    to HTTPS/SSL for "https"/"ssl" (backendProtocolMapping). The AWS Load Balancer Controller
    (pkg/service/model_build_listener.go buildListenerSpec) does as the in-tree NLB."""
    certificate = annotations.get(AWS + "ssl-cert", "")
    if not certificate or not _in(annotations.get(AWS + "ssl-ports", ""), port):
        return None
    change = _removed(annotations, AWS + "ssl-cert", AWS + "ssl-ports", AWS + "backend-protocol")
    protocol = annotations.get(AWS + "backend-protocol", "")
    if annotations.get(AWS + "type", "") == "nlb" or aws_lbc(annotations, spec):
        owner = (
            "AWS NLB (AWS Load Balancer Controller)" if aws_lbc(annotations, spec) else "AWS NLB (cloud-provider-aws)"
        )
        return Ended(owner, "tls" if protocol == "ssl" else "tcp", change)
    sends: dict[str, Sends] = {"": "tcp", "tcp": "tcp", "http": "http", "https": "tls", "ssl": "tls"}
    # another backend-protocol is refused ("Invalid backend protocol"): no listener is made
    return Ended("AWS Classic ELB (cloud-provider-aws)", sends[protocol], change) if protocol in sends else None


def _do(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
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
    change = (DO + "tls-passthrough=true", *_removed(annotations, DO + "certificate-id", DO + "certificate-name"))
    return Ended("DigitalOcean load balancer", "http", change) if secure else None


def _hetzner(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
    """hcloud-cloud-controller-manager internal/hcops/load_balancer.go hclbServiceOptsBuilder.extract:
    load-balancer.hetzner.cloud/protocol (lowercased and checked by internal/annotation/name.go
    validateServiceProtocol: tcp, http or https; another value fails the reconcile) is the protocol of
    the Hetzner service of every Service port (ReconcileHCLBServices), with the certificates of
    http-certificates (or a managed one, certificate-type managed). An https service ends TLS and
    forwards HTTP to the destination port (Hetzner Cloud API: https listen 443, destination 80)."""
    if annotations.get(HETZNER + "protocol", "").lower() != "https":
        return None
    change = (
        HETZNER + "protocol=tcp",
        *_removed(annotations, HETZNER + "http-certificates", HETZNER + "certificate-type"),
        *_removed(annotations, HETZNER + "http-managed-certificate-name"),
    )
    return Ended("Hetzner Cloud load balancer", "http", change)


def linode_port(annotations: dict[str, str], port: dict[str, Any]) -> dict[str, Any] | None:
    """linode-cloud-controller-manager cloud/linode/loadbalancers.go getPortConfigAnnotation: the JSON
    of linode-loadbalancer-port-<port>; Go's json.Unmarshal matches field names case-insensitively
    and fails (the reconcile with it) on a value of another type. {} when there is none."""
    raw = annotations.get(f"{LINODE}port-{port.get('port')}")
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return None
    return {str(k).lower(): v for k, v in value.items()}


def _linode(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
    """linode-cloud-controller-manager cloud/linode/loadbalancers_helpers.go getPortProtocol: the
    port's JSON "protocol", else linode-loadbalancer-default-protocol, else the port's protocol,
    lowercased; loadbalancers.go buildNodeBalancerConfig gives an "https" config the certificate of
    "tls-secret-name" (addTLSCert): the NodeBalancer ends TLS and sends a new, unencrypted HTTP request to
    the nodes (docs/examples/basic.md "HTTPS LoadBalancer with TLS termination"; Akamai's NodeBalancer
    docs, "Available protocols": HTTPS)."""
    config = linode_port(annotations, port)
    if config is None:
        return None
    protocol = (
        config.get("protocol") or annotations.get(LINODE + "default-protocol") or str(port.get("protocol") or "TCP")
    )
    if protocol.lower() != "https":
        return None
    change: tuple[str, ...] = ()
    if (config.get("protocol") or "").lower() == "https":
        kept = {k: v for k, v in config.items() if k not in ("protocol", "tls-secret-name")}
        change += (f"{LINODE}port-{port.get('port')}={json.dumps({**kept, 'protocol': 'tcp'})}",)
    if (annotations.get(LINODE + "default-protocol") or "").lower() == "https":
        change += (LINODE + "default-protocol=tcp",)
    return Ended("Linode NodeBalancer", "http", change)


def _oci(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
    """oci-cloud-controller-manager pkg/cloudprovider/providers/oci/load_balancer_spec.go: a load
    balancer of type lb (getLoadBalancerType; an nlb has no certificates, requiresCertificate) with
    oci-load-balancer-ssl-ports (numbers, load_balancer_util.go getSSLEnabledPorts; another value fails)
    holding the port and oci-load-balancer-tls-secret gets a listener with that certificate
    (getListenersOciLoadBalancer, getSSLConfiguration). Its backend set sends TCP, or HTTP with
    oci-load-balancer-backend-protocol HTTP (TCP, HTTP or GRPC; another value fails), and TLS of its
    own with oci-load-balancer-tls-backendset-secret (getBackendSets)."""
    ports = annotations.get(OCI + "ssl-ports", "")
    if annotations.get(OCI_TYPE, "").lower() == "nlb" or not annotations.get(OCI + "tls-secret") or not ports:
        return None
    try:
        if int(port.get("port") or 0) not in {int(p.strip()) for p in ports.split(",")}:
            return None
    except ValueError:
        return None
    backend = (annotations.get(OCI + "backend-protocol") or "TCP").upper()
    if backend not in ("TCP", "HTTP"):  # GRPC: not modelled; another: refused
        return None
    keys = ("ssl-ports", "tls-secret", "tls-backendset-secret", "backend-protocol")
    sends: Sends = "tls" if annotations.get(OCI + "tls-backendset-secret") else "http" if backend == "HTTP" else "tcp"
    return Ended("OCI load balancer", sends, _removed(annotations, *(OCI + k for k in keys)))


def scaleway_ports(value: str, port: dict[str, Any]) -> bool | None:
    """scaleway-cloud-controller-manager scaleway/loadbalancers.go isPortInRange: a Go bool (but "1"
    and "0", which are ports), "*", or a comma-separated list of port numbers; None: an error."""
    if value in GO_BOOLS and value not in ("1", "0"):
        return GO_BOOLS[value]
    if value in ("*", ""):
        return value == "*"
    try:
        return int(port.get("port") or 0) in {int(p, 0) for p in value.replace(" ", "").split(",")}
    except ValueError:
        return None


def _scaleway(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
    """scaleway-cloud-controller-manager scaleway/loadbalancers.go servicePortToFrontend gives the port's
    frontend the certificates loadbalancers_annotations.go getCertificateIDs reads from
    scw-loadbalancer-certificate-ids ("id,id" for every port, "port:id;port,port:id" for some): the
    frontend ends TLS (Scaleway's docs: SSL offloading). servicePortToBackend: getForwardProtocol
    (scw-loadbalancer-protocol-http) makes the backend HTTP, else TCP; getSSLBridging
    (scw-loadbalancer-http-backend-tls, with HTTP) makes it TLS of the balancer's own."""
    ids: list[str] = []
    for part in annotations.get(SCALEWAY + "certificate-ids", "").split(";"):
        fields = part.split(":")
        applies = scaleway_ports(fields[0], port) if len(fields) > 1 else True
        listed = fields[1] if len(fields) > 1 else fields[0]
        if applies is None:
            return None
        ids += [i for i in listed.split(",") if i] if applies else []
    if not ids:
        return None
    http = scaleway_ports(annotations.get(SCALEWAY + "protocol-http", ""), port)
    bridged = scaleway_ports(annotations.get(SCALEWAY + "http-backend-tls", ""), port)
    if http is None or bridged is None:
        return None
    keys = ("certificate-ids", "protocol-http", "http-backend-tls")
    sends: Sends = ("tls" if bridged else "http") if http else "tcp"
    return Ended("Scaleway load balancer", sends, _removed(annotations, *(SCALEWAY + k for k in keys)))


READERS: tuple[Reader, ...] = (_aws, _do, _hetzner, _linode, _oci, _scaleway)


def ends_tls(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Ended | None:
    """The listener of the first cloud whose annotations make `port` end TLS, if any."""
    return next((e for read in READERS if (e := read(annotations, spec, port)) is not None), None)
