"""The Ingress and Secret as the controller reads them: annotations with the value the
controller really uses (silent rewrites shown), the Secrets' keys (sizes and contents, never
key bytes), Events, the controller, and the nginx directives it renders.

An annotation's name is never split across lines: it is what a person greps and types.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mtls_tui.diagnose.views import AnnotationRow, IngressAnnotations, IngressView, ObjectsView, SecretView
from mtls_tui.safe_text import one_line

NAME_WIDTH_MAX = 40  # wider names (another controller's, a typo's) end in an ellipsis rather than squeeze the values


def _value(row: AnnotationRow) -> Text:
    """The value as written, then what the controller does with it when that is not simply using it."""
    text = Text(row.value)
    if row.use == "rewritten":
        text.append(f" → the controller uses {row.used}", style="yellow")
    elif row.use == "unused":
        text.append(" (not in effect for this host)", style="dim")
    elif row.use == "not-read":
        text.append(" (not read by ingress-nginx)", style="dim")
    return text


def annotations_table(view: IngressView, ingress: IngressAnnotations) -> Table:
    """Two columns: the name whole on one line, the value folding beside it."""
    title = f"Annotations of Ingress {ingress.ingress}, as the controller reads them"
    if len(view.annotations) > 1:
        title += " (its auth-tls settings configure the host)" if ingress.configures_mtls else ""
    table = Table(title=title, title_justify="left", title_style="bold", expand=True)
    longest = max((len(row.name) for row in ingress.rows), default=10)
    table.add_column("annotation", no_wrap=True, overflow="ellipsis", min_width=min(longest, NAME_WIDTH_MAX))
    table.add_column("value", overflow="fold", ratio=1)
    for row in ingress.rows:
        table.add_row(row.name, _value(row))
    if not ingress.rows:
        table.add_row(Text("none", style="dim"), "")
    return table


def secret_table(secret: SecretView) -> Table:
    table = Table(
        title=f"Secret {secret.ref} ({', '.join(secret.roles)})", title_justify="left", title_style="bold", expand=True
    )
    table.add_column("key", no_wrap=True)
    table.add_column("bytes", justify="right", no_wrap=True)
    table.add_column("holds", overflow="fold", ratio=1)
    for row in secret.keys:
        table.add_row(row.key, str(row.size), row.holds)
    if secret.problem is not None:
        table.add_row("—", "", Text(secret.problem, style="red"))
    return table


def objects_table(view: ObjectsView) -> Table:
    """Another controller's host: not an Ingress, the objects that configure its client validation."""
    table = Table(title=f"What decides client certificates for {one_line(view.host)}", title_justify="left", box=None)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("")
    for what, value in view.rows:
        table.add_row(what, value)
    return table


class IngressPane(VerticalScroll):
    def compose(self):
        yield Static("", id="ingress-body")

    def show(self, view: IngressView | ObjectsView | None) -> None:
        body = self.query_one("#ingress-body", Static)
        if view is None:
            body.update("")
            return
        if isinstance(view, ObjectsView):
            body.update(objects_table(view))
            return
        parts: list[RenderableType] = [annotations_table(view, ingress) for ingress in view.annotations]
        parts += [secret_table(secret) for secret in view.secrets]
        controller = view.controller
        parts.append(
            Text.assemble(
                ("Controller: ", "bold"),
                one_line(
                    f"{controller.ref} ({controller.image}), {len(controller.pods)} pod(s)"
                    if controller
                    else "none found"
                ),
                ("\n  " + one_line(view.rules), "dim") if view.rules else "",
            )
        )
        if view.events:
            parts.append(Text("Events", style="bold"))
            parts += [Text(one_line(f"  {e.type:8} {e.reason:24} {e.message}")) for e in view.events]
        if view.directives:
            parts.append(Text(f"nginx directives the controller renders for {view.host}", style="bold"))
            parts += [Text(f"  {line}", style="cyan") for line in view.directives]
        for block in view.rendered:  # --exec: what each pod did render, differences marked
            parts.append(Text.assemble(("rendered in ", "bold"), one_line(block.pod), ("  " + block.command, "dim")))
            if block.problem:
                parts.append(Text(f"  not read: {one_line(block.problem)}", style="yellow"))
            for i, line in enumerate(block.lines):
                marked = i in block.differs
                parts.append(Text(f"{'✖ ' if marked else '  '}{one_line(line)}", style="bold red" if marked else ""))
        body.update(Group(*parts))
