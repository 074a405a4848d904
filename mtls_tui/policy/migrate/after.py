"""The cluster after a migration, as the data planes would see it: the generated objects, the
Secrets the printed commands create (copied from the Secrets they read: in memory only, for a
verification; never written to a file), and the GatewayClass the Gateways name.

A command that reads no Secret (the old host had no certificate of its own: the user makes one)
still creates one: a made certificate for the host stands in for it (issued by MADE_SERVER_CA, so a
verification can say so). Left out, the new side would lack a Secret its listener names, and Envoy
Gateway drops such a listener (validate.go validateTerminateModeAndGetTLSSecrets): the verification
would measure a migration the user had not finished."""

from __future__ import annotations

import base64
from typing import Any

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.migrate.plan import MigrationPlan, SecretCommand


def after_objects(plan: MigrationPlan, snapshot: ClusterSnapshot) -> list[dict[str, Any]]:
    made = [tls_secret(c, snapshot, h.host) for h in plan.hosts for c in h.secret_commands]
    generated = [dict(o) for h in plan.hosts for o in h.objects]
    return [*generated, *made, *gateway_classes(generated)]


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


MADE_SERVER_CA = "mtls-tui verify server CA"


def made_server_keypair(host: str) -> tuple[bytes, bytes]:
    """A certificate for `host` where no Secret holds one (the controllers' own fake one, or a Secret
    the printed command makes): a probe of the migration does not check it, and it does not change
    who gets in; only that both data planes can serve the host."""
    server = issue_leaf(host, issue_ca(MADE_SERVER_CA, key=new_key("ec")), v1=False, sans=[host])
    return server.cert_pem(), server.key_pem()


def tls_secret(command: SecretCommand, snapshot: ClusterSnapshot, host: str) -> dict[str, Any]:
    """What `command` creates: from the Secret it reads, else with a made certificate for `host`."""
    source = snapshot.secret(command.source) if command.source else None
    cert, key = (source.get("tls.crt"), source.get("tls.key")) if source is not None else (None, None)
    if not cert or not key:
        cert, key = made_server_keypair(host)
    data = {"tls.crt": base64.b64encode(cert).decode(), "tls.key": base64.b64encode(key).decode()}
    meta = {"name": command.name, "namespace": command.namespace}
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": meta, "data": data}
