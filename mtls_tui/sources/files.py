"""Read the files a user names; the only place the certificate core touches the disk.

A missing or unreadable path means the command cannot run (exit 2); a file that is
read but not understood becomes an `input-unreadable` finding, so one bad file does
not hide what the others say.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.inspect import Input
from mtls_tui.errors import InputError, PassphraseNeeded

MAX_BYTES = 10 * 1024 * 1024  # a 1,000-certificate bundle is ~1.5 MB
PASS_ENV = "MTLS_TUI_PASS"


class CannotRun(Exception):
    """The command cannot run at all: exit status 2, one line on stderr."""


def read_bytes(path: str) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise InputError("standard input", f"is over {MAX_BYTES // 2**20} MiB: too large for a certificate, key or manifest")
        return data
    target = Path(path)
    try:
        size = target.stat().st_size
        if target.is_dir():
            raise CannotRun(f"{path} is a directory, not a file")
        if size > MAX_BYTES:
            raise InputError(path, f"is {size / 1e6:.1f} MB: too large for a certificate, key or manifest (limit {MAX_BYTES // 2**20} MiB)")
        return target.read_bytes()
    except FileNotFoundError:
        raise CannotRun(f"{path}: no such file") from None
    except PermissionError:
        raise CannotRun(f"{path}: permission denied") from None
    except OSError as exc:
        raise CannotRun(f"{path}: {exc.strerror or exc}") from None


def passphrase(flag_value: str | None) -> bytes | None:
    value = flag_value if flag_value is not None else os.environ.get(PASS_ENV)
    return value.encode() if value is not None else None


def read_input(path: str, role: str, password: bytes | None) -> Input:
    """Load `path`; prompt once (on a terminal) when a key or PKCS#12 needs a pass phrase."""
    try:
        data = read_bytes(path)
        try:
            return Input(path, role, material=load_material(data, path, password))
        except PassphraseNeeded as need:
            if password is not None or not sys.stdin.isatty():
                raise
            typed = getpass.getpass(f"Pass phrase for {need.where}: ").encode()
            return Input(path, role, material=load_material(data, path, typed))
    except InputError as exc:
        return Input(path, role, error=exc)
