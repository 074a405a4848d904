"""Evidence says what the objects say: `ssl-redirect: "false"`, a tls: entry as the Ingress writes
it, annotations by their names; never Python's True/False/None, a tuple or a dict's repr, which a
user cannot grep the cluster for. Each case builds the objects that make the finding."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest

from mtls_tui.certs.issue import issue_ca
from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.objects import controller_objects, meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import Finding
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects

P = "nginx.ingress.kubernetes.io/"
PYTHON_WORDS = re.compile(r"(?<![=\w])(True|False|None)\b|[\[(]\(|\{'|\('|\['")


def findings(objects: list[dict], code: str) -> list[Finding]:
    snapshot = snapshot_from_objects(objects, "evidence")
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    return [f for f in host_report(policy, snapshot, datetime.now(UTC)).findings if f.code == code]


def with_ingresses(pki: SeedPki, *ingresses: dict) -> list[dict]:
    return [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + list(ingresses)


def other_ca_secret() -> dict:
    ca = base64.b64encode(issue_ca("Other Cert Authority").cert_pem()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "other-ca", "namespace": "default"},
        "data": {"ca.crt": ca},
    }


def plain_http(pki: SeedPki) -> list[dict]:
    return with_ingresses(pki, meow_ingress({**meow_ingress()["metadata"]["annotations"], P + "ssl-redirect": "false"}))


def tls_for_another_host(pki: SeedPki) -> list[dict]:
    ingress = meow_ingress()
    ingress["spec"]["tls"] = [{"hosts": ["other.com"], "secretName": "my-certs"}]
    return with_ingresses(pki, ingress)


def two_cas(pki: SeedPki) -> list[dict]:
    mine = meow_ingress(name="a-first")
    mine["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    theirs = meow_ingress(
        {
            P + "auth-tls-secret": "default/other-ca",
            P + "auth-tls-verify-depth": "2",
            P + "auth-tls-match-cn": "CN=Fern",
        },
        name="b-second",
    )
    theirs["metadata"]["creationTimestamp"] = "2026-01-02T00:00:00Z"
    return with_ingresses(pki, mine, theirs) + [other_ca_secret()]


def old_release_match_cn(pki: SeedPki) -> list[dict]:
    """v1.9.1–v1.9.5 took only plain characters after CN= (commonNameRegex): `\\d` compiles in RE2."""
    objects = [o for o in plain_http(pki) if o["kind"] not in ("Deployment", "Pod", "IngressClass", "Ingress")]
    objects += controller_objects(image="registry.k8s.io/ingress-nginx/controller:v1.9.3")
    return objects + [
        meow_ingress({**meow_ingress()["metadata"]["annotations"], P + "auth-tls-match-cn": "CN=Fern\\d"})
    ]


@pytest.mark.parametrize(
    ("build", "code", "said"),
    [
        (plain_http, "mtls-plain-http", 'default/meow-ingress: ssl-redirect: "false", force-ssl-redirect: "false"'),
        (tls_for_another_host, "tls-section-missing", 'tls: [{"hosts": ["other.com"], "secretName": "my-certs"}]'),
        (
            two_cas,
            "mtls-host-conflict",
            'ignored: default/b-second: auth-tls-secret: "default/other-ca", auth-tls-verify-client: "on", '
            'auth-tls-verify-depth: "2", auth-tls-match-cn: "CN=Fern"',
        ),
    ],
)
def test_evidence_is_written_as_the_objects_write_it(pki: SeedPki, build, code: str, said: str) -> None:
    [finding] = findings(build(pki), code)
    assert said in finding.evidence, finding.evidence
    for text in (finding.title, finding.detail, *finding.evidence):
        assert PYTHON_WORDS.search(text) is None, text


def test_an_old_release_refusing_match_cn_says_why(pki: SeedPki) -> None:
    """RE2 compiles `Fern\\d`; v1.9.3's charset refuses the backslash: the reason is that, not None."""
    [finding] = [f for f in findings(old_release_match_cn(pki), "annotation-invalid-value") if "match-cn" in f.title]
    assert "commonNameRegex of v1.9.1–v1.9.5" in finding.detail and PYTHON_WORDS.search(finding.detail) is None
