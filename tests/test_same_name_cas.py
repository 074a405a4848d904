"""Two CAs with one name (CN=Fern Cert Authority, different keys): the Secret holds one, the lab folder's
ca.crt is the other, which signed the client. nginx's verdict is 7:certificate signature failure; the
printed `openssl verify` read the folder's ca.crt and printed OK (the review). It now checks against the
Secret's ca.crt, fetched with kubectl into its own file, and fails as the verdict says; the finding names
both keys."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.issue import issue_ca
from mtls_tui.cli import main
from mtls_tui.lab.environment import Lab
from mtls_tui.lab.pki import secret_manifest
from tests.conftest import require


@pytest.mark.nginx
def test_the_verify_command_uses_the_secrets_ca_and_fails_as_the_verdict(
    tmp_path: Path, nginx_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", "healthy", nginx_binary=nginx_binary) as lab:
        assert lab.pki is not None
        env = {**os.environ, "KUBECONFIG": str(lab.kubeconfig)}
        namesake = issue_ca("Fern Cert Authority")  # the lab CA's name, another key
        secret = secret_manifest(lab.pki)
        secret["data"]["ca.crt"] = base64.b64encode(namesake.cert_pem()).decode()
        (tmp_path / "secret.yaml").write_text(yaml.safe_dump(secret))
        kubectl = f"{binary} --cache-dir {tmp_path / 'cache'} "
        applied = subprocess.run(
            f"{kubectl}apply -f {tmp_path / 'secret.yaml'}", shell=True, env=env, capture_output=True, text=True
        )
        assert applied.returncode == 0, applied.stderr
        client, key = lab.folder / "client.crt", lab.folder / "client.key"
        main(
            ["check", "--kubeconfig", str(lab.kubeconfig), "--cert", str(client), "--key", str(key)]
            + ["--no-probe", "--json"]
        )
        [host] = json.loads(capsys.readouterr().out)["hosts"]
        [refused] = [f for f in host["findings"] if f["code"] == "client-cert-untrusted"]
        assert "7:certificate signature failure" in refused["evidence"][0]
        assert "key did not sign the client certificate" in refused["detail"]
        theirs = cert_facts(namesake.cert)
        assert any(theirs.sha256 in e and str(theirs.subject_key_id) in e for e in refused["evidence"])
        lab_ca = (lab.folder / "ca.crt").read_bytes()
        ran = subprocess.run(  # as printed, in the lab folder beside its own ca.crt (the other CA)
            refused["fix"].replace("kubectl ", kubectl),
            shell=True,
            cwd=lab.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert ran.returncode != 0 and "certificate signature failure" in ran.stdout + ran.stderr, ran
        assert (lab.folder / "ca.crt").read_bytes() == lab_ca  # the folder's own file is left as it was
