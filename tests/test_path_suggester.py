"""File-name completion in the path fields, on a real folder."""

from __future__ import annotations

import os
from pathlib import Path

from mtls_tui.tui.path_suggester import complete_path


def test_completes_names_and_folders(tmp_path: Path) -> None:
    for name in ("client.crt", "client.key", "ca.crt", ".hidden.key"):
        (tmp_path / name).write_text("x")
    (tmp_path / "certs").mkdir()
    base = f"{tmp_path}/"
    assert complete_path(base + "cl") == base + "client.crt"  # the first, in sorted order
    assert complete_path(base + "client.k") == base + "client.key"
    assert complete_path(base + "ce") == base + "certs/"
    assert complete_path(base + "certs") == base + "certs/"
    assert complete_path(base + "ca.crt") is None  # nothing to add
    assert complete_path(base + "zz") is None
    assert complete_path(base + "c") == base + "ca.crt"
    assert complete_path(base + ".h") == base + ".hidden.key"  # hidden names when asked for
    assert complete_path(base) == base + "ca.crt"  # and not otherwise


def test_relative_home_and_unreadable(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "lab-client.crt").write_text("x")
    monkeypatch.chdir(tmp_path)
    assert complete_path("lab") == "lab-client.crt"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert complete_path("~/lab") == "~/lab-client.crt"  # what the user typed is kept
    assert complete_path("/no/such/folder/x") is None
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.crt").write_text("x")
    locked.chmod(0)
    try:
        if not os.access(locked, os.R_OK):  # root reads anything
            assert complete_path(f"{locked}/a") is None
    finally:
        locked.chmod(0o700)
