"""Which F5 NGINX Ingress Controller serves an object, when several run in one cluster.

Each controller has its own nginx, its own flags and its own release, so an ingressMTLS verdict is the
verdict of the controllers that serve the object, not of the first one seen (nginx/kubernetes-ingress
issue 1565: two controllers, one with -enable-preview-policies, report the same Policy both invalid
and valid; issue 1570 added Policy.spec.ingressClassName for it). nginx/kubernetes-ingress v5.5.4:
- cmd/nginx-ingress/flags.go: -ingress-class (default "nginx"), -watch-namespace (comma-separated,
  default every namespace) and -watch-namespace-label (a label selector on Namespaces; exclusive).
- internal/k8s/controller.go HasCorrectIngressClass: an Ingress is a controller's when its class (the
  kubernetes.io/ingress.class annotation, which beats spec.ingressClassName) is -ingress-class; a
  VirtualServer or a Policy when its spec.ingressClassName is -ingress-class or empty: one without a
  class is served by every controller (issue 6891).
- controller.go getPolicies: a Policy in a namespace the controller does not watch ("failed to get
  namespace"), or of another class ("referenced policy %s has incorrect ingress class"), is an error,
  and the resource answers HTTP 500 (internal/configs/virtualserver.go generatePolicies).
"""

from __future__ import annotations

from dataclasses import dataclass

from mtls_tui.model import ClusterSnapshot, SuccessorController
from mtls_tui.policy.controller_images import PRODUCTS
from mtls_tui.policy.ingress_nginx.releases import release_of
from mtls_tui.policy.label_selector import parse_selector
from mtls_tui.policy.successors.releases import ControllerRelease, go_value

CLASS_ANNOTATION = "kubernetes.io/ingress.class"


@dataclass(frozen=True)
class F5Controller:
    """One controller Deployment and the flags that decide what it serves."""

    controller: SuccessorController
    ingress_class: str
    namespaces: tuple[str, ...]  # -watch-namespace; () for every namespace
    namespace_label: str  # -watch-namespace-label

    @property
    def release(self) -> ControllerRelease:
        image = self.controller.image
        why = "" if release_of(image) else f"the image {image} names no release"
        return ControllerRelease(PRODUCTS["f5-nginx"], release_of(image), self.controller, why)

    @property
    def label(self) -> str:
        return f"{self.controller.ref} (-ingress-class={self.ingress_class})"

    def takes(self, kind: str, klass: str) -> bool:
        """HasCorrectIngressClass: an Ingress needs the class; a VirtualServer or Policy takes no class too."""
        return klass == self.ingress_class or (kind != "Ingress" and klass == "")

    def watches(self, namespace: str, snapshot: ClusterSnapshot) -> bool:
        """-watch-namespace lists it, or -watch-namespace-label matches its labels (main.go lists the
        Namespaces with that label selector); a Namespace not read, or a selector that does not parse,
        is taken as watched."""
        if self.namespaces:
            return namespace in self.namespaces
        found = next((n for n in snapshot.namespaces if n.name == namespace), None)
        selector = parse_selector(self.namespace_label) if self.namespace_label else None
        return found is None or selector is None or selector.matches(dict(found.labels))

    def serves(self, kind: str, klass: str, namespace: str, snapshot: ClusterSnapshot) -> bool:
        return self.takes(kind, klass) and self.watches(namespace, snapshot)


def f5_controllers(snapshot: ClusterSnapshot) -> tuple[F5Controller, ...]:
    """The F5 controllers seen, with their flags (Go's flag package: `-name=value` or `-name value`)."""
    found = []
    for controller in snapshot.successor_controllers:
        if controller.implementation != "f5-nginx":
            continue
        watched = go_value(controller.args, "watch-namespace", "")
        found.append(
            F5Controller(
                controller,
                go_value(controller.args, "ingress-class", "nginx"),
                tuple(n.strip() for n in watched.split(",") if n.strip()),
                go_value(controller.args, "watch-namespace-label", ""),
            )
        )
    return tuple(found)
