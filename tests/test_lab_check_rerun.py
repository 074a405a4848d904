"""`mtls-tui lab --check` stops the lab when it ends, so its `try:` line (a curl to the gateway's port,
a kubectl to the lab's API server) named a lab that was gone when the user ran it. It now ends by
saying so, with the command that starts the same lab again (folder, port, scenario) and where the
commands run. Run here as printed: the start line in a terminal (tmux), the `try:` line after the
place line, against the lab that start line made; then `q`, and no nginx of that lab is left.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.conftest import require
from tests.test_hostile_certs import run_cli
from tests.test_lab_scenarios import nginx_processes

ROOT = Path(__file__).resolve().parent.parent


def _after(lines: list[str], heading: str) -> str:
    """The indented command line printed under `heading`."""
    index = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return lines[index + 1].strip()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def _screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def _our_nginx_prefixes(folder: Path) -> list[str]:
    """The private nginx folders whose recorded owner is a lab on `folder` (other labs on the machine
    make folders of the same names)."""
    found = []
    for private in Path(tempfile.gettempdir()).glob("mtls-tui-nginx-*"):
        try:
            owner = (private / "owner.pid").read_text().strip()
            if str(folder) in Path(f"/proc/{owner}/cmdline").read_bytes().decode(errors="replace"):
                found.append(str(private))
        except OSError:
            continue
    return found


def test_the_try_line_runs_as_printed_against_the_lab_started_as_printed(tmp_path: Path, nginx_binary: str) -> None:
    require("tmux", shutil.which("tmux"))
    folder = tmp_path / "lab"
    out = run_cli("lab", "--check", "--scenario", "no-client-cert", "--dir", str(folder), timeout=120)
    lines = out.stdout.splitlines()
    tried = next(line.split("try: ", 1)[1] for line in lines if line.strip().startswith("try: "))
    assert tried.startswith("curl ") and "--cert client.crt" in tried, tried  # the gateway's port, the seed's files
    start = _after(lines, "The lab stopped when this check ended")
    place = _after(lines, "then, in this terminal")
    port = int(tried.split("--resolve meow.com:", 1)[1].split(":", 1)[0])
    assert f"--port {port}" in start and "--scenario no-client-cert" in start, start
    assert not _listening(port)  # as the user finds it: the check's gateway is gone

    session = f"mtls-rerun-{os.getpid()}"
    env = f"env PYTHONPATH={ROOT} "  # this checkout's mtls-tui, whichever the printed command names
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", env + start], check=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (_listening(port) and _our_nginx_prefixes(folder)):
            time.sleep(0.2)
        prefixes = _our_nginx_prefixes(folder)
        assert prefixes, "the printed start line started no nginx"
        ran = subprocess.run(
            ["bash", "-c", f"{place}; {tried}"], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert ran.returncode == 0, ran.stderr
        assert re.search(r"^< HTTP/\S+ 200", ran.stderr, re.MULTILINE), ran.stderr
        assert "ssl-client-verify=SUCCESS" in ran.stdout, ran.stdout  # as the lab's upstream echoes it
        deadline = time.monotonic() + 60  # keys pressed before the screen is up are lost, as in a terminal
        while time.monotonic() < deadline and "mTLS" not in _screen(session):
            time.sleep(0.2)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and nginx_processes(prefixes):
            time.sleep(0.2)
        assert not nginx_processes(prefixes)  # q stopped the lab's nginx
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
