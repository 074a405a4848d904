"""ListenerSets are not read: said, so that their hosts are never dropped from a report without a word.

A ListenerSet (gateway.networking.k8s.io, kubernetes-sigs/gateway-api v1.6.1 apis/v1/listenerset_types.go)
adds listeners to the Gateway its parentRef names, and Envoy Gateway v1.9.0 lets a ClientTrafficPolicy
target a ListenerSet (api/v1alpha1/clienttrafficpolicy_types.go XValidation: Gateway or ListenerSet;
envoyproxy/gateway#9026, kubernetes-sigs/gateway-api#4908 ask for client validation per ListenerSet). The
successor readers read a Gateway's own listeners only, so a ListenerSet's hosts get no verdict: this says
which hosts those are."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from mtls_tui.model import Finding, KubeResource, Severity

_TLS_PROTOCOLS = ("HTTPS", "TLS")


def _entries(resource: KubeResource) -> list[dict[str, Any]]:
    spec = resource.body.get("spec")
    listeners = spec.get("listeners") if isinstance(spec, dict) else None
    return [entry for entry in listeners if isinstance(entry, dict)] if isinstance(listeners, list) else []


def unread_listener_sets(resources: Iterable[KubeResource]) -> Iterator[Finding]:
    """One warning per ListenerSet with an HTTPS or TLS listener: its hosts are not in the report."""
    for resource in resources:
        if (resource.group, resource.kind) != ("gateway.networking.k8s.io", "ListenerSet"):
            continue
        hosts = [
            f"{entry.get('hostname') or '*'}:{entry.get('port')}"
            for entry in _entries(resource)
            if entry.get("protocol") in _TLS_PROTOCOLS
        ]
        if not hosts:
            continue
        label = f"ListenerSet {resource.namespace}/{resource.name}"
        yield Finding(
            code="listener-set-not-read",
            severity=Severity.WARNING,
            title=f"{label}: its listeners are not read; what {', '.join(hosts)} get was not checked",
            detail="A ListenerSet adds its listeners to the Gateway its parentRef names (gateway-api "
            "apis/v1/listenerset_types.go), and Envoy Gateway from v1.9.0 applies a ClientTrafficPolicy that "
            "targets it (clienttrafficpolicy_types.go). This tool reads a Gateway's own listeners only: these "
            "hosts are missing from the report, not judged.",
            fix="",
            subject=label,
            evidence=tuple(f"listener {entry.get('name')}: {entry.get('protocol')}" for entry in _entries(resource)),
        )
