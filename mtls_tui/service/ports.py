"""What the pipeline needs from the outside world, as protocols the edges implement.

`sources/` implements `SnapshotSource` for manifest files and for a cluster (the lab is
a cluster with its own kubeconfig); the probe is any callable from a spec to results
(`sources.probe.run_probe`). The screen talks to the lab through `LabControl` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal, Protocol

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.model import ClusterSnapshot, IngressObj, ProbeResult, ProbeSpec
from mtls_tui.service.session import Session

Progress = Callable[[str], None]
# Ingresses as they are read, a page at a time, before the rest of the snapshot: the screen
# lists their hosts while Secrets and rules are still to come.
IngressesRead = Callable[[Sequence[IngressObj]], None]
Prober = Callable[[ProbeSpec], list[ProbeResult]]


class Stream(Protocol):
    """A blocking follower (logs, watch) that another thread can stop."""

    def run(self) -> None: ...

    def stop(self) -> None: ...


class SnapshotSource(Protocol):
    """Where the Ingresses and Secrets come from."""

    live: bool  # a cluster: its controller's logs can be followed and its objects watched

    def load(self, progress: Progress | None = None, on_ingresses: IngressesRead | None = None) -> ClusterSnapshot: ...

    def follow_logs(self, sink: Callable[[object], None]) -> Stream: ...

    def watch(self, on_change: Callable[[str], None]) -> Stream: ...


StepState = Literal["done", "failed", "pending"]


class WalkthroughStep(Protocol):
    """One of the seed article's steps as the lab sees it now (read-only: a frozen dataclass fits)."""

    @property
    def title(self) -> str: ...

    @property
    def command(self) -> str: ...

    @property
    def state(self) -> StepState: ...

    @property
    def detail(self) -> str: ...


class LabControl(Protocol):
    """What the screen may do with a lab, in this process or in the one serving browsers."""

    @property
    def scenario(self) -> str: ...

    def scenarios(self) -> Mapping[str, str]:
        """Scenario names and what mistake each plants, in the order to offer them."""
        ...

    def switch(self, scenario: str) -> None: ...

    def session(self) -> Session: ...

    def walkthrough(self, reports: Sequence[HostReport]) -> Sequence[WalkthroughStep]:
        """The article's steps, their state judged from the screen's last reports and the lab."""
        ...

    @property
    def walkthrough_hint(self) -> str: ...

    @property
    def fix_place(self) -> str:
        """What a terminal runs before a copied fix: the fixes name the lab's files and its API server."""
        ...


class VerifyOutcome(Protocol):
    """A before/after table (lab/verify.py VerifyTable): rows the screen renders, and whether any
    difference is left unexplained."""

    @property
    def unexplained(self) -> Sequence[object]: ...

    def render(self) -> object: ...


class MigrationVerifier(Protocol):
    """Runs clients against the old data plane (ingress-nginx's) and the new one (lab/verify.py)."""

    def __call__(
        self,
        old: ClusterSnapshot,
        new: ClusterSnapshot,
        clients: list[tuple[str, str]],
        *,
        explanations: Mapping[str, list[str]],
        hosts: list[str],
    ) -> VerifyOutcome: ...
