"""A certificate read from standard input (`inspect --cert -`, `--ca -`, `inspect -`) got fixes
naming `stdin.key`, `-out stdin` and `-CA - -CAkey -.key`: files that are not there (openssl:
"Could not open file"), or standard input again, already read. Its fixes now name the seed's file
for its role (client.crt and client.key, ca.crt and ca.key, certificate.pem), and say in words,
before the command, to save the input there first. Done as the words say, each fix runs as
printed (bash, the real openssl) and the finding is gone when the saved files are read again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mtls_tui.lab.pki import SeedPki

ROOT = Path(__file__).resolve().parents[1]


def inspect(folder: Path, args: list[str], piped: bytes = b"") -> list[dict]:
    """`mtls-tui inspect ARGS --json` in `folder`, with `piped` on its standard input."""
    done = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "inspect", *args, "--json"],
        input=piped,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)["findings"]


@pytest.mark.parametrize(
    ("args", "piped", "saves", "gone"),
    [
        (["--cert", "-", "--ca", "ca.crt"], "client", {"client.crt": "client", "client.key": "client-key"}, True),
        (["--cert", "mine.crt", "--key", "mine.key", "--ca", "-"], "ca", {"ca.crt": "ca", "ca.key": "ca-key"}, True),
        # A plain file's certificate has no known role: its cert-v1 fix re-signs it without extensions,
        # and OpenSSL 3.0's x509 -req then writes v1 again (measured): here the fix runs and re-signs only.
        (["-"], "client", {"certificate.pem": "client", "certificate.key": "client-key"}, False),
    ],
)
def test_a_piped_inputs_fixes_name_the_file_the_words_say_to_save_it_as(
    pki: SeedPki, tmp_path: Path, args: list[str], piped: str, saves: dict[str, str], gone: bool
) -> None:
    pem = {
        "client": pki.client.cert_pem(),
        "client-key": pki.client.key_pem(),
        "ca": pki.ca.cert_pem(),
        "ca-key": pki.ca.key_pem(),
    }
    folder = tmp_path / "user"
    folder.mkdir()
    for name, what in {"mine.crt": "client", "mine.key": "client-key", "ca.crt": "ca", "ca.key": "ca-key"}.items():
        if name not in saves:  # what the user has as files; the piped input is not one yet
            (folder / name).write_bytes(pem[what])
    findings = inspect(folder, args, pem[piped])
    fixes = [f for f in findings if f["fix"].startswith("openssl ")]
    assert fixes, [f["code"] for f in findings]
    for finding in fixes:
        assert "stdin" not in finding["fix"] and " - " not in finding["fix"], finding["fix"]
        said = finding["detail"].split("\n")[0]
        assert said.endswith("first; the fix works on " + ("those files." if ", and its" in said else "that file.")), (
            said
        )
        assert all(f" {name}" in said for name in saves if name in finding["fix"].split()), (finding["fix"], said)
    for name, what in saves.items():  # as the words say
        (folder / name).write_bytes(pem[what])
        if name.endswith(".key"):
            (folder / name).chmod(0o600)
    first = fixes[0]
    done = subprocess.run(["bash", "-c", first["fix"]], cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (first["fix"], done.stderr)
    cert = next((name for name in saves if name in ("client.crt", "certificate.pem")), "mine.crt")
    again = inspect(folder, ["--cert", cert, "--ca", "ca.crt"])
    assert (folder / cert).read_bytes() != pem["client"]  # written anew by the fix
    assert "client-cert-accepted" in {f["code"] for f in again}, [f["code"] for f in again]
    assert not gone or first["code"] not in {f["code"] for f in again}, (first["code"], [f["code"] for f in again])
