"""The screen's marks: one symbol, colour and meaning each, used by the host list, the
Certificates tree, the walkthrough and the help's legend alike. A mark must read without
colour (a projector, a monochrome terminal), so no two meanings share a symbol and colour
only repeats what the symbol says.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from mtls_tui.diagnose.hosts import HostState
from mtls_tui.model import Severity

StepState = Literal["done", "failed", "pending"]


class Mark(NamedTuple):
    symbol: str
    style: str
    meaning: str


HOST_STATE: dict[HostState, Mark] = {
    "works": Mark("✔", "green", "works"),
    "broken": Mark("✖", "red", "broken"),
    "not enforced": Mark("!", "magenta", "not enforced: requests without a certificate get in"),
    "unverified": Mark("?", "yellow", "unverified: an input was not read"),
}
TLS_ONLY = Mark("○", "default", "works, TLS only: no client certificate asked (not an mTLS host)")
PENDING = Mark("…", "dim", "being judged: its report is still being computed")
SEVERITY: dict[Severity, Mark] = {
    Severity.ERROR: HOST_STATE["broken"]._replace(meaning="error: breaks mTLS"),
    Severity.WARNING: Mark("▲", "yellow", "warning: works here, breaks elsewhere or soon"),
    Severity.INFO: Mark("ℹ", "blue", "info: worth knowing"),
}
ACCEPTED = HOST_STATE["works"]._replace(meaning="nginx accepts the client certificate")
STEP: dict[StepState, Mark] = {
    "done": HOST_STATE["works"]._replace(meaning="walkthrough step done"),
    "failed": HOST_STATE["broken"]._replace(style="bold red", meaning="step failed"),
    "pending": Mark("…", "yellow", "step pending"),
}


def legend() -> str:
    """The help's list of marks: one line per symbol, with every meaning it has on the screen."""
    meanings: dict[str, list[str]] = {}
    for mark in (*HOST_STATE.values(), TLS_ONLY, PENDING, *SEVERITY.values(), ACCEPTED, *STEP.values()):
        meanings.setdefault(mark.symbol, []).append(mark.meaning)
    return "\n".join(f"- {symbol} {' · '.join(said)}" for symbol, said in meanings.items())
