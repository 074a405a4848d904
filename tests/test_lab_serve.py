"""`mtls-tui lab --serve`: a browser's page and session reach the app on the one lab,
and Ctrl+C leaves no process, port or folder behind."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import aiohttp
import pytest

from mtls_tui.lab.attached import AttachedLab
from mtls_tui.lab.nginx import free_port, wait_for_port

SESSION_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (children of children too)."""
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def command_line(pid: int) -> list[str]:
    """Its words; nginx rewrites its own as one string, hence the split on spaces too."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ").split()
    except OSError:
        return []


def lab_folders(command_lines: Iterable[list[str]]) -> set[Path]:
    """The lab's private folder (from the attach command) and nginx's prefix (-p)."""
    folders = set()
    for words in command_lines:
        for flag, to_folder in (("--attach", lambda p: p.parent), ("-p", lambda p: p)):
            if flag in words[:-1]:
                folders.add(to_folder(Path(words[words.index(flag) + 1])))
    return folders


async def terminal_output(ws: aiohttp.ClientWebSocketResponse, *wanted: str) -> str:
    """Terminal output until every wanted text appeared."""
    seen = ""
    async for message in ws:
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data.decode("utf-8", "replace")
        if all(text in seen for text in wanted):
            return seen
    pytest.fail(f"the session ended before the app showed {wanted}: {seen[-500:]!r}")


async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    async for _ in ws:  # ends when the server closes the websocket
        pass


async def browser_then_ctrl_c(port: int, server: subprocess.Popen, pki: Path) -> dict[int, list[str]]:
    """What textual.js does (the page, then the websocket with the terminal size, a
    resize and a ping; refused from another site's page); a scenario switch from
    another browser, which this one follows; then Ctrl+C while the tab is still open.
    Returns the processes the server had started, with their command lines."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200
            html = await page.text()
        assert "js/textual.js" in html and f'data-session-websocket-url="ws://127.0.0.1:{port}/ws"' in html
        async with http.get(f"http://127.0.0.1:{port}/static/js/textual.js") as script:
            assert script.status == 200
        with pytest.raises(aiohttp.WSServerHandshakeError, match="403"):
            await http.ws_connect(f"ws://127.0.0.1:{port}/ws", origin="http://elsewhere.example")
        async with http.ws_connect(
            f"ws://127.0.0.1:{port}/ws?width=120&height=40", origin=f"http://127.0.0.1:{port}"
        ) as ws:
            await ws.send_json(["resize", {"width": 120, "height": 40}])
            await ws.send_json(["ping", "1"])
            # the verdict after the first probe: no probe is running when the lab switches
            await asyncio.wait_for(
                terminal_output(ws, "mtls-tui", "scenario healthy", "mTLS works for meow.com"), SESSION_TIMEOUT
            )
            children = {pid: command_line(pid) for pid in descendants(server.pid)}
            [session_file] = {words[words.index("--attach") + 1] for words in children.values() if "--attach" in words}
            lab = AttachedLab(Path(session_file))
            await asyncio.to_thread(lab.switch, "wrong-ca")
            assert lab.scenario == "wrong-ca" and lab.session().label.startswith("lab · scenario wrong-ca")
            assert lab.session().key == str(pki.resolve() / "lab-client.key")
            # the walkthrough of a browser session: the lab's state comes over the control socket
            steps = await asyncio.to_thread(lab.walkthrough, [])
            assert [s.title for s in steps][:2] == ["Create the certificates", "Create the Secret"]
            assert steps[1].state == "done" and "KUBECONFIG=" in lab.walkthrough_hint
            await asyncio.wait_for(terminal_output(ws, "scenario wrong-ca"), SESSION_TIMEOUT)
            server.send_signal(signal.SIGINT)
            await asyncio.wait_for(drain(ws), STOP_TIMEOUT)  # the server closes the tab's session
    return children


@contextmanager
def served_lab(folder: Path, nginx_binary: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """`mtls-tui lab --serve` on a free port; stopped with Ctrl+C if the test did not."""
    port = free_port()
    env = {**os.environ, "PATH": f"{Path(nginx_binary).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "mtls_tui", "lab", "--serve", "--serve-port", str(port), "--dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        wait_for_port(port, 15, server)
        assert server.poll() is None, server.communicate()[0]
        yield port, server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.communicate(timeout=30)


@pytest.mark.nginx
def test_browser_session_and_clean_stop(tmp_path: Path, nginx_binary: str) -> None:
    with served_lab(tmp_path / "pki", nginx_binary) as (port, server):
        children = asyncio.run(browser_then_ctrl_c(port, server, tmp_path / "pki"))
        output, _ = server.communicate(timeout=STOP_TIMEOUT)
    assert server.returncode == 0, output
    assert f"served on http://127.0.0.1:{port}" in output and "Traceback" not in output
    assert not [pid for pid in children if alive(pid)]
    folders = lab_folders(children.values())
    assert len(folders) == 2 and not [folder for folder in folders if folder.exists()]
    socket.create_server(("127.0.0.1", port)).close()  # the port is free again
    assert (tmp_path / "pki" / "lab-client.key").read_text() not in output


def test_attach_without_a_served_lab(tmp_path: Path) -> None:
    """The hidden option fails in one line, not inside the app."""
    result = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "lab", "--attach", str(tmp_path / "session.json")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "no served lab" in result.stderr and "Traceback" not in result.stderr


@contextmanager
def headless_chromium(profile: Path) -> Iterator[str]:
    """Chromium without a screen; yields its DevTools address. Its own session, so
    that no helper process outlives the test."""
    browser = subprocess.Popen(
        [
            shutil.which("chromium"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + SESSION_TIMEOUT
        while not (active.exists() and active.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.1)
        yield f"127.0.0.1:{active.read_text().split()[0]}"
    finally:
        browser.terminate()  # the browser first, so that it reaps its helpers
        browser.wait(timeout=10)
        with suppress(ProcessLookupError):
            os.killpg(browser.pid, signal.SIGKILL)  # any helper it left


# The terminal draws on canvases, so the page's text is not in the DOM: keep a copy of
# what the page's websocket receives, before the page's own script runs.
RECORD_TERMINAL = """
const NativeWebSocket = window.WebSocket;
window.terminalBytes = "";
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => {
      if (typeof event.data !== "string") window.terminalBytes += new TextDecoder().decode(event.data);
    });
  }
};
"""
SHOWS_THE_APP = (
    "document.body.classList.contains('-first-byte') && document.querySelector('.xterm canvas') !== null"
    " && window.terminalBytes.includes('mtls-tui') && window.terminalBytes.includes('meow.com')"
)


async def page_shows_the_app(devtools: str, url: str) -> list[str]:
    """Open `url` in the browser's tab and wait until the terminal drew the app; the URLs
    of every request the page made (the browser's own record, DevTools' Network domain)."""
    requested: list[str] = []
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://{devtools}/json/list") as listing:
            [tab] = [target for target in await listing.json() if target["type"] == "page"]
        async with http.ws_connect(tab["webSocketDebuggerUrl"], max_msg_size=0) as cdp:
            calls = itertools.count(1)

            async def call(method: str, **params: object) -> dict:
                number = next(calls)
                await cdp.send_json({"id": number, "method": method, "params": params})
                async for message in cdp:
                    answer = message.json()
                    if answer.get("method") == "Network.requestWillBeSent":
                        requested.append(answer["params"]["request"]["url"])
                    if answer.get("id") == number:
                        return answer.get("result", {})
                raise AssertionError("DevTools closed the connection")

            await call("Network.enable")
            await call("Page.enable")  # else the script below is not run on the next page
            await call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_TERMINAL)
            await call("Page.navigate", url=url)
            while not (await call("Runtime.evaluate", expression=SHOWS_THE_APP, returnByValue=True))["result"].get(
                "value"
            ):
                await asyncio.sleep(0.2)
    return requested


@pytest.mark.nginx
def test_chromium_renders_the_app(tmp_path: Path, nginx_binary: str) -> None:
    from tests.conftest import require

    require("chromium", shutil.which("chromium"))  # a skip on a laptop, a failure in CI
    """...and loads nothing from elsewhere: a projector in a workshop room may have no internet
    (textual-serve's page asks fonts.googleapis.com for its font)."""
    with (
        served_lab(tmp_path / "pki", nginx_binary) as (port, server),
        headless_chromium(tmp_path / "chromium") as devtools,
    ):
        origin = f"http://127.0.0.1:{port}/"
        requested = asyncio.run(asyncio.wait_for(page_shows_the_app(devtools, origin), SESSION_TIMEOUT))
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    elsewhere = [url for url in requested if not url.startswith((origin, f"ws://127.0.0.1:{port}/", "data:"))]
    assert requested and not elsewhere, requested
    assert "GET /static/" not in output, output  # no access log line per request by default
