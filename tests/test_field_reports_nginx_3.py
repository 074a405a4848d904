"""ingress-nginx field reports, third set: real client-certificate set-ups from GitHub issue threads
(found with the search tool), each rebuilt with real certificates and the objects of the report,
diagnosed as a user runs the tool (`mtls-tui check --manifests … --host … --cert … --key … --json`)
and held to what ingress-nginx does with those objects at controller-v1.15.1.

What the controller does is read from its source (file + function, cited per test) and measured on the
Debian nginx: each case's server is rendered here BY HAND from that source (the CA file the store
writes, the `ssl_verify_*` the template renders, the server-level `return 403` of an AuthTLSError),
not from the tool's own policy, so a tool that reads the objects wrongly cannot agree with itself.
One nginx serves every case by SNI (`<case>.field.test`), and the real probe asks without and with the
client certificate.

Reports (each test's docstring gives the cause and the citation):
- https://github.com/kubernetes/ingress-nginx/issues/8901  (auth-tls-secret is the --default-ssl-certificate)
- https://github.com/kubernetes/ingress-nginx/issues/3420  (CRL blocks concatenated into ca.crt)
- https://github.com/kubernetes/ingress-nginx/issues/10666 (verify depth 2 admits two intermediates)
- https://github.com/kubernetes/ingress-nginx/issues/8229  (optional does not forward an expired certificate)
- https://github.com/kubernetes/ingress-nginx/issues/8584  (auth-tls-secret in the controller's namespace)
- https://github.com/kubernetes/ingress-nginx/issues/2628  (ssl-passthrough with auth-tls)
- https://github.com/kubernetes/ingress-nginx/issues/1573  (TLS Secret not naming the host, auth-tls on)
- https://github.com/kubernetes/ingress-nginx/issues/954   (auth-tls-secret a keypair without ca.crt)
- https://github.com/kubernetes/ingress-nginx/issues/4507 with https://github.com/cert-manager/cert-manager/issues/2438
  (auth-tls-secret the host's cert-manager Secret, whose ca.crt is empty)
- https://github.com/kubernetes/ingress-nginx/issues/4234  (two CAs in ca.crt, a client of the second)
- https://github.com/opnsense/plugins/issues/4185          (a self-signed client certificate as its own CA)
- https://hemantkumar.net/kubernetes-mutual-auth-with-diffferent-cas.html (server and clients from other CAs)
- https://github.com/kubernetes/ingress-nginx/issues/12620 with https://github.com/istio/istio/issues/56815
  (a CA with a negative serial number, refused by Go ≥ 1.23's x509.ParseCertificate)
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from mtls_tui.certs.issue import issue_crl, issue_leaf
from mtls_tui.cli import main
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.objects import controller_objects, namespace
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy, ProbeResult, ProbeSpec
from mtls_tui.policy.nginx_answers import CERT_ERROR
from mtls_tui.sources.probe import run_probe
from tests.conftest import require
from tests.test_field_reports import (
    CLIENT_EXT,
    World,
    ca,
    case_registry,
    client,
    client_chain,
    codes,
    ec,
    files_of,
    first_error,
    fix_in_cluster,
    fqdn,
    ingress,
    mtls,
    openssl_issue,
    pem,
    secret,
    sh,
    user_files,
)

pytestmark = [pytest.mark.nginx, pytest.mark.openssl_cli]

P = "nginx.ingress.kubernetes.io/"
NOW = dt.datetime.now(dt.UTC)


@dataclass
class Case:
    """`objects`: what `check --manifests` reads; `files`: the user's folder (client.crt, client.key);
    `serve`: the host as ingress-nginx renders it, written from the cited source (None: nginx never
    sees the host's TLS)."""

    name: str
    objects: list[dict]
    files: dict[str, bytes]
    serve: GatewayHost | None
    also: tuple[GatewayHost, ...] = ()  # more hosts nginx serves for the case's measurements

    @property
    def host(self) -> str:
        return fqdn(self.name)


BUILDERS, builds = case_registry(Case)


def served(world: World, host: str, ca_pem: bytes | None, *, tls: bool = True, **policy: Any) -> GatewayHost:
    """nginx.tmpl `define "SERVER"` for a host whose CertificateAuth has CAFileName holding `ca_pem`:
    ssl_client_certificate, ssl_verify_client, ssl_verify_depth, and the ssl-client-* headers."""
    secret_ref = policy.pop("secret", "default/ca" if ca_pem is not None else None)
    return GatewayHost(
        MtlsPolicy(host, secret=secret_ref, **policy),
        world.server.cert_pem() if tls else None,
        world.server.key_pem() if tls else None,
        ca_pem,
    )


def denied(world: World, host: str, secret_ref: str, reason: str) -> GatewayHost:
    """controller.go getBackendServers sets the server's AuthTLSError from a LocationDeniedError of
    authtls Parse; nginx.tmpl then renders `return 403;` at the server level, before any location."""
    return GatewayHost(
        MtlsPolicy(host, secret=secret_ref), world.server.cert_pem(), world.server.key_pem(), None, denial=reason
    )


# --- the cases -------------------------------------------------------------------------------------


@builds("dflt")
def _dflt(world: World, name: str) -> Case:
    """#8901: the controller runs with --default-ssl-certificate=infrastructure/k8s-cert; that Secret holds
    tls.crt, tls.key and ca.crt, and the Ingress names it in auth-tls-secret (optional, pass-certificate)."""
    authority = ca("K8s Client CA")
    leaf = client("client", authority)
    keypair = {"tls.crt": world.server.cert_pem(), "tls.key": world.server.key_pem()}
    ing = ingress(
        name,
        {
            P + "auth-tls-pass-certificate-to-upstream": "true",
            P + "auth-tls-secret": "infrastructure/k8s-cert",
            P + "auth-tls-verify-client": "optional",
            P + "auth-tls-verify-depth": "2",
        },
        ns="infrastructure",
    )
    del ing["spec"]["tls"][0]["secretName"]  # "all our ingress rules have default ssl"
    objects = [
        namespace("ingress-nginx"),
        *controller_objects(extra_args=("--default-ssl-certificate=infrastructure/k8s-cert",)),
        namespace("infrastructure"),
        secret("k8s-cert", {**keypair, "ca.crt": authority.cert_pem()}, ns="infrastructure", type_="kubernetes.io/tls"),
        ing,
    ]
    # backend_ssl.go getPemCertificate, keypair branch: ConfigureCACertWithCertAndKey writes tls.crt,
    # tls.key and ca.crt to <ns>-<name>.pem (CAFileName), then `if secretName == s.defaultSSLCertificate`
    # StoreSSLCertOnDisk writes PemCertKey (tls.crt + "\n" + tls.key) to the same file: ca.crt is gone.
    left = world.server.cert_pem() + b"\n" + world.server.key_pem()
    serve = served(
        world,
        fqdn(name),
        left,
        secret="infrastructure/k8s-cert",
        verify_client="optional",
        verify_depth=2,
        pass_certificate=True,
    )
    # after the printed fix: a Secret with ca.crt alone (CA branch, ConfigureCACert writes ca.crt as it is)
    fixed = served(
        world,
        fqdn(f"{name}-fixed"),
        authority.cert_pem(),
        secret="infrastructure/k8s-cert-ca",
        verify_client="optional",
        verify_depth=2,
        pass_certificate=True,
    )
    return Case(name, objects, user_files(leaf), serve, (fixed,))


@builds("crlca")
def _crlca(world: World, name: str) -> Case:
    """#3420: `cat dr-crl.chain.pem ca-chain.cert.pem >> ca.crt`: the CRLs first, then the CA chain."""
    root, (intermediate,), leaf = client_chain("CRL-in-CA", 1)
    bundle = issue_crl(intermediate) + issue_crl(root) + pem(intermediate, root)
    objects = world.cluster() + [
        secret("ca-chain", {"ca.crt": bundle}),
        ingress(
            name, {**mtls("default/ca-chain", verify_depth="2"), P + "auth-tls-pass-certificate-to-upstream": "false"}
        ),
    ]
    reason = "error obtaining certificate: local SSL certificate default/ca-chain was not found"
    return Case(name, objects, user_files(leaf, intermediate), denied(world, fqdn(name), "default/ca-chain", reason))


@builds("depth2")
def _depth2(world: World, name: str) -> Case:
    """#10666: client ← intermediate 1 ← intermediate 2 ← root; ca.crt the root; verify depth 2."""
    root, (upper, lower), leaf = client_chain("Depth2", 2)
    objects = world.cluster() + [
        secret("ca-depth2", {"ca.crt": root.cert_pem()}),
        ingress(name, mtls("default/ca-depth2", verify_depth="2")),
    ]
    serve = served(world, fqdn(name), root.cert_pem(), verify_depth=2)
    return Case(name, objects, user_files(leaf, lower, upper), serve)


@builds("optexp")
def _optexp(world: World, name: str) -> Case:
    """#8229: auth-tls-verify-client optional, pass-certificate-to-upstream, and a client certificate that expired."""
    authority = ca("OptExp Client CA")
    leaf = client("client", authority, not_before=NOW - dt.timedelta(days=40), days=30)
    objects = world.cluster() + [
        secret("ca-optexp", {"ca.crt": authority.cert_pem()}),
        ingress(
            name,
            {
                **mtls("default/ca-optexp"),
                P + "auth-tls-verify-client": "optional",
                P + "auth-tls-pass-certificate-to-upstream": "true",
            },
        ),
    ]
    serve = served(world, fqdn(name), authority.cert_pem(), verify_client="optional", pass_certificate=True)
    return Case(name, objects, user_files(leaf), serve)


@builds("xns")
def _xns(world: World, name: str) -> Case:
    """#8584: the Ingress in `theidserver` names ingress-nginx/cert-manager-webhook-ca (optional_no_ca, pass-certificate)."""
    authority = ca("cert-manager webhook CA")
    leaf = client("client", authority)
    webhook_ca = {"tls.crt": authority.cert_pem(), "tls.key": authority.key_pem(), "ca.crt": authority.cert_pem()}
    objects = world.cluster("theidserver") + [
        secret("cert-manager-webhook-ca", webhook_ca, ns="ingress-nginx", type_="kubernetes.io/tls"),
        ingress(
            name,
            {
                P + "auth-tls-pass-certificate-to-upstream": "true",
                P + "auth-tls-secret": "ingress-nginx/cert-manager-webhook-ca",
                P + "auth-tls-verify-client": "optional_no_ca",
            },
            ns="theidserver",
        ),
    ]
    reason = "cross namespace secrets are not supported"
    return Case(
        name, objects, user_files(leaf), denied(world, fqdn(name), "ingress-nginx/cert-manager-webhook-ca", reason)
    )


@builds("passth")
def _passth(world: World, name: str) -> Case:
    """#2628: ssl-passthrough on an Ingress with auth-tls, the controller run with --enable-ssl-passthrough."""
    authority = ca("Passthrough Client CA")
    leaf = client("client", authority)
    objects = [
        namespace("ingress-nginx"),
        *controller_objects(extra_args=("--enable-ssl-passthrough",)),
        namespace("default"),
        world.tls_secret(),
        secret("ca-passth", {"ca.crt": authority.cert_pem()}),
        ingress(name, {**mtls("default/ca-passth"), P + "ssl-passthrough": "true", P + "backend-protocol": "HTTPS"}),
    ]
    return Case(name, objects, user_files(leaf), None)


@builds("nocn")
def _nocn(world: World, name: str) -> Case:
    """#1573: the host's TLS Secret holds a certificate for another name; auth-tls names a good CA."""
    authority = ca("Dashboard Client CA")
    leaf = client("client", authority)
    other_ca = ca("Other Server CA")
    other = issue_leaf("grafana.example", other_ca, key=ec(), v1=False, sans=["grafana.example"], eku=["serverAuth"])
    objects = world.cluster("kube-system") + [
        secret(
            "nginx-tls-secret",
            {"tls.crt": other.cert_pem(), "tls.key": other.key_pem()},
            "kube-system",
            "kubernetes.io/tls",
        ),
        secret("ca-dashboard", {"ca.crt": authority.cert_pem()}, ns="kube-system"),
        ingress(name, mtls("kube-system/ca-dashboard"), ns="kube-system", secret_name="nginx-tls-secret"),
    ]
    # controller.go createServers: VerifyHostname and verifyHostname fail, "Using default certificate";
    # the CertificateAuth (getBackendServers) is kept: the fake certificate, client checks on
    serve = served(world, fqdn(name), authority.cert_pem(), tls=False, secret="kube-system/ca-dashboard")
    return Case(name, objects, user_files(leaf), serve)


@builds("kponly")
def _kponly(world: World, name: str) -> Case:
    """#954: the auth-tls Secret holds tls.crt and tls.key (the CA's own keypair), no ca.crt."""
    authority = ca("Certtest CA")
    leaf = client("client", authority)
    objects = world.cluster() + [
        secret("certtest-cert", {"tls.crt": authority.cert_pem(), "tls.key": authority.key_pem()}),
        ingress(name, {P + "auth-tls-secret": "default/certtest-cert", P + "auth-tls-verify-depth": "3"}),
    ]
    # backend_ssl.go getPemCertificate: a keypair without ca.crt is kept without CAFileName; nginx.tmpl
    # renders the client checks only `if not (empty $server.CertificateAuth.CAFileName)`: none
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), None))


@builds("twoca")
def _twoca(world: World, name: str) -> Case:
    """#4234: ca.crt holds two client CAs; the client is issued by the second."""
    first, second = ca("Partner A CA"), ca("Partner B CA")
    leaf = client("partner-b", second)
    objects = world.cluster() + [
        secret("ca-two", {"ca.crt": pem(first, second)}),
        ingress(name, mtls("default/ca-two")),
    ]
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), pem(first, second)))


@builds("pinned")
def _pinned(world: World, name: str) -> Case:
    """opnsense/plugins#4185: a self-signed client certificate (CA:false) is the whole trust list."""
    folder = world.workshop(name)
    sh(
        folder,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.crt "
        "-days 300 -subj '/CN=admin' -addext basicConstraints=CA:false -addext extendedKeyUsage=clientAuth",
    )
    files = {n: (folder / n).read_bytes() for n in ("client.crt", "client.key")}
    objects = world.cluster() + [
        secret("ca-pinned", {"ca.crt": files["client.crt"]}),
        ingress(name, mtls("default/ca-pinned")),
    ]
    return Case(name, objects, files, served(world, fqdn(name), files["client.crt"]))


@builds("twocas")
def _twocas(world: World, name: str) -> Case:
    """hemantkumar.net: the host's certificate from one CA (a public one there), client certificates from an
    internal CA in the auth-tls Secret."""
    internal = ca("Internal Client CA")
    leaf = client("service-a", internal)
    objects = world.cluster() + [
        secret("internal-ca", {"ca.crt": internal.cert_pem()}),
        ingress(name, mtls("default/internal-ca")),
    ]
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), internal.cert_pem()))


@builds("emptyca")
def _emptyca(world: World, name: str) -> Case:
    """#4507 names the host's own TLS Secret in auth-tls-secret; cert-manager#2438 shows such a Secret from an
    ACME issuer: tls.crt, tls.key and a ca.crt of 0 bytes."""
    authority = ca("Device Client CA")
    leaf = client("device", authority)
    acme = {"tls.crt": world.server.cert_pem(), "tls.key": world.server.key_pem(), "ca.crt": b""}
    objects = world.cluster() + [
        secret("aip-accenture", acme, type_="kubernetes.io/tls"),
        ingress(name, mtls("default/aip-accenture", verify_depth="1"), secret_name="aip-accenture"),
    ]
    # backend_ssl.go getPemCertificate: `if len(ca) > 0` is false: the keypair is kept without CAFileName
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), None))


@builds("negser")
def _negser(world: World, name: str) -> Case:
    """A directory-service CA whose serial number is negative (`openssl req -x509 -set_serial -…`), as
    istio/istio#56815 and Azure/secrets-store-csi-driver-provider-azure#1748 met them."""
    folder = world.workshop(name)
    sh(
        folder,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 400 "
        "-set_serial -4242424242 -subj '/CN=Legacy Directory CA' -addext basicConstraints=critical,CA:true "
        "-addext keyUsage=critical,keyCertSign,cRLSign",
    )
    openssl_issue(folder, "client", "client", "ca", CLIENT_EXT)
    files = files_of(folder, "ca.crt", "ca.key", "client.crt", "client.key")
    objects = world.cluster() + [
        secret("ca-secret", {"ca.crt": files["ca.crt"]}),
        ingress(name, mtls("default/ca-secret")),
    ]
    reason = "error obtaining certificate: local SSL certificate default/ca-secret was not found"
    # what nginx alone does with that ca.crt: the refusal is the controller's Go, not OpenSSL
    plain = served(world, fqdn(f"{name}-nginx"), files["ca.crt"])
    return Case(name, objects, files, denied(world, fqdn(name), "default/ca-secret", reason), (plain,))


# --- running them ----------------------------------------------------------------------------------


@dataclass
class Field:
    world: World
    cases: dict[str, Case]
    gateway: Gateway
    runs: int = 0

    def folder(self, tmp_path: Path, name: str) -> Path:
        for file, data in self.cases[name].files.items():
            write_file(tmp_path / file, data, private=file.endswith(".key"))
        return tmp_path

    def check(
        self, capsys: pytest.CaptureFixture[str], folder: Path, name: str, objects: list[dict] | None = None
    ) -> dict:
        """`mtls-tui check --manifests cluster.json --host H --cert client.crt --key client.key --json`, on the
        case's objects or `objects` (as a fix left them)."""
        case = self.cases[name]
        self.runs += 1
        manifests = folder / f"cluster-{self.runs}.json"
        manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects or case.objects}))
        argv = ["check", "--manifests", str(manifests), "--host", case.host, "--json"]
        argv += ["--cert", str(folder / "client.crt"), "--key", str(folder / "client.key")]
        code = main(argv)
        out = json.loads(capsys.readouterr().out)
        [report] = [h for h in out["hosts"] if h["host"] == case.host]
        report["exit"] = code
        return report

    def measure(self, folder: Path, name: str, host: str | None = None) -> list[ProbeResult]:
        """The real probe against the host as the controller renders it (or `host`, one of the case's
        `also`): [without, with] the certificate."""
        host = host or self.cases[name].host
        return run_probe(
            ProbeSpec(
                self.gateway.url(host),
                resolve=self.gateway.resolve(host),
                insecure=True,
                timeout=5,
                cert=str(folder / "client.crt"),
                key=str(folder / "client.key"),
            )
        )

    def nginx_log(self, host: str) -> list[str]:
        return [line for line in self.gateway.error_log().splitlines() if f"server: {host}," in line]


@pytest.fixture(scope="module")
def field(nginx_binary: str, openssl_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    world = World.make(tmp_path_factory.mktemp("field3"))
    cases = {name: build(world) for name, build in BUILDERS.items()}
    hosts = [h for c in cases.values() for h in ((c.serve,) if c.serve else ()) + c.also]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield Field(world, cases, gateway)


def statuses(results: list[ProbeResult]) -> tuple[int | None, int | None]:
    without, with_cert = results
    return without.status, with_cert.status


# --- the tests -------------------------------------------------------------------------------------


def test_8901_auth_tls_secret_that_is_the_default_certificate_loses_its_ca(
    field: Field, tmp_path: Path, capsys
) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/8901
    Cause (reporter, from the controller's log): with --default-ssl-certificate=infrastructure/k8s-cert the
    CAFileName infrastructure-k8s-cert.pem "only had the tls.key and cert.crt"; without the flag it held ca.crt too.
    Source, controller-v1.15.1: internal/ingress/controller/store/backend_ssl.go getPemCertificate, keypair
    branch: ConfigureCACertWithCertAndKey (internal/net/ssl/ssl.go) writes PemCertKey + ca.crt to CAFileName
    (= PemFileName, <ns>-<name>.pem); then `if secretName == s.defaultSSLCertificate` StoreSSLCertOnDisk writes
    PemCertKey alone to that same path. nginx.tmpl names CAFileName in ssl_client_certificate.
    Fixed in policy/secret_store.py (ca_overwritten, client_ca_file) and diagnose/default_certificate.py; the
    printed fix (ca.crt copied to a Secret of its own, the annotation pointed there) is run as printed.
    Measured (Debian nginx, that file as ssl_client_certificate, verify optional): without a certificate 200,
    with the client certificate ca.crt issued 400 "The SSL certificate error", logged "client SSL certificate
    verify error: (21:unable to verify the first certificate)"; with ca.crt alone in the CA file (after the fix)
    the client gets 200 and ssl-client-verify SUCCESS."""
    folder = field.folder(tmp_path, "dflt")
    results = field.measure(folder, "dflt")
    assert statuses(results) == (200, 400) and CERT_ERROR in results[1].body
    assert any("(21:unable to verify the first certificate)" in line for line in field.nginx_log(fqdn("dflt")))

    report = field.check(capsys, folder, "dflt")
    assert "client-cert-accepted" not in codes(report), "ca.crt is not what nginx trusts here"
    [found] = [f for f in report["findings"] if f["code"] == "auth-tls-secret-is-default-certificate"]
    assert found["severity"] == "error" and "--default-ssl-certificate" in found["title"]
    [untrusted] = [f for f in report["findings"] if f["code"] == "client-cert-untrusted"]
    assert "unable to verify the first certificate" in untrusted["title"] and untrusted["fix"] == ""
    assert report["state"] == "not enforced" and report["exit"] == 1  # optional: no certificate gets in

    after, _ = fix_in_cluster(found["fix"], folder, field.cases["dflt"].objects)
    [moved] = [o for o in after if o["kind"] == "Ingress"]
    assert moved["metadata"]["annotations"][P + "auth-tls-secret"] == "infrastructure/k8s-cert-ca"
    copy = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "k8s-cert-ca")
    assert sorted(copy["data"]) == ["ca.crt"]
    fixed = field.check(capsys, folder, "dflt", objects=after)
    assert "client-cert-accepted" in codes(fixed) and "auth-tls-secret-is-default-certificate" not in codes(fixed)
    measured = field.measure(folder, "dflt", fqdn("dflt-fixed"))
    assert statuses(measured) == (200, 200) and measured[1].echoed("ssl-client-verify") == "SUCCESS"


def go_parse_certificates(folder: Path, data: bytes) -> list[str]:
    """Go's crypto/x509.ParseCertificate on each PEM block, as ssl.CheckCACert runs it: `<type> <error>`."""
    go = require("go", shutil.which("go"))
    program = folder / "checkcacert"
    program.mkdir()
    (program / "go.mod").write_text("module checkcacert\n\ngo 1.19\n")
    (program / "main.go").write_text(
        'package main\n\nimport (\n\t"crypto/x509"\n\t"encoding/pem"\n\t"fmt"\n\t"os"\n)\n\n'
        "func main() {\n\tdata, _ := os.ReadFile(os.Args[1])\n\tfor {\n\t\tvar block *pem.Block\n"
        "\t\tblock, data = pem.Decode(data)\n\t\tif block == nil {\n\t\t\tbreak\n\t\t}\n"
        "\t\t_, err := x509.ParseCertificate(block.Bytes)\n\t\tfmt.Println(block.Type, err)\n\t}\n}\n"
    )
    (folder / "ca.crt").write_bytes(data)
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOCACHE": str(folder / "gocache"),
        "GOPATH": str(folder / "gopath"),
    }
    done = subprocess.run(
        [go, "run", ".", str(folder / "ca.crt")], cwd=program, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_3420_crl_blocks_in_ca_crt_make_the_secret_unusable(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3420
    Cause: the reporter moved a working nginx set-up (ssl_crl + ssl_client_certificate) to the controller by
    `cat dr-crl.chain.pem ca-chain.cert.pem >> ca.crt`: the CRLs sit in ca.crt.
    Source, controller-v1.15.1: internal/net/ssl/ssl.go CheckCACert runs x509.ParseCertificate on every PEM
    block and returns the first error; store/backend_ssl.go getPemCertificate (CA branch, CreateCACert) fails,
    syncSecret keeps nothing, authtls Parse's GetAuthCertificate is "local SSL certificate … was not found", a
    LocationDeniedError; controller.go getBackendServers sets AuthTLSError, nginx.tmpl renders `return 403;`.
    Measured: Go (crypto/x509 here) refuses the CRL block ("X509 CRL x509: malformed validity") and parses the
    certificates; nginx with the server-level `return 403;` answers 403 with and without a certificate."""
    case = field.cases["crlca"]
    bundle = next(o for o in case.objects if o["kind"] == "Secret" and o["metadata"]["name"] == "ca-chain")
    parsed = go_parse_certificates(tmp_path, base64.b64decode(bundle["data"]["ca.crt"]))
    assert parsed[0].startswith("X509 CRL x509: ") and parsed[-1] == "CERTIFICATE <nil>"

    folder = field.folder(tmp_path, "crlca")
    assert statuses(field.measure(folder, "crlca")) == (403, 403)
    report = field.check(capsys, folder, "crlca")
    assert "secret-unusable" in codes(report)
    assert report["state"] == "broken" and report["exit"] == 1


def test_10666_verify_depth_2_admits_two_intermediates(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/10666
    Report: client ← intermediate1 ← intermediate2 ← CA with auth-tls-verify-depth "2" "works", where the
    reporter expected a refusal. Cause (linked nginx-tests ssl_verify_depth.t): OpenSSL ≥ 1.1.0 limits the
    number of intermediates, so depth 2 admits two.
    Source: authtls Parse keeps the depth; nginx.tmpl renders `ssl_verify_depth 2`.
    Measured: 400 without a certificate, 200 and ssl-client-verify SUCCESS with leaf + both intermediates."""
    folder = field.folder(tmp_path, "depth2")
    results = field.measure(folder, "depth2")
    assert statuses(results) == (400, 200) and results[1].echoed("ssl-client-verify") == "SUCCESS"
    report = field.check(capsys, folder, "depth2")
    assert report["state"] == "works" and "client-cert-accepted" in codes(report)
    assert first_error(report) is None


def test_8229_optional_does_not_forward_an_expired_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/8229
    Report: with auth-tls-verify-client optional an expired client certificate is not forwarded with
    ssl-client-verify FAILED: nginx answers 400 itself. Source: nginx.tmpl `ssl_verify_client optional`;
    nginx's ngx_http_process_request refuses a failed verification unless the mode is optional_no_ca.
    Measured: without a certificate 200 (optional), with the expired one 400 "The SSL certificate error"."""
    folder = field.folder(tmp_path, "optexp")
    results = field.measure(folder, "optexp")
    assert statuses(results) == (200, 400) and CERT_ERROR in results[1].body
    report = field.check(capsys, folder, "optexp")
    assert {"cert-expired", "client-cert-untrusted", "mtls-not-enforced"} <= set(codes(report))
    assert "client-cert-accepted" not in codes(report) and report["exit"] == 1


def test_8584_auth_tls_secret_in_the_controllers_namespace_is_refused(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/8584
    Report: the Ingress (namespace theidserver) names ingress-nginx/cert-manager-webhook-ca and the upstream
    gets no ssl-client-cert. Source, controller-v1.15.1: internal/ingress/annotations/authtls/main.go Parse:
    `if !secCfg.AllowCrossNamespaceResources && ns != ing.Namespace` → NewLocationDenied("cross namespace
    secrets are not supported"); the flag's default is false (pkg/flags/flags.go); getBackendServers'
    AuthTLSError makes nginx.tmpl render `return 403;`. Measured: 403 with and without a certificate."""
    folder = field.folder(tmp_path, "xns")
    assert statuses(field.measure(folder, "xns")) == (403, 403)
    report = field.check(capsys, folder, "xns")
    top = first_error(report)
    assert top is not None and top["code"] == "annotation-cross-namespace"
    assert report["state"] == "broken" and "client-cert-accepted" not in codes(report)


def test_2628_ssl_passthrough_leaves_the_client_certificate_to_the_backend(
    field: Field, tmp_path: Path, capsys
) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2628
    Report: with ssl-passthrough the API server behind the controller gets no client certificate from
    nginx. Source, controller-v1.15.1: controller.go getConfiguration puts an SSLPassthrough server's root
    location in PassthroughBackends, which the controller's TCP proxy (--enable-ssl-passthrough) sends to
    the backend by SNI before nginx: the TLS (and the client certificate) is the backend's own; nginx's
    auth-tls never runs. Not measured: the TCP proxy is the controller's Go code, not nginx."""
    folder = field.folder(tmp_path, "passth")
    report = field.check(capsys, folder, "passth")
    top = first_error(report)
    assert top is not None and top["code"] == "ssl-passthrough"
    assert report["state"] == "not enforced" and "client-cert-accepted" not in codes(report)


def test_1573_tls_secret_not_naming_the_host_keeps_the_client_checks(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/1573
    Report (rikatz): "ssl certificate kube-system/nginx-tls-secret does not contain a Common Name or Subject
    Alternative Name for host": the host gets the default certificate. Source, controller-v1.15.1:
    controller.go createServers (VerifyHostname, then verifyHostname: "Using default certificate");
    getBackendServers still sets the server's CertificateAuth. Measured: the fake certificate, 400 without a
    client certificate, 200 (SUCCESS) with it."""
    folder = field.folder(tmp_path, "nocn")
    results = field.measure(folder, "nocn")
    assert statuses(results) == (400, 200) and results[1].echoed("ssl-client-verify") == "SUCCESS"
    assert results[1].fake_certificate
    report = field.check(capsys, folder, "nocn")
    top = first_error(report)
    assert top is not None and top["code"] == "tls-secret-unusable"
    assert "client-cert-accepted" in codes(report)


def test_954_keypair_without_ca_crt_asks_no_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/954
    Report: a Secret with only tls.crt/tls.key (the CA's keypair) as auth-tls-secret: no ssl-client-cert.
    Source, controller-v1.15.1: store/backend_ssl.go getPemCertificate keeps a keypair without ca.crt with no
    CAFileName; nginx.tmpl renders the client checks only with a CAFileName. Measured: 200 without and with a
    certificate, and the upstream gets no ssl-client-verify."""
    folder = field.folder(tmp_path, "kponly")
    results = field.measure(folder, "kponly")
    assert statuses(results) == (200, 200) and results[1].echoed("ssl-client-verify") is None
    report = field.check(capsys, folder, "kponly")
    top = first_error(report)
    assert top is not None and top["code"] == "secret-missing-ca" and report["state"] == "not enforced"


def test_4234_a_client_of_the_second_ca_in_ca_crt_gets_in(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4234 (fixed by #4556, "Allow multiple CA Certificates")
    Report: only the first certificate of ca.crt was accepted. Source, controller-v1.15.1: ssl.go CheckCACert
    keeps every CERTIFICATE block, ConfigureCACert writes ca.crt whole. Measured: a client of the second CA
    gets 200 and ssl-client-verify SUCCESS."""
    folder = field.folder(tmp_path, "twoca")
    results = field.measure(folder, "twoca")
    assert statuses(results) == (400, 200) and results[1].echoed("ssl-client-verify") == "SUCCESS"
    report = field.check(capsys, folder, "twoca")
    assert report["state"] == "works" and "client-cert-accepted" in codes(report)


def test_4185_a_pinned_self_signed_client_certificate_gets_in(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/opnsense/plugins/issues/4185
    Report: the web UI refuses a self-signed client certificate (CN=admin) as the trusted "CA" of client
    authentication, though nginx accepts it. Source: CheckCACert parses any certificate (no CA flag
    needed); nginx.tmpl names the file in ssl_client_certificate. Measured: 400 without, 200 (SUCCESS) with
    the pinned certificate itself."""
    folder = field.folder(tmp_path, "pinned")
    results = field.measure(folder, "pinned")
    assert statuses(results) == (400, 200) and results[1].echoed("ssl-client-verify") == "SUCCESS"
    report = field.check(capsys, folder, "pinned")
    assert report["state"] == "works" and "client-cert-accepted" in codes(report)


def test_server_and_clients_from_different_cas(field: Field, tmp_path: Path, capsys) -> None:
    """https://hemantkumar.net/kubernetes-mutual-auth-with-diffferent-cas.html
    Set-up: the host's certificate from one CA, client certificates from an internal CA named in
    auth-tls-secret; the two need not share anything. Source: createServers takes the tls: Secret for the
    server certificate, authtls Parse the auth-tls Secret's CAFileName for the client checks. Measured:
    400 without, 200 (SUCCESS) with the internal CA's client."""
    folder = field.folder(tmp_path, "twocas")
    results = field.measure(folder, "twocas")
    assert statuses(results) == (400, 200) and results[1].echoed("ssl-client-verify") == "SUCCESS"
    report = field.check(capsys, folder, "twocas")
    assert report["state"] == "works" and "client-cert-accepted" in codes(report)


def test_4507_empty_ca_crt_of_a_cert_manager_secret_asks_no_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4507 and https://github.com/cert-manager/cert-manager/issues/2438
    Report: auth-tls-secret names the host's TLS Secret and "no correct configuration is present in the
    virtualhost"; an ACME Secret's ca.crt is "empty (0 bytes)". Source, controller-v1.15.1:
    store/backend_ssl.go getPemCertificate, keypair branch: `if len(ca) > 0` is false, so the Secret is kept
    as a keypair without CAFileName and nginx.tmpl renders no client checks. Measured: 200 without and with
    a certificate, no ssl-client-verify upstream. The tool's command for the empty key is run as printed
    against the lab's API server holding the objects (it printed `openssl storeutl -noout 'Secret …, key
    ca.crt'`, a file that does not exist, before diagnose/hosts.py `_load` gave Secret keys their own)."""
    folder = field.folder(tmp_path, "emptyca")
    results = field.measure(folder, "emptyca")
    assert statuses(results) == (200, 200) and results[1].echoed("ssl-client-verify") is None
    report = field.check(capsys, folder, "emptyca")
    top = first_error(report)
    assert top is not None and top["code"] == "secret-missing-ca" and report["state"] == "not enforced"
    [empty] = [f for f in report["findings"] if f["code"] == "input-unreadable"]
    assert "key ca.crt" in empty["title"] and "is empty" in empty["title"]
    _, printed = fix_in_cluster(empty["fix"], folder, field.cases["emptyca"].objects)
    assert "Total found: 0" in printed


def test_12620_negative_serial_ca_is_refused_by_the_controllers_go(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/12620 ("TLS auth secret not found using controller
    v1.11.4"; rolling back to v1.11.3 "everything works perfectly again"), https://github.com/istio/istio/issues/56815.
    v1.11.3 is built with Go 1.22.8, v1.11.4 with Go 1.23.4 (GOLANG_VERSION at each tag), and Go 1.23 made
    crypto/x509 parseCertificate refuse a negative serial number ("x509: negative serial number") unless
    GODEBUG x509negativeserial=1 (Go commit db13584; pkg.go.dev crypto/x509 ParseCertificate). The thread does
    not show its CA, so the cause there is consistent with this one, not proven.
    Source, controller-v1.15.1: GOLANG_VERSION 1.26.1, go.mod `go 1.26.1`, no GODEBUG anywhere in the tree;
    ssl.go CreateCACert → CheckCACert → x509.ParseCertificate fails, the Secret is not stored, authtls Parse's
    GetAuthCertificate is "local SSL certificate … was not found", getBackendServers' AuthTLSError, `return 403;`.
    Measured: nginx given that ca.crt itself accepts the client (200, SUCCESS): OpenSSL takes the CA; the
    controller's server answers 403 with and without a certificate. Not measured: Go here is 1.19, before the
    change. Fixed in certs/go_x509.py (go_parse_refusal, used by ca_refusal and keypair_refusal)."""
    folder = field.folder(tmp_path, "negser")
    plain = field.measure(folder, "negser", fqdn("negser-nginx"))
    assert statuses(plain) == (400, 200) and plain[1].echoed("ssl-client-verify") == "SUCCESS"
    assert statuses(field.measure(folder, "negser")) == (403, 403)
    report = field.check(capsys, folder, "negser")
    top = first_error(report)
    assert top is not None and top["code"] == "secret-unusable" and "negative serial number" in top["detail"]
    assert report["state"] == "broken" and "client-cert-accepted" not in codes(report)


def test_12620_printed_fix_gives_the_ca_a_positive_serial(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/12620: the printed fix, run as printed (kubectl against
    the lab's API server, openssl in the user's folder holding ca.crt and ca.key), must leave a Secret the
    controller's Go parses: the re-check has no secret-unusable."""
    folder = field.folder(tmp_path, "negser")
    report = field.check(capsys, folder, "negser")
    top = first_error(report)
    assert top is not None and top["code"] == "secret-unusable"
    after, _ = fix_in_cluster(top["fix"], folder, field.cases["negser"].objects)
    fixed = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "ca-secret")
    ca = x509.load_pem_x509_certificate(base64.b64decode(fixed["data"]["ca.crt"]))
    assert ca.serial_number > 0
