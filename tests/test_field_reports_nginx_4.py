"""ingress-nginx field reports, fourth set: client-certificate set-ups from GitHub issue threads (found with
the search tool, issues corpus), rebuilt with real certificates and the report's objects, diagnosed as a
user runs the tool (`mtls-tui check --manifests … --host … --cert … --key … --json`) and held to what
ingress-nginx does with those objects at controller-v1.15.1.

As in test_field_reports_nginx_3.py, each case's server is written BY HAND from the controller's source
(the CA file the store writes, the directives nginx.tmpl renders, the server-level `return 403;` of an
AuthTLSError) and measured on the Debian nginx, without and with the client certificate.

Reports (each test's docstring gives the cause and the citation):
- https://github.com/kubernetes/ingress-nginx/issues/5110 (ssl-client-verify NONE; error page on the host
  itself; the issuing CA alone in ca.crt, "solved with full chain")
- https://github.com/kubernetes/ingress-nginx/issues/2287 (auth-tls-secret under the old `ingress.kubernetes.io/`
  prefix beside `nginx.ingress.kubernetes.io/auth-tls-verify-client`)
- https://github.com/kubernetes/ingress-nginx/issues/3859 ("my CA was missing an extension": a v3 CA
  without basicConstraints)
- https://github.com/kubernetes/ingress-nginx/issues/2521 (auth-tls-verify-client optional_no_ca and
  pass-certificate without auth-tls-secret)
- https://github.com/kubernetes/ingress-nginx/issues/684 (auth-tls-secret without `namespace/`)
- https://github.com/kubernetes/ingress-nginx/issues/3292 (Ingress in arq-sys naming default/ca-secret)
- https://github.com/kubernetes/ingress-nginx/issues/2259 (auth-tls-secret alone: verify-client on, depth 1)
- https://github.com/kubernetes/ingress-nginx/issues/2922 (optional_no_ca forwards a failed verification)
- https://github.com/kubernetes/ingress-nginx/issues/5922 (pass-certificate and backend-protocol HTTPS, no Secret)
- https://github.com/kubernetes/ingress-nginx/issues/4677 (an Ingress without host or tls:, curl to the node's
  address: the catch-all server `_` checks the client certificates)
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mtls_tui.certs.issue import issue_fake_certificate
from mtls_tui.cli import main
from mtls_tui.lab.gateway import Gateway
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy, ProbeSpec
from mtls_tui.policy.nginx_answers import CERT_ERROR, NO_CERT
from mtls_tui.policy.nginx_directives import server_directives
from mtls_tui.sources.probe import run_probe
from tests.test_field_reports import (
    CLIENT_EXT,
    World,
    ca,
    case_registry,
    client,
    client_chain,
    codes,
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
from tests.test_field_reports_nginx_3 import Case, Field, denied, served, statuses

pytestmark = [pytest.mark.nginx, pytest.mark.openssl_cli]

P = "nginx.ingress.kubernetes.io/"

BUILDERS, builds = case_registry(Case)


@builds("errloop")
def _errloop(world: World, name: str) -> Case:
    """#5110: optional, verify depth 3, pass-certificate, and an auth-tls-error-page on the host itself;
    ca.crt holds the CA that issued the client certificates (eIDAS-like: root → issuing CA → client)."""
    root, (issuing,), leaf = client_chain("eIDAS", 1)
    page = f"https://{fqdn(name)}/certificate-authentication-error/"
    annotations = {
        P + "auth-tls-error-page": page,
        P + "auth-tls-pass-certificate-to-upstream": "true",
        P + "auth-tls-secret": "default/eidas-client-ca",
        P + "auth-tls-verify-client": "optional",
        P + "auth-tls-verify-depth": "3",
    }
    objects = world.cluster() + [
        secret("eidas-client-ca", {"ca.crt": issuing.cert_pem()}),
        ingress(name, annotations),
    ]
    policy = {"verify_client": "optional", "verify_depth": 3, "error_page": page, "pass_certificate": True}
    serve = served(world, fqdn(name), issuing.cert_pem(), secret="default/eidas-client-ca", **policy)
    # "Solved with full chain certificate": ca.crt the issuing CA and its root
    page_fixed = f"https://{fqdn(name + '-fixed')}/certificate-authentication-error/"
    fixed = served(
        world,
        fqdn(f"{name}-fixed"),
        pem(issuing, root),
        secret="default/eidas-client-ca",
        **{**policy, "error_page": page_fixed},
    )
    return Case(name, objects, user_files(leaf), serve, (fixed,))


@builds("oldsec")
def _oldsec(world: World, name: str) -> Case:
    """#2287: `ingress.kubernetes.io/auth-tls-secret` with `nginx.ingress.kubernetes.io/auth-tls-verify-client`
    and -verify-depth "3"; the controller runs with the default --annotations-prefix."""
    authority = ca("Caingress CA")
    leaf = client("client", authority)
    objects = world.cluster() + [
        secret("caingress", {"ca.crt": authority.cert_pem()}),
        ingress(
            name,
            {
                "ingress.kubernetes.io/auth-tls-secret": "default/caingress",
                P + "auth-tls-verify-client": "on",
                P + "auth-tls-verify-depth": "3",
                "ingress.kubernetes.io/force-ssl-redirect": "true",
            },
        ),
    ]
    # authtls Parse: GetStringAnnotation("auth-tls-secret") reads nginx.ingress.kubernetes.io/ only: missing
    # annotation, the Parse returns an error, no CertificateAuth: nginx.tmpl renders no client checks
    # after the printed fix: the CA file, verify-client on, depth 3
    fixed = served(world, fqdn(f"{name}-fixed"), authority.cert_pem(), secret="default/caingress", verify_depth=3)
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), None), (fixed,))


@builds("nobc")
def _nobc(world: World, name: str) -> Case:
    """#3859: "My CA was missing an extension": a v3 CA certificate (openssl req -x509 with an
    extension section of its own) without basicConstraints or keyUsage, a client it signed."""
    folder = world.workshop(name)
    sh(
        folder,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 400 "
        "-subj '/CN=Hospital Client CA' -config <(printf '[req]\\ndistinguished_name=dn\\nx509_extensions=bare\\n"
        "[dn]\\n[bare]\\nsubjectKeyIdentifier=hash\\n')",
    )
    openssl_issue(folder, "client", "client", "ca", CLIENT_EXT)
    files = files_of(folder, "ca.crt", "ca.key", "client.crt", "client.key")
    objects = world.cluster() + [
        secret("ca-nobc", {"ca.crt": files["ca.crt"]}),
        ingress(name, mtls("default/ca-nobc")),
    ]
    return Case(name, objects, files, served(world, fqdn(name), files["ca.crt"], secret="default/ca-nobc"))


@builds("noca")
def _noca(world: World, name: str) -> Case:
    """#2521: optional_no_ca and pass-certificate-to-upstream without auth-tls-secret (the upstream is to
    check the certificate itself)."""
    authority = ca("Upstream-checked CA")
    leaf = client("client", authority)
    objects = world.cluster() + [
        ingress(
            name,
            {P + "auth-tls-verify-client": "optional_no_ca", P + "auth-tls-pass-certificate-to-upstream": "true"},
        ),
    ]
    # authtls Parse returns at the missing auth-tls-secret before reading the other annotations
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), None))


@builds("nons")
def _nons(world: World, name: str) -> Case:
    """#684: auth-tls-secret names the Secret without its namespace."""
    authority = ca("Bare-name CA")
    leaf = client("client", authority)
    objects = world.cluster() + [
        secret("ca-bare", {"ca.crt": authority.cert_pem()}),
        ingress(name, mtls("ca-bare")),
    ]
    reason = "invalid format (namespace/name) found in 'ca-bare'"
    return Case(name, objects, user_files(leaf), denied(world, fqdn(name), "ca-bare", reason))


@builds("arqsys")
def _arqsys(world: World, name: str) -> Case:
    """#3292: the client-certs example with the Ingress moved to arq-sys, the Secret left in default."""
    authority = ca("Example Client CA")
    leaf = client("client", authority)
    objects = world.cluster("arq-sys") + [
        secret("ca-secret", {"ca.crt": authority.cert_pem()}),
        ingress(name, mtls("default/ca-secret", verify_depth="1"), ns="arq-sys"),
    ]
    reason = "cross namespace secrets are not supported"
    return Case(name, objects, user_files(leaf), denied(world, fqdn(name), "default/ca-secret", reason))


@builds("only")
def _only(world: World, name: str) -> Case:
    """#2259: the Ingress's only client-certificate annotation is auth-tls-secret: p/cca."""
    authority = ca("CCA")
    leaf = client("client", authority)
    objects = world.cluster("p") + [
        secret("cca", {"ca.crt": authority.cert_pem()}, ns="p"),
        ingress(name, {P + "auth-tls-secret": "p/cca"}, ns="p"),
    ]
    # authtls Parse: verify-client missing → defaultAuthVerifyClient "on"; depth missing → defaultAuthTLSDepth 1
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), authority.cert_pem(), secret="p/cca"))


@builds("noca2")
def _noca2(world: World, name: str) -> Case:
    """#2922: optional_no_ca with a CA Secret; the client's certificate is from a CA not in ca.crt (the
    upstream judges ssl-client-verify itself)."""
    trusted, other = ca("Known Partner CA"), ca("Unknown Partner CA")
    leaf = client("partner", other)
    objects = world.cluster() + [
        secret("ca-partners", {"ca.crt": trusted.cert_pem()}),
        ingress(
            name,
            {**mtls("default/ca-partners"), P + "auth-tls-verify-client": "optional_no_ca"},
        ),
    ]
    serve = served(world, fqdn(name), trusted.cert_pem(), secret="default/ca-partners", verify_client="optional_no_ca")
    return Case(name, objects, user_files(leaf), serve)


@builds("passhttps")
def _passhttps(world: World, name: str) -> Case:
    """#5922: pass-certificate-to-upstream and backend-protocol HTTPS, no auth-tls-secret; the Spring Boot
    backend wants the client's certificate ("Empty certificate chain")."""
    authority = ca("Spring Client CA")
    leaf = client("client", authority)
    objects = world.cluster() + [
        ingress(
            name,
            {P + "auth-tls-pass-certificate-to-upstream": "true", P + "backend-protocol": "HTTPS"},
        ),
    ]
    # no auth-tls-secret: authtls Parse returns before PassCertToUpstream; nginx.tmpl renders no client
    # checks and no ssl-client-cert header (the lab's upstream is plain HTTP: only the client side is modelled)
    return Case(name, objects, user_files(leaf), served(world, fqdn(name), None))


@pytest.fixture(scope="module")
def field(nginx_binary: str, openssl_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Field]:
    world = World.make(tmp_path_factory.mktemp("field4"))
    cases = {name: build(world) for name, build in BUILDERS.items()}
    hosts = [h for c in cases.values() for h in ((c.serve,) if c.serve else ()) + c.also]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield Field(world, cases, gateway)


def test_5110_error_page_on_the_host_and_an_issuing_ca_alone(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/5110
    Report: verify-client optional, verify depth 3, pass-certificate, auth-tls-error-page
    https://sub.dom.com/certificate-authentication-error/ on the Ingress's own host sub.dom.com; the upstream
    sees ssl-client-verify NONE; "Solved with full chain certificate". The thread does not show ca.crt; an
    issuing CA alone there is consistent with the fix, not proven.
    Source, controller-v1.15.1: authtls Parse keeps verify-client, depth, ErrorPage and PassCertToUpstream;
    nginx.tmpl `define "SERVER"` renders ssl_client_certificate, ssl_verify_client optional, ssl_verify_depth 3
    and `error_page 495 496 = <page>;`; the location forwards ssl-client-verify ($ssl_client_verify).
    Measured: without a certificate 200 and ssl-client-verify NONE (the report's header); with the client
    certificate nginx logs (2:unable to get issuer certificate) (no partial chains: the issuing CA is no trust
    anchor) and answers 302 to the error page, on the same host (a redirect loop for the browser); with the
    issuing CA and its root in ca.crt 200 and SUCCESS. Before policy/ingress_nginx/cert_answers.py
    (host_answer) the tool said nginx "answers 400 'The SSL certificate error'" for that certificate."""
    folder = field.folder(tmp_path, "errloop")
    results = field.measure(folder, "errloop")
    assert statuses(results) == (200, 302) and results[0].echoed("ssl-client-verify") == "NONE"
    page = f"https://{fqdn('errloop')}/certificate-authentication-error/"
    assert dict(results[1].headers).get("location") == page
    assert any("(2:unable to get issuer certificate)" in line for line in field.nginx_log(fqdn("errloop")))
    fixed = field.measure(folder, "errloop", fqdn("errloop-fixed"))
    assert statuses(fixed) == (200, 200) and fixed[1].echoed("ssl-client-verify") == "SUCCESS"

    report = field.check(capsys, folder, "errloop")
    found = set(codes(report))
    assert {"client-cert-untrusted", "error-page-loop", "mtls-not-enforced"} <= found
    assert "client-cert-accepted" not in found and report["exit"] == 1
    [untrusted] = [f for f in report["findings"] if f["code"] == "client-cert-untrusted"]
    assert "unable to get issuer certificate" in untrusted["title"]
    # nginx's answer to that certificate is the 302 measured above, not 400 (policy/ingress_nginx/cert_answers.py host_answer)
    assert f"a 302 to the auth-tls-error-page {page}" in untrusted["detail"]
    assert CERT_ERROR not in untrusted["detail"]


def test_2287_auth_tls_secret_under_the_old_prefix_asks_no_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2287
    Report (0.12.0): `ingress.kubernetes.io/auth-tls-secret: "default/caingress"` beside
    `nginx.ingress.kubernetes.io/auth-tls-verify-client: "on"` and -verify-depth "3"; "the client-side auth
    is not working - it's allow access through browser". Source, controller-v1.15.1: parser.GetStringAnnotation
    reads `<--annotations-prefix>/<name>` (annotations/parser/main.go GetAnnotationWithPrefix; the flag's default
    nginx.ingress.kubernetes.io, pkg/flags/flags.go); authtls Parse returns at the missing auth-tls-secret, so
    the server gets no CertificateAuth and nginx.tmpl renders no client checks. Measured: 200 without and with a
    certificate, no ssl-client-verify upstream. The printed fix is run as printed (kubectl against the lab's
    API server); the objects it leaves are checked again and, rendered by hand, measured: 400 without, 200 with."""
    folder = field.folder(tmp_path, "oldsec")
    results = field.measure(folder, "oldsec")
    assert statuses(results) == (200, 200) and results[1].echoed("ssl-client-verify") is None
    report = field.check(capsys, folder, "oldsec")
    top = first_error(report)
    assert top is not None and top["code"] == "annotation-wrong-prefix" and "auth-tls-secret" in top["title"]
    assert report["state"] == "not enforced" and "client-cert-accepted" not in codes(report)

    after, _ = fix_in_cluster(top["fix"], folder, field.cases["oldsec"].objects)
    [moved] = [o for o in after if o["kind"] == "Ingress"]
    assert moved["metadata"]["annotations"][P + "auth-tls-secret"] == "default/caingress"
    fixed = field.check(capsys, folder, "oldsec", objects=after)
    assert fixed["state"] == "works" and "client-cert-accepted" in codes(fixed)
    measured = field.measure(folder, "oldsec", fqdn("oldsec-fixed"))
    assert statuses(measured) == (400, 200) and measured[1].echoed("ssl-client-verify") == "SUCCESS"


def test_3859_ca_without_basic_constraints_refuses_every_client(
    field: Field, tmp_path: Path, capsys, nginx_binary: str
) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3859 ("Client Certificates don't work anymore,
    starting with 0.21.0"; juliohm1978: "My CA was missing an extension. That worked for me."). The thread does
    not say which extension; a v3 CA without basicConstraints is one such CA.
    Source: ssl.go CheckCACert parses any certificate (Go keeps it), nginx.tmpl names the file in
    ssl_client_certificate; OpenSSL's x509_vfy.c check_chain refuses a CA without CA:TRUE.
    Measured: 400 without a certificate; with the client certificate 400 'The SSL certificate error', nginx
    logging (26:unsuitable certificate purpose). The printed fix (the root made again from ca.key, CA:TRUE,
    the Secret replaced) is run as printed; nginx given the new ca.crt lets the same client in (200, SUCCESS)."""
    folder = field.folder(tmp_path, "nobc")
    results = field.measure(folder, "nobc")
    assert statuses(results) == (400, 400) and NO_CERT in results[0].body
    assert any("(26:unsuitable certificate purpose)" in line for line in field.nginx_log(fqdn("nobc")))
    report = field.check(capsys, folder, "nobc")
    top = first_error(report)
    assert top is not None and top["code"] == "client-cert-wrong-purpose"
    # the CA has no basicConstraints: the title said "(basicConstraints CA:FALSE)" before diagnose/certificates.py
    assert top["title"].endswith("is not a CA (no basicConstraints CA:TRUE)") and "CA:FALSE" not in top["title"]
    assert any("(26:unsuitable certificate purpose)" in e for e in top["evidence"])
    assert report["state"] == "broken" and "client-cert-accepted" not in codes(report)

    after, _ = fix_in_cluster(top["fix"], folder, field.cases["nobc"].objects)
    fixed = field.check(capsys, folder, "nobc", objects=after)
    assert fixed["state"] == "works" and "client-cert-accepted" in codes(fixed)
    stored = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "ca-nobc")
    new_ca = base64.b64decode(stored["data"]["ca.crt"])
    assert new_ca == (folder / "ca.crt").read_bytes()
    with Gateway(
        [served(field.world, fqdn("nobc"), new_ca, secret="default/ca-nobc")], nginx_binary=nginx_binary
    ) as gw:
        again = Field(field.world, field.cases, gw).measure(folder, "nobc")
    assert statuses(again) == (400, 200) and again[1].echoed("ssl-client-verify") == "SUCCESS"


def test_2521_optional_no_ca_without_a_secret_renders_nothing(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2521 ("Allow auth-tls-verify-client to be set without
    auth-tls-secret", the set-up of https://github.com/kubernetes/ingress-nginx/issues/8145 too):
    optional_no_ca and pass-certificate, the upstream to check the certificate; jrife:
    "I have to set a dummy auth-tls-secret annotation or else my other settings won't get added".
    Source, controller-v1.15.1: authtls Parse returns at the missing auth-tls-secret before reading
    verify-client; nginx.tmpl renders ssl_verify_client and the ssl-client-* headers only with a CAFileName.
    Measured: 200 without and with a certificate, no ssl-client-verify and no ssl-client-cert upstream."""
    folder = field.folder(tmp_path, "noca")
    results = field.measure(folder, "noca")
    assert statuses(results) == (200, 200)
    assert results[1].echoed("ssl-client-verify") is None and results[1].echoed("ssl-client-cert") is None
    report = field.check(capsys, folder, "noca")
    [ignored] = [f for f in report["findings"] if f["code"] == "annotation-invalid-value"]
    assert "without auth-tls-secret" in ignored["title"] and "optional_no_ca" in ignored["detail"]
    assert report["state"] == "not enforced" and "client-cert-accepted" not in codes(report)


def test_684_auth_tls_secret_without_its_namespace_is_refused(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/684 (rikatz: "maybe that's because you have to use
    'namespace/secret'"). Source, controller-v1.15.1: authtls Parse → k8s.ParseNameNS (internal/k8s/main.go)
    wants exactly one '/': "invalid format (namespace/name) found in 'ca-bare'", a LocationDeniedError;
    getBackendServers sets the server's AuthTLSError and nginx.tmpl renders `return 403;`.
    Measured: 403 with and without a certificate."""
    folder = field.folder(tmp_path, "nons")
    assert statuses(field.measure(folder, "nons")) == (403, 403)
    report = field.check(capsys, folder, "nons")
    top = first_error(report)
    assert top is not None and top["code"] == "annotation-secret-format"
    assert report["state"] == "broken" and "client-cert-accepted" not in codes(report)


def test_3292_ingress_in_another_namespace_than_the_secret_is_refused(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/3292 (0.20.0: "error obtaining PEM from secret
    arq-sys/default/ca-secret"). Source, controller-v1.15.1: authtls Parse, `ns != ing.Namespace` without
    --allow-cross-namespace-resources → NewLocationDenied("cross namespace secrets are not supported"),
    `return 403;`. Measured: 403 with and without a certificate."""
    folder = field.folder(tmp_path, "arqsys")
    assert statuses(field.measure(folder, "arqsys")) == (403, 403)
    report = field.check(capsys, folder, "arqsys")
    top = first_error(report)
    assert top is not None and top["code"] == "annotation-cross-namespace"
    assert report["state"] == "broken" and "client-cert-accepted" not in codes(report)


def test_2259_auth_tls_secret_alone_verifies_with_depth_1(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2259 (0.12.0; the Ingress has auth-tls-secret: p/cca
    and no other auth-tls annotation). Source, controller-v1.15.1: authtls Parse defaults verify-client to
    "on" (defaultAuthVerifyClient) and depth to 1 (defaultAuthTLSDepth). Measured at v1.15.1's rendering: 400
    'No required SSL certificate was sent' without, 200 and SUCCESS with a client of the CA. What broke at
    0.12.0 in the thread is not established here."""
    folder = field.folder(tmp_path, "only")
    results = field.measure(folder, "only")
    assert statuses(results) == (400, 200) and results[1].echoed("ssl-client-verify") == "SUCCESS"
    report = field.check(capsys, folder, "only")
    assert report["state"] == "works" and "client-cert-accepted" in codes(report)
    assert first_error(report) is None


def test_2922_optional_no_ca_forwards_a_failed_verification(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/2922 (0.17.1: only on/off took effect). Source,
    controller-v1.15.1: authtls Parse accepts optional_no_ca (authVerifyClientRegex), nginx.tmpl renders
    `ssl_verify_client optional_no_ca;` and the ssl-client-verify header. Measured: 200 without a certificate
    (NONE) and 200 with a client of another CA, the upstream told "FAILED:unable to verify the first
    certificate" (OpenSSL 21, one of the errors ngx_ssl_verify_error_optional lets through), nginx logging no
    verify error: nginx lets it in, the upstream must refuse it. Before policy/ingress_nginx/cert_answers.py
    the tool said "nginx rejects CN=partner" and "nginx answers 400 'The SSL certificate error'"."""
    folder = field.folder(tmp_path, "noca2")
    results = field.measure(folder, "noca2")
    assert statuses(results) == (200, 200) and results[0].echoed("ssl-client-verify") == "NONE"
    assert results[1].echoed("ssl-client-verify") == "FAILED:unable to verify the first certificate"
    report = field.check(capsys, folder, "noca2")
    assert {"mtls-not-enforced", "client-cert-untrusted"} <= set(codes(report))
    [untrusted] = [f for f in report["findings"] if f["code"] == "client-cert-untrusted"]
    # policy/ingress_nginx/cert_answers.py: before it, "nginx rejects CN=partner … nginx answers 400"
    assert untrusted["title"] == "nginx lets CN=partner through unverified: unable to verify the first certificate"
    assert "ssl-client-verify: FAILED:unable to verify the first certificate" in untrusted["detail"]
    assert CERT_ERROR not in untrusted["detail"]
    assert not any(e.startswith("nginx: client SSL certificate verify error") for e in untrusted["evidence"])
    assert not any("verify error" in line for line in field.nginx_log(fqdn("noca2")))
    assert "client-cert-accepted" not in codes(report) and report["state"] == "not enforced"


def test_5922_pass_certificate_without_a_secret_asks_no_certificate(field: Field, tmp_path: Path, capsys) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/5922
    Report: pass-certificate-to-upstream "true" and backend-protocol HTTPS; through the Ingress the backend
    logs "Empty certificate chain" (502). zeeZ: the annotation only sets the ssl-client-cert header, and
    nginx cannot present the client's certificate to the backend (it has no key). Source, controller-v1.15.1:
    without auth-tls-secret authtls Parse returns first; nginx.tmpl renders ssl_verify_client and the
    ssl-client-cert header only with a CAFileName: nginx asks no certificate at all. Measured (client side):
    200 without and with a certificate, no ssl-client-cert upstream. Not modelled: the HTTPS backend's own
    TLS (the backend's mTLS to nginx is outside what the tool diagnoses)."""
    folder = field.folder(tmp_path, "passhttps")
    results = field.measure(folder, "passhttps")
    assert statuses(results) == (200, 200) and results[1].echoed("ssl-client-cert") is None
    report = field.check(capsys, folder, "passhttps")
    [ignored] = [f for f in report["findings"] if f["code"] == "annotation-invalid-value"]
    assert "auth-tls-pass-certificate-to-upstream" in ignored["detail"]
    assert report["state"] == "not enforced" and "client-cert-accepted" not in codes(report)


def test_4677_an_ingress_without_host_checks_clients_on_the_catch_all_server(
    field: Field, tmp_path: Path, capsys, nginx_binary: str
) -> None:
    """https://github.com/kubernetes/ingress-nginx/issues/4677 ("400 The SSL certificate error" with 0.26.1, not
    0.25.1): `kubectl get ing` shows HOSTS * and PORTS 80 (no host, no tls:), verify on, depth 1; the reporter
    curls https://<node IP>:<nodePort>/test1 with --cert/--key, and 0.25.1's nginx.conf shows the client checks
    in `server_name _` (the catch-all). What changed at 0.26.1 is not established here (the thread does not
    show the certificates).
    Source, controller-v1.15.1: controller.go getBackendServers, `if host == "" { host = defServerName }` and
    `if server.CertificateAuth.CAFileName == "" { server.CertificateAuth = anns.CertificateAuth }`: the
    catch-all server gets the Ingress's client checks, tls: or not; it listens on 80 and 443 with the fake
    certificate (nginx.tmpl), and with no tls: section nothing redirects HTTP (lua_ingress.lua
    redirect_to_https). Measured on that server, written by hand, asked by the node's address (no SNI): HTTPS
    400 without a certificate, 200 with the client certificate; plain HTTP 200 without any. The tool, asked
    for host `*`: mtls-plain-http and tls-section-missing, and nginx accepting the client on TLS."""
    authority = ca("My Certs CA")
    leaf = client("client", authority)
    ing = ingress("nohost", mtls("default/my-certs", verify_depth="1"), tls=False, path="/test1")
    del ing["spec"]["rules"][0]["host"]
    objects = field.world.cluster() + [secret("my-certs", {"ca.crt": authority.cert_pem()}), ing]
    for name, data in user_files(leaf).items():
        write_file(tmp_path / name, data, private=name.endswith(".key"))
    write_file(tmp_path / "ca.crt", authority.cert_pem())
    fake = issue_fake_certificate()
    write_file(tmp_path / "fake.crt", fake.cert_pem())
    write_file(tmp_path / "fake.key", fake.key_pem(), private=True)
    policy = MtlsPolicy("_", secret="default/my-certs", verify_depth=1)
    directives = "\n".join(f"  {line}" for line in server_directives(policy, str(tmp_path / "ca.crt")))
    http, https = free_port(), free_port()

    def body(prefix: Path) -> str:
        return (
            f"server {{\n  listen 127.0.0.1:{http} default_server;\n  listen 127.0.0.1:{https} default_server ssl;\n"
            f"  server_name _;\n  ssl_certificate {tmp_path}/fake.crt;\n  ssl_certificate_key {tmp_path}/fake.key;\n"
            f'{directives}\n  location /test1 {{ return 200 "upstream\\n"; }}\n}}'
        )

    with Nginx(body, [http, https], binary=nginx_binary):
        results = run_probe(
            ProbeSpec(
                f"https://127.0.0.1:{https}/test1",
                insecure=True,
                timeout=5,
                cert=str(tmp_path / "client.crt"),
                key=str(tmp_path / "client.key"),
            )
        )
        plain = httpx.get(f"http://127.0.0.1:{http}/test1", timeout=5)
    assert statuses(results) == (400, 200) and NO_CERT in results[0].body and results[1].fake_certificate
    assert plain.status_code == 200 and plain.text == "upstream\n"

    manifests = tmp_path / "cluster.json"
    manifests.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    argv = ["check", "--manifests", str(manifests), "--host", "*", "--no-probe", "--json"]
    code = main([*argv, "--cert", str(tmp_path / "client.crt"), "--key", str(tmp_path / "client.key")])
    [report] = json.loads(capsys.readouterr().out)["hosts"]
    top = first_error(report)
    assert top is not None and top["code"] == "mtls-plain-http" and code == 1
    assert {"tls-section-missing", "client-cert-accepted"} <= set(codes(report))
    assert report["state"] == "not enforced"
