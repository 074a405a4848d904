"""Readers for ingress-nginx's successors: each turns its controller's objects into the common
`ClientValidation` (common.py), citing the controller's source for every rule.

`client_validations(snapshot)` is the one entry the pipeline calls; each reader adds itself to
`READERS`. A reader returns nothing when its objects are absent (the API group is optional in a
cluster: "not installed" is not an error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.controller_images import PRODUCTS
from mtls_tui.policy.successors import envoy_gateway, gateway_api, istio
from mtls_tui.policy.successors.common import ClientValidation
from mtls_tui.policy.successors.f5_nginx import read_f5_nginx
from mtls_tui.policy.successors.releases import release_for
from mtls_tui.policy.successors.traefik import read_traefik
from mtls_tui.policy.successors.traefik_ingress_nginx import read_traefik_ingress_nginx

Reader = Callable[[ClusterSnapshot], list[ClientValidation]]

# Each Gateway API Gateway is read once: Envoy Gateway's by envoy_gateway (frontend and
# ClientTrafficPolicies), every other implementation's by gateway_api.
READERS: tuple[Reader, ...] = (
    read_traefik,
    read_traefik_ingress_nginx,
    read_f5_nginx,
    gateway_api.read,
    envoy_gateway.read,
    istio.read,
)


def client_validations(snapshot: ClusterSnapshot) -> list[ClientValidation]:
    """Every successor's client validation found in the snapshot, reader by reader, each naming
    the controller release whose rules it was read with (policy/successors/releases.py)."""
    found: list[ClientValidation] = []
    for read in READERS:
        found += read(snapshot)
    releases = {name: release_for(snapshot, name).named for name in PRODUCTS}
    return [replace(v, release=releases.get(v.implementation, "")) for v in found]
