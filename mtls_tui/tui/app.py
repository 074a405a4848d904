"""The app: a host list and five views of the selected host.

State lives here and flows down to the panes (`pane.show(...)`); panes report what
the user asked for with messages. Every read of the cluster, every probe and the log
stream run in workers, so input never waits; a newer request replaces an older one
(`exclusive=True`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import get_current_worker

from mtls_tui.tui.panes.certs import CertTree
from mtls_tui.tui.panes.hosts import HostList
from mtls_tui.tui.panes.ingress import IngressPane
from mtls_tui.tui.panes.probe import ProbePane
from mtls_tui.tui.panes.verdict import VerdictPane
from mtls_tui.tui.screens import HelpScreen
from mtls_tui.tui.session import Session

TABS = ("tab-verdict", "tab-certs", "tab-ingress", "tab-probe")


class ClusterLoaded(Message):
    def __init__(self, snapshot, client, reports) -> None:
        super().__init__()
        self.snapshot, self.client, self.reports = snapshot, client, reports


class LoadFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ProbeFinished(Message):
    def __init__(self, host: str, results: list, error: str | None = None) -> None:
        super().__init__()
        self.host, self.results, self.error = host, results, error


class MtlsApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "mtls-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("p", "probe", "Probe"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help"),
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
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.session.describe()
        self.query_one(HostList).focus()
        self.load_cluster()

    # --- workers ----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="cluster")
    def load_cluster(self) -> None:
        from mtls_tui.errors import InputError
        from mtls_tui.sources.files import CannotRun
        from mtls_tui.tui.session import reports_for

        worker = get_current_worker()
        self.call_from_thread(self.notify, f"Reading {self.session.describe()}…", timeout=2)
        try:
            snapshot = self.session.load()
            client = self.session.client()
        except (CannotRun, InputError) as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(ClusterLoaded(snapshot, client, reports_for(snapshot, client, self.probes)))

    @work(exclusive=True, group="probe")
    async def run_probe(self, host: str, spec) -> None:
        from mtls_tui.errors import InputError
        from mtls_tui.sources.probe import probe

        try:
            results = await probe(spec)
        except InputError as exc:
            self.post_message(ProbeFinished(host, [], str(exc)))
            return
        self.post_message(ProbeFinished(host, results))

    @work(exclusive=True, group="probe")
    async def probe_all(self) -> None:
        """After a load: probe every host the session knows how to reach."""
        from mtls_tui.errors import InputError
        from mtls_tui.sources.probe import probe

        for report in list(self.reports):
            spec = self.session.probe_spec(report.policy)
            if spec is None:
                continue
            try:
                results = await probe(spec)
            except InputError as exc:
                self.post_message(ProbeFinished(report.host, [], str(exc)))
                return
            self.post_message(ProbeFinished(report.host, results))

    # --- messages up ------------------------------------------------------------------

    def on_cluster_loaded(self, message: ClusterLoaded) -> None:
        self.snapshot, self.client, self.reports = message.snapshot, message.client, message.reports
        if not self.reports:
            self.notify("No Ingress serves a host with TLS or client certificates.", severity="warning")
        self.query_one(HostList).show(self.reports, self.selected)
        self._show_selected()
        if self.session.connect or any(i.addresses for i in self.snapshot.ingresses):
            self.probe_all()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.query_one(VerdictPane).query_one("#verdict-line").update(f"Could not read: {message.error}")
        self.notify(message.error, severity="error", timeout=10)

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
            report.policy, url=values["url"] or None, resolve=values["resolve"] or None,
            cert=values["cert"], key=values["key"], insecure=message.insecure or not values["cacert"],
        )
        self._start_probe(report.host, spec)

    # --- attributes down --------------------------------------------------------------

    def _report(self):
        return next((r for r in self.reports if r.host == self.selected), self.reports[0] if self.reports else None)

    def _recompute(self, host: str) -> None:
        from mtls_tui.tui.session import reports_for

        self.reports = reports_for(self.snapshot, self.client, self.probes)
        self.query_one(HostList).show(self.reports, self.selected)
        if host == (self._report().host if self._report() else None):
            self._show_selected()

    def _show_selected(self) -> None:
        report = self._report()
        if report is not None:
            self.selected = report.host
        self.query_one(VerdictPane).show(report)
        self.query_one(CertTree).show(report)
        self.query_one(IngressPane).show(report, self.snapshot)
        probe = self.query_one(ProbePane)
        if report is not None:
            probe.fill(self.session.probe_spec(report.policy))
            probe.show(self.probes.get(report.host))

    def _start_probe(self, host: str, spec) -> None:
        if spec is None:
            self.notify("No address for this host: fill in URL and resolve on the Probe tab.", severity="warning")
            self.action_tab("tab-probe")
            return
        self.query_one(ProbePane).show_running(spec.url)
        self.run_probe(host, spec)

    # --- actions ----------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_probe(self) -> None:
        report = self._report()
        if report is not None:
            self._start_probe(report.host, self.session.probe_spec(report.policy))

    def action_refresh(self) -> None:
        self.load_cluster()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_copy_fix(self) -> None:
        report = self._report()
        fix = next((f.fix for f in (report.findings if report else ()) if f.fix), None)
        if fix is None:
            self.notify("Nothing to fix for this host.")
            return
        self.copy_to_clipboard(fix)
        self.notify(f"Copied: {fix[:70]}…" if len(fix) > 70 else f"Copied: {fix}")

    def action_export(self) -> None:
        from mtls_tui.report.data import host_dict
        from mtls_tui.report.markdown import host_markdown

        report = self._report()
        if report is None:
            return
        stem = Path(f"mtls-tui-{report.host.replace('*', 'wildcard')}")
        stem.with_suffix(".md").write_text(host_markdown(report, self.session.describe()))
        stem.with_suffix(".json").write_text(json.dumps(host_dict(report), indent=2))
        self.notify(f"Wrote {stem}.md and {stem}.json")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Run probe", "Probe the selected host without and with the client certificate", self.action_probe)
        yield SystemCommand("Refresh", "Read the cluster again", self.action_refresh)
        yield SystemCommand("Copy fix", "Copy the first fix command of the selected host", self.action_copy_fix)
        yield SystemCommand("Export report", "Write the diagnosis as Markdown and JSON", self.action_export)


def run_tui(session: Session, lab=None) -> int:
    MtlsApp(session, lab=lab).run()
    return 0
