"""The Migrate view: the selected ingress-nginx host moved to one of its successors. It shows the
target (←→ picks another), what does not carry over, the objects `mtls-tui migrate` would write,
and, on `v`, who gets in before and after, measured on real data planes in a worker.

It renders what the controller computes (`plan_of`, `verify_of`); nothing here reads or runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mtls_tui.policy.migrate import TARGETS, HostMigration, Target
from mtls_tui.policy.migrate.plan import objects_yaml
from mtls_tui.report.console import STYLE
from mtls_tui.safe_text import one_line
from mtls_tui.shell import fold_command


class MigrateScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,m", "dismiss", "Close"),
        Binding("left", "target(-1)", "Previous target"),
        Binding("right", "target(1)", "Next target"),
        Binding("v", "verify", "Measure before/after"),
    ]

    def __init__(
        self,
        host: str,
        plan_of: Callable[[Target], HostMigration | None],
        verify_of: Callable[[Target, Callable[[str, Any, str | None], None]], None] | None,
    ) -> None:
        super().__init__()
        self.host, self.plan_of, self.verify_of = host, plan_of, verify_of
        self.target: Target = "envoy-gateway"
        self.table: RenderableType | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="migrate"):
            yield Static(id="migrate-body")

    def on_mount(self) -> None:
        self._show()

    def on_resize(self) -> None:  # the commands' shell lines are laid out for the width
        self._show()

    def action_target(self, step: int) -> None:
        self.target = TARGETS[(TARGETS.index(self.target) + step) % len(TARGETS)]
        self.table = None
        self._show()

    def action_verify(self) -> None:
        if self.verify_of is None:
            return
        self.table = Text(
            f"Measuring who gets in on {self.target}: starting nginx and the new data plane…", style="dim"
        )
        self._show()
        self.verify_of(self.target, self.show_outcome)

    def show_outcome(self, target: str, outcome: Any, error: str | None) -> None:
        """The worker's answer; one for another target (the user moved on) is dropped."""
        if target != self.target or not self.is_attached:  # another target now, or the screen is closed
            return
        self.table = Text(f"not measured: {one_line(error)}", style="yellow") if error else outcome.render()
        self._show()

    def _show(self) -> None:
        picker = Text.assemble(
            ("Migrate ", "bold"),
            (self.host, "bold"),
            " to  ",
            *((f" {t} ", "reverse bold" if t == self.target else "dim") for t in TARGETS),
            ("   ←→ target · v measure · esc close", "dim"),
        )
        plan = self.plan_of(self.target)
        parts: list[RenderableType] = [picker, Text("")]
        if plan is None:
            parts.append(
                Text("Nothing to migrate for this host (no auth-tls-secret on ingress-nginx).", style="yellow")
            )
        else:
            parts.append(Text("What does not carry over", style="bold"))
            for finding in plan.findings:
                parts.append(
                    Text.assemble(
                        (f" {finding.severity.value.upper():7} ", STYLE[finding.severity]), finding.code, "  "
                    )
                    + Text(one_line(finding.title))
                )
            parts.append(Text(""))
            if not isinstance(self.table, Table):  # the measured table carries its own title
                parts.append(Text("Who gets in, before and after", style="bold"))
            parts.append(
                self.table or Text("v measures it on real data planes (mtls-tui migrate --verify)", style="dim")
            )
            parts.append(Text(""))
            width = (self.query_one("#migrate-body", Static).content_region.width or self.app.size.width) - 2
            for command in plan.secret_commands:
                parts.append(
                    Text.assemble(
                        ("Create first: ", "bold"),
                        f"Secret {command.ref} ({one_line(command.why)}). It holds a private key, so it is not among "
                        "the objects below: run the command, read what it prints, then pipe it to kubectl apply -f -",
                    )
                )
                # shell lines ending in ` \`: pasted as drawn, they run the command (a wrapped word ran apart)
                lines = fold_command(one_line(command.command), max(width, 20))
                parts.append(Text("\n".join(f"  {line}" for line in lines), style="cyan"))
            parts.append(Text(f"Objects mtls-tui migrate --to {self.target} writes (nothing is applied)", style="bold"))
            parts.append(Syntax(objects_yaml(plan.objects), "yaml"))
        self.query_one("#migrate-body", Static).update(Group(*parts))
