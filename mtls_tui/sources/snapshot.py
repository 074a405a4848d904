"""Where a snapshot comes from: manifest files or a cluster context (the lab is a cluster
with its own kubeconfig). Each implements `service.ports.SnapshotSource`. Blocking."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mtls_tui.diagnose.certificates import input_label
from mtls_tui.errors import CannotRun
from mtls_tui.model import ClusterSnapshot, LogEvidence
from mtls_tui.service.ports import IngressesRead, Progress, SnapshotSource, Stream
from mtls_tui.service.session import Session

if TYPE_CHECKING:
    from mtls_tui.logs.records import LogRecord
    from mtls_tui.sources.kube import KubeSource

LOG_TAIL = 200  # lines per controller pod shown when the logs start


class ManifestSource:
    """YAML/JSON files or folders, read as the API server would hand them to the controller."""

    live = False

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def load(self, progress: Progress | None = None, on_ingresses: IngressesRead | None = None) -> ClusterSnapshot:
        """Objects are turned into the model's as they are read; documents that could not be read
        come with the snapshot as `input-unreadable` findings (none read at all: InputError), before
        the objects the API server would refuse (policy/successors/refused.py)."""
        from mtls_tui.policy.kube_objects import snapshot_from_objects
        from mtls_tui.sources.manifests import ManifestSet

        manifests = ManifestSet(self.paths)
        snapshot = snapshot_from_objects(
            manifests.objects(), "manifests " + " ".join(map(input_label, self.paths)), complete=False
        )
        return replace(snapshot, unreadable=tuple(manifests.unreadable) + snapshot.unreadable)

    def follow_logs(self, sink: Callable[[object], None]) -> Stream:
        raise CannotRun("logs need a cluster: these are manifest files")

    def watch(self, on_change: Callable[[str], None]) -> Stream:
        raise CannotRun("manifest files are read once: press r to read them again")


class ClusterSource:
    """A kubeconfig context, read with the Kubernetes client (imported only when used)."""

    live = True

    def __init__(
        self,
        context: str | None,
        namespace: str | None,
        kubeconfig: str | None,
        controller: str | None = None,
        exec_conf: bool = False,
    ) -> None:
        self.context, self.namespace, self.kubeconfig = context, namespace, kubeconfig
        self.controller = controller or "ingress-nginx"  # whose pods' logs are followed
        self.exec_conf = exec_conf

    def _connect(self, namespace: str | None) -> KubeSource:
        from mtls_tui.sources.kube import KubeSource

        return KubeSource(self.context, namespace, self.kubeconfig)

    def load(self, progress: Progress | None = None, on_ingresses: IngressesRead | None = None) -> ClusterSnapshot:
        source = self._connect(self.namespace)
        try:
            snapshot = source.snapshot(progress, on_ingresses, exec_conf=self.exec_conf)
            return replace(snapshot, log_evidence=_log_evidence(source)) if self.exec_conf else snapshot
        finally:
            source.close()

    def follow_logs(self, sink: Callable[[object], None]) -> Stream:
        """Every ingress-nginx controller pod, whatever namespace the Ingresses are read from."""
        from mtls_tui.sources.kube import LOG_SELECTORS
        from mtls_tui.sources.logs import ControllerLogs

        selector = LOG_SELECTORS.get(self.controller, LOG_SELECTORS["ingress-nginx"])  # other pods: not yet
        return _Connected(
            lambda: self._connect(None), lambda source: ControllerLogs(source, sink, tail=LOG_TAIL, selector=selector)
        )

    def watch(self, on_change: Callable[[str], None]) -> Stream:
        from mtls_tui.sources.watch import ClusterWatch

        return _Connected(lambda: self._connect(self.namespace), lambda source: ClusterWatch(source, on_change))


LOG_EVIDENCE_TAIL = 500  # lines per controller pod read for evidence (`check --exec`)
# What the controller logs when nginx runs a new configuration (controller.go syncIngress,
# `klog.InfoS("Backend successfully reloaded")`): lines before it are about an older one.
RELOADED = "Backend successfully reloaded"


def _log_evidence(source: KubeSource) -> tuple[LogEvidence, ...]:
    """The controller's recent lines that name a finding's cause; none when they cannot be read
    (the rest of the report does not depend on them)."""
    from mtls_tui.logs.classify import classify
    from mtls_tui.sources.logs import read_controller_logs

    try:
        records = read_controller_logs(source, tail=LOG_EVIDENCE_TAIL)
    except CannotRun:
        return ()
    since_reload: dict[str, list[LogRecord]] = {}
    for record in records:  # in time order, per pod: each pod reloads on its own
        if RELOADED in record.text:
            since_reload[record.pod] = []
        else:
            since_reload.setdefault(record.pod, []).append(record)
    found = []
    for record in (r for pod in since_reload.values() for r in pod):
        highlight = classify(record)
        if highlight is not None and highlight.refs:
            found.append(LogEvidence(highlight.code, highlight.refs, record.text))
    return tuple(found)


class _Connected:
    """A stream that connects when run, and can be stopped before, during or after."""

    def __init__(self, connect: Callable[[], KubeSource], make: Callable[[KubeSource], Any]) -> None:
        self._connect, self._make = connect, make
        self._lock = threading.Lock()
        self._stream: Any = None
        self._stopped = False

    def run(self) -> None:
        source = self._connect()  # CannotRun: no cluster to follow
        try:
            with self._lock:
                if self._stopped:
                    return
                self._stream = self._make(source)
            self._stream.run()
        finally:
            source.close()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._stream is not None:
                self._stream.stop()


def source_for(session: Session) -> SnapshotSource:
    if session.manifests:
        return ManifestSource(session.manifests)
    return ClusterSource(
        session.context, session.namespace, session.kubeconfig, session.controller, exec_conf=session.exec_conf
    )
