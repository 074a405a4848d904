"""The Secret's ca.crl, made by `openssl ca` as a CA operator makes it, read by `check`."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mtls_tui.certs.issue import Issued, issue_ca, issue_crl, new_key
from mtls_tui.cli import main
from tests.test_check_manifests import SEED_INGRESS_V1, seed_secret

CA_CNF = """[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
crlnumber = crlnumber
certificate = ca.crt
private_key = ca.key
default_md = sha256
default_crl_days = 30
"""


@pytest.fixture()
def ca_dir(seed_dir: Path, tmp_path: Path) -> Path:
    """The seed's PKI with the little an `openssl ca` needs to keep a revocation list."""
    for name in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"):
        shutil.copy(seed_dir / name, tmp_path / name)
    (tmp_path / "CA.cnf").write_text(CA_CNF)
    (tmp_path / "index.txt").write_text("")
    (tmp_path / "crlnumber").write_text("01\n")
    return tmp_path


def openssl(folder: Path, command: str) -> None:
    subprocess.run(command, shell=True, cwd=folder, check=True, capture_output=True)


def check(folder: Path, crl: bytes, capsys: pytest.CaptureFixture[str], client: bool = True) -> tuple[int, dict]:
    secret = seed_secret(folder)
    secret["data"]["ca.crl"] = base64.b64encode(crl).decode()
    (folder / "all.yaml").write_text(yaml.safe_dump(secret) + "---\n" + SEED_INGRESS_V1)
    args = ["check", "--manifests", str(folder / "all.yaml"), "--json"]
    if client:
        args += ["--cert", str(folder / "client.crt"), "--key", str(folder / "client.key")]
    code = main(args)
    return code, json.loads(capsys.readouterr().out)


def codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_revoked_client(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openssl(ca_dir, "openssl ca -config CA.cnf -gencrl -out ca.crl")
    code, report = check(ca_dir, (ca_dir / "ca.crl").read_bytes(), capsys)
    assert "client-cert-accepted" in codes(report) and not {c for c in codes(report) if "crl" in c}
    assert (
        "ssl_crl /etc/ingress-controller/ssl/crl-default-my-certs.pem;" in report["hosts"][0]["directives"]
    )  # ssl.ConfigureCRL's name
    openssl(ca_dir, "openssl ca -config CA.cnf -revoke client.crt && openssl ca -config CA.cnf -gencrl -out ca.crl")
    code, report = check(ca_dir, (ca_dir / "ca.crl").read_bytes(), capsys)
    revoked = next(f for f in report["findings"] if f["code"] == "client-cert-revoked")
    assert code == 1 and revoked["severity"] == "error" and "(23:certificate revoked)" in revoked["evidence"][0]
    old_key = (ca_dir / "client.key").read_bytes()
    subprocess.run(revoked["fix"], shell=True, executable="/bin/bash", cwd=ca_dir, check=True, capture_output=True)
    assert (ca_dir / "client.key").read_bytes() != old_key  # a revoked certificate's key is not reused
    code, report = check(ca_dir, (ca_dir / "ca.crl").read_bytes(), capsys)
    assert "client-cert-accepted" in codes(report) and code == 0


def test_expired_crl_refuses_everyone_and_the_fix_renews_it(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = Issued(
        x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes()),
        serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), None),
    )
    stale = issue_crl(ca, last_update=datetime.now(UTC) - timedelta(days=40), days=30)
    code, report = check(ca_dir, stale, capsys, client=False)  # no client needed to see it
    expired = next(f for f in report["findings"] if f["code"] == "crl-expired")
    assert code == 1 and "CN=Fern Cert Authority" in expired["title"]
    code, report = check(ca_dir, stale, capsys)
    assert "client-cert-untrusted" in codes(report)
    untrusted = next(f for f in report["findings"] if f["code"] == "client-cert-untrusted")
    assert "CRL has expired" in untrusted["title"]
    # checked against the Secret's own ca.crt and ca.crl, each fetched into its own file (not a ca.crt beside it)
    assert "-crl_check_all -CRLfile default-my-certs.secret-ca.crl" in untrusted["fix"]
    assert "-CAfile default-my-certs.secret-ca.crt" in untrusted["fix"] and '"ca.crl"' in untrusted["fix"]
    openssl(
        ca_dir, expired["fix"].rsplit(" && kubectl", 1)[0]
    )  # the fix's local steps, as printed (kubectl: no cluster here)
    code, report = check(ca_dir, (ca_dir / "ca.crl").read_bytes(), capsys)
    assert "client-cert-accepted" in codes(report) and "crl-expired" not in codes(report)


def test_crl_of_another_ca_only(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(ca_dir, issue_crl(issue_ca("Other Authority", key=new_key("ec"))), capsys)
    missing = next(f for f in report["findings"] if f["code"] == "crl-missing")
    assert missing["title"] == "ca.crl has no CRL of CN=Fern Cert Authority"
    untrusted = next(f for f in report["findings"] if f["code"] == "client-cert-untrusted")
    assert "unable to get certificate CRL" in untrusted["title"]


def test_der_crl_is_refused_by_the_controller(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    openssl(ca_dir, "openssl ca -config CA.cnf -gencrl -out ca.crl && openssl crl -in ca.crl -outform DER -out ca.der")
    code, report = check(ca_dir, (ca_dir / "ca.der").read_bytes(), capsys)
    invalid = next(f for f in report["findings"] if f["code"] == "crl-invalid")
    assert "holds no PEM block" in invalid["title"] and code == 1
    # the controller keeps no copy of the Secret: the locations are denied, no certificate is judged
    assert report["hosts"][0]["denied"] is True and "client-cert-accepted" not in codes(report)
    main(
        [
            "inspect",
            "--ca",
            str(ca_dir / "ca.crt"),
            "--crl",
            str(ca_dir / "ca.der"),
            "--cert",
            str(ca_dir / "client.crt"),
            "--json",
        ]
    )
    inspected = json.loads(capsys.readouterr().out)
    der = next(f for f in inspected["findings"] if f["code"] == "crl-invalid")
    assert "DER CRL" in der["title"] and der["fix"].startswith("openssl crl -inform DER")


def test_inspect_with_the_secrets_crl(ca_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The probe's fix for a rejected certificate names `inspect --crl`: it must see the revocation."""
    openssl(ca_dir, "openssl ca -config CA.cnf -revoke client.crt && openssl ca -config CA.cnf -gencrl -out ca.crl")
    args = ["inspect", "--ca", str(ca_dir / "ca.crt"), "--cert", str(ca_dir / "client.crt"), "--json"]
    assert main(args) == 0 and "client-cert-accepted" in codes(json.loads(capsys.readouterr().out))
    assert main(args + ["--crl", str(ca_dir / "ca.crl")]) == 1
    assert "client-cert-revoked" in codes(json.loads(capsys.readouterr().out))
    main(args + ["--crl", str(ca_dir / "ca.crt")])
    wrong = next(f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "input-unreadable")
    assert "given as --crl but holds" in wrong["title"] and "no CRL" in wrong["title"]
