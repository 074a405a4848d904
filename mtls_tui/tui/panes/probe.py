"""The probe form (curl's fields) and the two answers side by side."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Static

from mtls_tui.model import ProbeResult, ProbeSpec
from mtls_tui.report.console import probe_column, timing_scale
from mtls_tui.shell import fold_command
from mtls_tui.tui.fields import ProbeField
from mtls_tui.tui.path_suggester import PathSuggester

PATH_FIELDS = {"cert", "key", "cacert"}
NOT_YET = "Not probed yet: press p."
FIELDS = (
    ("url", "URL", "https://HOST:PORT/ (its host is the SNI)"),
    ("resolve", "--resolve", "HOST:PORT:ADDR"),
    ("host", "-H Host", "Host header if not the URL's host"),
    ("cert", "--cert", "client certificate file"),
    ("key", "--key", "client key file"),
    ("cacert", "--cacert", "CA file for the server (empty: -k)"),
)


def _shell_lines(command: str, width: int) -> Text:
    """A reproduce command as shell lines that fit (shell.fold_command), never wrapped as words:
    a mouse copy of `curl … --key` / `client.key https://…` rows ran curl without its URL."""
    return Text("\n".join(fold_command(command, width)), style="dim", no_wrap=True, overflow="ellipsis")


def _form_value(spec: ProbeSpec, name: str) -> str:
    if name == "host":
        return next((value for header, value in spec.headers if header.lower() == "host"), "")
    return getattr(spec, name) or ""


class ProbePane(VerticalScroll):
    class Run(Message):
        """The user asked for a probe with these form values."""

        def __init__(self, values: dict[str, str], insecure: bool) -> None:
            super().__init__()
            self.values = values
            self.insecure = insecure

    _shown: tuple | None = None  # what show() last drew, to draw again at a new width
    _filled_for: object = None  # what the form was filled for: the user's edits survive until that changes
    _defaults: ProbeSpec | None = None
    _idle: RenderableType = Text(NOT_YET, style="dim")  # what the results say before a probe

    def compose(self):
        with Grid(id="probe-form"):
            for name, label, placeholder in FIELDS:
                yield Label(label)
                yield ProbeField(
                    placeholder=placeholder,
                    id=f"probe-{name}",
                    classes="probe-field",
                    suggester=PathSuggester() if name in PATH_FIELDS else None,
                )
        with Horizontal(id="probe-actions"):
            yield Checkbox("insecure (-k)", value=True, id="probe-insecure")
            yield Button("Run probe (p)", id="probe-run", variant="primary")
            yield Button("Defaults", id="probe-defaults")
        yield Static("", id="probe-results")

    def fill(self, spec: ProbeSpec | None, source: object, why_none: str, command: str, form: ProbeSpec) -> None:
        """Prefill the form for `source` (the selected host, as the session sees it) with `form`;
        the user may edit every field, and the edits stay through later probes of the same source
        until "Defaults" puts this spec back. No `spec` (manifest files, an Ingress without an
        address): `form` leaves the URL for the user's own (with the client certificate the session
        was given), and the pane says why there is no probe (`why_none`) and what makes one
        (`command`, the lab)."""
        if spec is not None:
            self._defaults, self._idle = spec, Text(NOT_YET, style="dim")
            if source != self._filled_for:
                self._filled_for = source
                self._apply(spec)
            return
        self._defaults = None
        self._idle = Group(
            Text.assemble(("No probe: ", "bold"), why_none + "."),
            Text("To probe a server that runs these objects: fill in URL (and --resolve) above and press p, or run:"),
            Padding(Text(command, style="cyan"), (0, 0, 0, 2)),
            Text.assemble("To see one run here: ", ("mtls-tui lab", "cyan"), " (a local cluster and gateway)."),
        )
        if source != self._filled_for:
            self._filled_for = source
            self._apply(form)

    def _apply(self, spec: ProbeSpec) -> None:
        for name, _, _ in FIELDS:
            self.query_one(f"#probe-{name}", Input).value = _form_value(spec, name)
        self.query_one("#probe-insecure", Checkbox).value = spec.insecure

    def values(self) -> tuple[dict[str, str], bool]:
        values = {name: self.query_one(f"#probe-{name}", Input).value.strip() for name, _, _ in FIELDS}
        return values, self.query_one("#probe-insecure", Checkbox).value

    def run(self) -> None:
        """Ask for a probe of what the form says (the `p` key, the button, Enter in a field)."""
        self.post_message(self.Run(*self.values()))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "probe-run":
            self.run()
        elif event.button.id == "probe-defaults" and self._defaults is not None:
            self._apply(self._defaults)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run()

    def show_running(self, url: str) -> None:
        self.query_one("#probe-results", Static).update(
            Text(f"Probing {url} without and with the client certificate…", style="italic")
        )

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, results: list[ProbeResult] | None, error: str | None = None) -> None:
        self._shown = (results, error)
        target = self.query_one("#probe-results", Static)
        if error:
            target.update(Text(error, style="bold red"))
            return
        if not results:
            target.update(self._idle)
            return
        scale = timing_scale(results)
        side_by_side = self.size.width >= 110  # one above the other where two columns do not fit
        table = Table(expand=True, show_header=side_by_side)
        if side_by_side:
            for result in results:
                table.add_column(Text(result.label, style="bold"), ratio=1)
            table.add_row(*(probe_column(r, scale) for r in results))
        else:
            table.add_column()
            for result in results:
                table.add_row(Text(result.label, style="bold reverse"))
                table.add_row(probe_column(result, scale))
        commands: list[RenderableType] = []
        width = max(target.content_region.width - 2, 20)
        for result in results:  # indented as a whole: a command that wraps stays under its label
            commands += [
                Text(f"{result.label}:", style="dim"),
                *(Padding(_shell_lines(command, width), (0, 0, 0, 2)) for command in (result.curl, result.openssl)),
            ]
        target.update(Group(table, Text("Reproduce", style="bold"), *commands))
