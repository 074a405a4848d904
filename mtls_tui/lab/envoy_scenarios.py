"""The article's set-up as Envoy Gateway serves it, and the mistakes people make moving to it.

The same seed PKI and the same app; instead of the Ingress and its auth-tls annotations, a
Gateway API Gateway (Standard, v1.5+) whose HTTPS listener for meow.com validates client
certificates against the CA in a ConfigMap (`spec.tls.frontend.default.validation`), an HTTPRoute
to the app, and Envoy Gateway's GatewayClass. Each scenario changes the objects (or the client)
as the real mistake does and names the finding that must appear; the lab's Envoy is rendered
from what the objects mean (lab/envoy.py), so the probe answers as the data plane would.

The objects follow the projects' examples: kubernetes-sigs/gateway-api
conformance/tests/gateway-with-clientcertificate-validation.yaml (frontend validation), and
envoyproxy/gateway's GatewayClass controllerName `gateway.envoyproxy.io/gatewayclass-controller`
(api/v1alpha1/shared_types.go).
"""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from mtls_tui.certs.issue import issue_ca, issue_leaf
from mtls_tui.lab.objects import app_objects, namespace
from mtls_tui.lab.pki import SeedPki
from mtls_tui.lab.scenarios import Client, Scenario
from mtls_tui.sources.kube import ENVOY_PROXY_LABELS

GATEWAY_NAMESPACE = "default"
ENVOY_NAMESPACE = "envoy-gateway-system"
# EnvoyAppLabel and the owning-gateway labels (envoyproxy/gateway internal/gatewayapi/translator.go);
# the container is `envoy` (internal/infrastructure/kubernetes/proxy/resource.go envoyContainerName).
ENVOY_LABELS = {
    **ENVOY_PROXY_LABELS,
    "gateway.envoyproxy.io/owning-gateway-name": "meow",
    "gateway.envoyproxy.io/owning-gateway-namespace": GATEWAY_NAMESPACE,
}
ENVOY_IMAGE = "docker.io/envoyproxy/envoy:distroless-v1.36.2"
CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"  # api/v1alpha1/envoygateway_types.go


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def gateway_objects(
    pki: SeedPki, *, mode: str | None = None, ca_namespace: str = GATEWAY_NAMESPACE
) -> list[dict[str, Any]]:
    """GatewayClass, Gateway (HTTPS meow.com:443, client validation from ConfigMap meow-ca),
    HTTPRoute, the server Secret, the CA ConfigMap, the app, and the Envoy proxy's pods."""
    validation: dict[str, Any] = {"caCertificateRefs": [{"group": "", "kind": "ConfigMap", "name": "meow-ca"}]}
    if ca_namespace != GATEWAY_NAMESPACE:
        validation["caCertificateRefs"][0]["namespace"] = ca_namespace
    if mode:
        validation["mode"] = mode
    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "meow", "namespace": GATEWAY_NAMESPACE},
        "spec": {
            "gatewayClassName": "eg",
            "listeners": [
                {
                    "name": "https",
                    "protocol": "HTTPS",
                    "port": 443,
                    "hostname": "meow.com",
                    "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "meow-server"}]},
                }
            ],
            "tls": {"frontend": {"default": {"validation": validation}}},
        },
    }
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "meow", "namespace": GATEWAY_NAMESPACE},
        "spec": {
            "parentRefs": [{"name": "meow", "sectionName": "https"}],
            "hostnames": ["meow.com"],
            "rules": [{"backendRefs": [{"name": "meow-svc", "port": 80}]}],
        },
    }
    server = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "meow-server", "namespace": GATEWAY_NAMESPACE},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": _b64(pki.server.cert_pem()), "tls.key": _b64(pki.server.key_pem())},
    }
    ca = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "meow-ca", "namespace": ca_namespace},
        "data": {"ca.crt": pki.ca.cert_pem().decode()},
    }
    gateway_class = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": "eg"},
        "spec": {"controllerName": CONTROLLER_NAME},
    }
    namespaces = [namespace(GATEWAY_NAMESPACE), namespace(ENVOY_NAMESPACE)]
    if ca_namespace != GATEWAY_NAMESPACE:
        namespaces.append(namespace(ca_namespace))
    return [*namespaces, gateway_class, gateway, route, server, ca, *app_objects(), *envoy_pods()]


def envoy_pods() -> list[dict[str, Any]]:
    """The Envoy proxy pods Envoy Gateway runs for the Gateway; the lab writes Envoy's logs to them."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"envoy-default-meow-3f6a1b2c-7d9f8c6b5-{suffix}",
                "namespace": ENVOY_NAMESPACE,
                "labels": dict(ENVOY_LABELS),
            },
            "spec": {"containers": [{"name": "envoy", "image": ENVOY_IMAGE}], "nodeName": "lab-node"},
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {
                        "name": "envoy",
                        "ready": True,
                        "restartCount": 0,
                        "image": ENVOY_IMAGE,
                        "started": True,
                        "state": {"running": {}},
                    }
                ],
            },
        }
        for suffix in ("k2x8p", "m4q7r")
    ]


def _without(objects: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    return [o for o in objects if not (o["kind"] == kind and o["metadata"]["name"] == name)]


def healthy(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    return gateway_objects(pki), Client((pki.client,))


def no_client_cert(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    return gateway_objects(pki), Client()


def wrong_ca(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    other = issue_ca("Other Cert Authority")
    return gateway_objects(pki), Client((issue_leaf("Fern", other, serial=2),))


def expired_client(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    start = datetime.now(UTC) - timedelta(days=400)
    return gateway_objects(pki), Client((issue_leaf("Fern", pki.ca, serial=2, not_before=start, days=365),))


def fallback_mode(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    return gateway_objects(pki, mode="AllowInsecureFallback"), Client()


def ca_configmap_missing(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    return _without(gateway_objects(pki), "ConfigMap", "meow-ca"), Client((pki.client,))


def reference_grant_missing(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    """The CA moved to namespace pki; no ReferenceGrant there lets the Gateway read it."""
    return gateway_objects(pki, ca_namespace="pki"), Client((pki.client,))


def with_reference_grant(pki: SeedPki) -> tuple[list[dict[str, Any]], Client]:
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "meow-ca-for-gateways", "namespace": "pki"},
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": GATEWAY_NAMESPACE}],
            "to": [{"group": "", "kind": "ConfigMap", "name": "meow-ca"}],
        },
    }
    return [*copy.deepcopy(gateway_objects(pki, ca_namespace="pki")), grant], Client((pki.client,))


ENVOY_SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "healthy",
            "the article's set-up as Gateway API on Envoy Gateway: mTLS works (no certificate: alert 116)",
            "probe-tls-alert",
            healthy,
        ),
        Scenario(
            "no-client-cert",
            "the client sends no certificate: Envoy ends the handshake (alert 116 on TLS 1.3), no HTTP status",
            "probe-tls-alert",
            no_client_cert,
        ),
        Scenario(
            "wrong-ca", "the client certificate is signed by another CA: alert 48", "client-cert-untrusted", wrong_ca
        ),
        Scenario(
            "expired-client", "the client certificate expired a month ago: alert 45", "cert-expired", expired_client
        ),
        Scenario(
            "fallback-mode",
            "mode AllowInsecureFallback: anyone gets in, with or without a certificate",
            "mtls-fallback-mode",
            fallback_mode,
        ),
        Scenario(
            "configmap-ca-missing",
            "the CA ConfigMap the Gateway names does not exist: the listener is refused",
            "ca-ref-not-found",
            ca_configmap_missing,
        ),
        Scenario(
            "referencegrant-missing",
            "the CA ConfigMap is in namespace pki and no ReferenceGrant lets the Gateway read it",
            "ca-ref-not-permitted",
            reference_grant_missing,
        ),
        Scenario(
            "referencegrant",
            "the CA in namespace pki, with the ReferenceGrant that permits it: mTLS works",
            "probe-tls-alert",
            with_reference_grant,
        ),
    )
}
