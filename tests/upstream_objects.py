"""Objects for the upstream cases of tests/test_successors_upstream.py: each builder writes one
Kubernetes object as the controllers' own tests set it up, with this project's test PKI
(tests/data/successors/pki: `ca` signs `client`, `server`, `deep` (through int1, int2), `noeku`;
`other-ca` signs `wrongca`). Written here from the facts of each upstream test; no upstream file
is copied."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

PKI = Path(__file__).parent / "data" / "successors" / "pki"

EG_CLASS = "gateway.envoyproxy.io/gatewayclass-controller"
ISTIO_CLASS = "istio.io/gateway-controller"
GATEWAY_API = "gateway.networking.k8s.io/v1"


def pem(*names: str) -> str:
    return "".join((PKI / f"{name}.crt").read_text() for name in names)


def _data(value: str | tuple[str, ...] | None) -> str:
    """A Secret value: the PEM of the named PKI certificates ("server.key" names a key file)."""
    if value is None:
        return ""
    names = (value,) if isinstance(value, str) else value
    raw = b"".join((PKI / (n if "." in n else f"{n}.crt")).read_bytes() for n in names)
    return base64.b64encode(raw).decode()


def meta(name: str, namespace: str | None, **extra: Any) -> dict[str, Any]:
    return {"name": name, **({"namespace": namespace} if namespace else {}), **extra}


def secret(
    name: str, namespace: str, data: dict[str, str | tuple[str, ...] | None], type_: str = "Opaque"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(name, namespace),
        "type": type_,
        "data": {key: _data(value) for key, value in data.items()},
    }


def server_secret(name: str, namespace: str, **extra: str | tuple[str, ...]) -> dict[str, Any]:
    """kubernetes.io/tls with the server certificate (meow.com) and key, plus `extra` keys."""
    return secret(name, namespace, {"tls.crt": "server", "tls.key": "server.key", **extra}, "kubernetes.io/tls")


def configmap(name: str, namespace: str, **data: str) -> dict[str, Any]:
    """`data` maps a key (ca.crt written ca_crt) to PKI certificate names joined by '+'."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(name, namespace),
        "data": {key.replace("_", "."): pem(*value.split("+")) for key, value in data.items()},
    }


def gateway_class(name: str, controller: str) -> dict[str, Any]:
    return {
        "apiVersion": GATEWAY_API,
        "kind": "GatewayClass",
        "metadata": meta(name, None),
        "spec": {"controllerName": controller},
    }


def https(name: str, port: int, hostname: str | None = None, cert: str = "server", **tls: Any) -> dict[str, Any]:
    listener: dict[str, Any] = {
        "name": name,
        "port": port,
        "protocol": "HTTPS",
        "allowedRoutes": {"namespaces": {"from": "Same"}},
        "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": cert}], **tls},
    }
    if hostname:
        listener["hostname"] = hostname
    return listener


def http(name: str, port: int) -> dict[str, Any]:
    return {"name": name, "port": port, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "Same"}}}


def ca_ref(name: str, kind: str = "ConfigMap", namespace: str | None = None, group: str = "") -> dict[str, Any]:
    return {"group": group, "kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}


def validation(*refs: dict[str, Any], mode: str | None = None) -> dict[str, Any]:
    return {"validation": {"caCertificateRefs": list(refs), **({"mode": mode} if mode else {})}}


def gateway(
    name: str,
    namespace: str,
    klass: str,
    listeners: list[dict[str, Any]],
    default: dict[str, Any] | None = None,
    per_port: dict[int, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"gatewayClassName": klass, "listeners": listeners}
    if default is not None or per_port:
        frontend: dict[str, Any] = {}
        if default is not None:
            frontend["default"] = default
        if per_port:
            frontend["perPort"] = [{"port": port, "tls": tls} for port, tls in per_port.items()]
        spec["tls"] = {"frontend": frontend}
    return {"apiVersion": GATEWAY_API, "kind": "Gateway", "metadata": meta(name, namespace), "spec": spec}


def http_route(
    name: str, namespace: str, gateway: str, hostnames: tuple[str, ...] = (), section: str | None = None
) -> dict[str, Any]:
    parent: dict[str, Any] = {"name": gateway}
    if section:
        parent["sectionName"] = section
    spec: dict[str, Any] = {
        "parentRefs": [parent],
        "rules": [{"backendRefs": [{"name": "infra-backend-v1", "port": 8080}]}],
    }
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {"apiVersion": GATEWAY_API, "kind": "HTTPRoute", "metadata": meta(name, namespace), "spec": spec}


def reference_grant(
    namespace: str, from_kind: str, from_group: str, from_namespace: str, to_kind: str
) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": meta(f"allow-{from_kind.lower()}", namespace),
        "spec": {
            "from": [{"group": from_group, "kind": from_kind, "namespace": from_namespace}],
            "to": [{"group": "", "kind": to_kind}],
        },
    }


def client_traffic_policy(
    name: str, namespace: str, gateway: str, tls: dict[str, Any], section: str | None = None, singular: bool = False
) -> dict[str, Any]:
    """A ClientTrafficPolicy on a Gateway; `singular`: the deprecated spec.targetRef."""
    target: dict[str, Any] = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}
    if section:
        target["sectionName"] = section
    spec: dict[str, Any] = {"targetRef": target} if singular else {"targetRefs": [target]}
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": meta(name, namespace),
        "spec": {**spec, "tls": tls},
    }


def cluster_trust_bundle(name: str, *certs: str) -> dict[str, Any]:
    return {
        "apiVersion": "certificates.k8s.io/v1beta1",
        "kind": "ClusterTrustBundle",
        "metadata": meta(name, None),
        "spec": {"trustBundle": pem(*certs)},
    }


# --- Traefik ------------------------------------------------------------------------------------


def tls_option(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "traefik.io/v1alpha1", "kind": "TLSOption", "metadata": meta(name, namespace), "spec": spec}


def ingress_route(
    name: str, namespace: str, host: str, options: dict[str, str] | None = None, secret_name: str = "server"
) -> dict[str, Any]:
    tls: dict[str, Any] = {"secretName": secret_name}
    if options is not None:
        tls["options"] = options
    return {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "IngressRoute",
        "metadata": meta(name, namespace),
        "spec": {
            "entryPoints": ["websecure"],
            "routes": [{"match": f"Host(`{host}`)", "kind": "Rule", "services": [{"name": "whoami", "port": 80}]}],
            "tls": tls,
        },
    }


# --- F5 NGINX Ingress Controller ------------------------------------------------------------------

F5_INGRESS_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "nginx"},
    "spec": {"controller": "nginx.org/ingress-controller"},
}


def f5_policy(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "k8s.nginx.org/v1", "kind": "Policy", "metadata": meta(name, namespace), "spec": spec}


def virtual_server(
    name: str, namespace: str, host: str, policies: tuple[str, ...] = (), route_policies: tuple[str, ...] = ()
) -> dict[str, Any]:
    routes: list[dict[str, Any]] = [
        {"path": "/backend1", "action": {"pass": "backend1"}},
        {"path": "/backend2", "action": {"pass": "backend2"}},
    ]
    if route_policies:
        routes[0]["policies"] = [{"name": p} for p in route_policies]
    spec: dict[str, Any] = {
        "host": host,
        "tls": {"secret": "tls-secret"},
        "upstreams": [
            {"name": "backend1", "service": "backend1-svc", "port": 80},
            {"name": "backend2", "service": "backend2-svc", "port": 80},
        ],
        "routes": routes,
    }
    if policies:
        spec["policies"] = [{"name": p} for p in policies]
    return {"apiVersion": "k8s.nginx.org/v1", "kind": "VirtualServer", "metadata": meta(name, namespace), "spec": spec}


def f5_ingress(
    name: str, namespace: str, host: str, annotations: dict[str, str], tls: bool = True, paths: bool = True
) -> dict[str, Any]:
    rule: dict[str, Any] = {"host": host}
    if paths:
        backend = {"service": {"name": "backend1-svc", "port": {"number": 80}}}
        rule["http"] = {"paths": [{"path": "/backend1", "pathType": "Prefix", "backend": backend}]}
    spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": [rule]}
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": "tls-secret"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, namespace, annotations=annotations),
        "spec": spec,
    }
