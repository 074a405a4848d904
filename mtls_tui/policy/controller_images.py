"""The successors' controller Deployments: which image is whose controller, and the label their
installs put on the Deployment (what a cluster read lists them by).

Their releases' rules are in policy/successors/releases.py; this module only finds the
controllers, so that the converters (kube_objects.py) need none of the readers.

Labels: envoyproxy/gateway charts/gateway-helm templates/envoy-gateway-deployment.yaml
(`control-plane: envoy-gateway`); traefik-helm-chart (`app.kubernetes.io/name: traefik`);
nginx/kubernetes-ingress charts/nginx-ingress _helpers.tpl selectorLabels (`app.kubernetes.io/name:
nginx-ingress`; its plain manifests, deployments/deployment/nginx-ingress.yaml, label only the pods,
so in a cluster such an install is "not seen"); istio manifests/charts/istio-control/istio-discovery
templates/deployment.yaml (`app: istiod`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mtls_tui.model import SuccessorController
from mtls_tui.policy.values import as_dict, as_list


@dataclass(frozen=True)
class Product:
    """A successor whose controller Deployment this tool looks for."""

    implementation: str  # an `Implementation` of policy/successors/common.py
    title: str
    image: re.Pattern[str]  # the controller image's repository (before the tag)
    selector: str  # the label its install puts on the Deployment


PRODUCTS: dict[str, Product] = {
    p.implementation: p
    for p in (
        Product(
            "envoy-gateway",
            "Envoy Gateway",
            re.compile(r"(^|/)envoyproxy/gateway(-dev)?$"),
            "control-plane=envoy-gateway",
        ),
        Product("traefik", "Traefik", re.compile(r"(^|/)traefik(/traefik)?$"), "app.kubernetes.io/name=traefik"),
        Product(
            "f5-nginx",
            "F5 NGINX Ingress Controller",
            re.compile(r"(^|/)nginx(-plus)?-ingress$"),
            "app.kubernetes.io/name=nginx-ingress",
        ),
        Product("istio", "istiod", re.compile(r"(^|/)(pilot|istiod)$"), "app=istiod"),
    )
}
# The API groups whose objects name each product: a cluster read looks for the controller of a
# product whose objects it read (sources/kube.py), and for no other.
GROUPS = {
    "gateway.envoyproxy.io": "envoy-gateway",
    "traefik.io": "traefik",
    "traefik.containo.us": "traefik",
    "k8s.nginx.org": "f5-nginx",
    "networking.istio.io": "istio",
}


def product_of(image: str) -> Product | None:
    """The successor whose controller runs this image (`docker.io/envoyproxy/gateway:v1.6.2`,
    `traefik:v2.9.5`, `nginx/nginx-ingress:2.1.0`, `docker.io/istio/pilot:1.26.2`), or None."""
    repository = re.split(r"@|:(?=[^/]*$)", image, maxsplit=1)[0]
    return next((p for p in PRODUCTS.values() if p.image.search(repository)), None)


def controllers_from(deployments: Iterable[dict[str, Any]]) -> list[SuccessorController]:
    """The successors' controller Deployments among plain objects (manifest files, or a LIST):
    each Deployment's first container whose image is a successor's controller."""
    found = []
    for deployment in deployments:
        meta = as_dict(deployment.get("metadata"))
        pod = as_dict(as_dict(as_dict(deployment.get("spec")).get("template")).get("spec"))
        containers = [c for c in as_list(pod.get("containers")) if isinstance(c, dict)]
        for index, container in enumerate(containers):
            product = product_of(str(container.get("image") or ""))
            if product is None:
                continue
            found.append(
                SuccessorController(
                    implementation=product.implementation,
                    namespace=str(meta.get("namespace") or "default"),
                    name=str(meta.get("name") or "?"),
                    image=str(container.get("image")),
                    args=tuple(str(a) for a in as_list(container.get("args"))),
                    container=index,
                    has_args=isinstance(container.get("args"), list),
                )
            )
            break
    return found
