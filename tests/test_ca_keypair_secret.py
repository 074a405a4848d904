"""A client CA's own files made into a TLS Secret (`kubectl create secret tls client-ca
--cert=ca.crt --key=ca.key`, seen in the review as a user would make it): ingress-nginx keeps it as a
keypair and, without ca.crt, checks no client certificate (store/backend_ssl.go getPemCertificate);
with ca.crt beside it the clients pass (ssl.ConfigureCACertWithCertAndKey writes tls.crt before
ca.crt into the CA file, conformance C88), but the CA's private key sits in the cluster. The fixes
run as printed with the real kubectl against the lab's API server, which refuses a tls-typed Secret
without tls.key (as kubernetes' ValidateSecret does), so they make the Secret again as a generic one.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from mtls_tui.certs.issue import issue_leaf, new_key
from mtls_tui.cli import main
from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.objects import meow_ingress
from mtls_tui.lab.pki import SeedPki
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from tests.test_policy_fixes_run import P, read_back_as_printed, seed_with

NOW = datetime.now(UTC)


def tls_secret(name: str, cert: bytes, key: bytes, ca: bytes | None = None) -> dict:
    data = {"tls.crt": cert, "tls.key": key} | ({"ca.crt": ca} if ca else {})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "default"},
        "type": "kubernetes.io/tls",
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def world(pki: SeedPki, with_ca: bool) -> list[dict]:
    ingress = meow_ingress({P + "auth-tls-secret": "default/client-ca", P + "auth-tls-verify-client": "on"})
    ca = pki.ca.cert_pem() if with_ca else None
    return seed_with(pki, ingress) + [tls_secret("client-ca", pki.ca.cert_pem(), pki.ca.key_pem(), ca)]


def report_of(snapshot):
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    return host_report(policy, snapshot, NOW)


def test_a_ca_keypair_without_ca_crt_is_made_a_ca_only_secret(pki: SeedPki, tmp_path: Path) -> None:
    from mtls_tui.policy.kube_objects import snapshot_from_objects

    objects = world(pki, with_ca=False)
    report = report_of(snapshot_from_objects(objects, "files"))
    assert report.state == "not enforced"
    [missing] = [f for f in report.findings if f.code == "secret-missing-ca"]
    assert "tls.crt is the CA CN=Fern Cert Authority" in missing.detail and "ca-key-in-secret" not in {
        f.code for f in report.findings
    }
    assert "server-cert-no-san" not in {f.code for f in report.findings if "client-ca" in f.subject}
    done, after = read_back_as_printed(missing.fix, objects, tmp_path)
    assert done.returncode == 0, done.stderr
    secret = after.secret("default/client-ca")
    assert secret is not None and secret.keys == ("ca.crt",) and secret.get("ca.crt") == pki.ca.cert_pem()
    assert (tmp_path / "client-ca-ca.crt").exists() and not (tmp_path / "ca.crt").exists()  # beside, never over
    again = report_of(after)
    assert again.state == "works" and not {"secret-missing-ca", "ca-key-in-secret"} & {f.code for f in again.findings}


def test_a_working_secret_that_holds_its_cas_key_is_warned_and_fixed(pki: SeedPki, tmp_path: Path) -> None:
    from mtls_tui.policy.kube_objects import snapshot_from_objects

    objects = world(pki, with_ca=True)
    report = report_of(snapshot_from_objects(objects, "files"))
    assert report.state == "works"
    [kept] = [f for f in report.findings if f.code == "ca-key-in-secret"]
    assert kept.severity.value == "warning" and "CN=Fern Cert Authority" in kept.title
    done, after = read_back_as_printed(kept.fix, objects, tmp_path)
    assert done.returncode == 0, done.stderr
    assert after.secret("default/client-ca").keys == ("ca.crt",)
    again = report_of(after)
    assert again.state == "works" and "ca-key-in-secret" not in {f.code for f in again.findings}


def test_inspect_calls_the_cas_files_a_ca_not_a_server(pki: SeedPki, tmp_path: Path, capsys) -> None:
    path = tmp_path / "client-ca.yaml"
    path.write_text(yaml.safe_dump(tls_secret("client-ca", pki.ca.cert_pem(), pki.ca.key_pem())))
    assert main(["inspect", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {c["role"] for c in report["certificates"]} == {"ca"}
    codes = {f["code"]: f for f in report["findings"]}
    assert codes["secret-missing-ca"]["severity"] == "error" and "server-cert-no-san" not in codes
    assert codes["secret-missing-ca"]["fix"].startswith("kubectl get secret client-ca -n default -o go-template=")


@pytest.mark.parametrize("cn", ["meow.com", "Fern server"])
def test_a_self_signed_server_certificate_is_no_ca_keypair(tmp_path: Path, capsys, cn: str) -> None:
    """`openssl req -x509` marks a self-signed server certificate CA:TRUE too: one that names a host
    (its CN like a host name, or a DNS SAN) keeps the server's checks, and no CA-only fix is offered."""
    from mtls_tui.certs.issue import issue_ca

    own = issue_ca(cn, key=new_key("ec"))  # self-signed, CA:TRUE, as openssl req -x509 makes it
    if cn != "meow.com":
        own = issue_leaf(cn, own, key=new_key("ec"), v1=False, sans=["meow.com"])
    path = tmp_path / "server.yaml"
    path.write_text(yaml.safe_dump(tls_secret("server-tls", own.cert_pem(), own.key_pem())))
    main(["inspect", str(path), "--json"])
    report = json.loads(capsys.readouterr().out)
    codes = {f["code"]: f for f in report["findings"]}
    assert "ca-key-in-secret" not in codes and codes["secret-missing-ca"]["severity"] == "warning"
    assert "go-template" not in codes["secret-missing-ca"]["fix"]


def test_the_servers_own_tls_secret_named_by_auth_tls_is_never_made_ca_only(pki: SeedPki) -> None:
    """auth-tls-secret pointing at the Secret the host's `tls:` serves from: deleting it for a ca.crt-only
    copy would take the host's certificate away, so the fix only adds ca.crt."""
    from mtls_tui.policy.kube_objects import snapshot_from_objects

    ingress = meow_ingress({P + "auth-tls-secret": "default/client-ca", P + "auth-tls-verify-client": "on"})
    ingress["spec"]["tls"][0]["secretName"] = "client-ca"
    objects = seed_with(pki, ingress) + [tls_secret("client-ca", pki.ca.cert_pem(), pki.ca.key_pem())]
    report = report_of(snapshot_from_objects(objects, "files"))
    [missing] = [f for f in report.findings if f.code == "secret-missing-ca"]
    assert "kubectl delete" not in missing.fix and "kubectl patch secret client-ca" in missing.fix
