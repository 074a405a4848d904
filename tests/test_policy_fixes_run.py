"""The fixes of the host findings about which Ingress reaches the server, the match-CN check
apart from the CA, plain HTTP and the annotation blocklist, run exactly as printed: bash, with
the real kubectl talking to the lab's API server that holds the objects; the objects as kubectl
left them are read again, and the finding must be gone (or, for a command that only shows
something, print it)."""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mtls_tui.certs.issue import issue_ca
from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.objects import meow_ingress, namespace, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.secret_commands import read_key_command
from mtls_tui.shell import pipefail
from mtls_tui.sources.kube import KubeSource
from tests.conftest import require

P = "nginx.ingress.kubernetes.io/"
NOW = datetime.now(UTC)


def finding(objects: list[dict], code: str):
    snapshot = snapshot_from_objects(objects, "fix")
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    report = host_report(policy, snapshot, NOW)
    return next((f for f in report.findings if f.code == code), None), report


@contextlib.contextmanager
def _ran_in_lab(
    fix: str, objects: list[dict], folder: Path
) -> Iterator[tuple[subprocess.CompletedProcess[str], LabCluster, Path]]:
    """The fix in bash, with the real kubectl against a lab API server holding `objects`, still serving."""
    require("kubectl", shutil.which("kubectl"))
    with LabCluster(objects) as cluster:
        kubeconfig = cluster.write_kubeconfig(folder / "kubeconfig")
        done = subprocess.run(
            ["bash", "-c", fix],
            cwd=folder,
            env={**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(folder)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        yield done, cluster, kubeconfig


def run_as_printed(fix: str, objects: list[dict], folder: Path) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    """The fix in bash, with the real kubectl against a lab API server holding `objects`."""
    with _ran_in_lab(fix, objects, folder) as (done, cluster, _):
        return done, cluster.all_objects()


def read_back_as_printed(
    fix: str, objects: list[dict], folder: Path
) -> tuple[subprocess.CompletedProcess[str], ClusterSnapshot]:
    """The same, the objects then read back through the cluster source, as `check` reads a cluster."""
    with _ran_in_lab(fix, objects, folder) as (done, _, kubeconfig):
        source = KubeSource(kubeconfig=str(kubeconfig))
        try:
            return done, source.snapshot()
        finally:
            source.close()


def run_printed(fix: str, objects: list[dict], folder: Path) -> tuple[list[dict], str]:
    done, after = run_as_printed(fix, objects, folder)
    assert done.returncode == 0, f"{fix}\n{done.stderr}"
    return after, done.stdout


def seed_with(pki: SeedPki, ingress: dict, secret_change=None, config: dict[str, str] | None = None) -> list[dict]:
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [ingress]
    if secret_change is not None:
        secret_change(next(o for o in objects if o["kind"] == "Secret"))
    if config is not None:
        objects = [o for o in objects if o["kind"] != "ConfigMap"] + [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                "data": config,
            }
        ]
    return objects


def no_ca(secret: dict) -> None:
    del secret["data"]["ca.crt"]


@pytest.mark.parametrize(
    ("code", "annotations", "secret_change"),
    [
        ("mtls-plain-http", {P + "ssl-redirect": "false"}, None),
        ("mtls-plain-http", {}, "no_tls"),
        ("match-cn-refuses-all", {P + "auth-tls-verify-client": "off", P + "auth-tls-match-cn": "CN=Fern"}, None),
        ("match-cn-refuses-all", {P + "auth-tls-match-cn": "CN=Fern"}, no_ca),
        ("host-canary-only", {P + "canary": "true"}, None),
        ("error-page-loop", {P + "auth-tls-error-page": "https://meow.com/cert-error"}, None),
        ("location-denied", {P + "proxy-ssl-secret": "default/upstream-client"}, None),
        ("location-denied", {P + "auth-type": "basic", P + "auth-secret": "basic-auth"}, None),
        ("location-denied", {P + "auth-type": "basic", P + "auth-secret": "my-certs"}, None),
    ],
)
def test_printed_fix_removes_the_finding(pki: SeedPki, tmp_path: Path, code, annotations, secret_change) -> None:
    ingress = meow_ingress({**meow_ingress()["metadata"]["annotations"], **annotations}, tls=secret_change != "no_tls")
    objects = seed_with(pki, ingress, None if secret_change == "no_tls" else secret_change)
    before, report = finding(objects, code)
    assert report.lead is before  # the finding that explains the headline is the one whose fix is run
    assert before is not None and before.is_command
    (tmp_path / "ca.crt").write_bytes(pki.ca.cert_pem())  # the user's CA file, where a fix names it
    (tmp_path / "auth").write_text("fern:$apr1$Xk1kWmY8$3Zr6r2qZpC5l4m0hX2m3o/\n")  # htpasswd -c auth fern
    after, _ = run_printed(before.fix, objects, tmp_path)
    gone, report = finding(after, code)
    assert gone is None, report.verdict
    if secret_change == "no_tls":  # the host's certificate came with the redirect: the fake one is gone too
        assert finding(after, "tls-section-missing")[0] is None and report.state == "works", report.verdict
    if code == "match-cn-refuses-all":  # fixed by asking for certificates, not by dropping the check
        assert report.policy.client_checks and report.policy.policy.match_cn == "CN=Fern"


def test_blocklist_fix_shows_the_words(pki: SeedPki, tmp_path: Path) -> None:
    objects = seed_with(pki, meow_ingress(), config={"annotation-value-word-blocklist": "my-certs,lua_package"})
    found, report = finding(objects, "annotation-blocklisted")
    assert found is not None and report.state == "broken"
    _, printed = run_printed(found.fix, objects, tmp_path)
    assert printed == "my-certs,lua_package"


def test_blocklist_fix_names_what_the_blocked_annotation_can_change(pki: SeedPki, tmp_path: Path) -> None:
    """A blocked word in auth-tls-match-cn is no Secret's name: the words after the fix say so of that annotation."""
    annotations = {**meow_ingress()["metadata"]["annotations"], P + "auth-tls-match-cn": "CN=Fern"}
    objects = seed_with(pki, meow_ingress(annotations), config={"annotation-value-word-blocklist": "Fern"})
    found, _ = finding(objects, "annotation-blocklisted")
    assert found is not None and "auth-tls-match-cn" in found.title
    assert "Secret" not in found.then and "auth-tls-match-cn's value (a value without 'Fern')" in found.then
    _, printed = run_printed(found.fix, objects, tmp_path)
    assert printed == "Fern"
    objects = seed_with(pki, meow_ingress(), config={"annotation-value-word-blocklist": "my-certs"})
    found, _ = finding(objects, "annotation-blocklisted")
    assert found is not None and "a Secret whose namespace/name holds no 'my-certs'" in found.then


def _two_cas_on_one_host(pki: SeedPki) -> list[dict]:
    """meow-ingress (older: it wins) and other-ingress with another Secret holding another CA."""
    other_ca = issue_ca("Other Cert Authority")
    mine = meow_ingress()
    mine["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    theirs = meow_ingress(
        {P + "auth-tls-verify-client": "on", P + "auth-tls-secret": "default/other-ca"}, name="other-ingress"
    )
    theirs["metadata"]["creationTimestamp"] = "2026-01-02T00:00:00Z"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "other-ca", "namespace": "default"},
        "data": {"ca.crt": base64.b64encode(other_ca.cert_pem()).decode()},
    }
    return seed_with(pki, mine) + [theirs, secret]


def test_conflict_fix_bundles_both_cas_and_stops_when_one_cannot_be_read(pki: SeedPki, tmp_path: Path) -> None:
    """The bundle is read with kubectl before the other Ingress's annotations go: a Secret that
    cannot be read must fail the line (a `kubectl get … | base64 -d` exited 0 with nothing, and
    the chain then dropped the annotations of clients whose CA was never bundled)."""
    objects = _two_cas_on_one_host(pki)
    found, _ = finding(objects, "mtls-host-conflict")
    assert found is not None and "ca-bundle.crt" in found.fix
    after, _ = run_printed(found.fix, objects, tmp_path)
    bundle = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "my-certs")["data"]["ca.crt"]
    assert base64.b64decode(bundle).count(b"BEGIN CERTIFICATE") == 2
    left, _ = finding(after, "mtls-host-conflict")  # one source of truth: only the per-host reminder stays
    assert left is not None and left.severity.value == "warning" and "has no auth-tls annotations" in left.title
    gone = [o for o in objects if o["metadata"].get("name") != "other-ca"]
    (tmp_path / "gone").mkdir()
    done, left = run_as_printed(found.fix, gone, tmp_path / "gone")
    assert done.returncode != 0 and "other-ca" in done.stderr
    other = next(o for o in left if o["kind"] == "Ingress" and o["metadata"]["name"] == "other-ingress")
    assert other["metadata"]["annotations"][P + "auth-tls-secret"] == "default/other-ca"
    kept = next(o for o in left if o["kind"] == "Secret" and o["metadata"]["name"] == "my-certs")["data"]["ca.crt"]
    assert base64.b64decode(kept) == pki.ca.cert_pem()


def test_a_pipe_whose_first_command_fails_stops_the_chain(pki: SeedPki, tmp_path: Path) -> None:
    """shell.pipefail, as the secret-unusable fix prints it around `kubectl get … | sed …`: a read
    that fails fails the line (sed alone would exit 0), and the user's shell keeps its options."""
    pipeline = pipefail(f"{read_key_command('default/gone', 'ca.crt')} | sed -n p")
    done, _ = run_as_printed(f"{pipeline} && echo reached; set -o | grep pipefail", seed_objects(pki), tmp_path)
    assert "reached" not in done.stdout and "gone" in done.stderr
    assert done.stdout.split() == ["pipefail", "off"]
    done, _ = run_as_printed(
        pipefail(f"{read_key_command('default/my-certs', 'ca.crt')} | sed -n p"), seed_objects(pki), tmp_path
    )
    assert done.returncode == 0 and done.stdout.encode() == pki.ca.cert_pem()


def test_add_ca_fix_without_the_file_changes_nothing(pki: SeedPki, tmp_path: Path) -> None:
    """`ca=$(openssl base64 -A -in ca.crt) && kubectl patch …`: no ca.crt file, no patch (inside the patch's
    argument a failed read wrote an empty ca.crt and exited 0)."""
    objects = seed_with(pki, meow_ingress(), no_ca)
    found, report = finding(objects, "secret-missing-ca")
    assert found is not None and report.state == "not enforced"
    done, left = run_as_printed(found.fix, objects, tmp_path)
    assert done.returncode != 0 and "ca.crt" in done.stderr
    assert "ca.crt" not in next(o for o in left if o["kind"] == "Secret")["data"]
    (tmp_path / "ca.crt").write_bytes(pki.ca.cert_pem())
    after, _ = run_printed(found.fix, objects, tmp_path)
    assert finding(after, "secret-missing-ca")[0] is None


def test_rule_without_http_fix_gives_the_ingress_with_paths_the_settings(pki: SeedPki, tmp_path: Path) -> None:
    bare = meow_ingress(name="a-bare")
    bare["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    for rule in bare["spec"]["rules"]:
        rule.pop("http")
    paths = meow_ingress({}, name="b-paths")
    paths["metadata"]["creationTimestamp"] = "2026-01-02T00:00:00Z"
    objects = seed_with(pki, bare) + [paths]
    found, report = finding(objects, "mtls-rule-without-http")
    assert found is not None and report.state == "not enforced"
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "mtls-rule-without-http")
    assert report.policy.client_checks and report.policy.mtls_from.name == "b-paths", report.verdict
    assert gone is not None and gone.severity.value == "warning"  # still named: its own annotations never apply


def test_rule_without_http_alone_is_edited(pki: SeedPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kubectl edit` as printed, with an editor that does what the comment asks (the user's part)."""
    ingress = meow_ingress()
    for rule in ingress["spec"]["rules"]:
        rule.pop("http")
    objects = seed_with(pki, ingress)
    found, _ = finding(objects, "mtls-rule-without-http")
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, yaml\n"
        "doc = yaml.safe_load(open(sys.argv[1]))\n"
        "paths = [{'path': '/', 'pathType': 'Prefix', 'backend': {'service': {'name': 'meow-svc', 'port': {'number': 80}}}}]\n"
        "for rule in doc['spec']['rules']:\n"
        "    rule['http'] = {'paths': paths}\n"
        "yaml.safe_dump(doc, open(sys.argv[1], 'w'))\n"
    )
    monkeypatch.setenv("KUBE_EDITOR", f"{sys.executable} {editor}")
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "mtls-rule-without-http")
    assert gone is None and report.policy.client_checks, report.verdict


@pytest.mark.parametrize(
    ("code", "annotations", "config"),
    [
        (
            "snippet-breaks-nginx",
            {P + "server-snippet": "ssl_verify_client off;"},
            {"annotations-risk-level": "Critical", "allow-snippet-annotations": "true"},
        ),
        ("annotation-too-risky", {P + "configuration-snippet": "add_header X-Team a;"}, {}),
        # the ConfigMap's own snippets: the fix takes the key out of the ConfigMap (kubectl patch --type json)
        ("snippet-breaks-nginx", {}, {"server-snippet": "ssl_verify_client optional;"}),
        ("snippet-breaks-nginx", {}, {"location-snippet": "ssl_verify_client on;", "hsts": "false"}),
    ],
)
def test_snippet_fixes_run_as_printed(pki: SeedPki, tmp_path: Path, code, annotations, config) -> None:
    objects = seed_with(pki, meow_ingress({**meow_ingress()["metadata"]["annotations"], **annotations}), config=config)
    before, _ = finding(objects, code)
    assert before is not None and before.is_command
    after, _ = run_printed(before.fix, objects, tmp_path)
    gone, report = finding(after, code)
    assert gone is None and report.state == "works", report.verdict


def test_forwarded_headers_fix_runs_as_printed(pki: SeedPki, tmp_path: Path) -> None:
    objects = seed_with(pki, meow_ingress(), config={"use-forwarded-headers": "true"})
    before, _ = finding(objects, "mtls-plain-http")
    assert before is not None and "use-forwarded-headers" in before.title
    after, _ = run_printed(before.fix, objects, tmp_path)
    gone, report = finding(after, "mtls-plain-http")
    assert gone is None and report.state == "works", report.verdict


def test_second_controller_fix_gives_its_server_the_client_checks(pki: SeedPki, tmp_path: Path) -> None:
    """Two controllers on meow.com (store.go GetIngressClass: each serves its own class): the printed
    annotate gives the nginx controller's Ingress the same auth-tls, so both servers ask."""
    from tests.test_policy_ingress_nginx import of_class, second_controller

    public = of_class(meow_ingress({}, name="meow-public"), "nginx", "2026-01-01T00:00:00Z")
    secure = of_class(meow_ingress(name="meow-secure"), "internal", "2026-01-02T00:00:00Z")
    objects = seed_with(pki, public) + [secure, *second_controller()]
    found, report = finding(objects, "mtls-other-controller-open")
    assert found is not None and found.severity.value == "error" and found.is_command
    assert report.state == "not enforced"
    after, _ = run_printed(found.fix, objects, tmp_path)
    again, report = finding(after, "mtls-host-conflict")
    assert again is not None and again.severity.value == "info", report.verdict  # both servers ask now
    assert report.policy.client_checks and report.state == "works"


def test_disable_catch_all_fix_removes_the_default_backend(pki: SeedPki, tmp_path: Path) -> None:
    """--disable-catch-all (store.go hasCatchAllIngressRule): the printed JSON patch removes
    spec.defaultBackend; the Ingress is then stored and its auth-tls applies."""
    from mtls_tui.lab.objects import controller_objects
    from tests.test_policy_ingress_nginx import catch_all

    objects = [o for o in seed_with(pki, catch_all(meow_ingress())) if o["kind"] not in ("Deployment", "Pod")]
    objects += [o for o in controller_objects(extra_args=("--disable-catch-all=true",)) if o["kind"] != "IngressClass"]
    found, report = finding(objects, "ingress-catch-all-ignored")
    assert found is not None and report.state == "broken"
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "ingress-catch-all-ignored")
    assert gone is None and report.policy.client_checks, report.verdict
    assert not any("defaultBackend" in o.get("spec", {}) for o in after if o["kind"] == "Ingress")


def test_class_annotation_fix_names_the_controllers_ingress_class(pki: SeedPki, tmp_path: Path) -> None:
    """store.go GetIngressClass compares the annotation with --ingress-class: the printed annotate sets it so."""
    from tests.test_policy_ingress_nginx import by_annotation

    objects = seed_with(pki, by_annotation(meow_ingress(), "nginx-public"))
    found, report = finding(objects, "ingress-class-mismatch")
    assert found is not None and report.state == "broken"
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "ingress-class-mismatch")
    assert gone is None and report.policy.client_checks, report.verdict


def test_server_alias_fix_separates_the_names_with_commas(pki: SeedPki, tmp_path: Path) -> None:
    """alias/main.go ValidateArrayOfServerName: the printed annotate writes the aliases comma-separated."""
    ingress = meow_ingress()
    ingress["metadata"]["annotations"][P + "server-alias"] = "www.meow.com alias.meow.com"
    objects = seed_with(pki, ingress)
    found, report = finding(objects, "annotation-invalid-value")
    assert found is not None and "server-alias" in found.title and report.state == "broken"
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "annotation-invalid-value")
    assert gone is None and report.policy.client_checks, report.verdict


def test_default_backend_only_fix_adds_the_rule(pki: SeedPki, tmp_path: Path) -> None:
    """controller.go getBackendServers applies auth-tls per rule: the printed JSON patch adds a rule for
    the tls: host with the defaultBackend's backend (RFC 6902 copy), and the client checks apply."""
    from tests.test_policy_ingress_nginx import default_backend_only

    objects = seed_with(pki, default_backend_only(meow_ingress()))
    found, report = finding(objects, "mtls-catch-all-unapplied")
    assert found is not None and report.state == "broken"
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "mtls-catch-all-unapplied")
    assert gone is None and report.policy.client_checks and report.state == "works", report.verdict
    [ingress] = [o for o in after if o["kind"] == "Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == ingress["spec"]["defaultBackend"] == {"service": {"name": "meow-svc", "port": {"number": 80}}}


def test_alias_fix_runs_as_printed(pki: SeedPki, tmp_path: Path) -> None:
    wild = meow_ingress(name="wild", host="*.example.com")
    wild["spec"]["tls"][0]["hosts"] = ["*.example.com"]
    other = meow_ingress({P + "server-alias": "x.example.com, docs.other.com"}, name="other", host="other.com")
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [wild, other]
    snapshot = snapshot_from_objects(objects, "fix")
    policy = next(p for p in host_policies(snapshot) if p.host == "*.example.com")
    found = next(f for f in host_report(policy, snapshot, NOW).findings if f.code == "alias-takes-wildcard-names")
    assert found.fix.endswith(f"{P}server-alias=docs.other.com --overwrite")  # the other alias stays
    after, _ = run_printed(found.fix, objects, tmp_path)
    snapshot = snapshot_from_objects(after, "fix")
    policy = next(p for p in host_policies(snapshot) if p.host == "*.example.com")
    report = host_report(policy, snapshot, NOW)
    # the seed's certificate does not name *.example.com (tls-secret-unusable stays); no door any more
    assert "alias-takes-wildcard-names" not in {f.code for f in report.findings}
    assert report.state != "not enforced" and report.policy.client_checks, report.verdict


def test_an_expired_cas_fix_renews_it_and_keeps_its_clients(pki: SeedPki, tmp_path: Path) -> None:
    """The cert-expired fix for a CA, run as printed (openssl in the user's folder, kubectl on the lab):
    the CA is made again from its own key and name, so a client it signed before verifies against the
    new one (openssl verify), and the Secret holds the renewed CA."""
    import base64
    from datetime import timedelta

    from mtls_tui.certs.issue import issue_ca, issue_leaf
    from mtls_tui.lab.pki import write_file

    old = issue_ca("Old CA", days=30, not_before=NOW - timedelta(days=60))
    client = issue_leaf("old-client", old, v1=False, eku=["clientAuth"], days=365, not_before=NOW - timedelta(days=59))
    write_file(tmp_path / "ca.crt", old.cert_pem())
    write_file(tmp_path / "ca.key", old.key_pem(), private=True)
    write_file(tmp_path / "client.crt", client.cert_pem())
    objects = [o for o in seed_objects(pki) if o["kind"] != "Secret"]
    secret = next(o for o in seed_objects(pki) if o["kind"] == "Secret")
    secret["data"] = {"ca.crt": base64.b64encode(old.cert_pem()).decode()}
    objects.append(secret)
    found, _ = finding(objects, "cert-expired")
    assert found is not None and found.fix.startswith("openssl req -x509 -sha256 -new -key ca.key")
    for name in ("server.crt", "server.key"):  # the seed's files the Secret update reads too
        (tmp_path / name).write_bytes(pki.server.cert_pem() if name.endswith("crt") else pki.server.key_pem())
    after, _ = run_printed(found.fix, objects, tmp_path)
    done = subprocess.run(
        ["openssl", "verify", "-CAfile", "ca.crt", "client.crt"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr  # the old client verifies against the renewed CA
    renewed = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "my-certs")
    assert base64.b64decode(renewed["data"]["ca.crt"]) == (tmp_path / "ca.crt").read_bytes()


@pytest.mark.parametrize(
    "annotations",
    [
        {P + "client-body-buffer-size": "10 MB"},  # the value meant: 10m
        {P + "limit-whitelist": "10.0.0.0/8 192.168.0.1"},  # an alias: the key as written, comma-separated
        {P + "fastcgi-index": "index.php?x=1"},  # no value to guess: the annotation is removed
    ],
)
def test_invalid_value_fix_runs_as_printed(pki: SeedPki, tmp_path: Path, annotations) -> None:
    """ingress_nginx.validators: a value whose parser returns its validation error drops the Ingress;
    the printed annotate writes a value the validator takes, or removes the annotation."""
    ingress = meow_ingress({**meow_ingress()["metadata"]["annotations"], **annotations})
    objects = seed_with(pki, ingress)
    found, report = finding(objects, "annotation-invalid-value")
    assert found is not None and report.state == "broken" and report.lead is found, report.verdict
    after, _ = run_printed(found.fix, objects, tmp_path)
    gone, report = finding(after, "annotation-invalid-value")
    assert gone is None and report.policy.client_checks, report.verdict


def test_the_basic_auth_fix_copies_the_htpasswd_lines_to_the_key_auth(pki: SeedPki, tmp_path: Path) -> None:
    """`kubectl create secret generic basic-auth --from-file=htpasswd` stores the lines under `htpasswd`;
    auth/main.go dumpSecretAuthFile reads only `auth`. The printed fix copies them there (the review
    found a fix naming a file `auth` the user does not have)."""
    import base64

    lines = b"fern:$apr1$Xk1kWmY8$3Zr6r2qZpC5l4m0hX2m3o/\n"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "basic-auth", "namespace": "default"},
        "data": {"htpasswd": base64.b64encode(lines).decode()},
    }
    annotations = {
        **meow_ingress()["metadata"]["annotations"],
        P + "auth-type": "basic",
        P + "auth-secret": "basic-auth",
    }
    objects = seed_with(pki, meow_ingress(annotations)) + [secret]
    before, report = finding(objects, "location-denied")
    assert before is not None and report.lead is before and "--from-file=auth=auth" not in before.fix
    after, _ = run_printed(before.fix, objects, tmp_path)
    stored = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "basic-auth")
    assert (
        base64.b64decode(stored["data"]["auth"]) == lines.rstrip(b"\n")
        or base64.b64decode(stored["data"]["auth"]) == lines
    )
    assert finding(after, "location-denied")[0] is None


def test_the_certificate_fixes_run_one_after_another_keep_a_whole_certificate(pki: SeedPki, tmp_path: Path) -> None:
    """The seed's server certificate draws three findings (cert-v1, server-cert-no-san,
    cert-outlives-issuer), each with a re-issue. Run in that order, as printed, with the seed's
    files: the last must not undo the first (the review saw a v1 certificate again, its SAN gone)."""
    import subprocess as sp

    from mtls_tui.lab.pki import write_seed_pki

    write_seed_pki(tmp_path, pki)
    objects = seed_with(pki, meow_ingress())
    fixes = [finding(objects, code)[0] for code in ("cert-v1", "server-cert-no-san", "cert-outlives-issuer")]
    fixes = [f for f in fixes if f is not None and f.subject.endswith("key tls.crt")]
    assert len(fixes) == 3, [f.code for f in fixes]
    for fix in fixes:
        objects, _ = run_printed(fix.fix, objects, tmp_path)
    text = sp.run(
        ["openssl", "x509", "-in", str(tmp_path / "server.crt"), "-noout", "-text"], capture_output=True, text=True
    ).stdout
    assert "Version: 3" in text and "DNS:meow.com" in text and "TLS Web Server Authentication" in text, text


def test_the_client_certificate_fixes_run_one_after_another_keep_a_whole_certificate(
    pki: SeedPki, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The seed's client certificate draws cert-v1 and cert-outlives-issuer: run in that order, as
    printed from one listing, the second must keep what the first gave (v3, clientAuth), and the
    certificate then ends before its CA (the review saw a v1 certificate again)."""
    import json

    from mtls_tui.cli import main
    from mtls_tui.lab.pki import write_seed_pki

    write_seed_pki(tmp_path, pki)
    main(["inspect", "--ca", str(tmp_path / "ca.crt"), "--cert", str(tmp_path / "client.crt"), "--json"])
    found = {f["code"]: f for f in json.loads(capsys.readouterr().out)["findings"] if "client" in f["subject"]}
    fixes = [found[code]["fix"] for code in ("cert-v1", "cert-outlives-issuer")]
    for fix in fixes:
        done = subprocess.run(["bash", "-c", fix], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (fix, done.stderr)
    text = subprocess.run(
        ["openssl", "x509", "-in", str(tmp_path / "client.crt"), "-noout", "-text"], capture_output=True, text=True
    ).stdout
    assert "Version: 3" in text and "TLS Web Client Authentication" in text, text
    main(["inspect", "--ca", str(tmp_path / "ca.crt"), "--cert", str(tmp_path / "client.crt"), "--json"])
    left = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"] if "client" in f["subject"]}
    assert not left & {"cert-v1", "cert-outlives-issuer"}, left


# --- the other parsers' location denials (mtls_tui/policy/ingress_nginx/denials.py) ---------------------

AUTH_URL = "http://auth.auth.svc.cluster.local/verify"


def _config_map(name: str, data: dict[str, str], namespace: str = "default") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data}


@pytest.mark.parametrize(
    ("annotations", "extra", "config"),
    [
        ({"auth-url": "https://invalid..auth.url"}, [], None),  # E2E auth.go's invalid auth-url
        ({"auth-url": "/oauth2/auth"}, [], None),
        ({"auth-url": "http:/"}, [], None),  # nothing to guess: removed
        ({"auth-url": AUTH_URL, "auth-method": "get"}, [], None),
        ({"auth-url": AUTH_URL, "auth-cache-duration": "200 202 401, 403 1m"}, [], None),
        ({"auth-url": AUTH_URL, "auth-response-headers": "X-User;X-Email"}, [], None),
        (
            {"auth-url": AUTH_URL, "auth-proxy-set-headers": "auth-headers"},
            [_config_map("auth-headers", {"X-A": "1", "Bad Key": "x"})],
            None,
        ),
        (
            {"auth-url": AUTH_URL, "auth-proxy-set-headers": "other/auth-headers"},
            [namespace("other"), _config_map("auth-headers", {"X-A": "1"}, "other")],
            None,
        ),
        ({"allowlist-source-range": "10.0.0.0/8 192.168.0.0/16"}, [], None),
        ({"allowlist-source-range": "office"}, [], None),
        ({"allowlist-source-range": ""}, [], None),  # empty is InvalidContent: denied (an empty alias is not read)
        ({"whitelist-source-range": "office"}, [], None),
        ({"denylist-source-range": "192.0.2.0/24;198.51.100.0/24"}, [], None),
        ({"custom-headers": "default/custom"}, [], None),  # E2E customheaders.go: no such ConfigMap
        ({"custom-headers": "custom"}, [_config_map("custom", {"X-A": "42"})], None),  # no controller ConfigMap yet
        (
            {"custom-headers": "default/custom"},
            [_config_map("custom", {"X-A": "42", "Bad Name": "x", "X-B": "é"})],
            {"global-allowed-response-headers": "X-Z"},
        ),
        ({"fastcgi-params-configmap": "fcgi"}, [], None),
        ({"fastcgi-params-configmap": "a/b/fcgi"}, [_config_map("fcgi", {"SCRIPT_FILENAME": "/app/index.php"})], None),
        ({"allowlist-source-range": "office", "auth-url": "auth.example.com/verify"}, [], None),  # both, one fix
    ],
)
def test_denial_fixes_run_as_printed(pki: SeedPki, tmp_path: Path, annotations, extra, config) -> None:
    """Each location denial's fix, run in bash as printed against the lab's API server, then the
    cluster read back as `check` reads one (the Secrets and ConfigMaps the rules name are read):
    the finding is gone."""
    given = {**meow_ingress()["metadata"]["annotations"], **{P + k: v for k, v in annotations.items()}}
    objects = seed_with(pki, meow_ingress(given), config=config) + extra
    before, report = finding(objects, "location-denied")
    assert before is not None and report.lead is before and before.is_command, report.verdict
    assert " #" not in before.fix, before.fix  # no comment tail: zsh's interactive default runs `#` as a word
    done, snapshot = read_back_as_printed(before.fix, objects, tmp_path)
    assert done.returncode == 0, f"{before.fix}\n{done.stderr}"
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    after = host_report(policy, snapshot, NOW)
    assert "location-denied" not in {f.code for f in after.findings}, (before.fix, after.verdict)


def test_the_client_re_sign_fix_makes_the_key_it_names_when_none_was_given(
    pki: SeedPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check --cert client-other.crt` with no --key, and no key beside it: the re-sign fix once named
    client-other.key, a file that is not there (openssl req: "Could not open file"). Run as printed in a
    folder holding only that certificate and the CA's files, it makes the key (0600, as openssl writes
    private keys), a certificate for it that the CA signed, and `then` names that key for curl."""
    import json
    import stat

    import yaml

    from mtls_tui.certs.issue import issue_leaf
    from mtls_tui.cli import main

    other = issue_leaf("Other", issue_ca("Other CA"), v1=False, eku=["clientAuth"])
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "client-other.crt").write_bytes(other.cert_pem())
    (folder / "ca.crt").write_bytes(pki.ca.cert_pem())
    (folder / "ca.key").write_bytes(pki.ca.key_pem())
    (folder / "ca.key").chmod(0o600)
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump_all(seed_objects(pki)))
    monkeypatch.chdir(folder)

    def client_findings(*extra: str) -> dict[str, dict]:
        main(["check", "--manifests", str(seed), "--no-probe", "--json", "--cert", "client-other.crt", *extra])
        (host,) = [h for h in json.loads(capsys.readouterr().out)["hosts"] if h["host"] == "meow.com"]
        return {f["code"]: f for f in host["findings"]}

    untrusted = client_findings()["client-cert-untrusted"]
    assert untrusted["fix"].startswith("openssl genpkey "), untrusted["fix"]
    assert "curl --cert client-other.crt --key client-other.key" in untrusted["then"], untrusted["then"]
    done = subprocess.run(["bash", "-c", untrusted["fix"]], cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (untrusted["fix"], done.stderr)
    assert stat.S_IMODE((folder / "client-other.key").stat().st_mode) == 0o600
    after = client_findings("--key", "client-other.key")
    assert "client-cert-accepted" in after and "client-cert-untrusted" not in after, sorted(after)
    assert "key-mismatch" not in " ".join(after), sorted(after)


def test_inspect_names_the_key_beside_the_certificate_and_makes_it_when_none_is_there(
    pki: SeedPki, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`inspect --ca ../ca/ca.crt --cert mine.crt` named `../ca/client.key` in its re-sign fix: client.key
    beside the first input, there or not, and not this certificate's key (`check` no longer guessed so).
    As `check` does, the key is the one named like the certificate, beside it: named when it is there,
    made by the fix when it is not (run as printed here), and never printed."""
    import json
    import stat

    from mtls_tui.certs.issue import issue_leaf
    from mtls_tui.cli import main

    authority, user = tmp_path / "ca", tmp_path / "user"
    authority.mkdir()
    user.mkdir()
    (authority / "ca.crt").write_bytes(pki.ca.cert_pem())
    (authority / "ca.key").write_bytes(pki.ca.key_pem())
    (authority / "client.key").write_bytes(pki.client.key_pem())  # the old guess: there, and another's key
    for path in (authority / "ca.key", authority / "client.key"):
        path.chmod(0o600)
    other_ca = issue_ca("Other CA")
    for name in ("mine", "yours"):
        leaf = issue_leaf("Other", other_ca, v1=False, eku=["clientAuth"])
        (user / f"{name}.crt").write_bytes(leaf.cert_pem())
    (user / "yours.key").write_bytes(leaf.key_pem())  # yours.crt's key, beside it
    (user / "yours.key").chmod(0o600)
    monkeypatch.chdir(user)

    def client_findings(cert: str, *extra: str) -> dict[str, dict]:
        main(["inspect", "--ca", str(authority / "ca.crt"), "--cert", cert, "--json", *extra])
        out = capsys.readouterr().out
        assert "PRIVATE KEY" not in out
        return {f["code"]: f for f in json.loads(out)["findings"]}

    beside = client_findings("yours.crt")["client-cert-untrusted"]["fix"]
    assert beside.startswith("openssl req -new -key yours.key ") and "client.key" not in beside, beside
    untrusted = client_findings("mine.crt")["client-cert-untrusted"]
    assert untrusted["fix"].startswith("openssl genpkey ") and "client.key" not in untrusted["fix"], untrusted["fix"]
    assert "curl --cert mine.crt --key mine.key" in untrusted["then"], untrusted["then"]
    done = subprocess.run(["bash", "-c", untrusted["fix"]], cwd=user, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (untrusted["fix"], done.stderr)
    assert stat.S_IMODE((user / "mine.key").stat().st_mode) == 0o600
    after = client_findings("mine.crt", "--key", "mine.key")
    assert "client-cert-accepted" in after and "client-cert-untrusted" not in after, sorted(after)
    assert "key-mismatch" not in " ".join(after), sorted(after)
