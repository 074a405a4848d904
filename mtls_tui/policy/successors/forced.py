"""`--controller NAME`: judge the objects as if NAME served them.

Without it, each reader finds who serves what as the controllers do (docs/successors.md section
6): an Ingress by its IngressClass's `spec.controller`, a Gateway by its GatewayClass's
`spec.controllerName`, and in manifest files without those classes by the annotations each
controller reads. Forcing states the answer the files leave out, in the same terms: the classes
are replaced by ones naming NAME's controller string, and every Ingress (for an Ingress
controller) is given that class. A controller that serves both is forced on both: Traefik (`traefik`)
runs an Ingress provider and a Gateway API provider side by side (v3.7.9 pkg/provider/kubernetes/ingress
and gateway, each selecting by its own class: shouldProcessIngress, and gateway/kubernetes.go
`controllerName` traefik.io/gateway-controller), so its Ingresses and its Gateways are judged as Traefik's.
Only the in-memory snapshot changes; the report's `decided_by`
and evidence name the class, so the assumption is visible.
"""

from __future__ import annotations

from dataclasses import replace

from mtls_tui.model import ClusterSnapshot, Forced, IngressClassObj, KubeResource
from mtls_tui.policy.kube_objects import NGINX_CONTROLLER
from mtls_tui.policy.successors.f5_nginx import CONTROLLER as F5_CONTROLLER
from mtls_tui.policy.successors.gateway_api import CONTROLLERS
from mtls_tui.policy.successors.traefik import INGRESS_CONTROLLER as TRAEFIK_CONTROLLER

FORCED_CLASS = "forced-by-mtls-tui"

# Each controller's own string, from where the readers keep it (each cites its source).
_INGRESS_CONTROLLERS: dict[str, str] = {
    "ingress-nginx": NGINX_CONTROLLER,
    "traefik": TRAEFIK_CONTROLLER,
    "traefik-ingress-nginx": NGINX_CONTROLLER,  # the kubernetesIngressNGINX provider claims ingress-nginx's class
    "f5-nginx": F5_CONTROLLER,
}
# Every Gateway implementation's controllerName (gateway_api.CONTROLLERS): Traefik's is one, so `--controller
# traefik` forces its Gateways as well as its Ingresses. `traefik-ingress-nginx` names the kubernetesIngressNGINX
# provider alone, which reads no Gateway.
_GATEWAY_CONTROLLERS: dict[str, str] = {implementation: name for name, implementation in CONTROLLERS.items()}


def judged_by_ingress_nginx(controller: Forced | None) -> bool:
    """Whether ingress-nginx's rules judge the Ingresses: not when another Ingress controller is forced
    (it serves them instead; a Gateway controller leaves the Ingresses as they were)."""
    return controller is None or controller == "ingress-nginx" or controller not in _INGRESS_CONTROLLERS


def forced_snapshot(snapshot: ClusterSnapshot, controller: Forced | None) -> ClusterSnapshot:
    if controller is None:
        return snapshot
    if controller in _GATEWAY_CONTROLLERS:
        snapshot = replace(snapshot, resources=tuple(_gateway_classes(snapshot, _GATEWAY_CONTROLLERS[controller])))
    if controller not in _INGRESS_CONTROLLERS:
        return snapshot
    klass = IngressClassObj(FORCED_CLASS, _INGRESS_CONTROLLERS[controller], is_default=True)
    ingresses = tuple(
        replace(i, ingress_class=FORCED_CLASS, class_source="spec.ingressClassName") for i in snapshot.ingresses
    )
    forced = replace(snapshot, ingresses=ingresses, ingress_classes=(klass,))
    if controller == "traefik-ingress-nginx":
        # Traefik's provider takes an ingress-nginx class only where no ingress-nginx controller
        # serves it: the controllers are known, and there are none.
        return replace(forced, controllers=(), controllers_known=True)
    return forced


def _gateway_classes(snapshot: ClusterSnapshot, controller_name: str) -> list[KubeResource]:
    """Every GatewayClass a Gateway names, now naming `controller_name`; other objects kept."""
    names = {
        str((g.body.get("spec") or {}).get("gatewayClassName") or "")
        for g in snapshot.of_kind("Gateway", "gateway.networking.k8s.io")
    }
    kept = [r for r in snapshot.resources if not (r.kind == "GatewayClass" and r.group == "gateway.networking.k8s.io")]
    made = [
        KubeResource(
            "gateway.networking.k8s.io/v1",
            "GatewayClass",
            "",
            name,
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "GatewayClass",
                "metadata": {"name": name, "annotations": {"mtls-tui/forced": "--controller"}},
                "spec": {"controllerName": controller_name},
            },
        )
        for name in sorted(names)
    ]
    return kept + made
