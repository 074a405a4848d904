"""`mtls-tui lab --serve`: the lab's screen in a browser, for a projector or a workshop.

textual-serve runs a command per browser session, so the lab cannot live in the app
process: the serving process starts it once, and each browser session runs
`mtls-tui lab --attach FILE`, a screen on that lab (`lab.attached.AttachedLab`) that
neither starts nor stops it. This module is the web side: the server, its control
socket, and the attached screen's extra duties.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import shlex
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

from mtls_tui.errors import CannotRun
from mtls_tui.service.ports import LabControl
from mtls_tui.tui.app import MtlsApp

WATCH_INTERVAL = 1.0
# A <link> or <script> that names an absolute URL (the page's own static files do too).
ABSOLUTE_RESOURCE = re.compile(
    r"<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*[\"']?((?:https?:)?//[^\"'\s>]*)[^>]*>"
    r"(?:\s*</script>)?",
    re.IGNORECASE,
)
SAME_ORIGIN_ONLY = (
    "default-src 'self'; connect-src 'self' ws: wss:; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:"
)
EXIT_GRACE = 2.0  # seconds an attached screen's process may linger after the screen closed


class AttachedApp(MtlsApp):
    """The screen on a served lab: also reloads when another browser switched the
    scenario, and leaves promptly when its browser goes."""

    def __init__(self, lab: LabControl) -> None:
        super().__init__(lab.session(), lab=lab)
        self.lab = lab

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
        scenario = self.lab.scenario
        if scenario != self.controller.shown_scenario:
            self.notify(f"Lab: another screen switched to {scenario}", timeout=3)
            self.controller.lab_switched()


def run_attached(lab: LabControl) -> int:
    AttachedApp(lab).run()
    return 0


# --- the serving side: the web server and the lab's control socket ----------------------


class LabServer(Server):
    """textual-serve's server, plus the lab's control socket and page URLs that work
    from other machines."""

    def __init__(
        self, lab: LabControl, session_file: Path, control: Path, answer: Callable[[str], str], host: str, port: int
    ) -> None:
        self.lab, self.control_path, self.answer = lab, control, answer
        command = f"{shlex.quote(sys.executable)} -m mtls_tui lab --attach {shlex.quote(str(session_file))}"
        super().__init__(command, host=host, port=port, title="mtls-tui lab")
        self._control: asyncio.AbstractServer | None = None
        self._switching = asyncio.Lock()
        self._sessions: set[asyncio.Task] = set()

    def initialize_logging(self) -> None:
        """textual-serve's log, without a line per HTTP request: the terminal that serves a
        workshop shows who connected and what failed, not every static file."""
        super().initialize_logging()
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        self._control = await asyncio.start_unix_server(self._handle_control, path=str(self.control_path))
        self.console.print(
            f"mtls-tui lab (scenario {self.lab.scenario}) served on [bold]{self.public_url}[/]", highlight=False
        )
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
        `--host 0.0.0.0` a fixed URL would name 0.0.0.0, which other machines cannot reach.
        A projector in a workshop room may have no internet: the page loads nothing from
        elsewhere (textual-serve's page asks a web font service; it falls back to the
        browser's monospace font), and the policy header has the browser hold to that."""
        self.public_url = f"{request.scheme}://{request.host}"
        page = await super().handle_index(request)
        if isinstance(page, web.Response) and page.text is not None:
            page.text = same_origin_only(page.text, request.host)
        page.headers["Content-Security-Policy"] = SAME_ORIGIN_ONLY
        return page

    async def _handle_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request a connection, answered by the lab (one at a time: a switch restarts nginx)."""
        try:
            request = (await reader.readline()).decode(errors="replace")
            async with self._switching:
                reply = await asyncio.get_running_loop().run_in_executor(None, self.answer, request)
            writer.write(reply.encode() + b"\n")
            await writer.drain()
        finally:
            writer.close()


def same_origin_only(page: str, host: str) -> str:
    """The page without the stylesheets and scripts it would fetch from another host."""
    return ABSOLUTE_RESOURCE.sub(lambda tag: tag[0] if urlsplit(tag[1]).netloc == host else "", page)


def check_address(host: str, port: int) -> None:
    """Fail before the lab starts (seconds of work) when the address is taken or not ours."""
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds
                probe.bind(address)
    except OSError as exc:
        raise CannotRun(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    lab: LabControl, session_file: Path, control: Path, answer: Callable[[str], str], host: str, port: int
) -> None:
    """Serve until SIGINT or SIGTERM; the caller stops the lab afterwards."""
    try:
        LabServer(lab, session_file, control, answer, host, port).serve()
    except OSError as exc:  # taken since `check_address`
        raise CannotRun(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
