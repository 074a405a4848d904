"""The app: a host list and five views of the selected host.

It composes the panes, binds keys and routes: a key or a pane's message becomes a
request to the controller (`controller.py`, which owns state and I/O), and the
controller's messages (`messages.py`) become what the panes show. Panes only render.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from mtls_tui.service.ports import LabControl, MigrationVerifier
from mtls_tui.service.session import Session
from mtls_tui.tui import messages
from mtls_tui.tui.controller import Controller, while_running
from mtls_tui.tui.fields import HostFilter
from mtls_tui.tui.migrate_screen import MigrateScreen
from mtls_tui.tui.notices import OneNoticeApp
from mtls_tui.tui.palette import palette_commands
from mtls_tui.tui.panes.certs import CertTree
from mtls_tui.tui.panes.hosts import HostList
from mtls_tui.tui.panes.ingress import IngressPane
from mtls_tui.tui.panes.logs import LogsPane
from mtls_tui.tui.panes.probe import ProbePane
from mtls_tui.tui.panes.verdict import VerdictPane
from mtls_tui.tui.screens import HelpScreen, OpenFileScreen, ScenarioScreen, WalkthroughScreen

TABS = ("tab-verdict", "tab-certs", "tab-ingress", "tab-probe", "tab-logs")
LOG_DRAIN_INTERVAL = 0.2


class MtlsApp(OneNoticeApp):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    TITLE = "mtls-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("p", "probe", "Probe"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help"),
        Binding("h", "hygiene", "Hygiene", show=False),
        Binding("l", "scenario", "Lab scenario", show=False),
        Binding("w", "walkthrough", "Walkthrough", show=False),
        Binding("m", "migrate", "Migrate", show=False),
        Binding("o", "open_client", "Open cert", show=False),
        Binding("slash", "filter", "Filter", show=False),
        Binding("escape", "leave_field", "Leave the field", show=False),
        *(Binding(str(i + 1), f"tab('{tab}')", show=False) for i, tab in enumerate(TABS)),
    ]

    def __init__(
        self, session: Session, lab: LabControl | None = None, verifier: MigrationVerifier | None = None
    ) -> None:
        super().__init__()
        self.controller = Controller(self, session, lab, verifier)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="host-column"):
                yield HostFilter(
                    placeholder="host, ns or state", id="hosts-filter", classes="-hidden"
                )  # whole in 20 columns
                yield HostList(id="hosts")
            with TabbedContent(id="tabs", initial="tab-verdict"):
                with TabPane("Verdict", id="tab-verdict"):
                    yield VerdictPane(id="verdict", run_place=self.controller.run_place)
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
        self.sub_title = self.controller.session.describe()
        self.query_one(HostList).focus()
        self.set_interval(LOG_DRAIN_INTERVAL, self._drain_logs)
        self.controller.load()

    def on_unmount(self) -> None:
        self.controller.stop_streams()

    # --- the controller's messages: attributes down -----------------------------------

    @while_running
    def on_loading(self, message: messages.Loading) -> None:
        self.query_one(VerdictPane).show_loading(message.step)

    @while_running
    def on_load_failed(self, message: messages.LoadFailed) -> None:
        self.query_one(VerdictPane).show_error(message.error)
        self.notify(message.error, severity="error", timeout=10)

    @while_running
    def on_hosts_read(self, message: messages.HostsRead) -> None:
        if self.controller.diagnosis is None:  # the first host list is not decided yet
            self.query_one(HostList).extend(message.rows)

    @while_running
    def on_diagnosed(self, message: messages.Diagnosed) -> None:
        session = self.controller.session
        self.sub_title = session.describe() + (f" · namespace {session.namespace}" if session.namespace else "")
        if message.fresh and not self.controller.hosts and not self.controller.file_findings():  # else: the Verdict tab
            self.notify("No Ingress serves a host with TLS or client certificates.", severity="warning")
        hosts = self.query_one(HostList)
        if message.fresh:
            hosts.show(self.controller.rows(), self.controller.selected)
        elif message.host is not None:
            hosts.update_rows(self.controller.rows([message.host]))
        if message.fresh or message.host == self.controller.selected:
            self._show_selected()

    @while_running
    def on_judged(self, message: messages.Judged) -> None:
        kept = self.controller.record_judged(message.reading, list(message.reports))
        if not kept:
            return
        self.query_one(HostList).update_rows(self.controller.rows([r.host for r in kept]))
        if any(r.host == self.controller.selected for r in kept):
            self._show_selected()

    @while_running
    def on_probe_started(self, message: messages.ProbeStarted) -> None:
        self.query_one(LogsPane).mark_probe(message.spec.probe_id)
        if message.host == self.controller.selected:
            self.query_one(ProbePane).show_running(message.spec.url)

    @while_running
    def on_probe_done(self, message: messages.ProbeDone) -> None:
        if not self.controller.record_probe(message.host, list(message.results), message.client_changed):
            self.post_message(messages.Diagnosed(fresh=False, host=message.host))

    @while_running
    def on_probe_failed(self, message: messages.ProbeFailed) -> None:
        if message.host == self.controller.selected:
            self.query_one(ProbePane).show(None, message.error)
        self.notify(f"Probe of {message.host} could not run: {message.error}", severity="error", timeout=8)

    @while_running
    def on_logs_note(self, message: messages.LogsNote) -> None:
        self.query_one(LogsPane).set_note(message.note)

    @while_running
    def on_cluster_changed(self, message: messages.ClusterChanged) -> None:
        self.controller.changed(message.what)

    @while_running
    def _drain_logs(self) -> None:
        if batch := self.controller.drain_logs():
            self.query_one(LogsPane).add(batch)

    def _show_selected(self) -> None:
        report, controller = self.controller.report(), self.controller
        if (judging := controller.judging()) is not None:  # its report is next in the judging worker
            self.query_one(VerdictPane).show_loading(f"Judging {judging}…")
            return
        self.query_one(VerdictPane).show(
            report, controller.probe_elsewhere(report), controller.file_findings(), controller.hidden
        )
        self.query_one(CertTree).show(controller.certificates_view())
        self.query_one(IngressPane).show(controller.ingress_view())
        if report is not None:
            probe = self.query_one(ProbePane)
            probe.fill(*controller.probe_form(report))
            probe.show(controller.probes.get(report.key))

    # --- the panes' messages: requests up ---------------------------------------------

    def on_host_list_chosen(self, message: HostList.Chosen) -> None:
        if self.controller.select(message.host):
            self._show_selected()

    def on_host_list_entered(self, message: HostList.Entered) -> None:
        """Enter on a host, on the Verdict tab, moves ↑↓ to its findings (a click on another tab stays there)."""
        if self.query_one(TabbedContent).active == "tab-verdict":
            self.query_one(VerdictPane).focus_findings()

    def on_input_changed(self, message: Input.Changed) -> None:
        if message.input.id == "hosts-filter":
            self.query_one(HostList).filter(message.value)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        if message.input.id == "hosts-filter":  # enter keeps the filter and goes back to the list, as in k9s
            self.query_one(HostList).focus()

    def on_probe_pane_run(self, message: ProbePane.Run) -> None:
        report = self.controller.report()
        if self.controller.still_judging() or report is None:
            return
        spec = self.controller.form_probe_spec(report, message.values, message.insecure)
        if spec is None:
            self.action_tab("tab-probe")
        elif self.query_one(TabbedContent).active != "tab-probe":
            self.notify(f"Probing {spec.url} without and with the client certificate (4: Probe tab)", timeout=3)
        self.controller.probe(report.key, spec)

    # --- actions ----------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        if self.focused is not None and tabs in self.focused.ancestors:
            # Focus left inside the old pane would move to its next widget, and TabbedContent
            # follows focus back to that pane: the switch would not happen.
            self.query_one(HostList).focus()
        tabs.active = tab

    def action_hygiene(self) -> None:
        """`h`, as the Verdict tab's hygiene line says, from anywhere: the Verdict tab comes forward."""
        self.action_tab("tab-verdict")
        self.query_one(VerdictPane).action_toggle_standing()

    def action_probe(self) -> None:
        self.query_one(ProbePane).run()

    def action_leave_field(self) -> None:
        """Esc in a text field gives the keys back to the app (tabs, p, q) by focusing the hosts;
        in the host filter it also clears the filter (k9s's esc)."""
        if isinstance(self.focused, Input):
            if self.focused.id == "hosts-filter":
                self.focused.value = ""
            self.query_one(HostList).focus()

    def action_refresh(self) -> None:
        self.notify(f"Reading {self.controller.session.describe()} again…", timeout=2)
        self.controller.load()

    def action_filter(self) -> None:
        """`/` filters what is in view, as in k9s: the logs on the Logs tab, the host list elsewhere."""
        if self.query_one(TabbedContent).active == "tab-logs":
            self.query_one("#logs-filter").focus()
            return
        field = self.query_one("#hosts-filter", Input)
        field.remove_class("-hidden")
        field.focus()

    def action_open_client(self) -> None:
        question = "Open a client certificate to judge against each host's ca.crt and to probe with"
        self.push_screen(OpenFileScreen(question), lambda path: self.controller.open_client(path) if path else None)

    def action_walkthrough(self) -> None:
        lab, controller = self.controller.lab, self.controller
        if lab is None:
            return self.notify("The walkthrough follows the lab: mtls-tui lab", severity="warning")
        # the steps are read again on `r`: the lab changes under the screen
        self.push_screen(WalkthroughScreen(lambda: lab.walkthrough(controller.reports), lab))

    def action_scenario(self) -> None:
        lab = self.controller.lab
        if lab is None:
            return self.notify("Scenarios exist in the lab only: mtls-tui lab", severity="warning")
        switch = self.controller.switch_scenario
        self.push_screen(ScenarioScreen(lab.scenarios(), lab.scenario), lambda name: name and switch(name))

    def action_migrate(self) -> None:
        if self.controller.migration("envoy-gateway") is None:
            return self.notify("Migrate: pick an ingress-nginx host with auth-tls annotations", severity="warning")
        c = self.controller
        self.push_screen(MigrateScreen(c.selected or "", c.migration, c.verify_migration if c.verifier else None))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_copy_fix(self) -> None:
        if self.controller.still_judging():  # it says why itself
            return
        if (finding := self.controller.finding_to_copy()) is None:
            return self.notify("Nothing to fix for this host.")
        self.copy_to_clipboard(finding.fix)  # OSC 52: some terminals (and tmux without set-clipboard) ignore it
        self.notify(self.controller.copied_note(finding), timeout=10)

    def action_export(self) -> None:
        if not self.controller.still_judging():
            self.controller.export(Path.cwd())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self)


def run_tui(session: Session, lab: LabControl | None = None, verifier: MigrationVerifier | None = None) -> int:
    MtlsApp(session, lab=lab, verifier=verifier).run()
    return 0
