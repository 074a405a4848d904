"""No false "works": the commands say works only when a probe or every input backs it.

Each case is a set-up that an earlier version called works (or exit 0) while the
controller would let clients in without a certificate, refuse everyone, or could not
be judged from what was given. Rules cited: kubernetes/ingress-nginx v1.15.1,
store/backend_ssl.go getPemCertificate (a keypair without ca.crt is kept without a CA
file), controller.go getBackendServers ("mutual authentication disabled"), nginx.tmpl
(ssl_verify_client only with a CA file; the match-CN `if`).
"""

from __future__ import annotations

import base64
import json
import re
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
    assert host["state"] == "not enforced" and host["verdict"].startswith("mTLS not enforced")
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
    assert (
        host["state"] == "not enforced"
        and host["verdict"] == f"mTLS not enforced for meow.com: auth-tls-verify-client is {mode}"
    )


def _without_ca(pki: SeedPki) -> list[dict]:
    secret = secret_manifest(pki)
    del secret["data"]["ca.crt"]
    return [secret, meow_ingress()]


NOT_ENFORCED_CAUSES = {
    # cause: (objects, the finding that names it, the headline's reason)
    "verify-client off": (
        lambda pki: [
            secret_manifest(pki),
            meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "off"}),
        ],
        "mtls-not-enforced",
        "auth-tls-verify-client is off",
    ),
    "verify-client optional": (
        lambda pki: [
            secret_manifest(pki),
            meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "optional"}),
        ],
        "mtls-not-enforced",
        "auth-tls-verify-client is optional",
    ),
    "verify-client optional_no_ca": (
        lambda pki: [
            secret_manifest(pki),
            meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "optional_no_ca"}),
        ],
        "mtls-not-enforced",
        "auth-tls-verify-client is optional_no_ca",
    ),
    "Secret without ca.crt": (_without_ca, "secret-missing-ca", "Secret default/my-certs has no ca.crt"),
    "empty auth-tls-secret": (
        lambda pki: [secret_manifest(pki), meow_ingress({P + "auth-tls-secret": ""})],
        "annotation-invalid-value",
        "auth-tls-secret is empty",
    ),
    "another controller's prefix": (
        lambda pki: [secret_manifest(pki), meow_ingress({"nginx.org/auth-tls-secret": "default/my-certs"})],
        "annotation-wrong-prefix",
        "the auth-tls annotations are under keys ingress-nginx does not read",
    ),
}


@pytest.mark.parametrize("cause", sorted(NOT_ENFORCED_CAUSES))
def test_every_way_in_without_a_certificate_reads_mtls_not_enforced(
    seed, cause: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One headline for every cause, in the JSON and the text alike, the finding that names the cause
    first, and a "try:" line with its fix: the command to run next."""
    folder, pki = seed
    build, code, reason = NOT_ENFORCED_CAUSES[cause]
    manifests = write_objects(folder, build(pki))
    _, report = check(capsys, "--manifests", manifests)
    host = report["hosts"][0]
    lead = host["findings"][0]
    assert host["state"] == "not enforced" and host["verdict"] == f"mTLS not enforced for meow.com: {reason}"
    # a kubectl command; a new ca.crt is read from its file first, so a missing file stops it
    assert lead["code"] == code and re.match(r"(ca=\$\(openssl base64 -A -in ca\.crt\) && )?kubectl ", lead["fix"])
    main(["check", "--manifests", manifests])
    text = capsys.readouterr().out
    assert f"NOT ENFORCED meow.com  {host['verdict']}" in text and f"try: {lead['fix']}\n" in text


def test_match_cn_is_applied_offline(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """check --cert without a probe: the seed's client CN=Fern against auth-tls-match-cn CN=Fernando
    (unanchored: 'CN=Fernando' is not in 'CN=Fern'); nginx would answer 403."""
    folder, pki = seed
    ingress = meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-match-cn": "CN=Fernando"})
    code, report = check(
        capsys,
        "--manifests",
        write_objects(folder, [secret_manifest(pki), ingress]),
        "--cert",
        str(folder / "client.crt"),
        "--key",
        str(folder / "client.key"),
    )
    host = report["hosts"][0]
    finding = next(f for f in host["findings"] if f["code"] == "client-cert-cn-rejected")
    assert host["state"] == "broken" and code == 1 and "CN=Fern" in finding["title"]
    # the fix admits CN=Fern and not CN=Fernando (unanchored matching): the CN, then the end of the RDN
    assert finding["fix"].endswith("'nginx.ingress.kubernetes.io/auth-tls-match-cn=CN=Fern(,|$)' --overwrite")


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
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "traefik"},
        "spec": {"controller": "traefik.io/ingress-controller"},
    }
    code, report = check(capsys, "--manifests", write_objects(folder, [secret_manifest(pki), klass, ingress]))
    finding = next(f for f in report["hosts"][0]["findings"] if f["code"] == "ingress-class-mismatch")
    assert "traefik.io/ingress-controller" in finding["title"] and code == 1


@pytest.mark.nginx
def test_the_printed_match_cn_value_works_on_nginx(tmp_path: Path, nginx_binary: str) -> None:
    """nginx.tmpl renders the value Go-quoted into `if ($ssl_client_s_dn !~ "…")`; the value the fix
    prints admits its own client (a comma in the CN included) and not a longer CN."""
    from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
    from mtls_tui.certs.openssl_binding import name_rfc2253
    from mtls_tui.lab.gateway import Gateway, GatewayHost
    from mtls_tui.lab.pki import write_file
    from mtls_tui.model import MtlsPolicy, ProbeSpec
    from mtls_tui.policy.ingress_nginx.auth_tls_values import match_cn_for
    from mtls_tui.sources.probe import run_probe

    ca = issue_ca("Match CA", key=new_key("ec"))
    server = issue_leaf("match.test", ca, key=new_key("ec"), v1=False, sans=["match.test"])
    clients = {
        cn: issue_leaf(cn, ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
        for cn in ("Doe, John", "Fern", "Fernando")
    }
    for cn, issued in clients.items():
        write_file(tmp_path / f"{cn}.crt", issued.cert_pem())
        write_file(tmp_path / f"{cn}.key", issued.key_pem(), private=True)
    policies = {
        f"h{i}.test": match_cn_for(name_rfc2253(clients[cn].cert.subject.public_bytes()))
        for i, cn in enumerate(("Doe, John", "Fern"))
    }
    hosts = [
        GatewayHost(
            MtlsPolicy(h, secret="default/ca", match_cn=value), server.cert_pem(), server.key_pem(), ca.cert_pem()
        )
        for h, value in policies.items()
    ]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:

        def status(host: str, cn: str) -> int | None:
            spec = ProbeSpec(
                gateway.url(host),
                resolve=gateway.resolve(host),
                insecure=True,
                timeout=5,
                cert=str(tmp_path / f"{cn}.crt"),
                key=str(tmp_path / f"{cn}.key"),
            )
            return run_probe(spec)[1].status

        assert status("h0.test", "Doe, John") == 200
        assert status("h1.test", "Fern") == 200 and status("h1.test", "Fernando") == 403


def test_fixes_name_the_key_file_given(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """check --cert a.crt --key b.key: a re-sign fix uses b.key, not a guessed a.key."""
    import shutil

    folder, pki = seed
    shutil.copy(folder / "client.crt", folder / "h-trusted.crt")
    shutil.copy(folder / "client.key", folder / "h.key")
    code, report = check(
        capsys,
        "--manifests",
        write_objects(folder, [secret_manifest(pki), meow_ingress()]),
        "--cert",
        str(folder / "h-trusted.crt"),
        "--key",
        str(folder / "h.key"),
    )
    fixes = [f["fix"] for f in report["hosts"][0]["findings"] if "h-trusted.crt" in f["fix"]]
    assert fixes and all(f"-key {folder / 'h.key'}" in fix and "h-trusted.key" not in fix for fix in fixes)


def test_a_backtracking_match_cn_is_judged_in_linear_time(seed, capsys: pytest.CaptureFixture[str]) -> None:
    """`CN=(x+x+)+y` is valid RE2 (the controller takes it); Python's re backtracks for tens of seconds
    on a subject of x's. The offline match-CN runs on RE2: the whole check stays well under a second."""
    import time

    from mtls_tui.certs.issue import issue_leaf, new_key
    from mtls_tui.lab.pki import write_file

    folder, pki = seed
    client = issue_leaf("x" * 40, pki.ca, key=new_key("ec"))
    write_file(folder / "xs.crt", client.cert_pem())
    write_file(folder / "xs.key", client.key_pem(), private=True)
    ingress = meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-match-cn": "CN=(x+x+)+y"})
    started = time.perf_counter()
    code, report = check(
        capsys,
        "--manifests",
        write_objects(folder, [secret_manifest(pki), ingress]),
        "--cert",
        str(folder / "xs.crt"),
        "--key",
        str(folder / "xs.key"),
    )
    assert time.perf_counter() - started < 5
    assert "client-cert-cn-rejected" in {f["code"] for f in report["hosts"][0]["findings"]} and code == 1
