"""The diagnosis, step by step: snapshot → host policies → probe specs → probes → reports.

The CLI runs the steps in one go (`check`); the screen runs them in workers: the host
policies first (its host list), then the reports in batches, and re-runs the last step for
a host as its probe comes back (`Diagnosis.add_probes`). Both go through here, so a
host is judged the same way wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from mtls_tui.certs.load import Material
from mtls_tui.diagnose.hosts import HostReport, host_report
from mtls_tui.diagnose.successors import SuccessorReport, successor_report
from mtls_tui.errors import CannotRun
from mtls_tui.model import ClusterSnapshot, Forced, ProbeResult, ProbeSpec, Severity
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.forced import forced_snapshot, judged_by_ingress_nginx
from mtls_tui.service.ports import Prober
from mtls_tui.service.session import PROBE_TIMEOUT, Session


@dataclass
class Diagnosis:
    """One reading of the source and what was concluded from it; `probes` grows as
    probes come back.

    The CLI judges every host at once (`lazy` False: `reports` is complete when built).
    The screen builds it `lazy`: `policies` at once (the host list), then `judge` computes
    hosts' reports in a worker, in the order `judging_order` gives, and `record` keeps them
    on the screen's thread; `reports` holds those judged so far, in host order."""

    snapshot: ClusterSnapshot
    client: Material | None
    now: datetime
    host: str | None = None  # only this host (an unknown one raises CannotRun)
    probes: dict[str, list[ProbeResult]] = field(default_factory=dict)
    lazy: bool = False
    controller: Forced | None = None  # --controller: the snapshot is judged as if it served everything
    policies: list[HostPolicy] = field(default_factory=list, init=False)
    successors: list[SuccessorReport] = field(default_factory=list, init=False)  # other controllers' hosts
    judged: dict[str, HostReport] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.snapshot = forced_snapshot(self.snapshot, self.controller)
        self.successors = [
            successor_report(v, client=self.client, now=self.now)
            for v in client_validations(self.snapshot)
            if self.host is None or v.host == self.host
        ]
        others = [s.host for s in self.successors]
        self.policies = (
            selected_policies(self.snapshot, self.host, also=others)
            if judged_by_ingress_nginx(self.controller)
            else selected_policies(ClusterSnapshot(self.snapshot.source), self.host, also=others)
        )
        self._by_host = {p.host: p for p in self.policies}
        if not self.lazy:
            self.record(self.judge(self.policies))

    @property
    def reports(self) -> list[HostReport]:
        """The reports judged so far, in host order (all of them unless `lazy`)."""
        if len(self.judged) == len(self.policies):
            return [self.judged[p.host] for p in self.policies]
        return [self.judged[p.host] for p in self.policies if p.host in self.judged]

    @property
    def complete(self) -> bool:
        return len(self.judged) == len(self.policies)

    def policy(self, host: str | None) -> HostPolicy | None:
        return self._by_host.get(host) if host is not None else None

    def judge(self, policies: Iterable[HostPolicy]) -> list[HostReport]:
        """These hosts' reports with the probes known now; pure, so a worker thread may call it."""
        return [
            host_report(p, self.snapshot, self.now, client=self.client, probe=self.probes.get(p.host)) for p in policies
        ]

    def record(self, reports: Iterable[HostReport], *, replace: bool = True) -> list[HostReport]:
        """Keep these reports; with `replace` False a host already judged keeps its report (a
        worker's batch must not undo a probe recorded meanwhile). Returns those kept."""
        kept = [r for r in reports if r.host in self._by_host and (replace or r.host not in self.judged)]
        self.judged.update((r.host, r) for r in kept)
        return kept

    def judging_order(self, first: str | None = None) -> list[HostPolicy]:
        """The hosts not judged yet: `first` (the one the user is looking at), then those whose
        policy already carries an error (denied, annotations refused), then the rest in host order."""
        waiting = [p for p in self.policies if p.host not in self.judged]
        return sorted(waiting, key=lambda p: (p.host != first, not _erring(p)))  # stable: host order kept

    def add_probes(self, results: Mapping[str, list[ProbeResult]]) -> None:
        """Probes came back: these hosts are judged again (the others keep their reports)."""
        self.probes.update(results)
        self.record(self.judge(p for host in results if (p := self._by_host.get(host)) is not None))

    def add_successor_probes(self, results: Mapping[str, list[ProbeResult]]) -> None:
        """Probes of other controllers' hosts (by key) came back: compared with what their objects predict."""
        self.successors = [
            successor_report(s.validation, results[s.key], self.client, self.now) if s.key in results else s
            for s in self.successors
        ]

    def successor(self, key: str | None) -> SuccessorReport | None:
        """Another controller's host, by `SuccessorReport.key`."""
        return next((s for s in self.successors if s.key == key), None) if key is not None else None

    def keys(self) -> list[str]:
        """Every host the screen lists: ingress-nginx's, then other controllers' (by their key)."""
        return [p.host for p in self.policies] + [s.key for s in self.successors]

    def report(self, host: str | None) -> HostReport | SuccessorReport | None:
        """The host's report (another controller's by its key); the first host's when `host` is
        unknown (a host that left the cluster); None while that host is not judged yet."""
        if (other := self.successor(host)) is not None:
            return other
        if not self.policies and self.successors:
            return self.successors[0]
        policy = self._by_host.get(host) if host is not None else None
        if policy is None:
            policy = self.policies[0] if self.policies else None
        return self.judged.get(policy.host) if policy is not None else None


def _erring(policy: HostPolicy) -> bool:
    return policy.denied or any(f.severity is Severity.ERROR for f in policy.findings)


def selected_policies(snapshot: ClusterSnapshot, host: str | None = None, also: Iterable[str] = ()) -> list[HostPolicy]:
    """Every TLS host's policy (or `host`'s only: a host neither here nor in `also`, the hosts
    other controllers serve, raises CannotRun)."""
    every = host_policies(snapshot)
    policies = [p for p in every if host is None or p.host == host]
    others = set(also)
    if host is not None and not policies and host not in others:
        known = ", ".join(dict.fromkeys([*(p.host for p in every), *sorted(others)])) or "none"
        raise CannotRun(f"no Ingress serves host {host} with TLS (hosts: {known})")
    return policies


def reports(
    snapshot: ClusterSnapshot,
    client: Material | None,
    probes: Mapping[str, list[ProbeResult]],
    now: datetime,
    host: str | None = None,
) -> list[HostReport]:
    """Every TLS host's report (or `host`'s only), with whatever probes have come back."""
    return Diagnosis(snapshot, client, now, host, dict(probes)).reports


def probe_plan(
    session: Session, policies: list[HostPolicy], timeout: float = PROBE_TIMEOUT
) -> Iterator[tuple[str, ProbeSpec]]:
    """The probe of each host that has an address (or `session.connect`), in report order."""
    for policy in policies:
        spec = session.probe_spec(policy, timeout=timeout)
        if spec is not None:
            yield policy.host, spec


def successor_plan(
    session: Session, successors: list[SuccessorReport], timeout: float = PROBE_TIMEOUT
) -> Iterator[tuple[str, ProbeSpec]]:
    """The probe of each other controller's host, by key: at `session.connect` only (their
    addresses are not read yet)."""
    for report in successors:
        spec = session.probe_spec(report.host, timeout=timeout)
        if spec is not None:
            yield report.key, spec


def check(
    session: Session,
    snapshot: ClusterSnapshot,
    client: Material | None,
    prober: Prober | None,
    host: str | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> Diagnosis:
    """All steps at once, probing host after host (`prober` None: no request is sent)."""
    diagnosis = Diagnosis(
        snapshot, client, session.now(), host, controller=session.controller
    )  # unknown host: fails here
    if prober is not None:
        plan = probe_plan(session, diagnosis.policies, timeout)
        diagnosis.add_probes({name: prober(spec) for name, spec in plan})
        others = dict(successor_plan(session, diagnosis.successors, timeout))
        diagnosis.add_successor_probes({key: prober(spec) for key, spec in others.items()})
    return diagnosis
