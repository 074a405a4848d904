"""No false "works": the commands say works only when a probe or every input backs it.

Each case is a set-up that an earlier version called works (or exit 0) while the
controller would let clients in without a certificate, refuse everyone, or could not
be judged from what was given. Rules cited: kubernetes/ingress-nginx v1.15.1,
store/backend_ssl.go getPEMCertificate (a keypair without ca.crt is kept without a CA
file), controller.go getBackendServers ("mutual authentication disabled"), nginx.tmpl
(ssl_verify_client only with a CA file; the match-CN `if`).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from mtls_tui.cli import main
from mtls_tui.lab.objects import app_objects, meow_ingress
from mtls_tui.lab.pki import SeedPki, secret_manifest, write_seed_pki

P = "nginx.ingress.kubernetes.io/"


def write_objects(folder: Path, objects: list[dict]) -> str:
    path = folder / "objects.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    return str(path)


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def seed(tmp_path: Path) -> tuple[Path, SeedPki]:
    return tmp_path, write_seed_pki(tmp_path)


def test_a_secret_missing_from_the_manifests_is_unverified(seed, capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = seed
    code, report = check(capsys, "--manifests", write_objects(folder, [meow_ingress()]))
    host = report["hosts"][0]
    assert host["state"] == "unverified" and "Secret default/my-certs" in host["unchecked"]
    assert "secret-not-in-manifests" in {f["code"] for f in host["findings"]}
    assert code == 0  # nothing is known to be wrong: not an error, and not "works"


def test_an_app_deployment_is_not_a_controller(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """Manifests with the app's Deployment and no controller: judge the Ingress as ingress-nginx
    would; the real mistake (a Secret without ca.crt) leads, not 'no controller found'."""
    folder, pki = seed
    secret = secret_manifest(pki)
    del secret["data"]["ca.crt"]
    code, report = check(capsys, "--manifests", write_objects(folder, [*app_objects(), secret, meow_ingress()]))
    host = report["hosts"][0]
    codes = {f["code"] for f in host["findings"]}
    assert "controller-not-found" not in codes and "secret-missing-ca" in codes
    assert host["state"] == "not enforced" and host["verdict"].startswith("mTLS is not enforced")
    assert any("controller" in item for item in host["unchecked"]) and code == 1


def test_inspect_of_a_secret_without_ca_is_not_works(seed, capsys: pytest.CaptureFixture[str]) -> None:
    folder, pki = seed
    secret = secret_manifest(pki)
    del secret["data"]["ca.crt"]
    (folder / "secret.json").write_text(json.dumps(secret))
    code = main(["inspect", str(folder / "secret.json"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and "secret-missing-ca" in {f["code"] for f in report["findings"]}


@pytest.mark.parametrize("mode", ["optional", "optional_no_ca", "off"])
def test_modes_that_let_clients_in_say_not_enforced(seed, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder, pki = seed
    ingress = meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": mode})
    code, report = check(capsys, "--manifests", write_objects(folder, [secret_manifest(pki), ingress]))
    host = report["hosts"][0]
    assert host["state"] == "not enforced" and host["verdict"] == (
        f"mTLS is not enforced for meow.com: auth-tls-verify-client is {mode}: requests without a certificate get in")


def test_match_cn_is_applied_offline(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """check --cert without a probe: the seed's client CN=Fern against auth-tls-match-cn CN=Fernando
    (unanchored: 'CN=Fernando' is not in 'CN=Fern'); nginx would answer 403."""
    folder, pki = seed
    ingress = meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-match-cn": "CN=Fernando"})
    code, report = check(capsys, "--manifests", write_objects(folder, [secret_manifest(pki), ingress]),
                         "--cert", str(folder / "client.crt"), "--key", str(folder / "client.key"))
    host = report["hosts"][0]
    finding = next(f for f in host["findings"] if f["code"] == "client-cert-cn-rejected")
    assert host["state"] == "broken" and code == 1 and "CN=Fern" in finding["title"]
    assert finding["fix"].endswith("auth-tls-match-cn=CN=Fern --overwrite")


def test_an_empty_auth_tls_secret_is_not_enforced(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """parser.parseString: an empty value is skipped: no client checks at all."""
    folder, pki = seed
    ingress = meow_ingress({P + "auth-tls-secret": ""})
    code, report = check(capsys, "--manifests", write_objects(folder, [secret_manifest(pki), ingress]))
    assert report["hosts"][0]["state"] == "not enforced" and code == 1


def test_a_ca_only_secret_fix_needs_no_server_files(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """A Secret holding neither ca.crt nor a keypair: the fix adds ca.crt and asks for nothing else."""
    folder, pki = seed
    secret = secret_manifest(pki)
    secret["data"] = {"notes.txt": base64.b64encode(b"hello").decode()}
    code, report = check(capsys, "--manifests", write_objects(folder, [secret, meow_ingress()]))
    finding = next(f for f in report["hosts"][0]["findings"] if f["code"] == "secret-missing-ca")
    assert "server.crt" not in finding["fix"] and "tls.key" not in finding["fix"] and "ca.crt" in finding["fix"]
    assert report["hosts"][0]["denied"] is True and code == 1


def test_another_controllers_class_is_named_in_manifests_mode(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """store.go: an Ingress whose IngressClass names another controller is not listed by ingress-nginx;
    the IngressClass among the files says so even without the controller."""
    folder, pki = seed
    ingress = meow_ingress()
    ingress["spec"]["ingressClassName"] = "traefik"
    klass = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "traefik"},
             "spec": {"controller": "traefik.io/ingress-controller"}}
    code, report = check(capsys, "--manifests", write_objects(folder, [secret_manifest(pki), klass, ingress]))
    finding = next(f for f in report["hosts"][0]["findings"] if f["code"] == "ingress-class-mismatch")
    assert "traefik.io/ingress-controller" in finding["title"] and code == 1
