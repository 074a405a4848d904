"""What the Certificates and Ingress & Secret tabs show, computed without a screen from the
lab's own PKI, objects and scenarios (diagnose/views.py)."""

from __future__ import annotations

import copy
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.issue import issue_ca, issue_crl, issue_intermediate, issue_leaf, new_key
from mtls_tui.certs.load import Material, load_material
from mtls_tui.diagnose.hosts import HostReport, host_report
from mtls_tui.diagnose.views import (
    AnnotationRow,
    Fact,
    Problem,
    certificate_facts,
    certificates_view,
    describe_secret_value,
    ingress_view,
)
from mtls_tui.lab.objects import meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.lab.scenarios import SCENARIOS, Client
from mtls_tui.model import ClusterSnapshot, ProbeResult, SecretProblem, Severity
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects

P = "nginx.ingress.kubernetes.io/"


def now() -> datetime:
    """Read at each use: the scenarios issue their certificates when a test runs, minutes after import."""
    return datetime.now(UTC)


def diagnosed(
    objects: list[dict], client: Material | None = None, probe: list[ProbeResult] | None = None, **snapshot_changes
) -> tuple[HostReport, ClusterSnapshot]:
    snapshot = snapshot_from_objects(objects, "test")
    if snapshot_changes:
        from dataclasses import replace

        snapshot = replace(snapshot, **snapshot_changes)
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    return host_report(policy, snapshot, now(), client=client, probe=probe), snapshot


def client_file(client: Client, name: str = "lab-client.crt") -> Material:
    return load_material(client.cert_pem, f"/workshop/fern/{name}")


def scenario(name: str, pki: SeedPki) -> tuple[HostReport, ClusterSnapshot, Material | None]:
    objects, client = SCENARIOS[name].build(pki)
    material = client_file(client) if client.chain else None
    report, snapshot = diagnosed(objects, material)
    return report, snapshot, material


def test_the_seed_secret_s_certificates_with_their_marks(pki: SeedPki, openssl_binary: str, tmp_path: Path) -> None:
    report, _, client = scenario("healthy", pki)
    view = certificates_view(report, client, now())
    secret = view.groups[0]
    assert (secret.kind, secret.title) == ("secret", "Secret default/my-certs")
    ca, server = secret.certificates
    assert (ca.name, ca.role, ca.subject) == ("ca.crt", "CA", "CN=Fern Cert Authority")
    assert (server.name, server.role, server.subject) == ("tls.crt", "server", "CN=meow.com")
    assert ca.problems == () and not ca.expanded  # nothing wrong: folded, so a small screen opens on what is
    assert {Problem("cert-v1", Severity.WARNING), Problem("server-cert-no-san", Severity.WARNING)} <= set(
        server.problems
    )
    assert server.worst is Severity.WARNING and server.expanded
    facts = {f.label: f.value for f in server.facts}
    assert facts["Issuer"] == "CN=Fern Cert Authority" and facts["Version"] == "v1 (no extensions)"
    assert facts["SAN"] == "none" and facts["EKU"] == "none" and facts["Key"] == "RSA 2048"
    assert {f.label: f.value for f in ca.facts}["Issuer"] == "CN=Fern Cert Authority  (self-signed)"
    (tmp_path / "server.crt").write_bytes(pki.server.cert_pem())
    printed = subprocess.run(
        [openssl_binary, "x509", "-in", str(tmp_path / "server.crt"), "-noout", "-fingerprint", "-sha256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert facts["SHA-256"] == printed.strip().split("=", 1)[1]  # the whole fingerprint: the pane cuts it to its width


def test_the_client_chain_nginx_accepts(pki: SeedPki) -> None:
    report, _, client = scenario("healthy", pki)
    group = certificates_view(report, client, now()).groups[1]
    assert (group.kind, group.title, group.accepted) == ("client", "lab-client.crt", True)
    assert group.facts == (Fact("File", "/workshop/fern/lab-client.crt"),)
    assert "client-cert-accepted" not in {p.code for p in group.problems}  # a verdict, not a problem
    assert [(c.name, c.role, c.subject) for c in group.certificates] == [("leaf", "client", "CN=Fern")]


def test_a_client_from_another_ca_is_marked_with_nginx_s_refusal(pki: SeedPki) -> None:
    report, _, client = scenario("wrong-ca", pki)
    group = certificates_view(report, client, now()).groups[1]
    assert not group.accepted and group.worst is Severity.ERROR
    assert group.problems[0] == Problem("client-cert-untrusted", Severity.ERROR)
    assert group.certificates[0].expanded


def test_a_sent_intermediate_is_shown_under_the_leaf(pki: SeedPki) -> None:
    report, _, client = scenario("depth-too-small", pki)
    names = [(c.name, c.role) for c in certificates_view(report, client, now()).groups[1].certificates]
    assert names[0] == ("leaf", "client") and names[1:] and set(names[1:]) == {("sent", "intermediate")}


def test_validity_in_words_and_an_expired_certificate_as_an_alarm(pki: SeedPki) -> None:
    report, _, client = scenario("expired-client", pki)
    leaf = certificates_view(report, client, now()).groups[1].certificates[0]
    valid = next(f for f in leaf.facts if f.label == "Valid")
    assert valid.alarm and re.fullmatch(
        r"EXPIRED 3[45] days ago \(\d{4}-\d\d-\d\d\)", valid.value
    )  # 400 days ago, for 365
    assert "cert-expired" in {p.code for p in certificates_view(report, client, now()).groups[1].problems}
    future = issue_leaf("Fern", pki.ca, not_before=now() + timedelta(days=3), days=30)
    early = next(f for f in certificate_facts(cert_facts(future.cert), now()) if f.label == "Valid")
    assert early.alarm and early.value.startswith("not before") and "(3 days from now)" in early.value
    fresh = next(f for f in certificate_facts(cert_facts(pki.server.cert), now()) if f.label == "Valid")
    assert not fresh.alarm and fresh.value.endswith("days left)")


def test_an_ec_key_is_named_with_its_curve(pki: SeedPki) -> None:
    ec = issue_leaf("meow.com", pki.ca, key=new_key("ec"))
    assert Fact("Key", "EC 256 secp256r1") in certificate_facts(cert_facts(ec.cert), now())


def test_what_the_server_presented_to_the_probe(pki: SeedPki) -> None:
    answer = ProbeResult(
        label="with client certificate",
        url="https://meow.com:8443/",
        connect_to="127.0.0.1:8443",
        sni="meow.com",
        host_header="meow.com:8443",
        sent_client_cert=True,
        user_agent="mtls-tui",
        verified_server=False,
        server_cert=cert_facts(pki.server.cert),
        status=200,
    )
    report, _ = diagnosed(seed_objects(pki), probe=[answer])
    probe = certificates_view(report, None, now()).groups[-1]
    assert probe.kind == "probe" and probe.facts == (Fact("URL", "https://meow.com:8443/"), Fact("SNI", "meow.com"))
    assert [(c.name, c.subject, c.problems, c.expanded) for c in probe.certificates] == [
        ("presented", "CN=meow.com", (), False)
    ]


def test_a_certificate_is_grouped_under_the_secret_it_came_from(pki: SeedPki) -> None:
    """The auth-tls Secret and the tls: Secret differ: each certificate sits under its own."""
    objects = copy.deepcopy(seed_objects(pki))
    secret = next(o for o in objects if o["kind"] == "Secret")
    tls = {**copy.deepcopy(secret), "metadata": {"name": "meow-tls", "namespace": "default"}}
    del tls["data"]["ca.crt"]
    del secret["data"]["tls.crt"], secret["data"]["tls.key"]
    objects = [o for o in objects if o["kind"] != "Ingress"] + [
        tls,
        meow_ingress({P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "on"}),
    ]
    objects[-1]["spec"]["tls"][0]["secretName"] = "meow-tls"
    report, _ = diagnosed(objects)
    groups = {g.title: [c.name for c in g.certificates] for g in certificates_view(report, None, now()).groups}
    assert groups == {"Secret default/my-certs": ["ca.crt"], "Secret default/meow-tls": ["tls.crt"]}


def test_the_refused_secret_s_certificate_sits_under_the_refused_secret(pki: SeedPki) -> None:
    """A private key pasted into ca.crt: the controller refuses the Secret (no mTLS policy), and
    what it refused is what the user must see, under its own name."""
    import base64

    refused = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "bad-certs", "namespace": "default"},
        "data": {"ca.crt": base64.b64encode(pki.ca.cert_pem() + pki.ca.key_pem()).decode()},
    }
    objects = [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [
        refused,
        meow_ingress({P + "auth-tls-secret": "default/bad-certs", P + "auth-tls-verify-client": "on"}),
    ]
    report, snapshot = diagnosed(objects)
    assert report.policy.denied_secret == "default/bad-certs" and report.policy.policy is None
    groups = {g.title: [c.name for c in g.certificates] for g in certificates_view(report, None, now()).groups}
    assert groups == {"Secret default/bad-certs": ["ca.crt"], "Secret default/my-certs": ["tls.crt"]}
    assert [(s.ref, s.roles) for s in ingress_view(report, snapshot).secrets] == [
        ("default/bad-certs", ("refused auth-tls",)),
        ("default/my-certs", ("TLS",)),
    ]
    rows = ingress_view(report, snapshot).annotations[0].rows
    assert {row.use for row in rows} == {"unused"}  # the controller configures no client checks from them


def test_annotations_with_the_value_the_controller_uses(pki: SeedPki) -> None:
    ingress = meow_ingress(
        {
            P + "auth-tls-secret": "default/my-certs",
            P + "auth-tls-verify-client": "yes",
            P + "auth-tls-verify-depth": "0",
            P + "auth-tls-pass-certificate-to-upstream": "true",
            "nginx.org/ssl-verify-client": "on",
            "kubernetes.io/ingress.class": "nginx",
        }
    )
    report, snapshot = diagnosed([o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [ingress])
    (only,) = ingress_view(report, snapshot).annotations
    assert only.ingress == "default/meow-ingress" and only.configures_mtls
    rows = {row.name: row for row in only.rows}
    assert rows["auth-tls-secret"] == AnnotationRow(
        "auth-tls-secret", "default/my-certs", "as-written", "default/my-certs"
    )
    assert rows["auth-tls-verify-client"] == AnnotationRow("auth-tls-verify-client", "yes", "rewritten", "on")
    assert rows["auth-tls-verify-depth"] == AnnotationRow("auth-tls-verify-depth", "0", "rewritten", "1")
    assert rows["auth-tls-pass-certificate-to-upstream"].use == "as-written"
    assert rows["nginx.org/ssl-verify-client"].use == "not-read"  # F5's controller's prefix
    assert rows["kubernetes.io/ingress.class"].use == "as-written"  # the class annotation is read


def test_the_auth_tls_settings_of_an_ingress_that_does_not_win_are_unused(pki: SeedPki) -> None:
    later = meow_ingress(
        {P + "auth-tls-secret": "default/my-certs", P + "auth-tls-verify-client": "optional"}, name="meow-later"
    )
    later["metadata"]["creationTimestamp"] = "2026-06-02T00:00:00Z"  # the oldest Ingress wins
    objects = seed_objects(pki)
    next(o for o in objects if o["kind"] == "Ingress")["metadata"]["creationTimestamp"] = "2026-06-01T00:00:00Z"
    report, snapshot = diagnosed(objects + [later])
    by_ingress = {i.ingress: i for i in ingress_view(report, snapshot).annotations}
    assert by_ingress["default/meow-ingress"].configures_mtls and not by_ingress["default/meow-later"].configures_mtls
    assert {row.use for row in by_ingress["default/meow-later"].rows} == {"unused"}


def test_the_secret_s_keys_and_what_they_hold(pki: SeedPki) -> None:
    report, snapshot, _ = scenario("revoked-client", pki)
    (secret,) = ingress_view(report, snapshot).secrets
    assert (secret.ref, secret.roles, secret.problem) == ("default/my-certs", ("auth-tls", "TLS"), None)
    holds = {row.key: row.holds for row in secret.keys}
    assert holds["ca.crt"] == "1 certificate" and holds["tls.key"] == "private key (not shown)"
    assert holds["ca.crl"].startswith("CRL of CN=Fern Cert Authority: 1 revoked, next update ")
    sizes = {row.key: row.size for row in secret.keys}
    assert sizes["ca.crt"] == len(pki.ca.cert_pem())


def test_a_secret_that_could_not_be_read_says_why(pki: SeedPki) -> None:
    objects = [o for o in seed_objects(pki) if o["kind"] != "Secret"]
    problem = SecretProblem("default/my-certs", "forbidden", 'secrets "my-certs" is forbidden: cannot get')
    report, snapshot = diagnosed(objects, secret_problems=(problem,))
    (secret,) = ingress_view(report, snapshot).secrets
    assert secret.keys == () and secret.problem == problem.message
    report, snapshot = diagnosed(objects)
    assert ingress_view(report, snapshot).secrets[0].problem == "not found"


def test_secret_values_are_described_never_shown(pki: SeedPki) -> None:
    chain = issue_intermediate("Sub CA", pki.ca)
    assert describe_secret_value(pki.ca.cert_pem() + chain.cert_pem()) == "2 certificates"
    assert describe_secret_value(pki.client.key_pem()) == "private key (not shown)"
    assert describe_secret_value(pki.ca.cert.public_bytes(Encoding.DER)) == "other data"
    assert describe_secret_value(b"") == "empty"
    assert (
        describe_secret_value(b"-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n")
        == "CRL (does not parse)"
    )
    other = issue_ca("Other Cert Authority")
    two = issue_crl(pki.ca, [pki.client.cert]) + issue_crl(other)
    assert describe_secret_value(two).count(
        "CRL of"
    ) == 2 and "CN=Other Cert Authority: 0 revoked" in describe_secret_value(two)
