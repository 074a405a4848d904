"""`mtls-tui lab --serve`: the lab's screen in a browser, for a projector or a workshop.

textual-serve runs a command per browser session, so the lab cannot live in the app
process: the serving process starts it once and describes it in a small file in the
lab's private folder (paths and an address, never key bytes). Each browser session
runs `mtls-tui lab --attach FILE`, which opens the screen on that lab without
starting or stopping it.

A scenario switch from any browser goes back to the serving process over a Unix
socket beside that file (private folder, so only this user can reach it), which
switches the one lab and rewrites the file. Every attached screen watches the file
and reloads, so all browsers keep showing the same lab.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import shlex
import socket
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from mtls_tui.errors import CannotRun
from mtls_tui.lab.environment import Lab
from mtls_tui.tui.app import MtlsApp
from mtls_tui.tui.session import Session

SESSION_FILE = "session.json"
CONTROL_SOCKET = "control.sock"
SESSION_FIELDS = ("context", "kubeconfig", "cert", "key", "connect", "label")  # no passphrase, no key bytes
PATH_FIELDS = ("kubeconfig", "cert", "key")
SWITCH_TIMEOUT = 60.0  # a switch restarts nginx; nginx alone may take 10 s to come up
WATCH_INTERVAL = 1.0
EXIT_GRACE = 2.0  # seconds an attached screen's process may linger after the screen closed

log = logging.getLogger("mtls-tui.serve")


def describe(lab: Lab) -> Path:
    """Write (atomically: attached screens read it any time) what an attached screen needs."""
    assert lab.private is not None, "the lab is not running"
    session = lab.session()
    fields = {name: getattr(session, name) for name in SESSION_FIELDS}
    for name in PATH_FIELDS:  # `--dir` may be relative; the attached process must not depend on its cwd
        fields[name] = fields[name] and os.path.abspath(fields[name])
    data = {"scenario": lab.scenario, "control": str(lab.private / CONTROL_SOCKET), "session": fields}
    path = lab.private / SESSION_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)
    return path


# --- the attached side: one per browser session ------------------------------------------


class AttachedLab:
    """What `MtlsApp` uses of a `Lab` (`scenario`, `session()`, `switch()`), for a lab
    running in the serving process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read()  # fail now, on the command line, rather than inside the app

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise CannotRun(f"no served lab at {self.path} ({exc})") from None

    @property
    def scenario(self) -> str:
        return self._read()["scenario"]

    def session(self) -> Session:
        return Session(**self._read()["session"])

    def switch(self, scenario: str) -> None:
        """Ask the serving process to switch; returns once the lab runs the new scenario."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
            control.settimeout(SWITCH_TIMEOUT)
            control.connect(self._read()["control"])
            control.sendall(scenario.encode() + b"\n")
            reply = control.makefile().readline().strip()
        if reply != "ok":
            raise RuntimeError(f"the serving process could not switch to {scenario}: {reply or 'no answer'}")


class AttachedApp(MtlsApp):
    """The screen on a served lab: also reloads when another browser switched the
    scenario, and leaves promptly when its browser goes."""

    def __init__(self, lab: AttachedLab) -> None:
        super().__init__(lab.session(), lab=lab)
        self.shown = lab.scenario

    def on_mount(self) -> None:  # Textual also runs MtlsApp.on_mount: handlers run up the MRO
        self.set_interval(WATCH_INTERVAL, self._watch_lab)

    def on_unmount(self) -> None:
        """Python waits at exit for worker threads, and one may sit in a network read for
        a minute; the server waits for this process before it can close the tab's session
        or stop. By now the screen is closed, so nothing is lost by not waiting."""
        timer = threading.Timer(EXIT_GRACE, os._exit, (0,))
        timer.daemon = True  # a process with nothing left waiting exits at once
        timer.start()

    def _watch_lab(self) -> None:
        if self.lab.scenario != self.shown:
            self.notify(f"Lab: another screen switched to {self.lab.scenario}", timeout=3)
            self._lab_switched()

    def _lab_switched(self) -> None:
        self.shown = self.lab.scenario
        super()._lab_switched()


def run_attached(path: Path) -> int:
    AttachedApp(AttachedLab(path)).run()
    return 0


# --- the serving side: the lab, the web server and the switch socket ---------------------


class LabServer(Server):
    """textual-serve's server, plus the lab's control socket and page URLs that work
    from other machines."""

    def __init__(self, lab: Lab, host: str, port: int) -> None:
        self.lab = lab
        self.session_file = describe(lab)
        command = f"{shlex.quote(sys.executable)} -m mtls_tui lab --attach {shlex.quote(str(self.session_file))}"
        super().__init__(command, host=host, port=port, title="mtls-tui lab")
        self._control: asyncio.AbstractServer | None = None
        self._switching = asyncio.Lock()
        self._sessions: set[asyncio.Task] = set()

    async def on_startup(self, app: web.Application) -> None:
        self._control = await asyncio.start_unix_server(self._handle_switch, path=str(self.lab.private / CONTROL_SOCKET))
        self.console.print(f"mtls-tui lab (scenario {self.lab.scenario}) served on [bold]{self.public_url}[/]", highlight=False)
        if self.host in ("0.0.0.0", "::", ""):
            self.console.print("Listening on every interface: open this machine's address on that port.")
        self.console.print("Ctrl+C stops the server and the lab.", style="cyan")

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every browser session now: aiohttp would otherwise wait a minute for
        open websockets. A cancelled session quits its app (textual-serve's handler)."""
        if self._control is not None:
            self._control.close()
            await self._control.wait_closed()
        for session in self._sessions:
            session.cancel()

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Browsers let any web page open a websocket to any address, loopback included:
        only the page this server served may drive the screen."""
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            raise web.HTTPForbidden(text="this lab's screen opens from its own page only")
        session = asyncio.current_task()
        assert session is not None
        self._sessions.add(session)
        try:
            return await super().handle_websocket(request)
        finally:
            self._sessions.discard(session)
            # textual-serve keeps the app's process transport in reference cycles (a
            # cancelled session's traceback) with stdin open; collected after the loop
            # closed, it fails loudly on Ctrl+C. Collect it while the loop still runs.
            gc.collect()

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page's websocket and static URLs as the browser reached us: with
        `--host 0.0.0.0` a fixed URL would name 0.0.0.0, which other machines cannot reach."""
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def _handle_switch(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            scenario = (await reader.readline()).decode(errors="replace").strip()
            async with self._switching:
                try:
                    await asyncio.get_running_loop().run_in_executor(None, self.lab.switch, scenario)
                    describe(self.lab)
                    reply = "ok"
                except Exception as exc:  # any failure goes back to the browser that asked
                    log.error("switching to %r failed: %s", scenario, exc)
                    reply = str(exc).replace("\n", " ") or type(exc).__name__
            writer.write(reply.encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()


def check_address(host: str, port: int) -> None:
    """Fail before the lab starts (seconds of work) when the address is taken or not ours."""
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                  flags=socket.AI_PASSIVE):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
                probe.bind(address)
    except OSError as exc:
        raise CannotRun(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def serve(lab: Lab, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM; the caller stops the lab afterwards."""
    try:
        LabServer(lab, host, port).serve()
    except OSError as exc:  # taken since `check_address`
        raise CannotRun(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
