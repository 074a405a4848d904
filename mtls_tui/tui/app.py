"""The app: a host list and five views of the selected host.

State lives here and flows down to the panes (`pane.show(...)`); panes report what
the user asked for with messages. Every read of the cluster, every probe and the log
stream run in workers, so input never waits; a newer request replaces an older one
(`exclusive=True`).
"""

from __future__ import annotations

import functools
import json
import queue
import re
import secrets
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane
from textual.worker import get_current_worker

from mtls_tui.diagnose.views import certificates_view, ingress_view
from mtls_tui.tui.panes.certs import CertTree
from mtls_tui.tui.panes.hosts import HostList
from mtls_tui.tui.panes.ingress import IngressPane
from mtls_tui.tui.panes.logs import LogsPane
from mtls_tui.tui.panes.probe import ProbePane
from mtls_tui.tui.panes.verdict import VerdictPane
from mtls_tui.tui.screens import HelpScreen, OpenFileScreen, ScenarioScreen, WalkthroughScreen
from mtls_tui.tui.session import Session

TABS = ("tab-verdict", "tab-certs", "tab-ingress", "tab-probe", "tab-logs")
LOG_BATCH = 2000  # records moved to the view per tick, so a flood cannot starve the keyboard


Handler = TypeVar("Handler", bound=Callable[..., Any])


def while_running(handler: Handler) -> Handler:
    """Worker threads post until they notice the app quit; what lands after shutdown began
    (the panes already pruned) is dropped, and answers None, instead of crashing on a
    missing pane."""

    @functools.wraps(handler)
    def guarded(app: "MtlsApp", *args, **kwargs) -> Any:
        return handler(app, *args, **kwargs) if app.is_running else None

    return guarded  # type: ignore[return-value]


class ClusterLoaded(Message):
    def __init__(self, snapshot, client, reports) -> None:
        super().__init__()
        self.snapshot, self.client, self.reports = snapshot, client, reports


class LoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ClusterChanged(Message):
    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class ProbeFinished(Message):
    def __init__(self, host: str, results: list, error: str | None = None) -> None:
        super().__init__()
        self.host, self.results, self.error = host, results, error


class MtlsApp(App[None]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "mtls-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("p", "probe", "Probe"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help"),
        Binding("l", "scenario", "Lab scenario", show=False),
        Binding("w", "walkthrough", "Walkthrough", show=False),
        Binding("o", "open_client", "Open cert", show=False),
        Binding("slash", "filter_logs", "Filter logs", show=False),
        Binding("escape", "leave_field", "Leave the field", show=False),
        *(Binding(str(i + 1), f"tab('{tab}')", show=False) for i, tab in enumerate(TABS)),
    ]

    def __init__(self, session: Session, lab=None) -> None:
        super().__init__()
        self.session = session
        self.lab = lab  # the lab environment, when the app runs on it: scenarios can be switched
        self.snapshot = None
        self.client = None
        self.reports: list = []
        self.probes: dict[str, list] = {}
        self.selected: str | None = None
        self.log_queue: queue.SimpleQueue = queue.SimpleQueue()
        self.follower = None
        self.watcher = None
        self._changes_ignored_until = 0.0  # a lab switch reloads by itself: its own watch events are not news
        self._reload_timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield HostList(id="hosts")
            with TabbedContent(id="tabs", initial="tab-verdict"):
                with TabPane("Verdict", id="tab-verdict"):
                    yield VerdictPane(id="verdict")
                with TabPane("Certificates", id="tab-certs"):
                    yield CertTree("certificates", id="certs")
                with TabPane("Ingress & Secret", id="tab-ingress"):
                    yield IngressPane(id="ingress")
                with TabPane("Probe", id="tab-probe"):
                    yield ProbePane(id="probe")
                with TabPane("Logs", id="tab-logs"):
                    yield LogsPane(id="logs")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.session.describe()
        self.query_one(HostList).focus()
        self.set_interval(0.2, self.drain_logs)
        self.load_cluster()

    def on_unmount(self) -> None:
        for stream in (self.follower, self.watcher):
            if stream is not None:
                stream.stop()

    # --- workers ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="cluster")
    def load_cluster(self) -> None:
        from mtls_tui.errors import InputError
        from mtls_tui.errors import CannotRun
        from mtls_tui.tui.session import reports_for

        worker = get_current_worker()
        def progress(step: str) -> None:
            self.call_from_thread(self._loading, f"Reading {self.session.describe()}: {step}…")

        try:
            snapshot = self.session.load(progress)
            client = self.session.client()
        except (CannotRun, InputError) as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(ClusterLoaded(snapshot, client, reports_for(snapshot, client, self.probes, self.session.now())))

    @work(thread=True, exclusive=True, group="logs")
    def follow_logs(self) -> None:
        """Stream every controller pod into a queue; `drain_logs` moves it to the pane."""
        from mtls_tui.errors import CannotRun
        from mtls_tui.sources.kube import KubeSource
        from mtls_tui.sources.logs import ControllerLogs

        try:
            source = KubeSource(self.session.context, None, self.session.kubeconfig)
        except CannotRun as exc:
            self.call_from_thread(self._logs_note, str(exc))
            return
        follower = self.follower = ControllerLogs(source, self.log_queue.put, tail=200)
        if not self.is_running:
            follower.stop()  # the app quit while this worker was connecting
        else:
            self.call_from_thread(self._logs_note, f"following ingress-nginx controller pods ({self.session.describe()})")
        try:
            follower.run()
        finally:
            source.close()

    @work(thread=True, exclusive=True, group="watch")
    def watch_cluster(self) -> None:
        """Ingress and Secret changes reload the diagnosis, without a restart."""
        from mtls_tui.errors import CannotRun
        from mtls_tui.sources.kube import KubeSource
        from mtls_tui.sources.watch import ClusterWatch

        try:
            source = KubeSource(self.session.context, self.session.namespace, self.session.kubeconfig)
        except CannotRun:
            return
        watcher = self.watcher = ClusterWatch(source, lambda what: self.post_message(ClusterChanged(what)))
        if not self.is_running:
            watcher.stop()  # the app quit while this worker was connecting
        try:
            watcher.run()
        finally:
            source.close()

    @while_running
    def on_cluster_changed(self, message: ClusterChanged) -> None:
        """Debounced: a kubectl apply of several objects reloads once."""
        if time.monotonic() < self._changes_ignored_until:
            return
        if self._reload_timer is not None:
            self._reload_timer.stop()
        # On the lab a kubectl edit also restarts the gateway: let it come up before the probes.
        self._reload_timer = self.set_timer(1.0 if self.lab is not None else 0.5, self._reload_after_change)
        self.log(f"cluster changed: {message.what}")

    @while_running
    def _reload_after_change(self) -> None:
        self._reload_timer = None
        self.probes.clear()
        self.load_cluster()

    @while_running
    def _loading(self, text: str) -> None:
        self.query_one(VerdictPane).loading(text)

    @while_running
    def _logs_note(self, note: str) -> None:
        pane = self.query_one(LogsPane)
        pane.note = note
        pane._status()

    @while_running
    def drain_logs(self) -> None:
        batch = []
        while len(batch) < LOG_BATCH:
            try:
                batch.append(self.log_queue.get_nowait())
            except queue.Empty:
                break
        if batch:
            self.query_one(LogsPane).add(batch)

    @work(thread=True, exclusive=True, group="lab")
    def switch_scenario(self, name: str) -> None:
        self.call_from_thread(self.notify, f"Lab: switching to {name}…", timeout=2)
        self.lab.switch(name)
        self.call_from_thread(self._lab_switched)

    @while_running
    def _lab_switched(self) -> None:
        self._changes_ignored_until = time.monotonic() + 1.5
        self.session = self.lab.session()
        self.sub_title = self.session.describe()
        self._logs_note(f"following ingress-nginx controller pods ({self.session.describe()})")
        self.probes.clear()
        self.load_cluster()

    def _probe_and_post(self, host: str, spec) -> bool:
        """Run one probe in this worker thread (its own event loop, so the screen's work does
        not show in the timings) and post the outcome; False when it could not run."""
        from mtls_tui.errors import InputError
        from mtls_tui.errors import CannotRun
        from mtls_tui.sources.probe import run_probe

        try:
            self.post_message(ProbeFinished(host, run_probe(spec)))
        except (InputError, CannotRun) as exc:
            self.post_message(ProbeFinished(host, [], str(exc)))
            return False
        return True

    @work(thread=True, exclusive=True, group="probe")
    def run_probe(self, host: str, spec) -> None:
        self._probe_and_post(host, spec)

    @work(thread=True, exclusive=True, group="probe")
    def probe_all(self) -> None:
        """After a load: probe every host the session knows how to reach."""
        worker = get_current_worker()
        for report in list(self.reports):
            spec = self.call_from_thread(self._tagged, self.session.probe_spec(report.policy))
            if spec is None or worker.is_cancelled:
                continue
            if not self._probe_and_post(report.host, spec):
                return

    # --- messages up ------------------------------------------------------------------

    @while_running
    def on_cluster_loaded(self, message: ClusterLoaded) -> None:
        self.snapshot, self.client, self.reports = message.snapshot, message.client, message.reports
        if not self.reports:
            self.notify("No Ingress serves a host with TLS or client certificates.", severity="warning")
        self.query_one(HostList).show(self.reports, self.selected)
        self._show_selected()
        if self.session.connect or any(i.addresses for i in self.snapshot.ingresses):
            self.probe_all()
        if not self.session.manifests and self.follower is None:
            self.follow_logs()
            self.watch_cluster()
        elif self.session.manifests:
            self._logs_note("logs need a cluster: these are manifest files")

    @while_running
    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one(VerdictPane).query_one("#verdict-line").update(f"Could not read: {message.error}")
        self.notify(message.error, severity="error", timeout=10)

    @while_running
    def on_probe_finished(self, message: ProbeFinished) -> None:
        if message.error:
            if message.host == self.selected:
                self.query_one(ProbePane).show(None, message.error)
            return
        self.probes[message.host] = message.results
        self._recompute(message.host)

    def on_host_list_chosen(self, message: HostList.Chosen) -> None:
        if message.host != self.selected:
            self.selected = message.host
            self._show_selected()

    def on_probe_pane_run(self, message: ProbePane.Run) -> None:
        report = self._report()
        if report is None:
            return
        values = message.values
        spec = self.session.probe_spec(
            report.policy, url=values["url"] or None, resolve=values["resolve"] or None, host=values["host"] or None,
            cert=values["cert"], key=values["key"], cacert=values["cacert"] or None,
            insecure=message.insecure or not values["cacert"],
        )
        self._start_probe(report.host, spec)

    # --- attributes down --------------------------------------------------------------

    def _report(self):
        return next((r for r in self.reports if r.host == self.selected), self.reports[0] if self.reports else None)

    def _recompute(self, host: str) -> None:
        from mtls_tui.tui.session import reports_for

        self.reports = reports_for(self.snapshot, self.client, self.probes, self.session.now())
        self.query_one(HostList).show(self.reports, self.selected)
        if host == (self._report().host if self._report() else None):
            self._show_selected()

    def _show_selected(self) -> None:
        report = self._report()
        if report is not None:
            self.selected = report.host
        self.query_one(VerdictPane).show(report)
        self.query_one(CertTree).show(certificates_view(report, self.client, self.session.now()) if report else None)
        self.query_one(IngressPane).show(ingress_view(report, self.snapshot) if report and self.snapshot else None)
        probe = self.query_one(ProbePane)
        if report is not None:
            probe.fill(self.session.probe_spec(report.policy), (report.host, self.session.describe(), self.session.cert))
            probe.show(self.probes.get(report.host))

    @while_running
    def _tagged(self, spec):
        """Give the probe an id the logs pane will recognise in the access log (None: no probe)."""
        if spec is None:
            return None
        spec = replace(spec, probe_id=secrets.token_hex(4))
        self.query_one(LogsPane).my_probes.add(spec.probe_id)
        return spec

    def _start_probe(self, host: str, spec) -> None:
        spec = self._tagged(spec)
        if spec is None:
            self.notify("No address for this host: fill in URL and resolve on the Probe tab.", severity="warning")
            self.action_tab("tab-probe")
            return
        self.query_one(ProbePane).show_running(spec.url)
        self.run_probe(host, spec)

    # --- actions ----------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        if self.focused is not None and tabs in self.focused.ancestors:
            # Focus left inside the old pane would move to its next widget, and TabbedContent
            # follows focus back to that pane: the switch would not happen.
            self.query_one(HostList).focus()
        tabs.active = tab

    def action_probe(self) -> None:
        self.query_one(ProbePane).run()

    def action_leave_field(self) -> None:
        """Esc in a text field gives the keys back to the app (tabs, p, q) by focusing the hosts."""
        if isinstance(self.focused, Input):
            self.query_one(HostList).focus()

    def action_refresh(self) -> None:
        self.load_cluster()

    def action_filter_logs(self) -> None:
        self.action_tab("tab-logs")
        self.query_one("#logs-filter").focus()

    def action_open_client(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.open_client(path)

        self.push_screen(OpenFileScreen("Open a client certificate to judge against each host's ca.crt and to probe with"), chosen)

    @work(thread=True, exclusive=True, group="open")
    def open_client(self, path: str) -> None:
        """Read the file before it replaces the client certificate: a key or a typo keeps the old one."""
        from mtls_tui.errors import InputError
        from mtls_tui.errors import CannotRun

        trial = replace(self.session, cert=path, key=None)
        try:
            trial.client()
        except (InputError, CannotRun) as exc:
            self.call_from_thread(self.notify, f"Not opened: {exc}", severity="error", timeout=8)
            return
        self.call_from_thread(self._client_opened, path)

    @while_running
    def _client_opened(self, path: str) -> None:
        self.session.cert, self.session.key = path, None
        self.notify(f"Client certificate: {path} (its key, if separate, on the Probe tab)")
        self.load_cluster()

    def switch_source(self, *, context: str | None = None, namespace: str | None = None) -> None:
        """Another context or namespace: streams restart, probes are forgotten."""
        for stream in (self.follower, self.watcher):
            if stream is not None:
                stream.stop()
        self.follower = self.watcher = None
        self.session.context = context if context is not None else self.session.context
        self.session.namespace = namespace or None
        self.session.label = ""
        self.sub_title = self.session.describe() + (f" · namespace {namespace}" if namespace else "")
        self.probes.clear()
        self.load_cluster()

    def _contexts(self) -> list[str]:
        """Context names from the kubeconfig, read as YAML: the Kubernetes client stays unimported."""
        import yaml

        from mtls_tui.sources.kube import kubeconfig_path

        try:
            config = yaml.safe_load(Path(kubeconfig_path(self.session.kubeconfig)).read_text())
        except (OSError, yaml.YAMLError):
            return []
        return [c.get("name") for c in (config or {}).get("contexts") or [] if isinstance(c, dict) and c.get("name")]

    def action_walkthrough(self) -> None:
        if self.lab is None:
            self.notify("The walkthrough follows the lab: mtls-tui lab", severity="warning")
            return
        from mtls_tui.lab.walkthrough import walkthrough

        def steps():
            report = next((r for r in self.reports if r.host == "meow.com"), None)
            kinds = {(k, o["metadata"]["name"]) for k in ("Deployment", "Service") for o in self.lab.cluster.objects(k)}
            return walkthrough(self.lab.folder, self.snapshot, report, kinds)

        hint = (f"kubectl on this lab, in another terminal: export KUBECONFIG={self.lab.kubeconfig}; cd {self.lab.folder}"
                "  (the fixes on the Verdict tab can be run there; the lab reloads as the controller would)")
        self.push_screen(WalkthroughScreen(steps, hint))

    def action_scenario(self) -> None:
        if self.lab is None:
            self.notify("Scenarios exist in the lab only: mtls-tui lab", severity="warning")
            return
        from mtls_tui.lab.scenarios import SCENARIOS

        def chosen(name: str | None) -> None:
            if name:
                self.switch_scenario(name)

        self.push_screen(ScenarioScreen(SCENARIOS, self.lab.scenario), chosen)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_copy_fix(self) -> None:
        report = self._report()
        fix = next((f.fix for f in (report.findings if report else ()) if f.is_command), None)
        if fix is None:
            self.notify("Nothing to fix for this host.")
            return
        self.copy_to_clipboard(fix)  # OSC 52: some terminals (and tmux without set-clipboard) ignore it
        self.notify(f"Sent to the terminal's clipboard (OSC 52): {fix}", timeout=10)

    def action_export(self) -> None:
        from mtls_tui.report.data import host_dict
        from mtls_tui.report.markdown import host_markdown

        report = self._report()
        if report is None:
            return
        # not with_suffix: host names hold dots; and a host from a manifest may hold '/' or '..': one name, here
        stem = Path.cwd() / ("mtls-tui-" + re.sub(r"[^A-Za-z0-9.-]", "_", report.host.replace("*", "wildcard")).lstrip("."))
        Path(f"{stem}.md").write_text(host_markdown(report, self.session.describe()))
        Path(f"{stem}.json").write_text(json.dumps(host_dict(report), indent=2))
        self.notify(f"Wrote {stem}.md and {stem}.json", timeout=8)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Run probe", "Probe the selected host without and with the client certificate", self.action_probe)
        yield SystemCommand("Refresh", "Read the cluster again", self.action_refresh)
        yield SystemCommand("Copy fix", "Copy the first fix command of the selected host", self.action_copy_fix)
        yield SystemCommand("Export report", "Write the diagnosis as Markdown and JSON", self.action_export)
        yield SystemCommand("Open client certificate", "Judge a certificate file against each host and probe with it", self.action_open_client)
        if not self.session.manifests:
            for name in self._contexts():
                yield SystemCommand(f"Context: {name}", "Read this kubeconfig context instead", lambda n=name: self.switch_source(context=n))
            namespaces = sorted({i.namespace for i in self.snapshot.ingresses}) if self.snapshot else []
            yield SystemCommand("Namespace: all", "Ingresses of every namespace", lambda: self.switch_source(namespace=""))
            for namespace in namespaces:
                yield SystemCommand(f"Namespace: {namespace}", "Only this namespace's Ingresses", lambda n=namespace: self.switch_source(namespace=n))
        if self.lab is not None:
            from mtls_tui.lab.scenarios import SCENARIOS

            yield SystemCommand("Lab walkthrough", "The article's steps as a checklist with live state", self.action_walkthrough)
            for name, scenario in SCENARIOS.items():
                yield SystemCommand(f"Lab scenario: {name}", scenario.description, lambda n=name: self.switch_scenario(n))


def run_tui(session: Session, lab=None) -> int:
    MtlsApp(session, lab=lab).run()
    return 0
