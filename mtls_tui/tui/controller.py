"""The screen's state and its I/O: what is being looked at, the current diagnosis, the
probes and the live streams. The app listens (typed messages from `messages.py`) and
hands the panes what they show; the panes never see this object.

Everything that waits (reading the cluster, probing, following logs, a lab switch)
runs in a thread worker, so a key press never waits; a newer request of the same kind
replaces an older one (`exclusive=True`, per group). State changes on the app's thread
only: workers post what they found, and the app calls back into `record_*`.
"""

from __future__ import annotations

import functools
import queue
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from textual.timer import Timer
from textual.worker import get_current_worker

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.views import CertificatesView, IngressView, certificates_view, ingress_view
from mtls_tui.errors import MtlsTuiError
from mtls_tui.logs.records import LogRecord
from mtls_tui.model import ProbeResult, ProbeSpec
from mtls_tui.service.pipeline import Diagnosis, probe_plan
from mtls_tui.service.ports import LabControl, Stream
from mtls_tui.service.session import Session
from mtls_tui.tui import messages

if TYPE_CHECKING:
    from textual.app import App

LOG_BATCH = 2000  # records moved to the view per tick, so a flood cannot starve the keyboard
RELOAD_DELAY = 0.5  # a kubectl apply of several objects reloads once
LAB_RELOAD_DELAY = 1.0  # on the lab a kubectl edit also restarts the gateway: let it come up first
OWN_CHANGES_QUIET = 1.5  # a lab switch reloads by itself: its own watch events are not news

Handler = TypeVar("Handler", bound=Callable[..., Any])


def while_running(handler: Handler) -> Handler:
    """Worker threads post until they notice the app quit; what lands after shutdown began
    (the panes already pruned) is dropped, and answers None, instead of crashing on a
    missing pane."""

    @functools.wraps(handler)
    def guarded(owner: Any, *args: Any, **kwargs: Any) -> Any:
        app = getattr(owner, "app", owner)
        return handler(owner, *args, **kwargs) if app.is_running else None

    return guarded  # type: ignore[return-value]


class Controller:
    def __init__(self, app: App[Any], session: Session, lab: LabControl | None = None) -> None:
        self.app = app
        self.session = session
        self.lab = lab  # the lab, when the screen runs on one: scenarios, walkthrough
        self.shown_scenario = lab.scenario if lab else None
        self.diagnosis: Diagnosis | None = None
        self.probes: dict[str, list[ProbeResult]] = {}  # kept across reads until the source changes
        self.selected: str | None = None
        self.log_queue: queue.SimpleQueue[LogRecord] = queue.SimpleQueue()
        self.streams: list[Stream] = []
        self._changes_ignored_until = 0.0
        self._reload_timer: Timer | None = None

    # --- what the app reads -----------------------------------------------------------

    @property
    def reports(self) -> list[HostReport]:
        return self.diagnosis.reports if self.diagnosis else []

    def report(self) -> HostReport | None:
        return self.diagnosis.report(self.selected) if self.diagnosis else None

    def certificates_view(self) -> CertificatesView | None:
        report = self.report()
        if report is None or self.diagnosis is None:
            return None
        return certificates_view(report, self.diagnosis.client, self.session.now())

    def ingress_view(self) -> IngressView | None:
        report = self.report()
        return ingress_view(report, self.diagnosis.snapshot) if report and self.diagnosis else None

    def probe_spec(self, report: HostReport) -> ProbeSpec | None:
        return self.session.probe_spec(report.policy)

    def drain_logs(self) -> list[LogRecord]:
        batch: list[LogRecord] = []
        while len(batch) < LOG_BATCH:
            try:
                batch.append(self.log_queue.get_nowait())
            except queue.Empty:
                break
        return batch

    # --- requests from the app ----------------------------------------------------------

    def select(self, host: str) -> bool:
        """True when the selection changed."""
        changed, self.selected = host != self.selected, host
        return changed

    def load(self) -> None:
        self.app.run_worker(self._load, thread=True, exclusive=True, group="cluster")

    def reload(self) -> None:
        """Read the source again, forgetting probes: what they saw may have changed."""
        self.probes.clear()
        self.load()

    def probe(self, host: str, spec: ProbeSpec | None) -> None:
        if spec is None:
            self.app.post_message(
                messages.Notice("No address for this host: fill in URL and resolve on the Probe tab.", "warning")
            )
            return
        self.app.run_worker(functools.partial(self._probe_one, host, spec), thread=True, exclusive=True, group="probe")

    def switch_source(self, *, context: str | None = None, namespace: str | None = None) -> None:
        """Another context or namespace: streams restart, probes are forgotten."""
        self.stop_streams()
        self.session = replace(
            self.session,
            context=context if context is not None else self.session.context,
            namespace=namespace or None,
            label="",
        )
        self.reload()

    def switch_scenario(self, name: str) -> None:
        self.app.run_worker(functools.partial(self._switch_scenario, name), thread=True, exclusive=True, group="lab")

    def open_client(self, path: str) -> None:
        self.app.run_worker(functools.partial(self._open_client, path), thread=True, exclusive=True, group="open")

    def changed(self, what: str) -> None:
        """A watch event: debounced, and ignored just after a switch this screen made."""
        if time.monotonic() < self._changes_ignored_until:
            return
        if self._reload_timer is not None:
            self._reload_timer.stop()
        delay = LAB_RELOAD_DELAY if self.lab is not None else RELOAD_DELAY
        self._reload_timer = self.app.set_timer(delay, self._reload_after_change)
        self.app.log(f"cluster changed: {what}")

    def lab_switched(self) -> None:
        assert self.lab is not None
        self._changes_ignored_until = time.monotonic() + OWN_CHANGES_QUIET
        self.shown_scenario = self.lab.scenario
        self.session = self.lab.session()
        self.app.post_message(messages.LogsNote(self._following()))
        self.reload()

    def stop_streams(self) -> None:
        for stream in self.streams:
            stream.stop()
        self.streams = []

    # --- what workers found, applied on the app's thread ------------------------------

    def record_diagnosis(self, diagnosis: Diagnosis) -> None:
        self.diagnosis = diagnosis
        report = diagnosis.report(self.selected)
        self.selected = report.host if report else None
        self._probe_all()
        if not self.streams:
            self._start_streams()

    def record_probe(self, host: str, results: list[ProbeResult]) -> None:
        self.probes[host] = results
        if self.diagnosis is not None:
            self.diagnosis.add_probes({host: results})

    def record_client(self, path: str) -> None:
        self.session = replace(self.session, cert=path, key=None)
        self.load()

    # --- workers ----------------------------------------------------------------------

    def _load(self) -> None:
        from mtls_tui.sources.files import passphrase, read_client
        from mtls_tui.sources.snapshot import source_for

        worker = get_current_worker()
        described = self.session.describe()

        def progress(step: str) -> None:
            self.app.post_message(messages.Loading(f"Reading {described}: {step}…"))

        try:
            snapshot = source_for(self.session).load(progress)
            # Never prompts for a pass phrase: the screen owns the terminal (--pass or MTLS_TUI_PASS).
            client = read_client(
                self.session.cert,
                self.session.key,
                passphrase(self.session.passphrase),
                prompt=False,
                key_hint="in the Probe tab's --key field",
            )
            diagnosis = Diagnosis(snapshot, client, self.session.now(), probes=dict(self.probes))
        except MtlsTuiError as exc:
            self.app.post_message(messages.LoadFailed(str(exc)))
            return
        if snapshot.unreadable:  # manifest documents that could not be read: the others are shown
            more = len(snapshot.unreadable) - 1
            self.app.post_message(
                messages.Notice(snapshot.unreadable[0].title + (f" (and {more} more)" if more else ""), "error", 15)
            )
        if not worker.is_cancelled:
            self.app.call_from_thread(self._loaded, diagnosis)

    @while_running
    def _loaded(self, diagnosis: Diagnosis) -> None:
        self.record_diagnosis(diagnosis)
        self.app.post_message(messages.Diagnosed(fresh=True))

    def _probe_all(self) -> None:
        assert self.diagnosis is not None
        policies = [r.policy for r in self.diagnosis.reports]
        self.app.run_worker(functools.partial(self._probe_each, policies), thread=True, exclusive=True, group="probe")

    def _probe_each(self, policies: list[Any]) -> None:
        worker = get_current_worker()
        try:
            plan = list(probe_plan(self.session, policies))
        except MtlsTuiError as exc:  # a --connect that is not ADDR:PORT
            self.app.post_message(messages.Notice(str(exc), "error", 10))
            return
        for host, spec in plan:
            if worker.is_cancelled or not self._probe_one(host, spec):
                return

    def _probe_one(self, host: str, spec: ProbeSpec) -> bool:
        """One probe in this worker thread (its own event loop, so the screen's work does not
        show in the timings); False when it could not run at all."""
        from mtls_tui.sources.probe import run_probe

        spec = replace(spec, probe_id=secrets.token_hex(4))  # the Logs tab recognises it in the access log
        self.app.post_message(messages.ProbeStarted(host, spec))
        try:
            results = run_probe(spec)
        except MtlsTuiError as exc:
            self.app.post_message(messages.ProbeFailed(host, str(exc)))
            return False
        self.app.post_message(messages.ProbeDone(host, results))
        return True

    def _start_streams(self) -> None:
        from mtls_tui.sources.snapshot import source_for

        source = source_for(self.session)
        if not source.live:
            self.app.post_message(messages.LogsNote("logs need a cluster: these are manifest files"))
            return
        logs = source.follow_logs(self.log_queue.put)
        watch = source.watch(lambda what: self.app.post_message(messages.ClusterChanged(what)))
        self.streams = [logs, watch]
        self.app.run_worker(functools.partial(self._follow, logs, self._following()), thread=True, group="logs")
        self.app.run_worker(functools.partial(self._follow, watch, None), thread=True, group="watch")

    def _following(self) -> str:
        return f"following ingress-nginx controller pods ({self.session.describe()})"

    def _follow(self, stream: Stream, note: str | None) -> None:
        if note:
            self.app.post_message(messages.LogsNote(note))
        try:
            stream.run()
        except MtlsTuiError as exc:
            if note:
                self.app.post_message(messages.LogsNote(str(exc)))

    @while_running
    def _reload_after_change(self) -> None:
        self._reload_timer = None
        self.reload()

    def _switch_scenario(self, name: str) -> None:
        assert self.lab is not None
        self.app.post_message(messages.Notice(f"Lab: switching to {name}…", timeout=2))
        try:
            self.lab.switch(name)
        except Exception as exc:  # the lab reports any failure here; the screen stays on the old scenario
            self.app.post_message(messages.Notice(f"Lab: could not switch to {name}: {exc}", "error", 10))
            return
        self.app.call_from_thread(self._after_switch)

    @while_running
    def _after_switch(self) -> None:
        self.lab_switched()
        self.app.post_message(messages.Notice(f"Lab: scenario {self.lab.scenario if self.lab else ''}", timeout=2))

    def _open_client(self, path: str) -> None:
        """Read the file before it replaces the client certificate: a key or a typo keeps the old one."""
        from mtls_tui.sources.files import passphrase, read_client

        try:
            read_client(
                path, None, passphrase(self.session.passphrase), prompt=False, key_hint="in the Probe tab's --key field"
            )
        except MtlsTuiError as exc:
            self.app.post_message(messages.Notice(f"Not opened: {exc}", "error", 8))
            return
        self.app.call_from_thread(self._client_opened, path)

    @while_running
    def _client_opened(self, path: str) -> None:
        self.record_client(path)
        self.app.post_message(messages.Notice(f"Client certificate: {path} (its key, if separate, on the Probe tab)"))
