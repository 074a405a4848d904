"""Run a real nginx as a child process, in a private temporary folder, on loopback.

The lab's gateway and the tests that hold our verdicts to nginx's both need an
nginx that starts fast, leaves nothing behind and says clearly when it is missing
or refuses its configuration.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from mtls_tui.errors import CannotRun
from mtls_tui.lab.leftovers import private_folder

CANDIDATES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")


class NginxError(RuntimeError):
    """nginx is missing, refused its configuration or did not come up."""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((c for c in CANDIDATES if os.access(c, os.X_OK)), None)


# Ports handed out by this process: a server may take a while to bind its port, and a second
# free_port() in that time must not hand out the same one.
_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()
_pick = random.Random(os.urandom(16))  # its own generator: tests that seed `random` must not make ports collide


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, for a server that binds it a moment later.

    Picked below the kernel's ephemeral range. A port that `bind(("127.0.0.1", 0))` returns
    comes from that range, where any outgoing connection may take it between this check
    and the server's own bind (seen in CI: Envoy "cannot bind … Address already in use",
    and a probe that met a plain server on the gateway's port). Below the range, only
    another listener can take it. Never the same port twice in one process."""
    low = _ephemeral_low()
    start = max(1024, low - 12000)
    for _ in range(256 if start < low else 0):
        port = _pick.randrange(start, low)
        with _handed_out_lock:
            if port in _handed_out:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))  # no SO_REUSEADDR: a port in TIME_WAIT counts as taken
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    with socket.socket() as sock:  # every pick was taken: the kernel's choice is still a port
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux's default when it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def check_port(port: int) -> None:
    """CannotRun, in one line, when a fixed port on 127.0.0.1 cannot be the gateway's: taken
    by another program (a wait for nginx would take that listener for nginx's), or not this
    user's to bind. Bound as nginx binds it (SO_REUSEADDR), so a port the last run closed a
    moment ago still counts as free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CannotRun(
                    f"port {port} on 127.0.0.1 is in use: choose another --port, or leave --port out for a free one"
                ) from None
            below = " (ports under 1024 need root)" if exc.errno == errno.EACCES and port < 1024 else ""
            raise CannotRun(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}{below}") from None


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise NginxError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f}s")


def main_block(prefix: Path, http_body: str) -> str:
    """The process-level frame around an `http {}` body: every path inside `prefix`."""
    temp = {name: prefix / "tmp" / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log info;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"  client_body_temp_path {temp['client_body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n  scgi_temp_path {temp['scgi']};\n"
        f"{http_body}\n}}\n"
    )


class Nginx:
    """`with Nginx(http_body_for_prefix) as n:` writes the config, starts, waits, stops.

    `http_body` receives the private folder (for certificate paths) and returns the
    inside of `http {}`. `ports` are waited for before the block runs.
    """

    def __init__(self, http_body, ports: list[int], binary: str | None = None, start_timeout: float = 10.0) -> None:
        self.binary = binary or find_nginx()
        if self.binary is None:
            raise NginxError("nginx is not installed (Debian/Ubuntu: apt-get install nginx-light)")
        self.ports = ports
        self.start_timeout = start_timeout
        self._http_body = http_body
        self.prefix: Path | None = None
        self.process: subprocess.Popen | None = None
        self._resources: ExitStack | None = None

    def start(self) -> Nginx:
        with ExitStack() as stack:  # a start that fails half way releases what it took, in reverse
            self.prefix = private_folder("mtls-tui-nginx-")
            stack.callback(self._remove_prefix)
            (self.prefix / "tmp").mkdir()
            (self.prefix / "logs").mkdir()  # nginx's default access log, where a body sets none
            conf = self.prefix / "nginx.conf"
            conf.write_text(main_block(self.prefix, self._http_body(self.prefix)))
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "-p",
                    str(self.prefix),
                    "-c",
                    str(conf),
                    "-e",
                    str(self.prefix / "error.log"),
                    "-g",
                    "daemon off;",
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            stack.callback(self._end_process)
            for port in self.ports:
                wait_for_port(port, self.start_timeout, self.process)
            if self.process.poll() is not None:
                raise NginxError(f"nginx refused to start: {self._last_error()}")
            self._resources = stack.pop_all()
        return self

    def _last_error(self) -> str:
        assert self.process is not None and self.prefix is not None
        stderr = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
        log = (self.prefix / "error.log").read_text(errors="replace") if (self.prefix / "error.log").exists() else ""
        lines = [line for line in (stderr + log).splitlines() if "[emerg]" in line or "[alert]" in line] or (
            stderr + log
        ).splitlines()
        return lines[-1].strip() if lines else "no message"

    def error_log(self) -> str:
        path = self.prefix / "error.log" if self.prefix else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def _end_process(self) -> None:
        """SIGQUIT (nginx's graceful stop), SIGKILL to the whole group if it lingers."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def _remove_prefix(self) -> None:
        assert self.prefix is not None
        shutil.rmtree(self.prefix, ignore_errors=True)
        self.prefix = None

    def stop(self) -> None:
        """Release what `start` took, in reverse; safe to call twice."""
        resources, self._resources = self._resources, None
        if resources is not None:
            resources.close()

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
