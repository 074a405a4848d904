"""The screen's state and its I/O: what is being looked at, the current diagnosis, the
probes and the live streams. The app listens (typed messages from `messages.py`) and
hands the panes what they show; the panes never see this object.

Everything that waits (reading the cluster, judging thousands of hosts, probing,
following logs, a lab switch) runs in a thread worker, so a key press never waits; a newer request of the same kind
replaces an older one (`exclusive=True`, per group). State changes on the app's thread
only: workers post what they found, and the app calls back into `record_*`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from textual.timer import Timer
from textual.worker import get_current_worker

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.diagnose.reproduce import probe_command
from mtls_tui.diagnose.successors import SuccessorReport
from mtls_tui.diagnose.views import (
    CertificatesView,
    HostRow,
    IngressView,
    ObjectsView,
    certificates_view,
    host_row,
    ingress_view,
    objects_view,
    reading_rows,
    successor_certificates_view,
    successor_row,
)
from mtls_tui.errors import MtlsTuiError
from mtls_tui.logs.records import LogRecord
from mtls_tui.model import Finding, IngressObj, ProbeResult, ProbeSpec, Severity
from mtls_tui.policy.kube_objects import with_objects
from mtls_tui.policy.migrate import HostMigration, Target, migrate
from mtls_tui.policy.migrate.after import after_objects
from mtls_tui.service.pipeline import Diagnosis, probe_plan, successor_plan
from mtls_tui.service.ports import LabControl, MigrationVerifier, Stream
from mtls_tui.service.session import Session
from mtls_tui.tui import messages
from mtls_tui.tui.panes.command import copied_note

if TYPE_CHECKING:
    from textual.app import App

    from mtls_tui.certs.load import Material

JUDGE_BATCH_SECONDS = 0.1  # reports handed to the screen at most this often: one list update each
JUDGE_BATCH_MAX = 500
LOG_BATCH = 2000  # records moved to the view per tick, so a flood cannot starve the keyboard
RELOAD_DELAY = 0.5  # a kubectl apply of several objects reloads once
LAB_RELOAD_DELAY = 1.0  # on the lab a kubectl edit also restarts the gateway: let it come up first
OWN_CHANGES_QUIET = 1.5  # a lab switch reloads by itself: its own watch events are not news

Handler = TypeVar("Handler", bound=Callable[..., Any])

_building = 0  # workers inside `collector_paused`
_building_lock = threading.Lock()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's full collections stop every thread for as long as they take to walk the heap:
    up to 150 ms each, six or seven of them while 5,000 Ingresses are read and judged
    (bench_screen.py), so the keyboard stalled. They are paused while a reading is built, and
    what was built is then frozen (`gc.freeze`): later collections skip it. Each new reading
    unfreezes first, so what an older one left in reference cycles is still collected."""
    global _building
    with _building_lock:
        if _building == 0:
            gc.unfreeze()
            gc.disable()
        _building += 1
    try:
        yield
    finally:
        with _building_lock:
            _building -= 1
            if _building == 0:
                gc.enable()
                gc.freeze()


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
    def __init__(
        self, app: App[Any], session: Session, lab: LabControl | None = None, verifier: MigrationVerifier | None = None
    ) -> None:
        self.app = app
        self.verifier = verifier  # migrate --verify from the screen (lab/verifier.py); None: not offered
        self.session = session
        self.lab = lab  # the lab, when the screen runs on one: scenarios, walkthrough
        self.shown_scenario = lab.scenario if lab else None
        self.diagnosis: Diagnosis | None = None
        self.probes: dict[str, list[ProbeResult]] = {}  # kept across reads until the source changes
        self.selected: str | None = None
        self.hidden = False  # the host filter shows no host: nothing is selected (not the first host)
        self.reading = 0  # which diagnosis the judging worker's batches belong to
        self._wanted: str | None = None  # the host the user looks at, not judged yet: the worker's next
        self.log_queue: queue.SimpleQueue[LogRecord] = queue.SimpleQueue()
        self.streams: list[Stream] = []
        self._changes_ignored_until = 0.0
        self._reload_timer: Timer | None = None
        self._listed_early: set[str] = set()  # hosts listed from Ingress pages before the first host list

    # --- what the app reads -----------------------------------------------------------

    @property
    def reports(self) -> list[HostReport]:
        """The reports judged so far, in host order."""
        return self.diagnosis.reports if self.diagnosis else []

    @property
    def hosts(self) -> int:
        return len(self.diagnosis.keys()) if self.diagnosis else 0

    def rows(self, hosts: list[str] | None = None) -> list[HostRow]:
        """The host list's rows (only `hosts`' when given); a host not judged yet has no state.
        Other controllers' hosts follow ingress-nginx's, named by their key."""
        diagnosis = self.diagnosis
        if diagnosis is None:
            return []
        judged = diagnosis.judged
        if hosts is None:
            return [host_row(p, judged.get(p.host)) for p in diagnosis.policies] + [
                successor_row(s) for s in diagnosis.successors
            ]
        rows = []
        for key in hosts:
            if (other := diagnosis.successor(key)) is not None:
                rows.append(successor_row(other))
            elif (policy := diagnosis.policy(key)) is not None:
                rows.append(host_row(policy, judged.get(key)))
        return rows

    def judging(self) -> str | None:
        """The selected host while its report is being computed."""
        if self.report() is not None or self.hidden or self.diagnosis is None or self.selected is None:
            return None
        return self.selected

    def report(self) -> HostReport | SuccessorReport | None:
        return self.diagnosis.report(self.selected) if self.diagnosis and not self.hidden else None

    def file_findings(self) -> tuple[Finding, ...]:
        """What the source could not use, host or no host: documents not read, objects the API
        server refuses (errors first)."""
        found = self.diagnosis.snapshot.unreadable if self.diagnosis and not self.hidden else ()
        return tuple(sorted(found, key=lambda f: f.severity is not Severity.ERROR))

    def migration(self, target: Target) -> HostMigration | None:
        """The selected ingress-nginx host moved to `target` (pure, quick: on the screen's thread)."""
        report = self.report()
        if not isinstance(report, HostReport) or self.diagnosis is None:
            return None
        plan = migrate(self.diagnosis.snapshot, target, host=report.host)
        return plan.hosts[0] if plan.hosts else None

    def verify_migration(self, target: Target, done: Callable[[str, Any, str | None], None]) -> None:
        """Before and after on real data planes, in a worker (seconds: nginx, Envoy or Go start);
        `done(target, outcome, error)` runs on the screen's thread with the answer."""
        report = self.report()
        if self.verifier is None or not isinstance(report, HostReport):
            return
        run = functools.partial(self._verify_migration, report.host, target, done)
        self.app.run_worker(run, thread=True, exclusive=True, group="migrate")

    def _verify_migration(self, host: str, target: Target, done: Callable[[str, Any, str | None], None]) -> None:
        assert self.diagnosis is not None and self.verifier is not None
        snapshot = self.diagnosis.snapshot
        plan = migrate(snapshot, target, host=host)
        clients = [(self.session.cert, self.session.key)] if self.session.cert and self.session.key else []
        try:
            outcome = self.verifier(
                snapshot,
                with_objects(snapshot, after_objects(plan, snapshot)),
                clients,
                explanations={h.host: [f.code for f in h.findings] for h in plan.hosts},
                hosts=[host],
            )
            answer: tuple[Any, str | None] = (outcome, None)
        except MtlsTuiError as exc:
            answer = (None, str(exc))
        if self.app.is_running:  # the app may have quit while nginx and Envoy started
            self.app.call_from_thread(done, target, *answer)

    @property
    def run_place(self) -> str | None:
        """What to run before a printed fix: the lab's KUBECONFIG and folder (its fixes name them)."""
        return self.lab.fix_place if self.lab is not None else None

    def copied_note(self, finding: Finding) -> str:
        """What `c` says it copied; in the lab, where the fix runs (it names the lab's files and API server)."""
        return copied_note(finding.code, self.app.size.width, self.run_place)

    def finding_to_copy(self) -> Finding | None:
        """The selected host's first finding whose fix is a command."""
        report = self.report()
        return next((f for f in (report.findings if report else ()) if f.is_command), None)

    def certificates_view(self) -> CertificatesView | None:
        report = self.report()
        if report is None or self.diagnosis is None:
            return None
        if isinstance(report, SuccessorReport):
            return successor_certificates_view(report, self.session.now())
        return certificates_view(report, self.diagnosis.client, self.session.now())

    def ingress_view(self) -> IngressView | ObjectsView | None:
        report = self.report()
        if report is None or self.diagnosis is None:
            return None
        if isinstance(report, SuccessorReport):
            return objects_view(report)
        return ingress_view(report, self.diagnosis.snapshot)

    def still_judging(self) -> bool:
        """The selected host's report is being computed (next in line): say so rather than act on another's."""
        judging = self.judging()
        if judging is not None:
            self.app.post_message(messages.Notice(f"Judging {judging}: its verdict comes in a moment.", timeout=2))
        return judging is not None

    def export(self, folder: Path) -> None:
        """The selected host's diagnosis as Markdown and JSON files in `folder`; a notice says where."""
        from mtls_tui.report.files import write_exports

        report = self.report()
        if report is None:
            return
        try:
            written = write_exports(report, self.session.describe(), folder)
        except OSError as exc:
            self.app.post_message(messages.Notice(f"Not exported: {exc.strerror or exc}", "error", 8))
            return
        self.app.post_message(messages.Notice("Wrote\n" + "\n".join(str(path) for path in written), timeout=8))

    def form_probe_spec(
        self, report: HostReport | SuccessorReport, values: Mapping[str, str], insecure: bool
    ) -> ProbeSpec | None:
        """The Probe tab's form as curl would read it: empty fields take the session's values;
        no --cacert means -k."""
        return self.session.probe_spec(
            report.policy if isinstance(report, HostReport) else report.host,
            url=values["url"] or None,
            resolve=values["resolve"] or None,
            host=values["host"] or None,
            cert=values["cert"],
            key=values["key"],
            cacert=values["cacert"] or None,
            insecure=insecure or not values["cacert"],
        )

    def probe_form(self, report: HostReport | SuccessorReport) -> tuple[ProbeSpec | None, object, str, str, ProbeSpec]:
        """What fills the Probe tab: the host's probe, what it is filled for (the host, as this
        session sees it), for a host with no address why and the command line's probe, and the
        fields' values (the probe's, else no URL and the session's client certificate and key)."""
        session = self.session
        source = (report.host, session.describe(), session.cert)
        why, command = session.no_probe_reason(report.host), self.command_line_probe(report.host)
        spec = self.probe_spec(report)
        return spec, source, why, command, spec or ProbeSpec("", cert=session.cert, key=session.key, insecure=True)

    def probe_elsewhere(self, report: HostReport | SuccessorReport | None) -> str | None:
        """The command line's probe, with the session's client files, for a host whose address
        this screen does not know (None when `p` can send it here)."""
        if report is None or self.probe_spec(report) is not None:
            return None
        return self.command_line_probe(report.host)

    def command_line_probe(self, host: str) -> str:
        """`mtls-tui probe` of `host` with the session's client files, its key found as `check` finds it."""
        client = self.diagnosis.client if self.diagnosis is not None else None
        return probe_command(host, self.session.cert, self.session.key, client)

    def probe_spec(self, report: HostReport | SuccessorReport) -> ProbeSpec | None:
        return self.session.probe_spec(report.policy if isinstance(report, HostReport) else report.host)

    def drain_logs(self) -> list[LogRecord]:
        batch: list[LogRecord] = []
        while len(batch) < LOG_BATCH:
            try:
                batch.append(self.log_queue.get_nowait())
            except queue.Empty:
                break
        return batch

    # --- requests from the app ----------------------------------------------------------

    def select(self, host: str | None) -> bool:
        """True when the selection changed and there is a host list to show it from (not while
        the first one is being read: the host stays selected for when it comes). None: the host
        filter shows no host, so none is selected: the panes say so instead of keeping the last
        host's verdict beside an empty list (a new user's review)."""
        if host is None:
            changed, self.hidden = not self.hidden, True
            return changed and self.diagnosis is not None
        changed = host != self.selected or self.hidden
        self.selected, self.hidden = host, False
        if self.diagnosis is not None and host not in self.diagnosis.judged:
            self._wanted = host  # the judging worker computes it next
        return changed and self.diagnosis is not None

    def load(self) -> None:
        self.app.run_worker(self._load, thread=True, exclusive=True, group="cluster")

    def reload(self) -> None:
        """Read the source again, forgetting probes: what they saw may have changed."""
        self.probes.clear()
        self.load()

    def probe(self, host: str, spec: ProbeSpec | None) -> None:
        if spec is None:
            why = self.session.no_probe_reason(
                host
            )  # the command line's probe is on the Probe tab, not in a toast that folds it
            self.app.post_message(
                messages.Notice(
                    f"Nothing to probe: {why}. Fill in URL on the Probe tab and press p, or run the command it gives.",
                    "warning",
                    10,
                )
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
        """A new reading: its host list now, its reports from the judging worker."""
        self.diagnosis = diagnosis
        self.reading += 1
        keys = diagnosis.keys()
        if self.selected not in keys:
            self.selected = keys[0] if keys else None
        self._wanted = None
        # The host list is painted first: what follows competes with it for the interpreter.
        self.app.call_after_refresh(self._after_listed, diagnosis, self.reading)

    @while_running
    def _after_listed(self, diagnosis: Diagnosis, reading: int) -> None:
        if reading != self.reading:
            return
        if not diagnosis.complete:
            self.app.run_worker(
                functools.partial(self._judge, diagnosis, reading), thread=True, exclusive=True, group="judge"
            )
        self._probe_all()
        if not self.streams:
            self._start_streams()

    def record_judged(self, reading: int, reports: list[HostReport]) -> list[HostReport]:
        """A batch from the judging worker; those kept (none from an older reading, none a
        probe already re-judged)."""
        if reading != self.reading or self.diagnosis is None:
            return []
        return self.diagnosis.record(reports, replace=False)

    def record_probe(self, host: str, results: list[ProbeResult], client_changed: bool) -> bool:
        """Keeps the probe's results; True when the sources are read again instead (the client
        certificate file changed: the offline verdict on the old file would contradict the probe)."""
        self.probes[host] = results
        if client_changed:
            self.load()
            return True
        if self.diagnosis is None:
            return False
        if self.diagnosis.successor(host) is not None:
            self.diagnosis.add_successor_probes({host: results})
        else:
            self.diagnosis.add_probes({host: results})
        return False

    def record_client(self, path: str) -> None:
        self.session = replace(self.session, cert=path, key=None)
        self.load()

    # --- workers ----------------------------------------------------------------------

    def _load(self) -> None:
        worker = get_current_worker()
        described = self.session.describe()

        def progress(step: str) -> None:
            self.app.post_message(messages.Loading(f"Reading {described}: {step}…"))

        try:
            with collector_paused():
                diagnosis = self._read(progress)
        except MtlsTuiError as exc:
            self.app.post_message(messages.LoadFailed(str(exc)))
            return
        unreadable = diagnosis.snapshot.unreadable
        if unreadable:  # documents not read, or objects the API server refuses: the others are shown
            more = len(unreadable) - 1
            first = min(unreadable, key=lambda f: f.severity is not Severity.ERROR)  # an error first
            tone = "error" if first.severity is Severity.ERROR else "warning"
            self.app.post_message(messages.Notice(first.title + (f" (and {more} more)" if more else ""), tone, 15))
        if not worker.is_cancelled:
            self.app.call_from_thread(self._loaded, diagnosis)

    def _list_early(self, ingresses: Sequence[IngressObj]) -> None:
        """Before the first host list: the hosts of each page of Ingresses as it is read."""
        rows = reading_rows(ingresses, self._listed_early)
        if rows:
            self.app.post_message(messages.HostsRead(rows))

    def _read(self, progress: Callable[[str], None]) -> Diagnosis:
        """The source and the client certificate read, the host policies decided (no report yet)."""
        from mtls_tui.sources.snapshot import source_for

        snapshot = source_for(self.session).load(progress, self._list_early if self.diagnosis is None else None)
        client = self._read_client(self.session.cert, self.session.key)
        return Diagnosis(
            snapshot,
            client,
            self.session.now(),
            probes=dict(self.probes),
            lazy=True,
            controller=self.session.controller,
        )

    @while_running
    def _loaded(self, diagnosis: Diagnosis) -> None:
        self.record_diagnosis(diagnosis)
        self.app.post_message(messages.Diagnosed(fresh=True))

    def _judge(self, diagnosis: Diagnosis, reading: int) -> None:
        """Every host's report, in this worker thread: the host the user selects first, then
        hosts whose policy already errs, then the rest; handed over in batches (one list update
        each) so the screen's thread does little."""
        worker = get_current_worker()
        waiting = deque(diagnosis.judging_order(self.selected))
        batch: list[HostReport] = []
        done: set[str] = set()
        since = time.monotonic()

        def hand_over() -> None:
            nonlocal batch, since
            if batch:
                self.app.post_message(messages.Judged(reading, batch, len(waiting)))
            batch, since = [], time.monotonic()

        with collector_paused():
            while waiting:
                if worker.is_cancelled:
                    return
                wanted, self._wanted = self._wanted, None
                policy = diagnosis.policy(wanted) if wanted is not None else None
                if policy is None:
                    policy = waiting.popleft()
                if policy.host in done or policy.host in diagnosis.judged:
                    continue
                done.add(policy.host)
                batch += diagnosis.judge([policy])
                time.sleep(0)  # hand the interpreter to the screen's thread if it waits (a key press), host by host
                if (
                    wanted is not None
                    or len(batch) >= JUDGE_BATCH_MAX
                    or time.monotonic() - since >= JUDGE_BATCH_SECONDS
                ):
                    hand_over()
            hand_over()

    def _probe_all(self) -> None:
        assert self.diagnosis is not None
        diagnosis = self.diagnosis
        self.app.run_worker(
            functools.partial(self._probe_each, diagnosis.policies, diagnosis.successors),
            thread=True,
            exclusive=True,
            group="probe",
        )

    def _probe_each(self, policies: list[Any], successors: list[SuccessorReport]) -> None:
        worker = get_current_worker()
        try:
            plan = list(probe_plan(self.session, policies)) + list(successor_plan(self.session, successors))
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
        self.app.post_message(messages.ProbeDone(host, results, self._client_changed(spec)))
        return True

    def _client_changed(self, spec: ProbeSpec) -> bool:
        """The probe sent the session's client certificate file, and that file now holds other
        certificates than the ones the verdict judged (the probe reads the file; the verdict read
        it at load)."""
        diagnosis = self.diagnosis
        if diagnosis is None or not spec.cert or spec.cert != self.session.cert:
            return False
        try:
            now = self._read_client(self.session.cert, self.session.key)
        except MtlsTuiError:  # unreadable now: the next refresh says so
            return False
        judged = diagnosis.client
        return [c.cert for c in (now.certs if now else ())] != [c.cert for c in (judged.certs if judged else ())]

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
        pods = "Envoy proxy" if self.session.controller == "envoy-gateway" else "ingress-nginx controller"
        return f"following {pods} pods ({self.session.describe()})"

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

    def _read_client(self, cert: str | None, key: str | None) -> Material | None:
        """The screen's way to read a client certificate: never a pass phrase prompt (the screen
        owns the terminal: --pass or MTLS_TUI_PASS), and the key goes in the Probe tab."""
        from mtls_tui.sources.files import passphrase, read_client

        return read_client(
            cert, key, passphrase(self.session.passphrase), prompt=False, key_hint="in the Probe tab's --key field"
        )

    def _open_client(self, path: str) -> None:
        """Read the file before it replaces the client certificate: a key or a typo keeps the old one."""
        try:
            self._read_client(path, None)
        except MtlsTuiError as exc:
            self.app.post_message(messages.Notice(f"Not opened: {exc}", "error", 8))
            return
        self.app.call_from_thread(self._client_opened, path)

    @while_running
    def _client_opened(self, path: str) -> None:
        self.record_client(path)
        self.app.post_message(messages.Notice(f"Client certificate: {path} (its key, if separate, on the Probe tab)"))
