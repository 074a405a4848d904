"""A lab served to browsers: each browser session runs its own screen process
(`mtls-tui lab --attach FILE`), which reaches the one lab through this module.

The serving process describes the lab in a small file in the lab's private folder
(paths and an address, never key bytes) and answers requests on a Unix socket beside it
(private folder: only this user can reach it): a scenario switch, which rewrites the
file (every attached screen watches it and reloads, so all browsers show the same lab),
and the lab's state for the walkthrough.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mtls_tui.diagnose.hosts import HostReport
from mtls_tui.errors import CannotRun
from mtls_tui.lab.environment import Lab
from mtls_tui.lab.walkthrough import LabState, Step, steps
from mtls_tui.service.session import Session

SESSION_FILE = "session.json"
CONTROL_SOCKET = "control.sock"
SESSION_FIELDS = (
    "context",
    "kubeconfig",
    "cert",
    "key",
    "connect",
    "label",
    "controller",
    "exec_conf",
)  # no passphrase, no key bytes
PATH_FIELDS = ("kubeconfig", "cert", "key")
SWITCH_TIMEOUT = 60.0  # a switch restarts nginx; nginx alone may take 10 s to come up

log = logging.getLogger("mtls-tui.serve")


def describe(lab: Lab) -> Path:
    """Write (atomically: attached screens read it any time) what an attached screen needs."""
    assert lab.private is not None, "the lab is not running"
    session = lab.session()
    fields = {name: getattr(session, name) for name in SESSION_FIELDS}
    for name in PATH_FIELDS:  # `--dir` may be relative; the attached process must not depend on its cwd
        fields[name] = fields[name] and os.path.abspath(fields[name])
    data = {
        "scenario": lab.scenario,
        "scenarios": lab.scenarios(),
        "hint": lab.walkthrough_hint,
        "fix_place": lab.fix_place,
        "control": str(control_socket(lab)),
        "session": fields,
    }
    path = lab.private / SESSION_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)
    return path


def control_socket(lab: Lab) -> Path:
    assert lab.private is not None, "the lab is not running"
    return lab.private / CONTROL_SOCKET


def answer(lab: Lab, request: str) -> str:
    """The serving process's side: `switch NAME` (then "ok") or `walkthrough` (the lab's
    state for the walkthrough, as JSON)."""
    verb, _, argument = request.strip().partition(" ")
    if verb == "walkthrough":
        return lab.walkthrough_state().to_json()
    if verb != "switch":
        return f"unknown request {verb!r}"
    try:
        lab.switch(argument)
        describe(lab)
    except Exception as exc:  # any failure goes back to the browser that asked
        log.error("switching to %r failed: %s", argument, exc)
        return str(exc).replace("\n", " ") or type(exc).__name__
    return "ok"


class AttachedLab:
    """A `service.ports.LabControl` for a lab running in the serving process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read()  # fail now, on the command line, rather than inside the app

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise CannotRun(f"no served lab at {self.path} ({exc})") from None
        if not isinstance(data, dict):
            raise CannotRun(f"no served lab at {self.path} (not a lab description)")
        return data

    def _ask(self, request: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
            control.settimeout(SWITCH_TIMEOUT)
            control.connect(self._read()["control"])
            control.sendall(request.encode() + b"\n")
            return control.makefile().readline().strip()

    @property
    def scenario(self) -> str:
        return str(self._read()["scenario"])

    def scenarios(self) -> Mapping[str, str]:
        return dict(self._read()["scenarios"])

    def session(self) -> Session:
        return Session(**self._read()["session"])

    def switch(self, scenario: str) -> None:
        """Ask the serving process to switch; returns once the lab runs the new scenario."""
        reply = self._ask(f"switch {scenario}")
        if reply != "ok":
            raise RuntimeError(f"the serving process could not switch to {scenario}: {reply or 'no answer'}")

    def walkthrough(self, reports: Sequence[HostReport]) -> list[Step]:
        return steps(LabState.from_json(self._ask("walkthrough")), reports)

    @property
    def walkthrough_hint(self) -> str:
        return str(self._read()["hint"])

    @property
    def fix_place(self) -> str:
        return str(self._read()["fix_place"])
