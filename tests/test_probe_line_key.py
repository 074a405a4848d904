"""`check --cert mine.crt` with no `--key`: the "try:" line's probe names the key as `check` and
`inspect` find it (the key in the certificate's file, else mine.key beside it), never the seed's
client.key; with neither there it says in words which key it needs and prints no command.

Each printed probe runs as printed in bash against a real nginx serving the seed's meow.com (the
lab's gateway) on a free port. `mtls-tui` on PATH is this checkout's, told where meow.com is as DNS
and a load balancer's port 443 would tell it (https://meow.com/ becomes that port, with `--resolve`
to 127.0.0.1) and which CA signed its server certificate (`--cacert ca.crt`), as a public CA would;
the command's own words, the client files included, are the printed ones. (Binding 443 itself would
race other tests on the machine and skip when it is taken: CI may skip nothing.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mtls_tui.cli import main
from mtls_tui.lab.environment import gateway_hosts
from mtls_tui.lab.gateway import Gateway
from mtls_tui.lab.nginx import free_port
from mtls_tui.lab.objects import seed_objects
from mtls_tui.lab.pki import SeedPki

ROOT = Path(__file__).resolve().parents[1]


def try_line(folder: Path, seed: Path, cert: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The words after `try:` under meow.com's headline of `check --cert CERT --no-probe`, run in `folder`."""
    os.chdir(folder)
    main(["check", "--manifests", str(seed), "--no-probe", "--cert", cert])
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("try: "))
    return line.strip().removeprefix("try: ")


@pytest.fixture()
def user(pki: SeedPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A folder holding the seed's client certificate three ways (key beside it, key inside it,
    no key at all) and a `mtls-tui` that runs this checkout; the seed's objects as a manifest."""
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "mine.crt").write_bytes(pki.client.cert_pem())
    (folder / "mine.key").write_bytes(pki.client.key_pem())
    (folder / "both.pem").write_bytes(pki.client.cert_pem() + pki.client.key_pem())
    (folder / "lone.crt").write_bytes(pki.client.cert_pem())
    (folder / "ca.crt").write_bytes(pki.ca.cert_pem())
    for key in ("mine.key", "both.pem"):
        (folder / key).chmod(0o600)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "mtls-tui"
    port = free_port()
    shim.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        f"words = [w.replace('https://meow.com/', 'https://meow.com:{port}/') for w in sys.argv[1:]]\n"
        f"extra = ['--resolve', 'meow.com:{port}:127.0.0.1', '--cacert', 'ca.crt', '--json', '--timeout', '5']\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'mtls_tui', *words, *extra])\n"
    )
    (tmp_path / "port").write_text(str(port))
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(folder)
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump_all(seed_objects(pki)))
    return folder, seed


def test_the_probe_line_names_the_key_check_finds(user: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, seed = user
    assert (
        try_line(folder, seed, "mine.crt", capsys) == "mtls-tui probe https://meow.com/ --cert mine.crt --key mine.key"
    )
    assert try_line(folder, seed, "both.pem", capsys) == "mtls-tui probe https://meow.com/ --cert both.pem"
    lone = try_line(folder, seed, "lone.crt", capsys)
    assert "client.key" not in lone and "mtls-tui probe" not in lone, lone  # no guessed key, no command that fails
    assert "lone.crt holds none" in lone and "no lone.key is beside it" in lone, lone


def test_each_printed_probe_runs_as_printed_and_is_let_in(
    user: tuple[Path, Path], pki: SeedPki, nginx_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, seed = user
    printed = [try_line(folder, seed, cert, capsys) for cert in ("mine.crt", "both.pem")]
    port = int((folder.parent / "port").read_text())
    with Gateway(gateway_hosts(seed_objects(pki)), port=port, nginx_binary=nginx_binary):
        for command in printed:
            done = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, (command, done.stderr)
            with_cert = json.loads(done.stdout)["results"][-1]
            assert with_cert["status"] == 200 and with_cert["sent_client_cert"], (command, with_cert)
