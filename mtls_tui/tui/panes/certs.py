"""Certificates as a tree: where each came from, its facts, and the problems marked on it.

Every line fits the pane: what does not fit ends in an ellipsis instead of running past
the edge (a tree has no wrapped lines), and the mark comes first so it is never the part cut.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from mtls_tui.diagnose.views import CertificateGroup, CertificatesView, CertificateView, Fact, Problem
from mtls_tui.model import Severity
from mtls_tui.tui.marks import ACCEPTED, SEVERITY

FACT_WIDTH = 10  # "Signature " : the values line up


def _marked(severity: Severity | None, *parts: Text | str | tuple[str, str]) -> Text:
    """A label led by the mark of its worst problem, if it has one."""
    mark = SEVERITY[severity] if severity else None
    return Text.assemble((f"{mark.symbol} ", mark.style) if mark else "", *parts)


def _problem_line(problem: Problem) -> Text:
    mark = SEVERITY[problem.severity]
    return Text(f"{mark.symbol} {problem.code}", style=mark.style)


def _fact_line(fact: Fact) -> Text:
    return Text.assemble((f"{fact.label:{FACT_WIDTH}}", "dim"), (fact.value, "bold red" if fact.alarm else ""))


class CertTree(Tree[None]):
    """Renders a `CertificatesView`; labels are cut to the visible width with an ellipsis."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.show_root = False  # the tab says what this is: the root's line and indentation are width for facts
        self.guide_depth = 3

    def show(self, view: CertificatesView | None) -> None:
        self.clear()
        for group in view.groups if view else ():
            self._group(group)

    def _group(self, group: CertificateGroup) -> None:
        title = {
            "secret": Text(group.title, style="bold"),
            "client": Text.assemble(("client ", "bold"), group.title),
            "probe": Text.assemble(("probe ", "bold"), group.title),
        }[group.kind]
        parent = self.root.add(_marked(group.worst, title), expand=True)
        if group.accepted:
            parent.add_leaf(Text(f"{ACCEPTED.symbol} {ACCEPTED.meaning}", style=ACCEPTED.style))
        for problem in group.problems:
            parent.add_leaf(_problem_line(problem))
        for fact in group.facts:
            parent.add_leaf(_fact_line(fact))
        for certificate in group.certificates:
            self._certificate(parent, certificate)

    def _certificate(self, parent: TreeNode[None], cert: CertificateView) -> None:
        node = parent.add(
            _marked(cert.worst, (cert.name, "bold"), f" ({cert.role}): {cert.subject}"), expand=cert.expanded
        )
        for problem in cert.problems:
            node.add_leaf(_problem_line(problem))
        for fact in cert.facts:
            node.add_leaf(_fact_line(fact))

    def render_label(self, node: TreeNode[None], base_style: Style, style: Style) -> Text:
        """The label cut to what is left of the visible width after the node's guides."""
        label = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:  # the root is not shown: its children have no guides
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room > 0 and label.cell_len > room:
            label.truncate(room, overflow="ellipsis")
        return label
