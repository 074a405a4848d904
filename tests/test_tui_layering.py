"""The screen renders; it does not compute. Checked on the source, so a new import that
breaks the rule fails here before anyone notices the screen pulling in a parser.

- No module under mtls_tui/tui/ imports `cryptography`, `httpx` or the Kubernetes client:
  certificates are decoded, requests sent and clusters read by the core and the sources.
- No pane (nor the screens and marks beside them) imports from `certs/` or `policy/`:
  what a pane shows is computed in diagnose/ (views.py) and handed to it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TUI = Path(__file__).parent.parent / "mtls_tui" / "tui"
HEAVY = ("cryptography", "httpx", "kubernetes")
COMPUTING = ("mtls_tui.certs", "mtls_tui.policy")
RENDERING = sorted([*TUI.glob("panes/*.py"), TUI / "screens.py", TUI / "marks.py"])


def imported(source: str) -> set[str]:
    """Every module an import statement names, nested ones (inside functions) included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def under(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_the_check_sees_imports_wherever_they_are() -> None:
    source = "import os\ndef f():\n    from cryptography import x509\n    import kubernetes.client\nfrom mtls_tui import certs\n"
    found = imported(source)
    assert under("cryptography", HEAVY) and {"cryptography", "kubernetes.client"} <= found
    assert "mtls_tui.certs" in found  # `from mtls_tui import certs` names the package too


@pytest.mark.parametrize("module", sorted(TUI.rglob("*.py")), ids=lambda p: str(p.relative_to(TUI)))
def test_the_screen_imports_no_parser_client_or_http_library(module: Path) -> None:
    heavy = sorted(n for n in imported(module.read_text()) if under(n, HEAVY))
    assert not heavy, f"{module.name} imports {heavy}: ask the core or a source instead"


@pytest.mark.parametrize("module", RENDERING, ids=lambda p: str(p.relative_to(TUI)))
def test_panes_render_what_they_are_given(module: Path) -> None:
    computing = sorted(n for n in imported(module.read_text()) if under(n, COMPUTING))
    assert not computing, f"{module.name} imports {computing}: compute it in diagnose/views.py and pass it in"


def test_the_app_stays_thin() -> None:
    """Issue 12: `tui/app.py` composes, binds keys and routes; state and workers live in the
    controller. Under 300 lines keeps the next pane from growing it again."""
    app = Path(__file__).parent.parent / "mtls_tui" / "tui" / "app.py"
    assert len(app.read_text().splitlines()) < 300
