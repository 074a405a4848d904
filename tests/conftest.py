"""Shared fixtures. Real parts only: a real nginx, the real openssl CLI, real handshakes.

Where a real part is missing, a test is skipped on a developer's machine and fails
in CI (`CI` set), so a green CI run always means nginx really answered.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mtls_tui.certs.issue import Issued, issue_ca, new_key
from mtls_tui.lab.nginx import find_nginx
from mtls_tui.lab.pki import SeedPki, seed_pki, write_seed_pki
from mtls_tui.model import FIX_PROGRAMS


def require(tool: str, found: str | None) -> str:
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is required in CI but is not installed")
    pytest.skip(f"{tool} is not installed")


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    return require("nginx", find_nginx())


@pytest.fixture(scope="session")
def openssl_binary() -> str:
    return require("openssl", shutil.which("openssl"))


@pytest.fixture(scope="session")
def curl_binary() -> str:
    return require("curl", shutil.which("curl"))


@pytest.fixture(scope="session")
def pki() -> SeedPki:
    return seed_pki()


@pytest.fixture()
def pki_dir(tmp_path: Path, pki: SeedPki) -> Path:
    write_seed_pki(tmp_path, pki)
    return tmp_path


@pytest.fixture(scope="session")
def ec_ca() -> Issued:
    """A quick CA (P-256) for tests that need many certificates."""
    return issue_ca("Test Root", key=new_key("ec"))


@pytest.fixture()
def now() -> datetime:
    return datetime.now(UTC)


def write(path: Path, *parts: bytes) -> str:
    path.write_bytes(b"".join(parts))
    return str(path)


SEED_COMMANDS = [
    "openssl req -x509 -sha256 -newkey rsa:4096 -keyout ca.key -out ca.crt -days 356 -nodes -subj '/CN=Fern Cert Authority'",
    "openssl req -new -newkey rsa:4096 -keyout server.key -out server.csr -nodes -subj '/CN=meow.com'",
    "openssl x509 -req -sha256 -days 365 -in server.csr -CA ca.crt -CAkey ca.key -set_serial 01 -out server.crt",
    "openssl req -new -newkey rsa:4096 -keyout client.key -out client.csr -nodes -subj '/CN=Fern'",
    "openssl x509 -req -sha256 -days 365 -in client.csr -CA ca.crt -CAkey ca.key -set_serial 02 -out client.crt",
]


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory: pytest.TempPathFactory, openssl_binary: str) -> Path:
    folder = tmp_path_factory.mktemp("seed")
    for command in SEED_COMMANDS:
        subprocess.run(command, shell=True, cwd=folder, check=True, capture_output=True)
    return folder


# --- recorders: what a printed fix runs, without running it -----------------------------------

# what the fixes may run: the printed programs, and what their pipes and repairs use
RECORDED = sorted(
    FIX_PROGRAMS
    | {"sed", "awk", "tr", "grep", "tee", "echo", "mktemp", "rm", "ls", "head", "tail", "sort", "mv", "base64"}
)


# A recorder: shell builtins only (PATH holds nothing else), one write per call so that the programs
# of a pipeline do not interleave, words apart by \037 and calls by \036 (a word may hold a newline).
RECORDER = """#!/bin/sh
line=${0##*/}
for word in "$@"; do line="$line$(printf '\\037')$word"; done
printf '%s\\036' "$line" >> "$CALLS"
echo x
"""


@pytest.fixture(scope="module")
def recorders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every program a fix may name, as a recorder of its words that prints a line (so that a
    `test -s` after it passes and the chain goes on to its end); `touch` real."""
    folder = tmp_path_factory.mktemp("bin")
    for name in RECORDED:
        script = folder / name
        script.write_text(RECORDER)
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    os.symlink(require("touch", shutil.which("touch")), folder / "touch")
    return folder


def run_fix(fix: str, folder: Path, recorders: Path) -> list[list[str]]:
    """The programs the fix ran, each with its words."""
    calls = folder / "calls.log"
    calls.unlink(missing_ok=True)
    subprocess.run(
        ["/bin/bash", "-c", fix],
        cwd=folder,
        timeout=20,
        capture_output=True,
        env={"PATH": str(recorders), "CALLS": str(calls), "HOME": str(folder)},
    )
    records = calls.read_text().split("\036") if calls.exists() else []
    return [record.split("\037") for record in records if record]
