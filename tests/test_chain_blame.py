"""Blame the certificate that is wrong: an intermediate CA whose extendedKeyUsage lacks
clientAuth fails OpenSSL's purpose check at its own depth (error 26 at depth 1), not at
the client certificate's. The finding names the intermediate, its fix re-issues the
intermediate (not the leaf), and the fix, run as printed, makes a real nginx accept.

Source of the behaviour: OpenSSL crypto/x509/x509_vfy.c check_chain_purposes (every CA of
the path is checked for the ssl_client purpose; X509_V_ERR_INVALID_PURPOSE at its depth).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC
from pathlib import Path

import pytest

from mtls_tui.cli import main
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.model import MtlsPolicy, ProbeSpec
from mtls_tui.sources.probe import run_probe

MAKE = """
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 -subj '/CN=Blame Root' \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout issuing-ca.key -subj '/CN=Issuing CA' \
  | openssl x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out issuing-ca.crt \
    -extfile <(printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\nextendedKeyUsage=serverAuth')
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -subj '/CN=blame-client' \
  | openssl x509 -req -CA issuing-ca.crt -CAkey issuing-ca.key -CAcreateserial -days 20 -out leaf.crt \
    -extfile <(printf 'extendedKeyUsage=clientAuth')
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -subj '/CN=blame.test' \
  | openssl x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 20 -out server.crt \
    -extfile <(printf 'subjectAltName=DNS:blame.test')
cat leaf.crt issuing-ca.crt > client.crt
"""


def bash(folder: Path, command: str) -> None:
    subprocess.run(["bash", "-c", command], cwd=folder, check=True, capture_output=True)


def inspect(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(
        [
            "inspect",
            "--ca",
            str(folder / "ca.crt"),
            "--cert",
            str(folder / "client.crt"),
            "--key",
            str(folder / "client.key"),
            "--verify-depth",
            "2",
            "--json",
        ]
    )
    return code, json.loads(capsys.readouterr().out)


def nginx_status(folder: Path, nginx_binary: str) -> int | None:
    host = GatewayHost(
        MtlsPolicy("blame.test", secret="default/ca", verify_depth=2),
        (folder / "server.crt").read_bytes(),
        (folder / "server.key").read_bytes(),
        (folder / "ca.crt").read_bytes(),
    )
    with Gateway([host], nginx_binary=nginx_binary) as gateway:
        results = run_probe(
            ProbeSpec(
                gateway.url("blame.test"),
                resolve=gateway.resolve("blame.test"),
                insecure=True,
                timeout=5,
                cert=str(folder / "client.crt"),
                key=str(folder / "client.key"),
            )
        )
    return results[1].status


@pytest.mark.nginx
def test_an_intermediate_without_client_auth_is_blamed_and_its_fix_works(
    tmp_path: Path, openssl_binary: str, nginx_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bash(tmp_path, MAKE)
    assert nginx_status(tmp_path, nginx_binary) == 400  # the real nginx refuses the chain
    code, report = inspect(tmp_path, capsys)
    finding = next(f for f in report["findings"] if f["code"] == "client-cert-wrong-purpose")
    assert code == 1 and "intermediate" in finding["title"] and "Issuing CA" in finding["title"]
    assert "client.key" not in finding["fix"] and "issuing-ca.key" in finding["fix"]  # the leaf is not re-signed

    bash(tmp_path, finding["fix"])  # exactly as printed
    bash(tmp_path, "cat leaf.crt issuing-ca.crt > client.crt")  # the client sends the re-issued intermediate
    code, report = inspect(tmp_path, capsys)
    assert code == 0 and "client-cert-accepted" in {f["code"] for f in report["findings"]}
    assert nginx_status(tmp_path, nginx_binary) == 200


def test_a_leaf_of_an_intermediate_is_re_signed_by_the_intermediate(
    tmp_path: Path, openssl_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The expired client's fix signs with its own issuer, the intermediate in the CA bundle
    (issuing-ca.crt and .key, named after its CN), not with a key named after the bundle."""
    from datetime import datetime, timedelta

    from mtls_tui.certs.issue import issue_ca, issue_intermediate, issue_leaf, new_key
    from mtls_tui.lab.pki import write_file

    root = issue_ca("Blame Root", key=new_key("ec"))
    issuing = issue_intermediate("Issuing CA", root, key=new_key("ec"))
    expired = issue_leaf(
        "blame-client",
        issuing,
        key=new_key("ec"),
        v1=False,
        eku=["clientAuth"],
        not_before=datetime.now(UTC) - timedelta(days=40),
        days=30,
    )
    write_file(tmp_path / "ca-bundle.crt", root.cert_pem() + issuing.cert_pem())
    write_file(tmp_path / "issuing-ca.crt", issuing.cert_pem())
    write_file(tmp_path / "issuing-ca.key", issuing.key_pem(), private=True)
    write_file(tmp_path / "client.crt", expired.cert_pem())
    write_file(tmp_path / "client.key", expired.key_pem(), private=True)
    args = [
        "inspect",
        "--ca",
        str(tmp_path / "ca-bundle.crt"),
        "--cert",
        str(tmp_path / "client.crt"),
        "--key",
        str(tmp_path / "client.key"),
        "--verify-depth",
        "2",
        "--json",
    ]
    assert main(args) == 1
    fix = next(f["fix"] for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "cert-expired")
    assert "-CA issuing-ca.crt -CAkey issuing-ca.key" in fix and "ca-bundle.key" not in fix
    bash(tmp_path, fix)
    assert main(args) == 0
    assert "client-cert-accepted" in {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_a_re_signed_certificate_keeps_its_whole_subject(
    tmp_path: Path, openssl_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The re-sign fix carries O= and a comma in the CN: after it runs, the subject is the same DN
    (match-CN rules and applications read the whole name)."""
    bash(
        tmp_path,
        """
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 30 -subj '/CN=Name CA'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -subj '/O=Acme/CN=Doe, John' \
  | openssl x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 20 -out client.crt
""",
    )
    before = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", "client.crt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    main(["inspect", "--ca", str(tmp_path / "ca.crt"), "--cert", str(tmp_path / "client.crt"), "--json"])
    fix = next(f["fix"] for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "cert-v1")
    bash(tmp_path, fix)
    after = subprocess.run(
        ["openssl", "x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", "client.crt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    ).stdout
    assert before == after == "subject=CN=Doe\\, John,O=Acme\n"
