"""The seed's certificates, made by the openssl CLI exactly as the article's commands do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mtls_tui.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def codes(report: dict) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in report["findings"]}


def test_seed_client_chain_is_accepted(seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys,
        "inspect",
        "--ca",
        str(seed_dir / "ca.crt"),
        "--cert",
        str(seed_dir / "client.crt"),
        "--key",
        str(seed_dir / "client.key"),
    )
    assert code == 0
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    assert report["client_verdict"]["accepted"] is True
    client = next(c for c in report["certificates"] if c["role"] == "client")
    assert client["version"] == 1 and client["subject"] == "CN=Fern"  # what the seed's commands make
    assert "cert-v1" in codes(report) and codes(report)["client-cert-accepted"] == "info"


def test_seed_server_cert_has_no_san(seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "inspect", "--server-cert", str(seed_dir / "server.crt"), "--host", "meow.com")
    assert codes(report)["server-cert-no-san"] == "warning"
    assert "server-cert-hostname-mismatch" not in codes(report)  # curl falls back to CN=meow.com
    assert code == 0


def test_seed_server_cert_against_another_host(seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "inspect", "--server-cert", str(seed_dir / "server.crt"), "--host", "purr.com")
    assert code == 1 and codes(report)["server-cert-hostname-mismatch"] == "error"


def test_seed_client_against_another_ca(seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(
        "openssl req -x509 -sha256 -newkey rsa:2048 -keyout other.key -out other.crt -days 30 -nodes -subj '/CN=Other CA'",
        shell=True,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    code, report = run_json(
        capsys, "inspect", "--ca", str(tmp_path / "other.crt"), "--cert", str(seed_dir / "client.crt")
    )
    assert code == 1
    finding = next(f for f in report["findings"] if f["code"] == "client-cert-untrusted")
    assert "unable to verify the first certificate" in finding["title"]
    assert "client.crt" in finding["fix"]


def test_openssl_text_output_and_mixed_pem(seed_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`openssl x509 -text` output (text around the block) plus the key, in one file."""
    text = subprocess.run(
        ["openssl", "x509", "-in", str(seed_dir / "client.crt"), "-text"], check=True, capture_output=True
    ).stdout
    bundle = tmp_path / "client-with-text.pem"
    bundle.write_bytes(text + (seed_dir / "client.key").read_bytes())
    code, report = run_json(capsys, "inspect", str(bundle))
    assert code == 0
    assert [c["subject"] for c in report["certificates"]] == ["CN=Fern"]
    assert "key-mismatch" not in codes(report)


def test_key_mismatch_between_files(seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(
        capsys,
        "inspect",
        "--ca",
        str(seed_dir / "ca.crt"),
        "--cert",
        str(seed_dir / "client.crt"),
        "--key",
        str(seed_dir / "server.key"),
    )
    assert code == 1
    finding = next(f for f in report["findings"] if f["code"] == "key-mismatch")
    assert str(seed_dir / "server.key") in finding["fix"] and str(seed_dir / "client.crt") in finding["fix"]


def test_console_output_carries_words(seed_dir: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mtls_tui",
            "inspect",
            "--server-cert",
            str(seed_dir / "server.crt"),
            "--host",
            "purr.com",
        ],
        capture_output=True,
        text=True,
        env={"NO_COLOR": "1", "COLUMNS": "100", "PATH": "/usr/bin:/bin"},
    )
    assert out.returncode == 1
    assert "ERROR" in out.stdout and "server-cert-hostname-mismatch" in out.stdout and "BROKEN" in out.stdout
    assert "PRIVATE KEY" not in out.stdout
