"""The diagnosis, step by step: snapshot → host policies → probe specs → probes → reports.

The CLI runs the steps in one go (`check`); the screen runs them in workers and
re-runs the last step as each probe comes back (`reports`). Both go through here, so a
host is judged the same way wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mtls_tui.certs.load import Material
from mtls_tui.diagnose.hosts import HostReport, host_report
from mtls_tui.errors import CannotRun
from mtls_tui.model import ClusterSnapshot, ProbeResult, ProbeSpec
from mtls_tui.policy.ingress_nginx import HostPolicy, host_policies
from mtls_tui.service.ports import Prober
from mtls_tui.service.session import PROBE_TIMEOUT, Session


@dataclass
class Diagnosis:
    """One reading of the source and what was concluded from it; `probes` grows as
    probes come back, `reports` is recomputed from all of it."""

    snapshot: ClusterSnapshot
    client: Material | None
    now: datetime
    host: str | None = None  # only this host (an unknown one raises CannotRun)
    probes: dict[str, list[ProbeResult]] = field(default_factory=dict)
    reports: list[HostReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reports = reports(self.snapshot, self.client, self.probes, self.now, self.host)

    def add_probes(self, results: Mapping[str, list[ProbeResult]]) -> None:
        self.probes.update(results)
        self.reports = reports(self.snapshot, self.client, self.probes, self.now, self.host)

    def report(self, host: str | None) -> HostReport | None:
        """The host's report; the first one when `host` is unknown (a host that left the cluster)."""
        return next((r for r in self.reports if r.host == host), self.reports[0] if self.reports else None)


def reports(
    snapshot: ClusterSnapshot,
    client: Material | None,
    probes: Mapping[str, list[ProbeResult]],
    now: datetime,
    host: str | None = None,
) -> list[HostReport]:
    """Every TLS host's report (or `host`'s only), with whatever probes have come back."""
    policies = [p for p in host_policies(snapshot) if host is None or p.host == host]
    if host is not None and not policies:
        known = ", ".join(p.host for p in host_policies(snapshot)) or "none"
        raise CannotRun(f"no Ingress serves host {host} with TLS (hosts: {known})")
    return [host_report(p, snapshot, now, client=client, probe=probes.get(p.host)) for p in policies]


def probe_plan(
    session: Session, policies: list[HostPolicy], timeout: float = PROBE_TIMEOUT
) -> Iterator[tuple[str, ProbeSpec]]:
    """The probe of each host that has an address (or `session.connect`), in report order."""
    for policy in policies:
        spec = session.probe_spec(policy, timeout=timeout)
        if spec is not None:
            yield policy.host, spec


def check(
    session: Session,
    snapshot: ClusterSnapshot,
    client: Material | None,
    prober: Prober | None,
    host: str | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> Diagnosis:
    """All steps at once, probing host after host (`prober` None: no request is sent)."""
    diagnosis = Diagnosis(snapshot, client, session.now(), host)  # an unknown host fails before any probe
    if prober is not None:
        plan = probe_plan(session, [r.policy for r in diagnosis.reports], timeout)
        diagnosis.add_probes({name: prober(spec) for name, spec in plan})
    return diagnosis
