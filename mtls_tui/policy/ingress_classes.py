"""The IngressClass controllers whose Ingresses this tool reads with another controller's rules.

An Ingress of such a class belongs to that controller (its reader in policy/successors judges
it); ingress-nginx ignores it, and saying so as an ingress-nginx error would send its owner to
move it. Each string is the controller's own default: Traefik pkg/provider/kubernetes/ingress
traefikDefaultIngressClassController; F5 NGINX Ingress Controller's IngressClass controller.
"""

from __future__ import annotations

TRAEFIK_INGRESS_CONTROLLER = "traefik.io/ingress-controller"
F5_INGRESS_CONTROLLER = "nginx.org/ingress-controller"
READ_BY_SUCCESSORS = frozenset({TRAEFIK_INGRESS_CONTROLLER, F5_INGRESS_CONTROLLER})
# whose controller Deployment serves an IngressClass of these (policy/controller_images.py PRODUCTS)
IMPLEMENTATION_OF_CLASS = {TRAEFIK_INGRESS_CONTROLLER: "traefik", F5_INGRESS_CONTROLLER: "f5-nginx"}
