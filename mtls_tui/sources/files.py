"""Read the files a user names; the only place the certificate core touches the disk.

A missing or unreadable path means the command cannot run (exit 2); a file that is
read but not understood becomes an `input-unreadable` finding, so one bad file does
not hide what the others say.
"""

from __future__ import annotations

import getpass
import os
import select
import stat
import sys
import time
from dataclasses import replace

from mtls_tui.certs.load import Material, load_material
from mtls_tui.diagnose.certificates import input_label, sibling_file
from mtls_tui.diagnose.inspect import Input, InputRole
from mtls_tui.errors import CannotRun, InputError, PassphraseNeeded

MAX_BYTES = 10 * 1024 * 1024  # one certificate, key or bundle: a 1,000-certificate bundle is ~1.5 MB
PASS_ENV = "MTLS_TUI_PASS"
PIPE_WAIT = 30.0  # seconds a named pipe (or `<(kubectl ...)`) may take to deliver what it holds
WRITER_WAIT = 2.0  # seconds a named pipe may wait for its writer to open it
CHUNK = 1 << 20


def _too_large(where: str, limit: int) -> InputError:
    return InputError(where, f"is over {limit // 2**20} MiB: too large for a certificate, key or bundle")


def _special(mode: int) -> str | None:
    """What a path is when it is neither a regular file nor a pipe."""
    for test, what in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) or stat.S_ISFIFO(mode) else "a special file"


def _read_stdin(limit: int | None) -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise CannotRun("standard input is closed: nothing to read for '-' (pipe a file in: ... | mtls-tui inspect -)")
    try:
        data = stream.read(limit + 1) if limit is not None else stream.read()
    except (OSError, ValueError) as exc:
        raise CannotRun(f"standard input cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    if limit is not None and len(data) > limit:
        raise _too_large("standard input", limit)
    return data


def _read_pipe(fd: int, path: str, limit: int | None) -> bytes:
    """A named pipe, opened without waiting for a writer: one that has none is refused after
    WRITER_WAIT seconds, and a writer gets PIPE_WAIT seconds (a `kubectl` behind it included)."""
    chunks: list[bytes] = []
    size, writer = 0, False
    started = time.monotonic()
    while True:
        try:
            chunk = os.read(fd, CHUNK)
        except BlockingIOError:  # a writer is there, nothing written yet
            writer = True
            left = started + PIPE_WAIT - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise CannotRun(f"{path}: a named pipe that delivered nothing more within {PIPE_WAIT:.0f} s") from None
            continue
        if chunk:
            writer = True
            chunks.append(chunk)
            size += len(chunk)
            if limit is not None and size > limit:
                raise _too_large(path, limit)
            continue
        if writer:
            return b"".join(chunks)
        # End of file before any writer: none has opened it yet. Linux reports the pipe readable
        # once one has (and written, or gone again), so wait a moment for one to come.
        left = started + WRITER_WAIT - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise CannotRun(f"{path}: a named pipe with no writer: nothing to read (write to it first, or give a file)")
        writer = True


def cannot_open(path: object, exc: OSError, more: str = "") -> CannotRun:
    """The one line for a path the system would not open or list, as every reader words it."""
    if isinstance(exc, FileNotFoundError):
        reason = "no such file"
    elif isinstance(exc, PermissionError):
        reason = "permission denied"
    else:
        reason = exc.strerror or str(exc)
    return CannotRun(f"{path}: {reason}{more}")


def read_bytes(path: str, limit: int | None = MAX_BYTES) -> bytes:
    """The bytes of `path` (`-`: standard input). Bounded by the bytes read, not by what
    stat says (a file may grow, /proc files say 0); `limit` None for a manifest set, which
    may be large. Devices, sockets and folders are refused with one line, and a named pipe
    never blocks without end."""
    if path == "-":
        return _read_stdin(limit)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise cannot_open(path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        special = _special(mode)
        if special == "a directory":
            raise CannotRun(f"{path} is a directory, not a file")
        if special:
            raise CannotRun(f"{path} is {special}, not a file")
        if stat.S_ISFIFO(mode):
            return _read_pipe(fd, path, limit)
        os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1) if limit is not None else handle.read()
        if limit is not None and len(data) > limit:
            raise _too_large(path, limit)
        return data
    except OSError as exc:
        raise CannotRun(f"{path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def passphrase_setting(flag_value: str | None) -> str | None:
    """--pass, else $MTLS_TUI_PASS: on the command line a pass phrase shows in `ps`."""
    return flag_value if flag_value is not None else os.environ.get(PASS_ENV)


def passphrase(flag_value: str | None) -> bytes | None:
    value = passphrase_setting(flag_value)
    return value.encode() if value is not None else None


def read_material(path: str, role: InputRole, password: bytes | None) -> Material:
    """`read_input` for a command that cannot go on without the file: what it could not read is raised."""
    item = read_input(path, role, password)
    if item.error is not None:
        raise item.error
    assert item.material is not None  # read_input gives one of them
    return item.material


def read_input(path: str, role: InputRole, password: bytes | None) -> Input:
    """Load `path`; prompt once (on a terminal) when a key or PKCS#12 needs a pass phrase."""
    try:
        data = read_bytes(path)
        try:
            return Input(path, role, material=load_material(data, input_label(path), password))
        except PassphraseNeeded as need:
            if password is not None or not sys.stdin.isatty():
                raise
            typed = getpass.getpass(f"Pass phrase for {need.where}: ").encode()
            return Input(path, role, material=load_material(data, input_label(path), typed))
    except InputError as exc:
        return Input(path, role, error=exc)


def read_client(
    cert: str | None, key: str | None, password: bytes | None, *, prompt: bool, key_hint: str
) -> Material | None:
    """The user's client certificate, with its key merged in when the key is a file of its
    own: the key's file name goes into fixes, its bytes nowhere. `prompt`: ask for a pass
    phrase on the terminal (the CLI may; a screen owns the terminal and must not).
    `key_hint` says where the key goes, for someone who opened the key as the certificate."""
    if not cert:
        return None
    client = _read(cert, "cert", password, prompt)
    if not client.certs:
        raise InputError(cert, f"holds {client.describe()}, no certificate (its key goes {key_hint})")
    if key and not client.keys:
        client = client + _read(key, "key", password, prompt)
    return key_looked_for(client, cert, key)


def key_looked_for(client: Material, cert: str, key: str | None) -> Material:
    """A client certificate given without its key, and no key in its file: whether the key named
    like it sits beside it (the core does no I/O). When none does, a fix makes that key rather
    than naming a file that is not there (Material.no_key_beside)."""
    if key or client.keys or os.path.exists(sibling_file(cert, ".key")):
        return client
    return replace(client, no_key_beside=True)


def _read(path: str, role: InputRole, password: bytes | None, prompt: bool) -> Material:
    if prompt:
        return read_material(path, role, password)
    return load_material(read_bytes(path), input_label(path), password)
