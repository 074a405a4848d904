"""A lab killed with SIGKILL cannot clean up after itself: its nginx keeps running and
its private folders keep the lab's keys. Each folder therefore records its owner's
pid, and the next lab removes what a dead owner left behind."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path

OWNER = "owner.pid"
API_FOLDER_PREFIX = "mtls-lab-api-"  # the lab API server's serving key
PREFIXES = ("mtls-tui-lab-", "mtls-tui-nginx-", "mtls-tui-gateway-", API_FOLDER_PREFIX)


def private_folder(prefix: str) -> Path:
    """A new folder only this user can read (mkdtemp makes it 0700), marked with our pid."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    (folder / OWNER).write_text(str(os.getpid()))
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_nginx(folder: Path) -> None:
    """The nginx master whose pid file is in `folder`, if its command line names `folder`
    (a recycled pid belongs to someone else and is left alone)."""
    try:
        pid = int((folder / "nginx.pid").read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except (OSError, ValueError):
        return
    if str(folder) in cmdline:
        try:
            os.killpg(pid, signal.SIGKILL)  # started in its own session: the workers go with it
        except OSError:
            pass


def reap() -> list[Path]:
    """Remove the folders (and stop the nginx) of labs whose process is gone."""
    return [_release(folder) for folder, owner in _marked_folders() if not _alive(owner)]


def release_own() -> list[Path]:
    """What this process's labs hold, released without unwinding: for a process that must end
    now because its own unwinding did not (commands/lab.py's hang-up watchdog)."""
    return [_release(folder) for folder, owner in _marked_folders() if owner == os.getpid()]


def _marked_folders() -> list[tuple[Path, int]]:
    """Every private folder of ours in the temporary folder, with the pid it records."""
    marked = []
    for prefix in PREFIXES:
        for folder in Path(tempfile.gettempdir()).glob(prefix + "*"):
            try:
                marked.append((folder, int((folder / OWNER).read_text().strip())))
            except (OSError, ValueError):
                continue  # not ours to judge: no owner recorded
    return marked


def _release(folder: Path) -> Path:
    _stop_nginx(folder)
    shutil.rmtree(folder, ignore_errors=True)
    return folder
