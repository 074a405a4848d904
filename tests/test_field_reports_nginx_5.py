"""ingress-nginx, fifth set: what nginx answers a refused client when auth-tls-error-page is set, every
client-certificate case of ingress-nginx's own e2e tests, and more field reports, held to what the
controller does at controller-v1.15.1.

As in test_field_reports_nginx_3.py and _4, each case's server is written BY HAND from the controller's
source (the CA file the store writes, the directives nginx.tmpl renders) and served by the Debian nginx;
the real probe asks without and with the client certificate, and the tool is run as a user runs it
(`mtls-tui check --manifests … --host … [--cert … --key …] --connect <that nginx> --json`).

1. auth-tls-error-page (nginx.tmpl `define "SERVER"`: `error_page 495 496 = <page>;` under the client checks).
   A URL: a client without a certificate gets a 302 there instead of 400. A path on the host: nginx passes the
   refused request to that path on the same server (an internal redirect), where the Ingress's upstream
   answers it: a request without a certificate reaches the upstream.
2. test/e2e/annotations/authtls.go at controller-v1.15.1, one case per `ginkgo.It` (E2E below), with the e2e's
   certificates (framework/ssl.go CreateIngressMASecret: one Secret with tls.crt, tls.key and ca.crt, named in
   both the tls: section and auth-tls-secret) and its expected statuses. test/e2e/settings/ssl_passthrough.go
   and test/e2e/annotations/proxyssl.go have no client-certificate case (the first sends no client
   certificate, the second is nginx's certificate towards the upstream).
3. Field reports (issue threads found with the search tool, issues corpus); each test cites its thread:
   https://github.com/kubernetes/ingress-nginx/issues/7133 (client certificates for one path of a host),
   https://github.com/kubernetes/ingress-nginx/issues/7225 (ca.crl in the auth-tls Secret),
   https://github.com/kubernetes/ingress-nginx/issues/10915 (a changed auth-tls-match-cn not applied).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mtls_tui.certs.issue import Issued, issue_crl, issue_fake_certificate
from mtls_tui.cli import main
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.objects import controller_objects
from mtls_tui.lab.pki import write_file
from mtls_tui.logs.classify import classify
from mtls_tui.logs.parse import parse_line
from mtls_tui.model import MtlsPolicy, ProbeResult, ProbeSpec
from mtls_tui.policy.nginx_answers import CERT_ERROR, NO_CERT
from mtls_tui.policy.nginx_directives import server_directives
from mtls_tui.sources.probe import run_probe
from tests.test_field_reports import (
    World,
    ca,
    client,
    codes,
    fix_in_cluster,
    fqdn,
    front_proxy,
    ingress,
    mtls,
    secret,
    sh,
    user_files,
)
from tests.test_field_reports_nginx_3 import served, statuses
from tests.test_lb_tls_termination import AWS, CERT, service

pytestmark = [pytest.mark.nginx, pytest.mark.openssl_cli]

P = "nginx.ingress.kubernetes.io/"
E2E = "test/e2e/annotations/authtls.go"
E2E_ERROR_PAGE = "http://10.96.0.20/error"  # f.GetURL(framework.HTTP) + "/error": the controller's own address


# --- the e2e's certificates (test/e2e/framework/ssl.go generateRSAMutualAuthCerts) -----------------------


def _go_cert(
    cn: str, key: rsa.RSAPrivateKey, issuer: Issued | None, usages: dict[str, bool], is_ca: bool
) -> x509.Certificate:
    """x509.CreateCertificate from the e2e's template: O=Acme Co, RSA 2048, ExtKeyUsage serverAuth and
    clientAuth, BasicConstraints only on the CA (BasicConstraintsValid, IsCA)."""
    subject = x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Co"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )
    now = datetime.now(UTC)
    flags = dict.fromkeys(
        ("content_commitment", "data_encipherment", "key_agreement", "crl_sign", "encipher_only", "decipher_only"),
        False,
    )
    builder = (
        x509.CertificateBuilder(
            issuer_name=issuer.cert.subject if issuer else subject,
            subject_name=subject,
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            not_valid_before=now - timedelta(minutes=1),
            not_valid_after=now + timedelta(days=365),
        )
        .add_extension(x509.KeyUsage(**flags, **usages), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    )
    if is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(issuer.key if issuer else key, hashes.SHA256())


@dataclass(frozen=True)
class MutualAuth:
    """CreateIngressMASecret's CA, server and client (CN <host>-client)."""

    ca: Issued
    server: Issued
    client: Issued

    @classmethod
    def make(cls, host: str) -> MutualAuth:
        keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
        sign = {"digital_signature": True, "key_encipherment": True}
        authority = Issued(_go_cert(f"{host}-ca", keys[0], None, {**sign, "key_cert_sign": True}, True), keys[0])
        server = Issued(_go_cert(host, keys[1], authority, {**sign, "key_cert_sign": True}, False), keys[1])
        leaf = Issued(_go_cert(f"{host}-client", keys[2], authority, {**sign, "key_cert_sign": False}, False), keys[2])
        return cls(authority, server, leaf)

    def secret(self, name: str) -> dict:
        """The Secret CreateIngressMASecret writes (no type: Opaque)."""
        return secret(
            name, {"tls.crt": self.server.cert_pem(), "tls.key": self.server.key_pem(), "ca.crt": self.ca.cert_pem()}
        )

    def ca_file(self) -> bytes:
        """ssl.go ConfigureCACertWithCertAndKey: PemCertKey (tls.crt, "\\n", tls.key), "\\n", then ca.crt."""
        return self.server.cert_pem() + b"\n" + self.server.key_pem() + b"\n" + self.ca.cert_pem()


@dataclass(frozen=True)
class E2eCase:
    """One phase of one e2e test: the Ingress's annotations (auth-tls-secret added), the policy nginx.tmpl
    renders from them, and the statuses the e2e expects without and with the client certificate (None: not asked)."""

    test: str
    name: str
    annotations: dict[str, str]
    policy: dict
    expected: tuple[int | None, int | None]
    state: str

    @property
    def host(self) -> str:
        return fqdn(self.name)


E2E_CASES = [
    E2eCase(
        "should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret",
        "authtls-noann",
        {},
        {},
        (200, None),
        "works",
    ),
    E2eCase(
        "should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret",
        "authtls-secret",
        {"auth-tls-secret": ""},
        {"ca": True},
        (400, 200),
        "works",
    ),
    E2eCase(
        "should set valid auth-tls-secret, sslVerify to off, and sslVerifyDepth to 2",
        "authtls-off2",
        {"auth-tls-secret": "", "auth-tls-verify-client": "off", "auth-tls-verify-depth": "2"},
        {"ca": True, "verify_client": "off", "verify_depth": 2},
        (200, None),
        "not enforced",
    ),
    E2eCase(
        "should 302 redirect to error page instead of 400 when auth-tls-error-page is set",
        "authtls-errpage",
        {"auth-tls-secret": "", "auth-tls-error-page": E2E_ERROR_PAGE},
        {"ca": True, "error_page": E2E_ERROR_PAGE},
        (302, 200),
        "works",
    ),
    E2eCase(
        "should pass URL-encoded certificate to upstream",
        "authtls-pass",
        {"auth-tls-secret": "", "auth-tls-pass-certificate-to-upstream": "true"},
        {"ca": True, "pass_certificate": True},
        (400, 200),
        "works",
    ),
    E2eCase(
        "should validate auth-tls-verify-client",
        "authtls-von",
        {"auth-tls-secret": "", "auth-tls-verify-client": "on"},
        {"ca": True},
        (400, 200),
        "works",
    ),
    E2eCase(
        "should validate auth-tls-verify-client",
        "authtls-voff",
        {"auth-tls-secret": "", "auth-tls-verify-client": "off"},
        {"ca": True, "verify_client": "off"},
        (200, 200),
        "not enforced",
    ),
    E2eCase(
        "should return 403 using auth-tls-match-cn with no matching CN from client",
        "authtls-cnno",
        {"auth-tls-secret": "", "auth-tls-verify-client": "on", "auth-tls-match-cn": "CN=notgonnamatch"},
        {"ca": True, "match_cn": "CN=notgonnamatch"},
        (None, 403),
        "broken",
    ),
    E2eCase(
        "should return 200 using auth-tls-match-cn with matching CN from client",
        "authtls-cnyes",
        {"auth-tls-secret": "", "auth-tls-verify-client": "on", "auth-tls-match-cn": "CN=authtls"},
        {"ca": True, "match_cn": "CN=authtls"},
        (None, 200),
        "works",
    ),
    E2eCase(
        "should reload the nginx config when auth-tls-match-cn is updated",
        "authtls-reload1",
        {"auth-tls-secret": "", "auth-tls-verify-client": "on", "auth-tls-match-cn": "CN=notvalid"},
        {"ca": True, "match_cn": "CN=notvalid"},
        (None, 403),
        "broken",
    ),
    E2eCase(
        "should reload the nginx config when auth-tls-match-cn is updated",
        "authtls-reload2",
        {"auth-tls-secret": "", "auth-tls-verify-client": "on", "auth-tls-match-cn": "CN=authtls"},
        {"ca": True, "match_cn": "CN=authtls"},
        (None, 200),
        "works",
    ),
    E2eCase(
        "should return 200 using auth-tls-match-cn where atleast one of the regex options matches CN from client",
        "authtls-cnany",
        {
            "auth-tls-secret": "",
            "auth-tls-verify-client": "on",
            "auth-tls-match-cn": "CN=(itwillmatch|withthenextoption|authtls)",
        },
        {"ca": True, "match_cn": "CN=(itwillmatch|withthenextoption|authtls)"},
        (None, 200),
        "works",
    ),
]


def e2e_objects(world: World, case: E2eCase, certs: MutualAuth) -> list[dict]:
    """NewSingleIngressWithTLS(host, "/", host, []string{host}, ns, echo, 80, annotations): the Secret named
    like the host in the tls: section and, with the e2e's `nameSpace + "/" + host`, in auth-tls-secret."""
    ref = f"default/{case.name}"
    annotations = {P + k: (ref if k == "auth-tls-secret" else v) for k, v in case.annotations.items()}
    return world.cluster() + [certs.secret(case.name), ingress(case.name, annotations, secret_name=case.name)]


def e2e_server(case: E2eCase, certs: MutualAuth) -> GatewayHost:
    """nginx.tmpl for the case: the host's certificate from the Secret, and with auth-tls-secret the CA file
    ConfigureCACertWithCertAndKey writes (assertSslClientCertificateConfig: ssl_client_certificate
    /etc/ingress-controller/ssl/<ns>-<host>.pem, ssl_verify_client, ssl_verify_depth)."""
    fields = {k: v for k, v in case.policy.items() if k != "ca"}
    ca_file = certs.ca_file() if case.policy.get("ca") else None
    policy = MtlsPolicy(case.host, secret=f"default/{case.name}" if ca_file else None, **fields)
    return GatewayHost(policy, certs.server.cert_pem(), certs.server.key_pem(), ca_file)


# --- the harness ----------------------------------------------------------------------------------------


@dataclass
class Bench:
    world: World
    gateway: Gateway
    nginx_binary: str
    runs: int = 0

    def probe(self, host: str, folder: Path | None, path: str = "/") -> list[ProbeResult]:
        """The real probe: [without, with] the certificate in `folder` (only without, for None)."""
        cert = {"cert": str(folder / "client.crt"), "key": str(folder / "client.key")} if folder else {}
        spec = ProbeSpec(
            self.gateway.url(host, path), resolve=self.gateway.resolve(host), insecure=True, timeout=5, **cert
        )
        return run_probe(spec)

    def check(
        self,
        capsys: pytest.CaptureFixture[str],
        folder: Path,
        host: str,
        objects: list[dict],
        *,
        cert: bool = True,
        probe: bool = True,
    ) -> dict:
        """`mtls-tui check --manifests … --host H [--cert client.crt --key client.key] --connect <nginx> --json`."""
        self.runs += 1
        manifests = folder / f"cluster-{self.runs}.json"
        manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        argv = ["check", "--manifests", str(manifests), "--host", host, "--json"]
        argv += ["--connect", f"127.0.0.1:{self.gateway.port}"] if probe else ["--no-probe"]
        argv += ["--cert", str(folder / "client.crt"), "--key", str(folder / "client.key")] if cert else []
        code = main(argv)
        [report] = [h for h in json.loads(capsys.readouterr().out)["hosts"] if h["host"] == host]
        report["exit"] = code
        return report


def write_user(folder: Path, leaf: Issued) -> Path:
    folder.mkdir(exist_ok=True)
    for name, data in user_files(leaf).items():
        write_file(folder / name, data, private=name.endswith(".key"))
    return folder


def probed(report: dict) -> tuple[int | None, int | None]:
    """The statuses the tool's own probe got: without, with the certificate (None: not asked)."""
    got = {r["sent_client_cert"]: r["status"] for r in report["probe"]}
    return got.get(False), got.get(True)


# --- part 1: auth-tls-error-page ------------------------------------------------------------------------

PAGE_URL = "https://errors.example.com/mtls"  # a page on a host of its own (the fixes' page too)
PAGE_PATH = "/cert-error"


@dataclass(frozen=True)
class Pages:
    authority: Issued
    leaf: Issued
    other: Issued  # a client of a CA not in ca.crt


@pytest.fixture(scope="module")
def pages() -> Pages:
    authority = ca("Error Page CA")
    return Pages(authority, client("client", authority), client("stranger", ca("Stranger CA")))


def page_objects(world: World, pages: Pages, name: str, page: str) -> list[dict]:
    return world.cluster() + [
        secret("ca-page", {"ca.crt": pages.authority.cert_pem()}),
        ingress(name, mtls("default/ca-page", error_page=page)),
    ]


def page_server(world: World, pages: Pages, name: str, page: str) -> GatewayHost:
    """authtls Parse keeps the page (redirectRegex admits a URL and a bare path); nginx.tmpl renders
    ssl_client_certificate, ssl_verify_client on, depth 1 and `error_page 495 496 = <page>;`."""
    return served(world, fqdn(name), pages.authority.cert_pem(), secret="default/ca-page", error_page=page)


@pytest.fixture(scope="module")
def bench(
    nginx_binary: str, openssl_binary: str, tmp_path_factory: pytest.TempPathFactory, pages: Pages
) -> Iterator[Bench]:
    world = World.make(tmp_path_factory.mktemp("field5"))
    hosts = [
        page_server(world, pages, "pageurl", PAGE_URL),
        page_server(world, pages, "pagepath", PAGE_PATH),
        page_server(world, pages, "pagepath-fixed", PAGE_URL),
        page_server(world, pages, "pagelb", PAGE_URL),
    ]
    hosts += [e2e_server(case, E2E_CERTS[case.name]) for case in E2E_CASES]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield Bench(world, gateway, nginx_binary)


E2E_CERTS = {case.name: MutualAuth.make(case.host) for case in E2E_CASES}  # CN=<host>, client CN=<host>-client


def test_error_page_url_a_client_without_a_certificate_gets_a_302(
    bench: Bench, pages: Pages, tmp_path: Path, capsys
) -> None:
    """verify-client on and auth-tls-error-page a URL on another host. Source, controller-v1.15.1: nginx.tmpl
    `define "SERVER"` renders `error_page 495 496 = https://errors.example.com/mtls;`; nginx's 496 (no
    certificate) and 495 (a failed one) both go there (ngx_http_send_error_page: not '/' nor '@', a 302).
    E2E 'should 302 redirect to error page instead of 400 when auth-tls-error-page is set'.
    Measured: without a certificate 302 to the page (not 400 'No required SSL certificate was sent'), with a
    client of another CA 302 too, with the client 200. The tool's probe says the redirect; its verdict works."""
    folder = write_user(tmp_path, pages.leaf)
    host = fqdn("pageurl")
    without, with_cert = bench.probe(host, folder)
    assert (without.status, with_cert.status) == (302, 200) and without.header("location") == PAGE_URL
    assert NO_CERT not in without.body
    write_user(tmp_path / "other", pages.other)
    refused = bench.probe(host, tmp_path / "other")[1]
    assert refused.status == 302 and refused.header("location") == PAGE_URL
    # nginx logs the missing certificate all the same: the log reading names the page beside the 400
    logged = [
        line
        for line in bench.gateway.error_log().splitlines()
        if f"server: {host}," in line and "no required SSL" in line
    ]
    highlight = classify(parse_line(logged[0]))
    assert highlight is not None and highlight.title.endswith("or the auth-tls-error-page")

    objects = page_objects(bench.world, pages, "pageurl", PAGE_URL)
    report = bench.check(capsys, folder, host, objects, cert=False)
    assert probed(report) == (302, None)
    [asked] = [f for f in report["findings"] if f["code"] == "probe-no-client-cert"]
    assert asked["title"] == f"without a client certificate nginx redirects to {PAGE_URL}"
    assert report["state"] == "works"
    # the other CA's client: nginx's answer is the 302, not 400 (cert_answers.refused_answer)
    stranger = bench.check(capsys, tmp_path / "other", host, objects, probe=False)
    [untrusted] = [f for f in stranger["findings"] if f["code"] == "client-cert-untrusted"]
    assert f"a 302 to the auth-tls-error-page {PAGE_URL}" in untrusted["detail"] and "400" not in untrusted["detail"]


def test_error_page_path_hands_a_client_without_a_certificate_to_the_upstream(
    bench: Bench, pages: Pages, tmp_path: Path, capsys
) -> None:
    """verify-client on and auth-tls-error-page a path on the same host (authtls redirectRegex admits
    `/cert-error`: `((https?://)?host(:port)?)?(/[A-Za-z0-9\\-_.]+)*/?`). Source: nginx.tmpl renders
    `error_page 495 496 = /cert-error;`; nginx's ngx_http_send_error_page makes a '/' page an internal
    redirect on the same server (method GET, no new certificate check), and the Ingress's `/` location
    proxies it to the upstream. Measured: without a certificate 200 from the upstream, which is told
    `real path=/cert-error` and ssl-client-verify NONE; with a client of another CA 200 and
    FAILED:…; no 302, no loop. Before policy/ingress_nginx/redirects.py error_page_path the tool said
    "works" without a probe and warned of a redirect loop ("error-page-loop") that nginx never makes.
    The printed fix is run as printed; the page it leaves (a URL) measured: 302 without a certificate."""
    folder = write_user(tmp_path, pages.leaf)
    host = fqdn("pagepath")
    without, with_cert = bench.probe(host, folder, "/private")
    assert (without.status, with_cert.status) == (200, 200)
    assert without.echoed("ssl-client-verify") == "NONE" and "real path=/cert-error" in without.body
    assert with_cert.echoed("ssl-client-verify") == "SUCCESS" and "real path=/private" in with_cert.body
    stranger = bench.probe(host, write_user(tmp_path / "other", pages.other), "/private")[1]
    assert stranger.status == 200 and "real path=/cert-error" in stranger.body
    assert (stranger.echoed("ssl-client-verify") or "").startswith("FAILED:")

    objects = page_objects(bench.world, pages, "pagepath", PAGE_PATH)
    static = bench.check(capsys, folder, host, objects, probe=False)
    assert static["state"] == "not enforced" and static["exit"] == 1
    assert "error-page-loop" not in codes(static)
    [served_page] = [f for f in static["findings"] if f["code"] == "error-page-served"]
    assert (
        served_page["title"]
        == f"auth-tls-error-page {PAGE_PATH} is a path on {host}: a request without a certificate reaches Service meow-svc"
    )
    probed_report = bench.check(capsys, folder, host, objects, cert=False)
    assert probed(probed_report) == (200, None) and probed_report["state"] == "not enforced"
    lax = next(f for f in probed_report["findings"] if f["code"] == "probe-mtls-not-enforced")
    assert PAGE_PATH in lax["title"] and "ca.crt" not in lax["fix"]

    after, _ = fix_in_cluster(served_page["fix"], folder, objects)
    fixed = bench.check(capsys, folder, host, after, probe=False)
    assert fixed["state"] == "works" and "error-page-served" not in codes(fixed)
    [moved] = [o for o in after if o["kind"] == "Ingress"]
    page = moved["metadata"]["annotations"][P + "auth-tls-error-page"]
    refused, admitted = bench.probe(fqdn("pagepath-fixed"), folder, "/private")
    assert page == PAGE_URL and (refused.status, admitted.status) == (302, 200)
    assert refused.header("location") == page


def test_error_page_path_outside_every_ingress_path_reaches_no_upstream(
    bench: Bench, pages: Pages, tmp_path: Path, capsys
) -> None:
    """The page /cert-error while the Ingress routes only /api: the refused request is passed to
    /cert-error, which the server's own `location /` of the default backend answers (nginx.tmpl adds it
    when no Ingress has `/`): no upstream of the Ingress sees it, and the tool makes no error-page-served."""
    folder = write_user(tmp_path, pages.leaf)
    objects = page_objects(bench.world, pages, "pageapi", PAGE_PATH)
    objects[-1]["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/api"
    report = bench.check(capsys, folder, fqdn("pageapi"), objects, probe=False)
    assert "error-page-served" not in codes(report) and "error-page-loop" not in codes(report)
    assert report["state"] == "works"


def test_error_page_behind_a_tls_ending_balancer_is_the_302_for_every_client(
    bench: Bench, pages: Pages, tmp_path: Path, capsys
) -> None:
    """lb-terminates-tls with an auth-tls-error-page: the balancer's own TLS connection to nginx carries no
    client certificate, so nginx's 496 goes to the page. Measured through a TLS-ending proxy in front of
    the host (tests/test_field_reports.py front_proxy): the client, certificate or not, gets the 302. Before
    cert_answers.refused_answer the finding said every client gets 400 'No required SSL certificate was sent'."""
    folder = write_user(tmp_path, pages.leaf)
    host = fqdn("pagelb")
    proxy, port = front_proxy(bench.gateway, host, bench.world.server, bench.nginx_binary)
    with proxy:
        [answer] = run_probe(
            ProbeSpec(f"https://{host}:{port}/", resolve=f"{host}:{port}:127.0.0.1", insecure=True, timeout=5)
        )
    assert answer.status == 302 and answer.header("location") == PAGE_URL
    balancer = service({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "backend-protocol": "ssl"})
    report = bench.check(
        capsys, folder, host, page_objects(bench.world, pages, "pagelb", PAGE_URL) + [balancer], probe=False
    )
    [ended] = [f for f in report["findings"] if f["code"] == "lb-terminates-tls"]
    assert ended["title"].endswith(f"every client gets a 302 to the auth-tls-error-page {PAGE_URL}")
    assert report["state"] == "broken"


# --- part 2: ingress-nginx's e2e tests for client certificates ------------------------------------------


@pytest.mark.parametrize("case", E2E_CASES, ids=[c.name for c in E2E_CASES])
def test_e2e_authtls_case(bench: Bench, case: E2eCase, tmp_path: Path, capsys) -> None:
    """test/e2e/annotations/authtls.go (controller-v1.15.1), `ginkgo.It(case.test)`: the e2e's Secret and
    Ingress, its certificates, and the statuses it expects (Expect().Status) on the hand-written server,
    from the real probe and from the tool's own probe; the tool's verdict follows them."""
    certs = E2E_CERTS[case.name]
    folder = write_user(tmp_path, certs.client)
    without, with_cert = bench.probe(case.host, folder)
    want_without, want_with = case.expected
    assert want_without is None or without.status == want_without, case.test
    assert want_with is None or with_cert.status == want_with, case.test
    if case.policy.get("error_page"):  # Header("Location").Equal(f.GetURL(framework.HTTP) + errorPath)
        assert without.header("location") == E2E_ERROR_PAGE
    if case.policy.get("pass_certificate"):  # Body().Contains("ssl-client-cert=-----BEGIN%20CERTIFICATE-----%0A")
        assert "ssl-client-cert=-----BEGIN%20CERTIFICATE-----%0A" in with_cert.body

    report = bench.check(capsys, folder, case.host, e2e_objects(bench.world, case, certs))
    assert probed(report) == statuses([without, with_cert])
    assert report["state"] == case.state, (case.test, report["findings"])
    if case.state != "works":
        assert "probe-ok" not in codes(report)


# --- part 3: field reports ------------------------------------------------------------------------------


def test_7133_client_certificates_for_one_path_only_apply_to_every_path_of_the_host(
    bench: Bench, tmp_path: Path, capsys
) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/7133 ("Enabling Client-cert authentication only for
    some paths"): two Ingresses for host.example.com, ingress-health1 (/health1, no auth-tls) and
    ingress-health2 (/health2, auth-tls on, default/ca-secret), both with ssl-redirect "false" and
    rewrite-target, no tls: section. The thread (janosi, on #4688 too): the client checks are server-level.
    Source, controller-v1.15.1: getBackendServers gives the server the first CertificateAuth with a CA file,
    and nginx.tmpl renders ssl_verify_client in `server {}`, for every location; with no tls: section the
    server listens on 80 without redirect (lua_ingress.lua redirect_to_https) and on 443 with the fake
    certificate. Measured on that server written by hand: HTTPS /health1 400 without a certificate, 200
    with it; plain HTTP /health1 and /health2 200 without any. The tool: the unannotated Ingress's paths
    require certificates too (mtls-host-conflict), plain HTTP is served unchecked, not enforced."""

    authority = ca("Health CA")
    folder = write_user(tmp_path, client("client", authority))
    host = "host.example.com"
    common = {P + "ssl-redirect": "false", P + "enable-cors": "false", P + "rewrite-target": "/api/health"}
    first = ingress("ingress-health1", common, host=host, tls=False, path="/health1")
    second = ingress("ingress-health2", {**common, **mtls("default/ca-secret")}, host=host, tls=False, path="/health2")
    objects = bench.world.cluster() + [secret("ca-secret", {"ca.crt": authority.cert_pem()}), first, second]

    write_file(tmp_path / "ca.crt", authority.cert_pem())
    fake = issue_fake_certificate()
    write_file(tmp_path / "fake.crt", fake.cert_pem())
    write_file(tmp_path / "fake.key", fake.key_pem(), private=True)
    checks = server_directives(MtlsPolicy(host, secret="default/ca-secret"), str(tmp_path / "ca.crt"))
    http, https = free_port(), free_port()

    def body(prefix: Path) -> str:
        locations = "".join(f'  location {p} {{ return 200 "{p}\\n"; }}\n' for p in ("/health1", "/health2"))
        return (
            f"server {{\n  listen 127.0.0.1:{http};\n  listen 127.0.0.1:{https} ssl;\n  server_name {host};\n"
            f"  ssl_certificate {tmp_path}/fake.crt;\n  ssl_certificate_key {tmp_path}/fake.key;\n"
            + "".join(f"  {line}\n" for line in checks)
            + locations
            + "}"
        )

    with Nginx(body, [http, https], binary=bench.nginx_binary):
        cert = {"cert": str(folder / "client.crt"), "key": str(folder / "client.key")}
        spec = ProbeSpec(
            f"https://{host}:{https}/health1", resolve=f"{host}:{https}:127.0.0.1", insecure=True, timeout=5, **cert
        )
        without, with_cert = run_probe(spec)
        plain = [
            httpx.get(f"http://127.0.0.1:{http}{p}", headers={"Host": host}, timeout=5)
            for p in ("/health1", "/health2")
        ]
    assert (without.status, with_cert.status) == (400, 200) and NO_CERT in without.body
    assert [r.status_code for r in plain] == [200, 200]

    report = bench.check(capsys, folder, host, objects, probe=False)
    found = codes(report)
    assert {"mtls-host-conflict", "mtls-plain-http", "client-cert-accepted"} <= set(found)
    [shared] = [f for f in report["findings"] if f["code"] == "mtls-host-conflict"]
    assert "default/ingress-health1" in shared["title"] and "require client certificates too" in shared["title"]
    assert report["state"] == "not enforced" and report["exit"] == 1


def test_error_page_named_location_that_no_server_has_answers_500(
    bench: Bench, pages: Pages, tmp_path: Path, capsys
) -> None:
    """auth-tls-error-page `@mtls-error` (authtls redirectRegex admits `@[A-Za-z0-9_-]+`): nginx.tmpl renders
    `error_page 495 496 = @mtls-error;`, and nothing in ingress-nginx's template writes such a location into
    the host's server. Measured: without a certificate 500, nginx logging 'could not find named location
    "@mtls-error"'; with the client 200. Before redirects.py error_page_named the tool's error-page-loop
    told users to "use a named location (@name)". The printed fix is run as printed."""
    page = "@mtls-error"
    folder = write_user(tmp_path, pages.leaf)
    with Gateway([page_server(bench.world, pages, "pagenamed", page)], nginx_binary=bench.nginx_binary) as gateway:
        without, with_cert = Bench(bench.world, gateway, bench.nginx_binary).probe(fqdn("pagenamed"), folder)
        log = gateway.error_log()
    assert (without.status, with_cert.status) == (500, 200)
    assert f'could not find named location "{page}"' in log

    objects = page_objects(bench.world, pages, "pagenamed", page)
    report = bench.check(capsys, folder, fqdn("pagenamed"), objects, probe=False)
    [named] = [f for f in report["findings"] if f["code"] == "error-page-no-location"]
    assert named["title"].endswith("a refused client gets 500") and "error-page-loop" not in codes(report)
    assert "client-cert-accepted" in codes(report)  # the client's own certificate is not the trouble

    # custom-http-errors' own named locations (nginx.tmpl define "CUSTOM_ERRORS") may exist: no claim then
    custom = page_objects(bench.world, pages, "pagenamed", "@custom_upstream-default-backend_495")
    assert "error-page-no-location" not in codes(bench.check(capsys, folder, fqdn("pagenamed"), custom, probe=False))

    after, _ = fix_in_cluster(named["fix"], folder, objects)
    fixed = bench.check(capsys, folder, fqdn("pagenamed"), after, probe=False)
    assert "error-page-no-location" not in codes(fixed) and fixed["state"] == "works"
    [moved] = [o for o in after if o["kind"] == "Ingress"]
    assert moved["metadata"]["annotations"][P + "auth-tls-error-page"] == PAGE_URL


def test_7225_ca_crl_in_the_auth_tls_secret_refuses_the_revoked_client(bench: Bench, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/7225 ("Add CRL support to Client Certificate
    Authentication"; EPNW: the client-certs example puts the CRL in the auth-tls-secret as ca.crl, "enough
    for our use case"; the feature request #1514, added by https://github.com/kubernetes/ingress-nginx/pull/3164).
    Source, controller-v1.15.1: backend_ssl.go getPemCertificate reads secret.Data["ca.crl"] and
    ssl.ConfigureCRL writes it; nginx.tmpl renders `ssl_crl` under the client checks. Measured: the revoked
    client 400 'The SSL certificate error', nginx logging (23:certificate revoked); without a certificate 400.
    The tool: client-cert-revoked, broken. Its printed fix (a new key and certificate from ca.key) is run as
    printed in the user's folder; nginx lets the new certificate in (200, SUCCESS)."""
    authority = ca("Revoking CA")
    leaf = client("client", authority)
    folder = tmp_path
    for name, data in user_files(leaf, authority=authority).items():
        write_file(folder / name, data, private=name.endswith(".key"))
    crl = issue_crl(authority, [leaf.cert])
    host = fqdn("crl7225")
    objects = bench.world.cluster() + [
        secret("ca-crl", {"ca.crt": authority.cert_pem(), "ca.crl": crl}),
        ingress("crl7225", mtls("default/ca-crl")),
    ]
    server = GatewayHost(
        MtlsPolicy(host, secret="default/ca-crl"),
        bench.world.server.cert_pem(),
        bench.world.server.key_pem(),
        authority.cert_pem(),
        crl,
    )
    report = bench.check(capsys, folder, host, objects, probe=False)
    [revoked] = [f for f in report["findings"] if f["code"] == "client-cert-revoked"]
    assert report["state"] == "broken" and "client-cert-accepted" not in codes(report)
    old = (folder / "client.crt").read_bytes()
    with Gateway([server], nginx_binary=bench.nginx_binary) as gateway:
        measure = Bench(bench.world, gateway, bench.nginx_binary)
        without, with_cert = measure.probe(host, folder)
        assert (without.status, with_cert.status) == (400, 400) and CERT_ERROR in with_cert.body
        assert "(23:certificate revoked)" in gateway.error_log()
        sh(folder, revoked["fix"])
        assert (folder / "client.crt").read_bytes() != old
        again = measure.probe(host, folder)[1]
    assert again.status == 200 and again.echoed("ssl-client-verify") == "SUCCESS"
    fixed = bench.check(capsys, folder, host, objects, probe=False)
    assert fixed["state"] == "works" and "client-cert-accepted" in codes(fixed)


@pytest.mark.parametrize(
    ("release", "reloads"), [("v1.9.5", False), ("v1.10.1", False), ("v1.10.2", True), ("v1.15.1", True)]
)
def test_10915_a_changed_match_cn_is_not_applied_before_v1_10_2(
    bench: Bench, tmp_path: Path, capsys, release: str, reloads: bool
) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/10915 ("Changing nginx.ingress.kubernetes.io/auth-tls-match-cn
    value is ignored", 1.9.4/1.9.5). Cause, read in the source: authtls Config.Equal did not compare MatchCN,
    so a change to the annotation alone left the running configuration as it was; fixed by "fix: Ensure
    changes in MatchCN annotation are detected" (#11173, commit bcb98c0c8; `assl1.MatchCN != assl2.MatchCN`
    is absent at controller-v1.10.1 and every earlier tag, present from controller-v1.10.2 and v1.11.0), with
    the e2e 'should reload the nginx config when auth-tls-match-cn is updated' (E2E cases authtls-reload1/2
    above: 403, then 200 after the update). The tool, told the controller's image: before v1.10.2 the
    match-cn nginx runs is not known from the objects, so no "works" without a probe; from v1.10.2 it is."""
    authority = ca("CN Change CA")
    folder = write_user(tmp_path, client("authtls", authority))
    image = f"registry.k8s.io/ingress-nginx/controller:{release}"
    objects = [
        *[o for o in bench.world.cluster() if o["kind"] not in ("Deployment", "Pod", "IngressClass")],
        *controller_objects(image=image),
        secret("ca-cn", {"ca.crt": authority.cert_pem()}),
        ingress("cnchange", mtls("default/ca-cn", match_cn="CN=authtls")),
    ]
    report = bench.check(capsys, folder, fqdn("cnchange"), objects, probe=False)
    assert "client-cert-accepted" in codes(report)
    if reloads:
        assert report["state"] == "works"
    else:
        assert report["state"] == "unverified" and report["exit"] == 0
        assert f"the auth-tls-match-cn nginx runs ({release} applies a change" in report["verdict"]
