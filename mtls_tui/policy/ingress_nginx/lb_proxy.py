"""PROXY protocol between the cloud load balancer and nginx: one side sends the header, the other
does not expect it.

ingress-nginx's ConfigMap `use-proxy-protocol` (config.go UseProxyProtocol, default false) makes
template.go commonListenOptions add `proxy_protocol` to nginx's http and https listens; the cloud
controller, from the Service's annotations, decides whether the balancer writes the header before
the client's bytes. What the client then sees was measured on the real nginx with its stream module
passing TCP through, with and without `proxy_protocol on;` (tests/test_lb_proxy_protocol.py):

- nginx expects the header, none comes: nginx reads the ClientHello as the header ("broken header
  ... while reading PROXY protocol") and closes the connection: the client's handshake ends in EOF,
  with no alert and no answer.
- the header comes, nginx does not expect it: nginx takes "PROXY TCP4 ..." for a plain HTTP request
  line and answers "HTTP/1.1 400 Bad Request" in clear text: the client's TLS stack reads it as a
  record and fails ("wrong version number"; browsers: ERR_SSL_PROTOCOL_ERROR).

Each cloud's reader cites the function of its controller that turns the annotations into the
balancer's PROXY setting; a reader says None where the annotations leave it to something not read
(a controller-wide default, the value last set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mtls_tui.model import ClusterSnapshot, ControllerObj, Finding, Severity
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.lb_clouds import (
    AWS,
    DO,
    HETZNER,
    LINODE,
    OCI,
    OCI_TYPE,
    SCALEWAY,
    aws_lbc,
    linode_port,
    scaleway_ports,
)
from mtls_tui.policy.ingress_nginx.load_balancer import (
    controller_service,
    https_port,
    lb_termination,
    listener,
    service_annotations,
    service_spec,
)
from mtls_tui.shell import arg, json_arg

OCI_NLB_PPV2 = "oci-network-load-balancer.oraclecloud.com/is-ppv2-enabled"
PPV2 = "proxy_protocol_v2.enabled"


@dataclass(frozen=True)
class Sent:
    """Whose balancer it is, and whether it writes the PROXY header (None: not known from the
    annotations); `keys` are the annotations that said so."""

    provider: str
    header: bool | None
    keys: tuple[str, ...]


Reader = Callable[[dict[str, str], dict[str, Any], dict[str, Any]], Sent | None]


def _attributes(value: str) -> dict[str, str]:
    """cloud-provider-aws aws_loadbalancer.go getKeyValuePropertiesFromAnnotation (the Load Balancer
    Controller's ParseStringMapAnnotation reads the same "k=v,k=v")."""
    pairs = [p.strip().split("=") for p in value.strip().split(",")]
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs if p[0]}


def _aws(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Sent | None:
    """The Load Balancer Controller (pkg/service/model_build_target_group.go buildTargetGroupAttributes):
    proxy_protocol_v2.enabled false (model_builder.go defaultProxyProtocolV2Enabled), then that of
    aws-load-balancer-target-group-attributes and its `.<port>` form (buildPortSpecificTargetGroupAttributes),
    then the ports of -proxy-protocol-per-target-group, then -proxy-protocol "*" (another value fails).
    In-tree NLB (aws_loadbalancer.go buildTargetGroupAttributes): only target-group-attributes' value;
    without it the target group keeps the last one. Classic ELB (aws.go EnsureLoadBalancer): -proxy-protocol
    "*" or nothing (another value fails), and aws_loadbalancer.go ensureLoadBalancer sets or removes the
    policy on every backend port accordingly."""
    if not any(k.startswith(AWS) for k in annotations):
        return None
    value = annotations.get(AWS + "proxy-protocol")
    groups = AWS + "target-group-attributes"
    attributes = _attributes(annotations.get(groups, ""))
    if aws_lbc(annotations, spec):
        per_port = f"{groups}.{port.get('port')}"
        attributes.update({k: v for k, v in _attributes(annotations.get(per_port, "")).items() if v})
        header = attributes.get(PPV2, "false") == "true"
        listed = annotations.get(AWS + "proxy-protocol-per-target-group")
        if listed is not None:
            ports = [p.strip() for p in listed.split(",") if p.strip()]
            if not all(p.isdigit() for p in ports):
                return None
            header = str(port.get("port")) in ports
        if value is not None and value != "*":
            return None
        keys = (groups, per_port, AWS + "proxy-protocol-per-target-group", AWS + "proxy-protocol")
        return Sent("AWS NLB (AWS Load Balancer Controller)", header or value == "*", keys)
    if annotations.get(AWS + "type") == "nlb":
        ppv2 = attributes.get(PPV2)
        return Sent("AWS NLB (cloud-provider-aws)", None if ppv2 is None else ppv2 == "true", (groups,))
    if value not in (None, "", "*"):
        return None
    return Sent("AWS Classic ELB (cloud-provider-aws)", value == "*", (AWS + "proxy-protocol",))


def _go_bool(annotations: dict[str, str], key: str, unset: bool | None) -> bool | None:
    value = annotations.get(key)
    return unset if value is None else GO_BOOLS.get(value)


def _do(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Sent | None:
    """digitalocean-cloud-controller-manager cloud-controller-manager/do/loadbalancers.go
    getEnableProxyProtocol: do-loadbalancer-enable-proxy-protocol through strconv.ParseBool
    (annotations.go getBool), false when unset, for the whole balancer."""
    if not any(k.startswith(DO) for k in annotations):
        return None
    key = DO + "enable-proxy-protocol"
    header = _go_bool(annotations, key, False)
    return None if header is None else Sent("DigitalOcean load balancer", header, (key,))


def _hetzner(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Sent | None:
    """hcloud-cloud-controller-manager internal/hcops/load_balancer.go hclbServiceOptsBuilder.extract:
    load-balancer.hetzner.cloud/uses-proxyprotocol through strconv.ParseBool (internal/annotation/name.go
    BoolFromService) for every port; unset, the controller's HCLOUD_LOAD_BALANCERS_USES_PROXYPROTOCOL
    decides (internal/config/config.go), which the manifests do not show."""
    if not any(k.startswith(HETZNER) for k in annotations):
        return None
    key = HETZNER + "uses-proxyprotocol"
    if key in annotations and annotations[key] not in GO_BOOLS:
        return None  # the reconcile fails: nothing changes
    return Sent("Hetzner Cloud load balancer", _go_bool(annotations, key, None), (key,))


def _linode(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Sent | None:
    """linode-cloud-controller-manager cloud/linode/loadbalancers_helpers.go getPortProxyProtocol: the
    port's JSON "proxy-protocol", else linode-loadbalancer-default-proxy-protocol (or the deprecated
    -proxy-protocol), else "none"; lowercased, one of none, v1, v2 (another fails)."""
    if not any(k.startswith(LINODE) for k in annotations):
        return None
    config = linode_port(annotations, port)
    if config is None:
        return None
    keys = (f"{LINODE}port-{port.get('port')}", LINODE + "default-proxy-protocol", LINODE + "proxy-protocol")
    value = config.get("proxy-protocol") or next((annotations[k] for k in keys[1:] if k in annotations), "none")
    if value.lower() not in ("none", "v1", "v2"):
        return None
    return Sent("Linode NodeBalancer", value.lower() != "none", keys)


def _scaleway(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Sent | None:
    """scaleway-cloud-controller-manager scaleway/loadbalancers_annotations.go getProxyProtocol:
    scw-loadbalancer-proxy-protocol-v1 / -v2 (isPortInRange; the port in both fails), else the
    deprecated scw-loadbalancer-send-proxy-v2 (getSendProxyV2: a Go bool or a list of ports); none
    when unset."""
    if not any(k.startswith(SCALEWAY) for k in annotations):
        return None
    keys = tuple(SCALEWAY + k for k in ("proxy-protocol-v1", "proxy-protocol-v2", "send-proxy-v2"))
    v1, v2 = (scaleway_ports(annotations.get(k, ""), port) for k in keys[:2])
    legacy = annotations.get(keys[2], "")
    old = GO_BOOLS[legacy] if legacy in GO_BOOLS else None if legacy == "*" else scaleway_ports(legacy, port)
    if v1 is None or v2 is None or (v1 and v2) or (old is None and not (v1 or v2)):
        return None
    return Sent("Scaleway load balancer", bool(v1 or v2 or old), keys)


def _oci(annotations: dict[str, str], spec: dict[str, Any], port: dict[str, Any]) -> Sent | None:
    """oci-cloud-controller-manager pkg/cloudprovider/providers/oci/load_balancer_spec.go: a load
    balancer's listeners get oci-load-balancer-connection-proxy-protocol-version (strconv.Atoi; another
    value fails) as BackendTcpProxyProtocolVersion (getListenersOciLoadBalancer); a network load
    balancer's, IsPpv2Enabled from oci-network-load-balancer.oraclecloud.com/is-ppv2-enabled "true"/"false"
    (getListenersNetworkLoadBalancer). Unset, the listener is sent without it: left as it is."""
    if annotations.get(OCI_TYPE, "").lower() == "nlb":
        value = annotations.get(OCI_NLB_PPV2, "").lower()
        header = {"true": True, "false": False}.get(value)
        return Sent("OCI network load balancer", header, (OCI_NLB_PPV2,))
    key = OCI + "connection-proxy-protocol-version"
    if not any(k.startswith(OCI) for k in annotations):
        return None
    if key not in annotations:
        return Sent("OCI load balancer", None, (key,))
    return Sent("OCI load balancer", True, (key,)) if annotations[key].strip().lstrip("+-").isdigit() else None


READERS: tuple[Reader, ...] = (_aws, _do, _hetzner, _linode, _scaleway, _oci)


def lb_proxy_mismatch(host: str, controller: ControllerObj | None, snapshot: ClusterSnapshot) -> list[Finding]:
    """lb-proxy-protocol-mismatch: the balancer in front of nginx's TLS listener passes the client's TLS
    through, and it and nginx disagree on the PROXY header. Only with the controller's ConfigMap and its
    Service both read, and without --enable-ssl-passthrough (then the controller's own TCP proxy, with
    go-proxyproto, reads the header on :443 instead of nginx: nginx.go, not measured here)."""
    if controller is None or controller.config_map is None or not controller.config_seen or controller.ssl_passthrough:
        return []
    service = controller_service(controller, snapshot)
    found = https_port(service) if service is not None else None
    if service is None or found is None or lb_termination(controller, snapshot) is not None:
        return []
    port = found[1]
    if listener(str(port.get("targetPort") or port.get("port"))) != "tls":
        return []
    annotations = service_annotations(service)
    spec = service_spec(service)
    sent = next((s for read in READERS if (s := read(annotations, spec, port)) is not None), None)
    if sent is None or sent.header is None or sent.header == controller.use_proxy_protocol:
        return []
    namespace, name = controller.config_map.split("/", 1)
    wanted = "true" if sent.header else "false"
    patch = {"data": {"use-proxy-protocol": wanted}}
    if sent.header:
        gets = (
            'nginx answers every connection with a plain-text "400 Bad Request" and clients get a TLS error '
            '("wrong version number")'
        )
        what = "sends a PROXY protocol header before the client's bytes, and nginx does not expect one"
    else:
        gets = "nginx closes every connection during the TLS handshake, without an answer"
        what = "sends no PROXY protocol header, and nginx waits for one"
    return [
        Finding(
            code="lb-proxy-protocol-mismatch",
            severity=Severity.ERROR,
            title=f"{host}: the {sent.provider} of Service {service.ref} {what}: {gets}",
            detail=f"ConfigMap {controller.config_map} has use-proxy-protocol "
            f"{'true' if controller.use_proxy_protocol else 'false'}, so nginx's listeners are "
            f"{'' if controller.use_proxy_protocol else 'not '}`proxy_protocol`; the Service's annotations make "
            f"the load balancer {'send a' if sent.header else 'send no'} PROXY header. "
            + (
                "nginx reads the header as a plain HTTP request line on its TLS listener and answers it in clear "
                "text, which the client's TLS stack cannot read."
                if sent.header
                else "nginx reads the client's ClientHello as the header, logs \"broken header ... while reading "
                'PROXY protocol" and closes the connection.'
            ),
            fix=f"kubectl patch configmap {arg(name)} -n {arg(namespace)} --type merge -p {json_arg(patch)}",
            subject=f"ConfigMap {controller.config_map}",
            evidence=(
                f"use-proxy-protocol: {'true' if controller.use_proxy_protocol else 'false'}",
                *(f"{k}: {annotations[k]}" for k in sent.keys if k in annotations),
            ),
            then=f"nginx {'reads' if sent.header else 'stops waiting for'} the header the balancer "
            f"{'sends' if sent.header else 'does not send'}; or change the balancer instead, with the Service's "
            f"annotations ({', '.join(sent.keys)})",
        )
    ]
