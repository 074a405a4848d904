"""The cluster after a migration, as the data planes would see it: the generated objects, the
Secrets the printed commands create (copied from the Secrets they read: in memory only, for a
verification; never written to a file), and the GatewayClass the Gateways name."""

from __future__ import annotations

import base64
from typing import Any

from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.migrate.plan import MigrationPlan, SecretCommand


def after_objects(plan: MigrationPlan, snapshot: ClusterSnapshot) -> list[dict[str, Any]]:
    made = [tls_secret(c, snapshot) for h in plan.hosts for c in h.secret_commands]
    generated = [dict(o) for h in plan.hosts for o in h.objects]
    return [*generated, *(s for s in made if s is not None), *gateway_classes(generated)]


def gateway_classes(generated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The GatewayClass the generated Gateways name, as Envoy Gateway's: the cluster has it (the
    user sets its name), and Envoy is the data plane the lab measures Gateway API on."""
    names = {str((o.get("spec") or {}).get("gatewayClassName") or "") for o in generated if o.get("kind") == "Gateway"}
    return [
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": name},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        }
        for name in sorted(names)
        if name
    ]


def tls_secret(command: SecretCommand, snapshot: ClusterSnapshot) -> dict[str, Any] | None:
    """What `command` creates, from the Secret it reads (None: nothing to copy from)."""
    source = snapshot.secret(command.source) if command.source else None
    if source is None or source.get("tls.crt") is None or source.get("tls.key") is None:
        return None
    data = {k: base64.b64encode(source.get(k) or b"").decode() for k in ("tls.crt", "tls.key")}
    meta = {"name": command.name, "namespace": command.namespace}
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": meta, "data": data}
