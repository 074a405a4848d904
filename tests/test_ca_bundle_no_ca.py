"""A client certificate given as the CA (`--ca client.crt --cert client.crt`): a finding names the file,
and no printed fix, run as printed with the real openssl, harms the client certificate or its key
(the review ran the re-sign fix: `-CA client.crt -CAkey client.key -out client.crt` made it self-signed)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mtls_tui.cli import main
from mtls_tui.diagnose.certificates import Files, Where, reissue_command

SEED = [  # the seed's own commands: a CA, a v1 client leaf
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 356 -subj '/CN=Fern Cert Authority'",
    "openssl req -new -newkey rsa:2048 -nodes -keyout client.key -subj /CN=client "
    "| openssl x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -out client.crt",
]
V3_LEAF = (  # the same leaf as v3 with basicConstraints CA:FALSE
    "openssl req -new -key client.key -subj /CN=client | openssl x509 -req -CA ca.crt -CAkey ca.key "
    "-CAcreateserial -days 365 -out client.crt -extfile <(printf 'basicConstraints=CA:FALSE\\n')"
)


def _shell(command: str, folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("leaf", ["v1", "v3 CA:FALSE"])
def test_a_client_certificate_given_as_the_ca_is_named_and_no_fix_harms_it(tmp_path, capsys, leaf) -> None:
    for command in SEED + ([V3_LEAF] if leaf != "v1" else []):
        assert _shell(command, tmp_path).returncode == 0
    client = tmp_path / "client.crt"
    main(["inspect", "--ca", str(client), "--cert", str(client), "--json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    [no_ca] = [f for f in findings if f["code"] == "ca-bundle-no-ca"]
    assert str(client) in no_ca["title"] and "CN=Fern Cert Authority" in no_ca["detail"]
    before = {name: (tmp_path / name).read_bytes() for name in ("client.crt", "client.key")}
    fixes = [f["fix"] for f in findings if f["fix"]]
    for fix in fixes:  # every one, as printed, in the folder that holds the files
        _shell(fix, tmp_path)
        assert {name: (tmp_path / name).read_bytes() for name in before} == before, fix
    assert not any("-CA " in fix or "openssl req -x509" in fix for fix in fixes), fixes
    told = [f for f in findings if f["code"] in ("client-cert-untrusted", "cert-v1")]
    assert told and all("holds no CA certificate" in f["then"] and not f["fix"] for f in told)
    issuer = _shell(no_ca["fix"], tmp_path)  # the printed command says which CA to get
    assert issuer.returncode == 0 and "Fern Cert Authority" in issuer.stdout


def test_a_command_never_writes_the_file_it_reads_as_the_ca(tmp_path) -> None:
    """The CA bundle is the client's own file (a CA certificate given as both): no command signs
    with `-CA x.crt -CAkey x.key -out x.crt`, whatever the CA is."""
    for command in SEED:
        assert _shell(command, tmp_path).returncode == 0
    files = Files(ca="ca.crt", cert="ca.crt", key="ca.key")
    before = (tmp_path / "ca.crt").read_bytes()
    for new_key in (False, True):
        command = reissue_command("client", Where("ca.crt", "ca.crt"), files, cn="client", new_key=new_key)
        assert command.startswith("#") and "ca.crt" in command
        _shell(command, tmp_path)
        assert (tmp_path / "ca.crt").read_bytes() == before


def test_check_prints_no_re_sign_with_a_secret_ca_that_is_not_a_ca(tmp_path, capsys) -> None:
    """`check --manifests`: the Secret's ca.crt is the client's own certificate (secret-ca-not-ca): no
    fix signs anything with it (it would make a certificate no server trusts)."""
    import base64

    import yaml

    from tests.test_check_manifests import SEED_INGRESS_V1

    for command in SEED:
        assert _shell(command, tmp_path).returncode == 0
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "my-certs", "namespace": "default"},
        "type": "Opaque",
        "data": {"ca.crt": base64.b64encode((tmp_path / "client.crt").read_bytes()).decode()},
    }
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(secret) + "---\n" + SEED_INGRESS_V1)
    cert, key = str(tmp_path / "client.crt"), str(tmp_path / "client.key")
    main(["check", "--manifests", str(tmp_path / "all.yaml"), "--cert", cert, "--key", key, "--no-probe", "--json"])
    findings = [f for h in json.loads(capsys.readouterr().out)["hosts"] for f in h["findings"]]
    assert "secret-ca-not-ca" in {f["code"] for f in findings}
    assert not any("-CAkey" in f["fix"] for f in findings), [f["fix"] for f in findings]
    [untrusted] = [f for f in findings if f["code"] == "client-cert-untrusted"]
    assert "holds no CA certificate" in untrusted["then"]
