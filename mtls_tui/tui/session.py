"""What the app is looking at: a cluster context, manifest files or the lab, and
the user's client certificate. Its methods block; the app calls them in workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from mtls_tui.certs.load import Material, load_material
from mtls_tui.diagnose.hosts import HostReport, host_report
from mtls_tui.diagnose.reproduce import probe_target
from mtls_tui.errors import InputError
from mtls_tui.model import ClusterSnapshot, ProbeResult, ProbeSpec
from mtls_tui.policy.ingress_nginx import HostPolicy, host_policies
from mtls_tui.sources.files import passphrase, read_bytes
from mtls_tui.sources.snapshot import load_snapshot


@dataclass
class Session:
    context: str | None = None
    kubeconfig: str | None = None
    namespace: str | None = None
    manifests: list[str] = field(default_factory=list)
    cert: str | None = None
    key: str | None = None
    cacert: str | None = None
    connect: str | None = None  # ADDR:PORT where every host is probed (the lab's gateway)
    passphrase: str | None = field(default=None, repr=False)
    label: str = ""
    frozen_now: datetime | None = None  # a fixed clock, for screenshots that must not change with the date

    def now(self) -> datetime:
        return self.frozen_now or datetime.now(timezone.utc)

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.manifests:
            return "manifests " + " ".join(self.manifests)
        return f"context {self.context or '(current)'}"

    def load(self, progress: Callable[[str], None] | None = None) -> ClusterSnapshot:
        return load_snapshot(manifests=self.manifests or None, context=self.context, namespace=self.namespace,
                             kubeconfig=self.kubeconfig, progress=progress)

    def client(self) -> Material | None:
        """The user's client certificate. Never prompts for a pass phrase: a screen owns the
        terminal (give it with --pass or MTLS_TUI_PASS)."""
        if not self.cert:
            return None
        material = load_material(read_bytes(self.cert), self.cert, passphrase(self.passphrase))
        if not material.certs:
            raise InputError(self.cert, f"holds {material.describe()}, no certificate: open the client certificate "
                                        "(its key goes in the Probe tab's --key field)")
        if self.key and not material.keys:  # the key's own file name goes into fixes (never its bytes anywhere)
            material = material + load_material(read_bytes(self.key), self.key, passphrase(self.passphrase))
        return material

    def probe_spec(self, policy: HostPolicy, *, url: str | None = None, resolve: str | None = None,
                   host: str | None = None, cert: str | None = None, key: str | None = None,
                   cacert: str | None = None, insecure: bool = True) -> ProbeSpec | None:
        """The probe of a host: at its own address unless `url` says otherwise; `host` is a
        Host header other than the URL's host (SNI and Host disagree, as with curl -H)."""
        if url is None:
            target = probe_target(policy.host, policy.ingresses, self.connect)
            if target is None:
                return None
            url, resolve = target
        return ProbeSpec(url, resolve=resolve, cert=cert if cert is not None else self.cert,
                         key=key if key is not None else self.key, cacert=cacert if cacert is not None else self.cacert,
                         insecure=insecure, headers=(("Host", host),) if host else (),
                         passphrase=passphrase(self.passphrase), timeout=10)


def reports_for(snapshot: ClusterSnapshot, client: Material | None,
                probes: dict[str, list[ProbeResult]], now: datetime) -> list[HostReport]:
    return [host_report(p, snapshot, now, client=client, probe=probes.get(p.host)) for p in host_policies(snapshot)]
