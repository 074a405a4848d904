"""More field reports, reproduced as tests/test_field_reports.py reproduces its 28 (same method,
same helpers): real failure reports found with the search tool (GitHub issue threads), the cause
taken from the thread (a maintainer's answer, or the reporter's confirmed fix), rebuilt with real
certificates and the Kubernetes objects the report shows, diagnosed as a user runs the tool
(`mtls-tui check --manifests … --cert … --key … --json`), held to a real nginx rendered as
ingress-nginx renders those objects, and fixed by running the printed fix as printed (kubectl
against the lab's API server). The successors' reports (Traefik, Envoy Gateway, F5) have no data
plane here to answer: the re-check after the printed fix is what accepts.

Reports (each test's docstring gives its URL and the cause):
- https://github.com/kubernetes/ingress-nginx/issues/4911 (pass-certificate read from the first Ingress only)
- https://github.com/kubernetes/ingress-nginx/issues/6413 (pass-certificate without auth-tls-secret)
- https://github.com/kubernetes/ingress-nginx/issues/10285 (optional_no_ca without auth-tls-secret)
- https://github.com/kubernetes/ingress-nginx/issues/9250 (match-CN answers plain HTTP 403)
- https://github.com/kubernetes/ingress-nginx/issues/10185 (match-CN blocks the ACME HTTP-01 challenge)
- https://github.com/kubernetes/ingress-nginx/issues/4725 (the root in ca.crt admits sibling intermediates)
- https://github.com/kubernetes/ingress-nginx/issues/3106 (the CA stored under the key ca-chain.cert.pem)
- https://github.com/traefik/traefik/issues/8511 and https://github.com/traefik/traefik/pull/7068
  (Traefik before v2.5 reads tls.ca only)
- https://github.com/envoyproxy/gateway/issues/7608 (an expired CA first in the bundle: every route 500)
- https://github.com/nginx/kubernetes-ingress/issues/1458 (ingressMTLS without -enable-preview-policies: 500)
- https://github.com/nginx/kubernetes-ingress/issues/9147 (ingressMTLS optional_no_ca still needs clientCertSecret)
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mtls_tui.certs.issue import issue_ca, issue_intermediate
from mtls_tui.cli import main
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.cluster import resources as lab_resources
from mtls_tui.lab.environment import gateway_hosts
from mtls_tui.lab.gateway import Gateway
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.objects import namespace
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy
from mtls_tui.policy.nginx_answers import CN_REFUSED
from mtls_tui.policy.nginx_directives import server_directives
from tests.conftest import require
from tests.test_crd_refusals import EXTRA, serve
from tests.test_field_reports import (
    NOW,
    Case,
    Field,
    World,
    accepted,
    attempt,
    ca,
    case_registry,
    cli_json,
    client,
    codes,
    ec,
    first_error,
    fqdn,
    ingress,
    mtls,
    pem,
    secret,
    sh,
    user_files,
)

pytestmark = [pytest.mark.nginx, pytest.mark.openssl_cli]

P = "nginx.ingress.kubernetes.io/"
BUILDERS, builds = case_registry(Case)


def echoed(report: dict, header: str) -> str | None:
    """What the upstream got in `header` on the request with the client certificate (None: no such header)."""
    return attempt(report, True)["echo"].get(header)


def printed_fixes(report: dict) -> set[str]:
    """Every command the report prints to change something: each must be the one a test runs. The probe's
    findings print a command that looks (`kubectl get … | grep …`); `looked_up` runs those."""
    return {f["fix"] for f in report["findings"] if f["fix"] and not f["code"].startswith("probe-")}


def looked_up(field: Field, folder: Path, report: dict, objects: list[dict]) -> None:
    """The probe findings' commands, as printed, against the lab's API server holding the objects: they run
    (exit 0) and change nothing."""
    for command in {f["fix"] for f in report["findings"] if f["fix"] and f["code"].startswith("probe-")}:
        assert command.startswith("kubectl get "), command
        after = field.fix_objects(command, folder, objects)
        assert sorted(map(json.dumps, (_spec(o) for o in after if o["kind"] == "Ingress"))) == sorted(
            map(json.dumps, (_spec(o) for o in objects if o["kind"] == "Ingress"))
        )


def _spec(obj: dict) -> dict:
    return {"name": obj["metadata"]["name"], "annotations": obj["metadata"].get("annotations"), "spec": obj["spec"]}


def secret_data(case: Case, name: str, key: str) -> bytes:
    """A key of one of the case's Secrets, decoded."""
    found = next(o for o in case.objects if o["kind"] == "Secret" and o["metadata"]["name"] == name)
    return base64.b64decode(found["data"][key])


# --- the cases nginx serves -------------------------------------------------------------------------


@builds("pshadow")
def _pshadow(world: World, name: str) -> Case:
    """Two Ingresses for one host, one CA: the older one without pass-certificate, the newer one with it."""
    authority = ca("PShadow Client CA")
    host = fqdn(name)
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-pshadow", {"ca.crt": authority.cert_pem()}),
            ingress("pshadow-a", mtls("default/ca-pshadow"), host=host, path="/a", created="2026-01-01T00:00:00Z"),
            ingress(
                "pshadow-b",
                mtls("default/ca-pshadow", pass_certificate_to_upstream="true"),
                host=host,
                path="/b",
                created="2026-02-01T00:00:00Z",
            ),
        ],
        user_files(client("client", authority)),
    )


@builds("pns")
def _pns(world: World, name: str) -> Case:
    """The report's annotations: pass-certificate and an HTTPS backend, no auth-tls-secret; the user keeps its CA (ca.crt)."""
    authority = ca("PNS Client CA")
    annotations = {P + "auth-tls-pass-certificate-to-upstream": "true", P + "backend-protocol": "HTTPS"}
    return Case(
        name,
        world.cluster() + [ingress(name, annotations)],
        user_files(client("client", authority), authority=authority),
    )


@builds("nca")
def _nca(world: World, name: str) -> Case:
    """optional_no_ca without a CA; the reporter's way out: "we provided a self siged ca" (ca.crt), signing nobody."""
    partner = ca("Partner CA")
    placeholder = ca("Placeholder CA")
    annotations = {P + "auth-tls-verify-client": "optional_no_ca", P + "auth-tls-pass-certificate-to-upstream": "true"}
    files = {**user_files(client("partner-client", partner)), "ca.crt": placeholder.cert_pem()}
    return Case(name, world.cluster() + [ingress(name, annotations)], files)


@builds("mcn")
def _mcn(world: World, name: str) -> Case:
    authority = ca("MCN Client CA")
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-mcn", {"ca.crt": authority.cert_pem()}),
            # "Nginx don't verify client cert for http requests": the host serves plain HTTP as well
            ingress(name, {**mtls("default/ca-mcn", match_cn="CN=client"), P + "ssl-redirect": "false"}),
        ],
        user_files(client("client", authority)),
    )


@builds("acme")
def _acme(world: World, name: str) -> Case:
    """The report's regex, cert-manager's issuer annotation, and its HTTP-01 solver Ingress on the same host."""
    authority = ca("ACME Client CA")
    protected = ingress(name, mtls("default/ca-acme", match_cn="CN=(foo|bar|baz|)"))
    protected["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] = "letsencrypt"
    solver = ingress(
        "cm-acme-http-solver-x7k2p",
        {P + "whitelist-source-range": "0.0.0.0/0,::/0"},
        host=fqdn(name),
        tls=False,
        path="/.well-known/acme-challenge/Fz0o1vKXl3",
    )
    return Case(
        name,
        world.cluster() + [secret("ca-acme", {"ca.crt": authority.cert_pem()}), protected, solver],
        user_files(client("foo", authority)),
    )


@builds("sib")
def _sib(world: World, name: str) -> Case:
    """Root → OU1 CA (the clients meant) and Root → OU2 CA (another OU's); ca.crt lists OU1 CA and the Root."""
    root = ca("Corp Root CA")
    ou1 = issue_intermediate("OU1 Issuing CA", root, key=ec(), days=380)
    ou2 = issue_intermediate("OU2 Issuing CA", root, key=ec(), days=380)
    meant, other = client("ou1-user", ou1), client("ou2-user", ou2)
    files = {
        "client.crt": pem(other, ou2),
        "client.key": other.key_pem(),
        "ou1.crt": pem(meant, ou1),
        "ou1.key": meant.key_pem(),
        "ca.crt": pem(ou1, root),  # the Secret's ca.crt, as the user keeps it
    }
    return Case(
        name,
        world.cluster()
        + [
            secret("ca-sib", {"ca.crt": pem(ou1, root)}),
            ingress(name, mtls("default/ca-sib", verify_depth="2")),
        ],
        files,
    )


@builds("chain")
def _chain(world: World, name: str) -> Case:
    """`kubectl create secret generic auth-tls-chain --from-file=ca-chain.cert.pem` (intermediate and root, as
    the openssl-certificate-authority guide makes it); the client is the intermediate's and sends its leaf."""
    root = ca("Chain Root CA")
    intermediate = issue_intermediate("Chain Intermediate CA", root, key=ec(), days=380)
    leaf = client("saas-admin", intermediate)
    annotations = mtls("ftc-demo/auth-tls-chain", verify_depth="1", pass_certificate_to_upstream="false")
    return Case(
        name,
        world.cluster("ftc-demo")
        + [
            secret("auth-tls-chain", {"ca-chain.cert.pem": pem(intermediate, root)}, ns="ftc-demo"),
            ingress(name, annotations, ns="ftc-demo"),
        ],
        {**user_files(leaf), "ca-chain.cert.pem": pem(intermediate, root)},
    )


@pytest.fixture(scope="module")
def field(nginx_binary: str, openssl_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    world = World.make(tmp_path_factory.mktemp("field-more"))
    cases = {name: build(world) for name, build in BUILDERS.items()}
    hosts = [h for case in cases.values() for h in gateway_hosts(case.objects)]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield Field(world, cases, gateway, nginx_binary)


def plain_http(
    nginx_binary: str, folder: Path, world: World, policy: MtlsPolicy, ca_pem: bytes, path: str, redirect: bool = True
) -> tuple[int, str]:
    """The host's server as nginx.tmpl renders it (define "SERVER"): a plain HTTP listener beside the TLS one,
    the policy's server directives (the match-CN `if` among them), and a location that redirects HTTP to
    HTTPS, as lua_ingress.lua redirect_to_https does from the location's rewrite phase (`redirect`; else, as
    with ssl-redirect "false", it answers); the ACME solver's location answers its token. The status and
    body of `GET http://HOST{path}`."""
    root = "return 308 https://$host$request_uri;" if redirect else 'return 200 "upstream\\n";'
    http, https = free_port(), free_port()
    write_file(folder / "ca.crt", ca_pem)
    write_file(folder / "server.crt", world.server.cert_pem())
    write_file(folder / "server.key", world.server.key_pem(), private=True)
    directives = "\n".join(f"  {line}" for line in server_directives(policy, str(folder / "ca.crt")))

    def body(prefix: Path) -> str:
        return (
            f"server {{\n  listen 127.0.0.1:{http};\n  listen 127.0.0.1:{https} ssl;\n  server_name {policy.host};\n"
            f"  ssl_certificate {folder}/server.crt;\n  ssl_certificate_key {folder}/server.key;\n{directives}\n"
            '  location /.well-known/acme-challenge/ { return 200 "token\\n"; }\n'
            f"  location / {{ {root} }}\n}}"
        )

    with Nginx(body, [http, https], binary=nginx_binary):
        answer = httpx.get(f"http://127.0.0.1:{http}{path}", headers={"Host": policy.host}, timeout=5)
    return answer.status_code, answer.text


# --- ingress-nginx -----------------------------------------------------------------------------------


def test_pass_certificate_of_a_later_ingress_is_not_read(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4911
    Cause (aledbf): PassCertToUpstream "is extracted from the ingress where the certificate authentication is
    defined": the first Ingress of the host with a CA decides for every location; the newer Ingress's
    `auth-tls-pass-certificate-to-upstream: "true"` is not read, and no upstream gets ssl-client-cert."""
    folder = field.folder(tmp_path, "pshadow")
    report = field.check(capsys, folder, "pshadow")
    top = report["findings"][0]
    assert top["code"] == "pass-certificate-ignored" and "default/pshadow-b" in top["title"]
    assert "default/pshadow-a" in top["title"] and report["state"] == "works" and accepted(report)
    assert echoed(report, "ssl-client-cert") is None  # the report: the header is not there

    assert printed_fixes(report) == {top["fix"]}
    fixed = field.fix_objects(top["fix"], folder, field.cases["pshadow"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "pshadow", objects=fixed, gateway=gateway)
    assert accepted(after) and "pass-certificate-ignored" not in codes(after)
    assert "BEGIN%20CERTIFICATE" in (echoed(after, "ssl-client-cert") or "")


def test_pass_certificate_without_auth_tls_secret_sends_nothing(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/6413
    Cause: without auth-tls-secret the other auth-tls annotations take no effect (authtls Parse returns an empty
    Config; PR 7202 documents it): nginx asks no certificate and renders no `proxy_set_header ssl-client-cert`."""
    folder = field.folder(tmp_path, "pns")
    report = field.check(capsys, folder, "pns")
    assert report["state"] == "not enforced"  # no certificate is asked: everyone gets in
    top = report["findings"][0]
    assert "without auth-tls-secret" in top["title"]  # also: a header, never nginx's TLS to the HTTPS backend
    assert attempt(report, False)["status"] == 200
    assert echoed(report, "ssl-client-cert") is None and echoed(report, "ssl-client-verify") is None

    bare = next(f for f in report["findings"] if f["fix"] and "without auth-tls-secret" in f["title"])
    assert printed_fixes(report) == {bare["fix"]}
    looked_up(field, folder, report, field.cases["pns"].objects)
    fixed = field.fix_objects(bare["fix"], folder, field.cases["pns"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "pns", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)
    assert "BEGIN%20CERTIFICATE" in (echoed(after, "ssl-client-cert") or "")
    assert attempt(after, False)["status"] == 400


def test_optional_no_ca_without_a_ca_asks_no_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/10285
    Cause: optional_no_ca still needs auth-tls-secret (nothing auth-tls is rendered without it); the reporter:
    "we provided a self siged ca and it seems to work/behave as we need"."""
    folder = field.folder(tmp_path, "nca")
    report = field.check(capsys, folder, "nca")
    top = first_error(report) or report["findings"][0]
    assert report["state"] == "not enforced" and "without auth-tls-secret" in top["title"]
    assert echoed(report, "ssl-client-cert") is None  # the partner's certificate never reaches the upstream

    assert printed_fixes(report) == {top["fix"]}
    looked_up(field, folder, report, field.cases["nca"].objects)
    fixed = field.fix_objects(top["fix"], folder, field.cases["nca"].objects)  # ca.crt: the self-signed one
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "nca", objects=fixed, gateway=gateway)
    answer = attempt(after, True)
    assert answer["status"] == 200 and "BEGIN%20CERTIFICATE" in (echoed(after, "ssl-client-cert") or "")
    assert (echoed(after, "ssl-client-verify") or "").startswith("FAILED")  # optional_no_ca: passed on, unverified
    assert after["state"] == "not enforced"  # as meant: optional_no_ca lets clients without a certificate in


def test_match_cn_answers_plain_http_with_403(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/9250
    Cause (the reporter, quoting nginx.tmpl): the match-CN `if ( $ssl_client_s_dn !~ … ) { return 403 … }` is in
    the server block, which listens on port 80 too: "This works for both http and https requests, all http
    requests will failed" — before ingress-nginx's redirect to HTTPS, which runs in the location."""
    folder = field.folder(tmp_path, "mcn")
    report = field.check(capsys, folder, "mcn")
    assert report["state"] == "works" and accepted(report)  # HTTPS with the certificate is fine
    top = report["findings"][0]
    assert top["code"] == "match-cn-refuses-plain-http" and printed_fixes(report) == set()

    policy = MtlsPolicy(**report["policy"])
    ca_pem = secret_data(field.cases["mcn"], "ca-mcn", "ca.crt")
    status, body = plain_http(field.nginx_binary, tmp_path, field.world, policy, ca_pem, "/", redirect=False)
    assert (status, CN_REFUSED in body) == (403, True)
    without = MtlsPolicy(**{**report["policy"], "match_cn": None})
    assert plain_http(field.nginx_binary, tmp_path, field.world, without, ca_pem, "/", redirect=False) == (
        200,
        "upstream\n",
    )
    # where HTTP is redirected (ssl-redirect, the default with a tls: section), the check answers first too: the
    # server-level `if` runs in the server rewrite phase, the redirect later in the location (lua_ingress.lua
    # redirect_to_https): 403, where without the check the client gets 308 to HTTPS
    assert plain_http(field.nginx_binary, tmp_path, field.world, policy, ca_pem, "/")[0] == 403
    assert plain_http(field.nginx_binary, tmp_path, field.world, without, ca_pem, "/")[0] == 308
    redirected = [dict(o) for o in field.cases["mcn"].objects]
    redirected[-1] = ingress("mcn", mtls("default/ca-mcn", match_cn="CN=client"))
    said = field.check(capsys, folder, "mcn", objects=redirected, probe=False)
    assert "match-cn-refuses-plain-http" not in codes(said)
    found = next(f for f in said["findings"] if f["code"] == "match-cn-refuses-https-redirect")
    assert found["severity"] == "info" and "403 instead of redirecting" in found["title"] and not found["fix"]
    assert said["state"] != "broken", said["state"]


def test_match_cn_blocks_the_acme_challenge(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/10185
    Cause: "cert-manager(acme challenge ingress) + mTLS client auth + auth-tls-match-cn = NOK": the match-CN
    check sits "pretty early in the server section" and answers the plain-HTTP challenge 403."""
    folder = field.folder(tmp_path, "acme")
    report = field.check(capsys, folder, "acme")
    top = first_error(report)
    assert top is not None and top["code"] == "match-cn-refuses-acme" and "cm-acme-http-solver-x7k2p" in top["title"]
    assert accepted(report) and printed_fixes(report) == set()  # the HTTPS side works for CN=foo

    ca_pem = secret_data(field.cases["acme"], "ca-acme", "ca.crt")
    path = "/.well-known/acme-challenge/Fz0o1vKXl3"
    with_check, without = MtlsPolicy(**report["policy"]), MtlsPolicy(**{**report["policy"], "match_cn": None})
    assert plain_http(field.nginx_binary, tmp_path, field.world, with_check, ca_pem, path)[0] == 403
    assert plain_http(field.nginx_binary, tmp_path, field.world, without, ca_pem, path)[0] == 200  # the solver's token


def test_root_in_ca_crt_admits_every_intermediate_under_it(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4725
    Cause (the reporter): OpenSSL needs the root in ca.crt, so "any other certificate issued by any of the other
    intermediates or Root CA is valid for authentication": listing OU1's CAs does not keep OU2's clients out."""
    folder = field.folder(tmp_path, "sib")
    report = field.check(capsys, folder, "sib")  # the other OU's client
    assert accepted(report)  # nginx lets it in, as the report says
    top = report["findings"][0]
    assert top["code"] == "root-admits-every-ca" and "CN=OU2 Issuing CA" in top["title"]
    assert printed_fixes(report) == set()  # which clients are meant is the user's to say
    meant = field.check(capsys, folder, "sib", cert="ou1.crt", key="ou1.key")
    assert accepted(meant) and "root-admits-every-ca" not in codes(meant)
    # `inspect` says the same of the files alone
    code, inspected = cli_json(
        capsys, "inspect", "--ca", str(folder / "ca.crt"), "--cert", str(folder / "client.crt"), "--verify-depth", "2"
    )
    assert code == 0 and inspected["client_verdict"]["accepted"] is True
    assert "root-admits-every-ca" in [f["code"] for f in inspected["findings"]]


def test_ca_under_the_key_ca_chain_cert_pem(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3106
    Cause: `kubectl create secret generic auth-tls-chain --from-file=ca-chain.cert.pem` stores the CA under the
    key ca-chain.cert.pem; the controller reads ca.crt only ("error obtaining certificate: local SSL certificate
    ftc-demo/auth-tls-chain was not found")."""
    folder = field.folder(tmp_path, "chain")
    report = field.check(capsys, folder, "chain")
    top = first_error(report)
    assert top["code"] == "secret-missing-ca" and "ca-chain.cert.pem" in top["detail"]
    assert report["state"] == "broken" and [r["status"] for r in report["probe"]] == [403, 403]

    assert printed_fixes(report) == {top["fix"]}
    looked_up(field, folder, report, field.cases["chain"].objects)
    fixed = field.fix_objects(top["fix"], folder, field.cases["chain"].objects)
    with field.gateway_for(fixed) as gateway:
        after = field.check(capsys, folder, "chain", objects=fixed, gateway=gateway)
    assert after["state"] == "works" and accepted(after)


# --- the successors: judged from the objects, fixed in the lab's API server ------------------------


def other_check(capsys: pytest.CaptureFixture[str], folder: Path, objects: list[dict], host: str) -> dict:
    """`mtls-tui check --manifests cluster.json --host H --cert client.crt --key client.key --no-probe --json`:
    the host of another controller than ingress-nginx (`other_controllers`)."""
    manifests = folder / f"cluster-{len(list(folder.glob('cluster-*.json')))}.json"
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    argv = ["check", "--manifests", str(manifests), "--host", host, "--no-probe", "--json"]
    argv += ["--cert", str(folder / "client.crt"), "--key", str(folder / "client.key")]
    code = main(argv)
    [report] = [h for h in json.loads(capsys.readouterr().out)["other_controllers"] if h["host"] == host]
    report["exit"] = code
    return report


def served_by_lab(obj: dict) -> bool:
    group = obj["apiVersion"].rpartition("/")[0]
    return any(r.kind == obj["kind"] and r.group == group for r in lab_resources.RESOURCES)


def fix_in_lab(fix: str, folder: Path, objects: list[dict]) -> list[dict]:
    """The printed fix, as printed, in bash in the user's folder, with kubectl talking to the lab's API server
    holding the objects it serves; the others (CRDs the lab does not serve) come back unchanged."""
    require("kubectl", shutil.which("kubectl"))
    kept = [o for o in objects if served_by_lab(o)]
    with LabCluster(kept) as cluster:
        kubeconfig = cluster.write_kubeconfig(folder / "kubeconfig", context="field")
        sh(folder, fix, env={**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(folder)})
        after = cluster.all_objects()
    return after + [o for o in objects if not served_by_lab(o)]


def user_folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        write_file(tmp_path / name, data, private=name.endswith(".key"))
    return tmp_path


def deployment(name: str, ns: str, labels: dict[str, str], image: str, args: list[str]) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": name, "image": image, "args": args}]},
            },
        },
    }


TRAEFIK = {"app.kubernetes.io/name": "traefik"}
TRAEFIK_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "traefik"},
    "spec": {"controller": "traefik.io/ingress-controller"},
}


def traefik_objects(
    world: World, tag: str, option: str, option_ns: str, route_ns: str, ca_pem: bytes, auth_type: str | None
) -> list[dict]:
    """Traefik at `tag` (traefik.containo.us, the only group before v2.10), a TLSOption whose CA Secret holds
    ca.crt alone, and an IngressRoute served with it (the option named `default` serves every router)."""
    client_auth: dict[str, Any] = {"secretNames": ["client-ca"]}
    if auth_type:
        client_auth["clientAuthType"] = auth_type
    tls: dict[str, Any] = {"secretName": "field-tls"}
    if option != "default":
        tls["options"] = {"name": option, "namespace": option_ns}
    host = fqdn("traefik-" + option)
    return [
        TRAEFIK_CLASS,
        *(namespace(ns) for ns in dict.fromkeys(("traefik", option_ns, route_ns))),
        deployment("traefik", "traefik", TRAEFIK, f"traefik:{tag}", ["--providers.kubernetescrd"]),
        world.tls_secret(route_ns),
        secret("client-ca", {"ca.crt": ca_pem}, ns=option_ns),
        {
            "apiVersion": "traefik.containo.us/v1alpha1",
            "kind": "TLSOption",
            "metadata": {"name": option, "namespace": option_ns},
            "spec": {"clientAuth": client_auth},
        },
        {
            "apiVersion": "traefik.containo.us/v1alpha1",
            "kind": "IngressRoute",
            "metadata": {"name": "app", "namespace": route_ns},
            "spec": {
                "entryPoints": ["websecure"],
                "routes": [{"match": f"Host(`{host}`)", "kind": "Rule", "services": [{"name": "app", "port": 80}]}],
                "tls": tls,
            },
        },
    ]


@pytest.mark.parametrize(
    ("url", "tag", "option", "option_ns", "route_ns", "auth_type"),
    [
        # the log names TLSOption default in traefik-system; the docs' example sets RequireAndVerifyClientCert
        (
            "https://github.com/traefik/traefik/issues/8511",
            "v2.4.14",
            "default",
            "traefik-system",
            "default",
            "RequireAndVerifyClientCert",
        ),
        # "I had a secret with key ca.crt which did not work" (traefik/client-ca), July 2020: v2.2
        ("https://github.com/traefik/traefik/pull/7068", "v2.2.5", "client-auth", "traefik", "traefik", None),
    ],
)
def test_traefik_before_v2_5_reads_tls_ca_only(
    tmp_path: Path, capsys, url: str, tag: str, option: str, option_ns: str, route_ns: str, auth_type: str | None
) -> None:
    """https://github.com/traefik/traefik/issues/8511 and https://github.com/traefik/traefik/pull/7068
    Cause: Traefik's log says it: "the tls.ca entry is missing from secret …": before v2.5.0 (commit 0a3e40332a)
    getCABlocks reads the key tls.ca only; a CA Secret holding ca.crt gives the TLSOption no CA, and the
    client certificate check is off (with RequireAndVerifyClientCert the option fails to build, which those
    releases serve with the default options)."""
    world = World.make(tmp_path / "world")
    authority = ca("Traefik Client CA")
    folder = user_folder(tmp_path, user_files(client("client", authority)))
    objects = traefik_objects(world, tag, option, option_ns, route_ns, authority.cert_pem(), auth_type)
    host = fqdn("traefik-" + option)
    report = other_check(capsys, folder, objects, host)
    assert report["state"] == "not enforced" and report["predicted"]["none"] == "HTTP 200", url
    top = report["findings"][0]
    assert top["code"] == "ca-ref-no-ca-key" and "tls.ca" in top["title"] and tag in top["title"]

    assert printed_fixes(report) == {top["fix"]}
    fixed = fix_in_lab(top["fix"], folder, objects)
    after = other_check(capsys, folder, fixed, host)
    assert after["mode"] == "require-and-verify" and after["breakage"] is None and after["exit"] == 0
    assert after["predicted"]["trusted"] == "HTTP 200" and after["predicted"]["none"].startswith("TLS alert")
    assert after["predicted"]["other-ca"].startswith("TLS alert 48")


def eg_objects(world: World, bundle: bytes) -> list[dict]:
    """The report's ClientTrafficPolicy (optional client certificate, XFCC SanitizeSet), its Secret holding
    several client CAs, on Envoy Gateway v1.6.2."""
    host = fqdn("eg")
    return [
        namespace("envoy-gateway-system"),
        namespace("mygwns"),
        deployment(
            "envoy-gateway",
            "envoy-gateway-system",
            {"control-plane": "envoy-gateway"},
            "docker.io/envoyproxy/gateway:v1.6.2",
            ["server"],
        ),
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "eg"},
            "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
        },
        world.tls_secret("mygwns"),
        secret("gateway-mtls-trustbundle", {"ca.crt": bundle}, ns="mygwns"),
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "mygw", "namespace": "mygwns"},
            "spec": {
                "gatewayClassName": "eg",
                "listeners": [
                    {
                        "name": "https",
                        "protocol": "HTTPS",
                        "port": 443,
                        "hostname": host,
                        "tls": {
                            "mode": "Terminate",
                            "certificateRefs": [{"kind": "Secret", "group": "", "name": "field-tls"}],
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "app", "namespace": "mygwns"},
            "spec": {
                "parentRefs": [{"name": "mygw"}],
                "hostnames": [host],
                "rules": [{"backendRefs": [{"name": "app", "port": 80}]}],
            },
        },
        {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "ClientTrafficPolicy",
            "metadata": {"name": "enable-mtls", "namespace": "mygwns"},
            "spec": {
                "targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "mygw"}],
                "headers": {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert"]}},
                "tls": {
                    "clientValidation": {
                        "optional": True,
                        "caCertificateRefs": [{"kind": "Secret", "group": "", "name": "gateway-mtls-trustbundle"}],
                    }
                },
            },
        },
    ]


def test_envoy_gateway_expired_ca_first_in_the_bundle(tmp_path: Path, capsys) -> None:
    """https://github.com/envoyproxy/gateway/issues/7608
    Cause (the reporter, confirmed by removing it): an expired CA in the client trust bundle (the old CA, kept
    beside the renewed one) made every request answer with a direct response; Envoy Gateway before v1.7.0
    (tls.go validateCertificate, the first PEM block) fails the policy, and every route answers 500."""
    world = World.make(tmp_path / "world")
    old = issue_ca("Old Client CA", key=ec(), not_before=NOW - timedelta(days=800), days=700)
    renewed = ca("Renewed Client CA")
    files = {**user_files(client("client", renewed)), "ca.crt": renewed.cert_pem()}  # the renewed CA alone
    folder = user_folder(tmp_path, files)
    objects = eg_objects(world, pem(old, renewed))
    report = other_check(capsys, folder, objects, fqdn("eg"))
    assert report["state"] == "broken" and report["breakage"] == "http-500"
    assert report["predicted"]["trusted"] == "HTTP 500" and report["predicted"]["none"] == "HTTP 500"
    top = report["findings"][0]
    assert top["code"] == "ca-expired" and report["exit"] == 1

    assert printed_fixes(report) == {top["fix"]}
    fixed = fix_in_lab(top["fix"], folder, objects)  # the Secret written again from the renewed ca.crt
    after = other_check(capsys, folder, fixed, fqdn("eg"))
    assert after["breakage"] is None and after["predicted"]["trusted"] == "HTTP 200"
    assert after["mode"] == "verify-if-given"  # optional: true, as the report's policy says


F5 = {"app": "nginx-ingress"}


def f5_objects(
    world: World, tag: str, args: list[str], ingress_mtls: dict[str, Any], ca_pem: bytes | None
) -> list[dict]:
    host = fqdn("f5")
    return [
        namespace("nginx-ingress"),
        namespace("default"),
        deployment("nginx-ingress", "nginx-ingress", F5, f"nginx/nginx-ingress:{tag}", args),
        world.tls_secret(),
        *([secret("client-ca", {"ca.crt": ca_pem}, type_="nginx.org/ca")] if ca_pem else []),
        {
            "apiVersion": "k8s.nginx.org/v1",
            "kind": "Policy",
            "metadata": {"name": "ingress-mtls-policy", "namespace": "default"},
            "spec": {"ingressMTLS": ingress_mtls},
        },
        {
            "apiVersion": "k8s.nginx.org/v1",
            "kind": "VirtualServer",
            "metadata": {"name": "webapp", "namespace": "default"},
            "spec": {
                "host": host,
                "tls": {"secret": "field-tls"},
                "policies": [{"name": "ingress-mtls-policy"}],
                "upstreams": [{"name": "webapp", "service": "webapp-svc", "port": 80}],
                "routes": [{"path": "/", "action": {"pass": "webapp"}}],
            },
        },
    ]


def test_f5_ingress_mtls_needs_the_preview_flag_before_v2_2(tmp_path: Path, capsys) -> None:
    """https://github.com/nginx/kubernetes-ingress/issues/1458
    Cause (lucacome): "I suspect you haven't enabled the policy feature (with the CLI argument
    -enable-preview-policies)": the Policy is rejected, the VirtualServer warns "Policy … is missing or
    invalid", and it answers 500."""
    world = World.make(tmp_path / "world")
    authority = ca("F5 Client CA")
    folder = user_folder(tmp_path, user_files(client("client", authority)))
    args = ["-nginx-configmaps=$(POD_NAMESPACE)/nginx-config", "-enable-custom-resources"]
    spec = {"clientCertSecret": "client-ca", "verifyClient": "on", "verifyDepth": 1}
    objects = f5_objects(world, "1.10.0", args, spec, authority.cert_pem())
    report = other_check(capsys, folder, objects, fqdn("f5"))
    assert report["state"] == "broken" and report["breakage"] == "http-500"
    assert report["predicted"]["trusted"] == "HTTP 500"  # "I got a big 500 (Internal Server Error)"
    top = report["findings"][0]
    assert top["code"] == "policy-preview-disabled"

    assert printed_fixes(report) == {top["fix"]}
    fixed = fix_in_lab(top["fix"], folder, objects)  # the controller's args gain -enable-preview-policies
    after = other_check(capsys, folder, fixed, fqdn("f5"))
    assert after["breakage"] is None and after["mode"] == "require-and-verify"
    assert after["predicted"]["trusted"] == "HTTP 200" and after["predicted"]["none"] == "HTTP 400"


def test_f5_optional_no_ca_still_needs_a_client_cert_secret(tmp_path: Path, capsys, monkeypatch) -> None:
    """https://github.com/nginx/kubernetes-ingress/issues/9147
    Cause: validation/policy.go validateIngressMTLS requires clientCertSecret whatever verifyClient says
    ("Policy […] is invalid and was rejected: spec.ingressMTLS.clientCertSecret: Required value"), so a
    Policy with verifyClient optional_no_ca and no CA is rejected and its VirtualServer answers 500."""
    serve(monkeypatch, EXTRA["f5"])  # the lab serves F5's Policy and VirtualServer, as a cluster with its CRDs
    world = World.make(tmp_path / "world")
    partner = ca("Partner CA")
    files = {**user_files(client("partner-client", partner)), "ca.crt": ca("Placeholder CA").cert_pem()}
    folder = user_folder(tmp_path, files)
    objects = f5_objects(
        world, "5.3.3", ["-nginx-configmaps=$(POD_NAMESPACE)/nginx-config"], {"verifyClient": "optional_no_ca"}, None
    )
    report = other_check(capsys, folder, objects, fqdn("f5"))
    assert report["state"] == "broken" and report["breakage"] == "http-500"
    top = report["findings"][0]
    assert top["code"] == "policy-invalid-http-500" and "clientCertSecret is required" in top["title"]

    assert printed_fixes(report) == {top["fix"]}
    fixed = fix_in_lab(top["fix"], folder, objects)  # a Secret of type nginx.org/ca from ca.crt, named by the Policy
    after = other_check(capsys, folder, fixed, fqdn("f5"))
    assert after["breakage"] is None and after["predicted"]["other-ca"] == "HTTP 200"  # optional_no_ca, as meant
    assert "policy-invalid-http-500" not in [f["code"] for f in after["findings"]]
