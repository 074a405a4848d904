"""What a migration produces: per host, the new controller's objects, the commands that create
the Secrets holding a private key, and the findings for what does not carry over.

Plain data, no I/O: the command writes the files (commands/migrate.py), the tests read the
objects back with the successors' readers (policy/successors/) to prove they mean the same.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

import yaml

from mtls_tui.model import Finding, Severity

# The controllers `mtls-tui migrate --to` writes for (issue 15). "gateway-api" is the Standard
# channel alone (spec.tls.frontend); "envoy-gateway" adds a ClientTrafficPolicy where the core
# API cannot say it.
Target = Literal["gateway-api", "envoy-gateway", "traefik", "f5-nginx", "istio"]
TARGETS: tuple[Target, ...] = get_args(Target)

# The GatewayClass name written into Gateways: the user's cluster names its class, not us. Envoy
# Gateway's quickstart installs `eg`; for the plain API the value is a placeholder that still
# passes the CRD schema, so `kubectl apply --dry-run=server` reports only what the user must set.
DEFAULT_GATEWAY_CLASS: dict[Target, str] = {
    "gateway-api": "replace-with-your-gatewayclass",
    "envoy-gateway": "eg",
    "traefik": "",
    "f5-nginx": "",
    "istio": "",
}


@dataclass(frozen=True)
class SecretCommand:
    """A Secret that holds a private key: never written into a generated file, only created by
    the user with this command (`--dry-run=client -o yaml`: it prints the Secret; the user pipes
    it to `kubectl apply -f -` after reading it). `reads` are the commands that fetch the key
    pair from the cluster into local files first (read-only)."""

    namespace: str
    name: str
    why: str
    reads: tuple[str, ...]
    create: str
    source: str | None = None  # `namespace/name` of the Secret the key pair comes from (None: the user makes it)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def command(self) -> str:
        """The whole command as printed: the reads, then the creation."""
        return " && ".join((*self.reads, self.create))


@dataclass(frozen=True)
class HostMigration:
    """One ingress-nginx host moved to one target."""

    host: str
    target: Target
    base: str  # the name its objects and file start with (`unique_slugs`)
    ingresses: tuple[str, ...]  # `namespace/name` of the Ingresses that configured the host
    objects: tuple[dict[str, Any], ...]  # Kubernetes manifests, in apply order
    secret_commands: tuple[SecretCommand, ...]
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()  # alternatives and settings the user must make (shown in the file header)

    @property
    def file_name(self) -> str:
        return f"{self.base}.yaml"

    @property
    def has_error(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


@dataclass(frozen=True)
class MigrationPlan:
    target: Target
    hosts: tuple[HostMigration, ...]
    findings: tuple[Finding, ...] = ()  # not about one host: nothing to migrate, the host asked for is absent

    @property
    def all_findings(self) -> tuple[Finding, ...]:
        return (*self.findings, *(f for h in self.hosts for f in h.findings))


def slug(host: str) -> str:
    """A DNS-1123 label from a host name (object and file names): `*.meow.com` → `wildcard-meow-com`."""
    text = host.lower().replace("*", "wildcard")
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return (text or "host")[:50].rstrip("-")


def unique_slugs(hosts: Iterable[str]) -> dict[str, str]:
    """Each host's slug, made unique among `hosts`: `*.meow.com` and `wildcard.meow.com`, or two
    long names cut at the same 50 characters, would otherwise name the same objects and the same
    file, and the second host's would replace the first's. Those that collide end in a short hash
    of the host instead (at most 50 characters still: room for the `-client-ca` suffixes)."""
    hosts = list(dict.fromkeys(hosts))
    plain = {h: slug(h) for h in hosts}
    taken = list(plain.values())
    out = {}
    for host, name in plain.items():
        if taken.count(name) > 1:
            digest = hashlib.sha256(host.encode()).hexdigest()[:6]
            name = f"{name[:43].rstrip('-')}-{digest}"
        out[host] = name
    return out


class _Dumper(yaml.SafeDumper):
    """PEM and other multi-line strings as `|` blocks, as a person would write a ConfigMap."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def objects_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    """The objects as the generated file holds them (and the screen shows them)."""
    return yaml.dump_all([dict(o) for o in objects], Dumper=_Dumper, sort_keys=False, explicit_start=True)
