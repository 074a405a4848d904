"""Each certificate finding code, from certificates made for the purpose."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.issue import Issued, issue_ca, issue_intermediate, issue_leaf, new_key
from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.certificates import host_covered
from mtls_tui.diagnose.inspect import Input, inspect_inputs
from mtls_tui.model import Finding

NOW = datetime.now(UTC)


def material(name: str, *parts: Issued, with_key: bool = False):
    data = b"".join(p.cert_pem() for p in parts) + (parts[0].key_pem() if with_key else b"")
    return load_material(data, name)


def run(*inputs: Input, host: str | None = None, depth: int = 1, now: datetime = NOW) -> dict[str, Finding]:
    report = inspect_inputs(list(inputs), host=host, verify_depth=depth, now=now)
    return {f.code: f for f in report.findings}


@pytest.fixture(scope="module")
def root() -> Issued:
    return issue_ca("Root", key=new_key("ec"))


def test_expired_not_yet_valid_and_soon(root: Issued) -> None:
    expired = issue_leaf("old", root, key=new_key("ec"), not_before=NOW - timedelta(days=100), days=30)
    future = issue_leaf("new", root, key=new_key("ec"), not_before=NOW + timedelta(days=3))
    soon = issue_leaf("soon", root, key=new_key("ec"), days=10)
    found = run(Input("old.crt", "file", material("old.crt", expired)))
    assert found["cert-expired"].severity.value == "error" and "70 days" in found["cert-expired"].title
    assert "old.crt" in found["cert-expired"].fix
    assert "cert-not-yet-valid" in run(Input("new.crt", "file", material("new.crt", future)))
    assert run(Input("soon.crt", "file", material("soon.crt", soon)))["cert-expires-soon"].severity.value == "warning"


def test_expired_client_is_also_rejected_by_nginx_verdict(root: Issued) -> None:
    expired = issue_leaf("old", root, key=new_key("ec"), not_before=NOW - timedelta(days=100), days=30)
    found = run(Input("ca.crt", "ca", material("ca.crt", root)), Input("old.crt", "cert", material("old.crt", expired)))
    assert "certificate has expired" in found["client-cert-untrusted"].title


def test_chain_too_deep_names_the_depth_to_set(root: Issued) -> None:
    i1 = issue_intermediate("I1", root, key=new_key("ec"))
    i2 = issue_intermediate("I2", i1, key=new_key("ec"))
    leaf = issue_leaf("deep", i2, key=new_key("ec"))
    found = run(
        Input("ca.crt", "ca", material("ca.crt", root)),
        Input("deep.pem", "cert", material("deep.pem", leaf, i2, i1)),
        depth=1,
    )
    finding = found["chain-too-deep"]
    assert "needs verify depth 2" in finding.title and "auth-tls-verify-depth=2" in finding.fix
    assert "client-cert-untrusted" not in found
    assert "client-cert-accepted" in run(
        Input("ca.crt", "ca", material("ca.crt", root)),
        Input("deep.pem", "cert", material("deep.pem", leaf, i2, i1)),
        depth=2,
    )


def test_missing_intermediate_is_untrusted_with_a_chain_fix(root: Issued) -> None:
    i1 = issue_intermediate("I1", root, key=new_key("ec"))
    leaf = issue_leaf("mid", i1, key=new_key("ec"))
    found = run(Input("ca.crt", "ca", material("ca.crt", root)), Input("mid.crt", "cert", material("mid.crt", leaf)))
    finding = found["client-cert-untrusted"]
    assert "unable to verify the first certificate" in finding.title  # what nginx logs last
    assert "(20:unable to get local issuer certificate)" in " ".join(finding.evidence)
    assert "CN=I1" in finding.detail and "INTERMEDIATE" in finding.then


def test_wrong_purpose(root: Issued) -> None:
    server_only = issue_leaf("svc", root, key=new_key("ec"), v1=False, eku=["serverAuth"])
    found = run(
        Input("ca.crt", "ca", material("ca.crt", root)), Input("svc.crt", "cert", material("svc.crt", server_only))
    )
    assert "serverAuth" in found["client-cert-wrong-purpose"].detail
    assert "extendedKeyUsage=clientAuth" in found["client-cert-wrong-purpose"].fix


def test_weak_key(root: Issued) -> None:
    weak = issue_leaf("weak", root, key=new_key("rsa", 1024))
    assert "1024-bit RSA" in run(Input("w.crt", "file", material("w.crt", weak)))["weak-key"].title


def test_weak_signature(tmp_path, openssl_binary: str) -> None:
    """cryptography refuses to sign with SHA-1; the openssl CLI still does, as old PKIs did."""
    commands = [
        "openssl req -x509 -sha256 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout ca.key -out ca.crt -days 30 -nodes -subj '/CN=Old CA'",
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout c.key -out c.csr -nodes -subj '/CN=old'",
        "openssl x509 -req -sha1 -days 30 -in c.csr -CA ca.crt -CAkey ca.key -set_serial 3 -out c.crt",
    ]
    for command in commands:
        subprocess.run(command, shell=True, cwd=tmp_path, check=True, capture_output=True)
    data = (tmp_path / "c.crt").read_bytes()
    found = run(Input("c.crt", "file", load_material(data, "c.crt")))
    assert "SHA1" in found["weak-signature"].title


def test_v1_is_a_warning_not_an_error(root: Issued) -> None:
    found = run(Input("c.crt", "file", material("c.crt", issue_leaf("Fern", root, key=new_key("ec")))))
    assert found["cert-v1"].severity.value == "warning"


def test_key_mismatch_in_one_file(root: Issued) -> None:
    a = issue_leaf("a", root, key=new_key("ec"))
    b = issue_leaf("b", root, key=new_key("ec"))
    data = a.cert_pem() + b.key_pem()
    found = run(Input("pair.pem", "file", load_material(data, "pair.pem")))
    assert found["key-mismatch"].severity.value == "error"


def test_wrong_kind_of_input(root: Issued) -> None:
    leaf = issue_leaf("a", root, key=new_key("ec"))
    found = run(Input("a.key", "cert", load_material(leaf.key_pem(), "a.key")))
    assert "given as --cert but holds 1 private key(s), no certificate" in found["input-unreadable"].title


@pytest.mark.parametrize(
    ("sans", "host", "covered"),
    [
        (["meow.com"], "meow.com", True),
        (["meow.com"], "MEOW.com.", True),
        (["*.meow.com"], "api.meow.com", True),
        (["*.meow.com"], "meow.com", False),
        (["*.meow.com"], "a.b.meow.com", False),
        (["*.com"], "meow.com", False),
        (["127.0.0.1"], "127.0.0.1", True),
        (["meow.com"], "purr.com", False),
    ],
)
def test_host_matching(root: Issued, sans: list[str], host: str, covered: bool) -> None:
    leaf = issue_leaf("ignored-cn", root, key=new_key("ec"), v1=False, sans=sans)
    assert host_covered(cert_facts(leaf.cert), host)[0] is covered


def test_cn_fallback_only_without_san(root: Issued) -> None:
    with_san = issue_leaf("meow.com", root, key=new_key("ec"), v1=False, sans=["other.com"])
    assert host_covered(cert_facts(with_san.cert), "meow.com")[0] is False


def test_server_chain_untrusted(root: Issued) -> None:
    other = issue_ca("Other", key=new_key("ec"))
    server = issue_leaf("meow.com", other, key=new_key("ec"), v1=False, sans=["meow.com"])
    found = run(
        Input("ca.crt", "ca", material("ca.crt", root)),
        Input("server.crt", "server-cert", material("server.crt", server)),
        host="meow.com",
    )
    assert "server-cert-untrusted" in found and "server-cert-no-san" not in found
    assert "server-cert-hostname-mismatch" not in found


def test_facts_of_a_v3_certificate(root: Issued) -> None:
    leaf = issue_leaf(
        "svc", root, key=new_key("ec"), v1=False, sans=["meow.com", "10.0.0.1"], eku=["clientAuth", "serverAuth"]
    )
    facts = cert_facts(leaf.cert)
    assert facts.version == 3 and facts.sans.dns == ("meow.com",) and facts.sans.ip == ("10.0.0.1",)
    assert facts.extended_key_usage == ("clientAuth", "serverAuth")
    assert facts.key_type == "EC" and facts.key_curve == "secp256r1" and facts.signature_hash == "sha256"
    assert facts.authority_key_id == cert_facts(root.cert).subject_key_id
    root_facts = cert_facts(root.cert)
    assert root_facts.self_signed and root_facts.is_ca and not facts.self_signed
    assert len(facts.sha256.split(":")) == 32


def test_the_seeds_ca_ends_before_its_leaves(seed_dir, capsys, tmp_path) -> None:
    """The article makes the CA for 356 days and the leaves for 365: nine days of refusals nobody expects."""
    import json
    import shutil
    import subprocess

    from mtls_tui.cli import main

    main(["inspect", "--ca", str(seed_dir / "ca.crt"), "--cert", str(seed_dir / "client.crt"), "--json"])
    report = json.loads(capsys.readouterr().out)
    outlives = [f for f in report["findings"] if f["code"] == "cert-outlives-issuer"]
    assert [f["title"] for f in outlives] == ["CN=Fern outlives its CA CN=Fern Cert Authority by 9 days"]
    assert outlives[0]["severity"] == "warning"
    work = tmp_path / "seed"
    shutil.copytree(seed_dir, work)
    fix = outlives[0]["fix"].replace(str(seed_dir), str(work))
    subprocess.run(fix, shell=True, executable="/bin/bash", cwd=work, check=True, capture_output=True)
    main(
        [
            "inspect",
            "--ca",
            str(work / "ca.crt"),
            "--cert",
            str(work / "client.crt"),
            "--key",
            str(work / "client.key"),
            "--json",
        ]
    )
    after = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "cert-outlives-issuer" not in after and "key-mismatch" not in after and "client-cert-accepted" in after


@pytest.mark.parametrize(
    ("sans", "kept"), [(["a.example", "127.0.0.1"], ["DNS:a.example", "IP Address:127.0.0.1"]), (None, [])]
)
def test_the_hostname_fix_keeps_the_names_the_certificate_serves(tmp_path, capsys, sans, kept) -> None:
    """Re-issued for another host, run as printed with the real openssl, the certificate covers the
    new host and still every name it served (the review saw the old SAN dropped)."""
    import json

    from mtls_tui.cli import main
    from mtls_tui.lab.pki import write_file

    ca = issue_ca("Names CA", key=new_key("ec"))
    server = issue_leaf("a.example", ca, key=new_key("ec"), v1=sans is None, sans=sans or [])
    for name, data in {"ca.crt": ca.cert_pem(), "server.crt": server.cert_pem()}.items():
        write_file(tmp_path / name, data)
    write_file(tmp_path / "ca.key", ca.key_pem(), private=True)
    write_file(tmp_path / "server.key", server.key_pem(), private=True)
    args = ["inspect", "--ca", str(tmp_path / "ca.crt"), "--server-cert", str(tmp_path / "server.crt")]
    main([*args, "--host", "b.example", "--json"])
    [mismatch] = [
        f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "server-cert-hostname-mismatch"
    ]
    subprocess.run(["bash", "-c", mismatch["fix"]], cwd=tmp_path, check=True, capture_output=True)
    text = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "server.crt"), "-noout", "-ext", "subjectAltName"],
        capture_output=True,
        text=True,
    ).stdout
    assert all(name in text for name in ["DNS:a.example", "DNS:b.example", *kept]), text
    for host in ("a.example", "b.example"):
        main([*args, "--host", host, "--json"])
        codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
        assert "server-cert-hostname-mismatch" not in codes and "server-cert-no-san" not in codes, host
