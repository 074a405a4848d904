"""Rotating the client CA inside the article's Secret (tls.crt, tls.key and ca.crt in one),
on the real nginx: the controller does not reload, nginx keeps the CA it loaded, and the probe's
certificate request shows it.

Source: store/backend_ssl.go getPemCertificate takes CASHA = SHA1 of the keypair file before
ConfigureCACertWithCertAndKey appends ca.crt; syncSecret skips the update when SSLCert.Equal
(CASHA, PemSHA, PemCertKey, UID unchanged: pkg/apis/ingress/types_equals.go), and
controller.go syncIngress skips the reload when the model is equal ("No configuration change
detected"). Reported as kubernetes/ingress-nginx issues #10669, #7293, #6886.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from mtls_tui.certs.issue import issue_ca, issue_leaf
from mtls_tui.cli import main
from mtls_tui.lab.environment import Lab
from mtls_tui.lab.pki import secret_manifest, write_file
from tests.conftest import require


def kubectl_env(lab: Lab) -> dict[str, str]:
    return {**os.environ, "KUBECONFIG": str(lab.kubeconfig)}


def check(lab: Lab, folder: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert lab.gateway is not None
    main(
        [
            "check",
            "--kubeconfig",
            str(lab.kubeconfig),
            "--connect",
            f"127.0.0.1:{lab.gateway.port}",
            "--cert",
            str(folder / "rotated-client.crt"),
            "--key",
            str(folder / "rotated-client.key"),
            "--json",
        ]
    )
    return json.loads(capsys.readouterr().out)


@pytest.mark.nginx
def test_a_ca_rotated_in_a_keypair_secret_is_not_loaded(
    tmp_path: Path, nginx_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", "healthy", nginx_binary=nginx_binary) as lab:
        assert lab.pki is not None
        rotated = issue_ca("Rotated Cert Authority")
        client = issue_leaf("rotated-client", rotated, v1=False, eku=["clientAuth"])
        write_file(tmp_path / "rotated-client.crt", client.cert_pem())
        write_file(tmp_path / "rotated-client.key", client.key_pem(), private=True)
        secret = secret_manifest(lab.pki)
        secret["data"]["ca.crt"] = base64.b64encode(rotated.cert_pem()).decode()
        (tmp_path / "secret.yaml").write_text(yaml.safe_dump(secret))
        cache = str(tmp_path / "cache")
        applied = subprocess.run(
            [binary, "--cache-dir", cache, "apply", "-f", str(tmp_path / "secret.yaml")],
            env=kubectl_env(lab),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert applied.returncode == 0, applied.stderr
        time.sleep(0.5)  # the lab notices within 0.1 s; the controller decides not to reload
        report = check(lab, tmp_path, capsys)
        [host] = report["hosts"]
        stale = [f for f in host["findings"] if f["code"] == "controller-ca-stale"]
        assert host["state"] == "broken" and len(stale) == 1, [f["code"] for f in host["findings"]]
        assert host["findings"][0]["code"] == "controller-ca-stale"  # it leads: it explains the probe's 200
        assert "CN=Fern Cert Authority" in stale[0]["title"] and "CN=Rotated Cert Authority" in stale[0]["title"]
        assert "#10669" in stale[0]["detail"]
        done = subprocess.run(  # the fix, exactly as printed
            stale[0]["fix"].replace("kubectl ", f"{binary} --cache-dir {cache} ", 1),
            shell=True,
            env=kubectl_env(lab),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        for _ in range(50):  # the pods start afresh and load the file as it is now
            time.sleep(0.2)
            report = check(lab, tmp_path, capsys)
            if report["hosts"][0]["state"] == "works":
                break
    [host] = report["hosts"]
    assert host["state"] == "works" and "controller-ca-stale" not in {f["code"] for f in host["findings"]}


@pytest.mark.nginx
def test_the_ca_rotated_scenario_is_fixed_by_its_printed_command(
    tmp_path: Path, nginx_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The workshop's version: `lab --scenario ca-rotated` starts with nginx holding the old CA;
    the lead's fix, run as printed, restarts the pods and the new CA's client gets in."""
    binary = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", "ca-rotated", nginx_binary=nginx_binary) as lab:
        for name in ("crt", "key"):
            shutil.copy(lab.folder / f"lab-client.{name}", tmp_path / f"rotated-client.{name}")
        [host] = check(lab, tmp_path, capsys)["hosts"]
        lead = host["findings"][0]
        assert (host["state"], lead["code"]) == ("broken", "controller-ca-stale")
        done = subprocess.run(
            lead["fix"].replace("kubectl ", f"{binary} --cache-dir {tmp_path / 'cache'} ", 1),
            shell=True,
            env=kubectl_env(lab),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        for _ in range(50):
            time.sleep(0.2)
            [host] = check(lab, tmp_path, capsys)["hosts"]
            if host["state"] == "works":
                break
    assert host["state"] == "works", [f["code"] for f in host["findings"]]
