"""ingress-nginx's own rules for auth-tls, case by case, held to a real nginx.

Every case below is written from the controller's source at the v1.15.1 release
(kubernetes/ingress-nginx, tag controller-v1.15.1) or its e2e tests, and cites the
file and function its expectation comes from. Paths are in that repository:

- AUTHTLS  internal/ingress/annotations/authtls/main.go, authTLS.Parse
- EXTRACT  internal/ingress/annotations/annotations.go, Extractor.Extract
- CHECK    internal/ingress/annotations/parser/main.go, checkAnnotation / parseString / normalizeString
- VALID    internal/ingress/annotations/parser/validators.go (BasicCharsRegex, ValidateRegex, ValidateBool,
           ValidateInt, CommonNameAnnotationValidator)
- NAMENS   internal/k8s/main.go, ParseNameNS
- PEM      internal/ingress/controller/store/backend_ssl.go, getPemCertificate
- SSL      internal/net/ssl/ssl.go, CreateSSLCert / CheckCACert / ConfigureCRL
- SORT     internal/ingress/controller/store/store.go, sortIngressSlice
- SERVERS  internal/ingress/controller/controller.go, getBackendServers (AuthTLSError, CertificateAuth)
- TLSNAME  internal/ingress/controller/controller.go, createServers / extractTLSSecretName; certificate.go verifyHostname
- TMPL     rootfs/etc/nginx/template/nginx.tmpl, define "SERVER" (`return 403;`, ssl_verify_client, match-cn `if`)
- E2E      test/e2e/annotations/authtls.go
- PROXYSSL internal/ingress/annotations/proxyssl/main.go, proxySSL.Parse
- PARSERS  internal/ingress/annotations/<package>/main.go, each parser's AnnotationFields Validator and Parse
- AUTHREQ  internal/ingress/annotations/authreq/main.go, authReq.Parse, ParseStringToCacheDurations
- ALLOW    internal/ingress/annotations/ipallowlist/main.go, ipallowlist.Parse
- DENY     internal/ingress/annotations/ipdenylist/main.go, ipdenylist.Parse
- HEADERS  internal/ingress/annotations/customheaders/main.go, customHeaders.Parse
- FASTCGI  internal/ingress/annotations/fastcgi/main.go, fastcgi.Parse
- STORE    internal/ingress/controller/store/store.go, GetConfigMap (the lister's key is namespace/name)

For each case the objects go through the project's policy code, the lab turns that
policy into the nginx configuration the controller renders, a real nginx serves it,
and the real probe asks without and with a client certificate. The expected answers
come from the source, not from the tool: a policy that reads the objects differently
from the controller makes nginx answer differently, and the case fails.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.certs.issue import Issued, issue_ca, issue_leaf, new_key
from mtls_tui.certs.load import load_material
from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.environment import gateway_hosts
from mtls_tui.lab.gateway import Gateway
from mtls_tui.lab.objects import controller_objects, namespace
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ProbeSpec
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.sources.probe import run_probe

P = "nginx.ingress.kubernetes.io/"
DOMAIN = "conf.test"
NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Pki:
    ca: Issued
    other_ca: Issued
    server: Issued
    client: Issued


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca = issue_ca("Conformance CA", key=new_key("ec"))
    other = issue_ca("Another CA", key=new_key("ec"))
    server = issue_leaf("server", ca, key=new_key("ec"), v1=False, sans=[f"*.{DOMAIN}"])
    client = issue_leaf("conformance-client", ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
    return Pki(ca, other, server, client)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def secret(name: str, data: dict[str, bytes], ns: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": "Opaque",
        "data": {k: b64(v) for k, v in data.items()},
    }


def ingress(
    host: str,
    annotations: dict[str, str] | None = None,
    *,
    name: str | None = None,
    tls: list | None = None,
    created: str = "2026-01-01T00:00:00Z",
    klass: str = "nginx",
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ingressClassName": klass,
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": "app", "port": {"number": 80}}},
                        }
                    ]
                },
            }
        ],
        "tls": [{"hosts": [host], "secretName": "tls"}] if tls is None else tls,
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": name or host.split(".")[0],
            "namespace": "default",
            "creationTimestamp": created,
            "annotations": {P + k: v for k, v in (annotations or {}).items()},
        },
        "spec": spec,
    }


def base(pki: Pki) -> list[dict[str, Any]]:
    keypair = {"tls.crt": pki.server.cert_pem(), "tls.key": pki.server.key_pem()}
    return [
        namespace("default"),
        namespace("other"),
        *controller_objects(),
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "traefik"},
            "spec": {"controller": "traefik.io/ingress-controller"},
        },
        secret("tls", keypair),
        secret("ca", {"ca.crt": pki.ca.cert_pem()}),
        secret("ca-pair", {**keypair, "ca.crt": pki.ca.cert_pem()}),
        secret("other-ca", {"ca.crt": pki.other_ca.cert_pem()}),
        secret("ca", {"ca.crt": pki.ca.cert_pem()}, ns="other"),
    ]


@dataclass(frozen=True)
class Case:
    """`objects(pki, host)` adds what the case is about to `base`; `statuses` are (without, with)
    the client certificate; `state` the tool's host state after the probe; `code` a finding
    code the diagnosis must contain."""

    id: str
    cite: str
    objects: Callable[[Pki, str], list[dict[str, Any]]]
    statuses: tuple[int, int]
    state: str
    code: str | None = None
    fake_certificate: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"{self.id.lower()}.{DOMAIN}"


def one(annotations: dict[str, str], **kw: Any) -> Callable[[Pki, str], list[dict[str, Any]]]:
    return lambda pki, host: [ingress(host, annotations, **kw)]


def with_secret(name: str, data: Callable[[Pki], dict[str, bytes]], annotations: dict[str, str] | None = None):
    def build(pki: Pki, host: str) -> list[dict[str, Any]]:
        ref = f"{name}-{host.split('.')[0]}"
        return [secret(ref, data(pki)), ingress(host, {"auth-tls-secret": f"default/{ref}", **(annotations or {})})]

    return build


def two(first: dict[str, str], second: dict[str, str], same_second: bool = False, names=("a", "b")):
    """Two Ingresses for one host; the first is older unless `same_second` (then the names decide)."""

    def build(pki: Pki, host: str) -> list[dict[str, Any]]:
        stem = host.split(".")[0]
        return [
            ingress(host, first, name=f"{stem}-{names[0]}", created="2026-01-01T00:00:00Z"),
            ingress(
                host,
                second,
                name=f"{stem}-{names[1]}",
                created="2026-01-01T00:00:00Z" if same_second else "2026-01-02T00:00:00Z",
            ),
        ]

    return build


CA = {"auth-tls-secret": "default/ca"}
AUTH_URL = "http://auth.auth.svc.cluster.local/verify"


def config_map(name: str, data: dict[str, str], ns: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def with_maps(annotations: dict[str, str], *maps: dict[str, Any]) -> Callable[[Pki, str], list[dict[str, Any]]]:
    """One Ingress and ConfigMaps; the controller's own (--configmap=ingress-nginx/ingress-nginx-controller)
    among them when a case sets its settings."""
    return lambda pki, host: [*maps, ingress(host, annotations)]


def controller_settings(**data: str) -> dict[str, Any]:
    return config_map("ingress-nginx-controller", {k.replace("_", "-"): v for k, v in data.items()}, "ingress-nginx")


KEYPAIR = lambda pki: {"tls.crt": pki.server.cert_pem(), "tls.key": pki.server.key_pem()}  # noqa: E731

CASES = [
    # --- annotations (AUTHTLS, CHECK, VALID, EXTRACT) -------------------------------------------------
    Case(
        "C01",
        "AUTHTLS Parse: no auth-tls-secret, no mTLS (E2E 'should set valid auth-tls-secret' first phase)",
        one({}),
        (200, 200),
        "works",
    ),
    Case(
        "C02",
        "E2E 'should set sslClientCertificate, sslVerifyClient and sslVerifyDepth with auth-tls-secret': "
        "no certificate 400, valid certificate 200",
        one(CA),
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C03",
        "CHECK parseString: an empty value is InvalidAnnotationContent, which EXTRACT skips: no mTLS",
        one({"auth-tls-secret": ""}),
        (200, 200),
        "not enforced",
        "annotation-invalid-value",
    ),
    Case(
        "C04",
        "CHECK: spaces pass ValidateRegex (removeSpace), normalizeString trims to '': skipped, no mTLS",
        one({"auth-tls-secret": "   "}),
        (200, 200),
        "not enforced",
        "annotation-invalid-value",
    ),
    Case(
        "C05",
        "NAMENS ParseNameNS: no '/' is LocationDenied; SERVERS AuthTLSError; TMPL server-level return 403",
        one({"auth-tls-secret": "ca"}),
        (403, 403),
        "broken",
        "annotation-secret-format",
    ),
    Case(
        "C06",
        "AUTHTLS: '/ca' gives namespace '' (the Ingress's), but GetAuthCertificate looks up '/ca': not found, 403",
        one({"auth-tls-secret": "/ca"}),
        (403, 403),
        "broken",
        "annotation-secret-format",
    ),
    Case(
        "C07",
        "NAMENS: 'a/b/c' has two '/': invalid format, 403",
        one({"auth-tls-secret": "default/ca/x"}),
        (403, 403),
        "broken",
        "annotation-secret-format",
    ),
    Case(
        "C08",
        "AUTHTLS: another namespace without AllowCrossNamespaceResources: 'cross namespace secrets are not supported', 403",
        one({"auth-tls-secret": "other/ca"}),
        (403, 403),
        "broken",
        "annotation-cross-namespace",
    ),
    Case(
        "C10",
        "AUTHTLS GetAuthCertificate: 'local SSL certificate default/missing was not found' is LocationDenied, 403",
        one({"auth-tls-secret": "default/missing"}),
        (403, 403),
        "broken",
        "secret-not-found",
    ),
    Case(
        "C11",
        "VALID BasicCharsRegex refuses '$': ValidationError, EXTRACT returns it and the Ingress is dropped "
        "(no server: the default server's 404)",
        one({"auth-tls-secret": "default/ca$"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C12",
        "CHECK normalizeString trims ' default/ca ' before ParseNameNS: plain mTLS",
        one({"auth-tls-secret": " default/ca "}),
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C13",
        "VALID removes spaces before matching, the lookup keeps them: 'default/ c a' is not found, 403",
        one({"auth-tls-secret": "default/ c a"}),
        (403, 403),
        "broken",
        "annotation-secret-format",
    ),
    Case(
        "C26",
        "AUTHTLS authVerifyClientRegex: off is kept; E2E 'should set valid auth-tls-secret, sslVerify to off'",
        one({**CA, "auth-tls-verify-client": "off"}),
        (200, 200),
        "not enforced",
    ),
    Case(
        "C27",
        "AUTHTLS: optional is kept: a request without a certificate passes",
        one({**CA, "auth-tls-verify-client": "optional"}),
        (200, 200),
        "not enforced",
    ),
    Case(
        "C28",
        "AUTHTLS: optional_no_ca is kept",
        one({**CA, "auth-tls-verify-client": "optional_no_ca"}),
        (200, 200),
        "not enforced",
    ),
    Case(
        "C29",
        "AUTHTLS: the regex is case-sensitive: OFF silently becomes on",
        one({**CA, "auth-tls-verify-client": "OFF"}),
        (400, 200),
        "works",
        "annotation-invalid-value",
    ),
    Case(
        "C30",
        "CHECK normalizeString trims ' off ' to off before the regex",
        one({**CA, "auth-tls-verify-client": " off "}),
        (200, 200),
        "not enforced",
    ),
    Case(
        "C32",
        "AUTHTLS: depth 0 becomes defaultAuthTLSDepth 1",
        one({**CA, "auth-tls-verify-depth": "0"}),
        (400, 200),
        "works",
        "annotation-invalid-value",
    ),
    Case(
        "C34",
        "CHECK parseInt: strconv.Atoi on the raw ' 2' fails: depth 1",
        one({**CA, "auth-tls-verify-depth": " 2"}),
        (400, 200),
        "works",
        "annotation-invalid-value",
    ),
    Case(
        "C35",
        "CHECK parseInt: strconv.Atoi accepts '+2'",
        one({**CA, "auth-tls-verify-depth": "+2"}),
        (400, 200),
        "works",
        "probe-ok",
        extra={"depth": 2},
    ),
    Case(
        "C38",
        "E2E 'should 302 redirect to error page instead of 400 when auth-tls-error-page is set'",
        one({**CA, "auth-tls-error-page": "http://errors.example/mtls.html"}),
        (302, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C40",
        "AUTHTLS redirectRegex has no '?' or '=': ValidationError, the Ingress is dropped",
        one({**CA, "auth-tls-error-page": "http://errors.example/x?from=mtls"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C41",
        "AUTHTLS redirectRegex: the scheme must be lower-case http(s): dropped",
        one({**CA, "auth-tls-error-page": "HTTPS://errors.example/x"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C43",
        "VALID ValidateBool / strconv.ParseBool accepts 'T'; E2E 'should pass the client certificate upstream'",
        one({**CA, "auth-tls-pass-certificate-to-upstream": "T"}),
        (400, 200),
        "works",
        "probe-ok",
        extra={"pass_certificate": True},
    ),
    Case(
        "C44",
        "VALID ValidateBool: 'yes' is not a Go bool: ValidationError, dropped",
        one({**CA, "auth-tls-pass-certificate-to-upstream": "yes"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C48",
        "E2E 'should return 403 using auth-tls-match-cn with no matching CN from client'; TMPL match-cn if",
        one({**CA, "auth-tls-match-cn": "CN=notgonnamatch"}),
        (400, 403),
        "broken",
        "probe-cn-rejected",
    ),
    Case(
        "C49",
        "E2E 'should return 200 using auth-tls-match-cn with matching CN from client': unanchored match",
        one({**CA, "auth-tls-match-cn": "CN=conformance"}),
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C50",
        "E2E 'should return 200 using auth-tls-match-cn where atleast one of the regex options matches'",
        one({**CA, "auth-tls-match-cn": "CN=(x|y|conformance-client)"}),
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C51",
        "VALID CommonNameAnnotationValidator: the prefix must be 'CN=' (case-sensitive): dropped",
        one({**CA, "auth-tls-match-cn": "cn=conformance"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C51b",
        "VALID CommonNameAnnotationValidator: Go's regexp.Compile refuses look-ahead: dropped",
        one({**CA, "auth-tls-match-cn": "CN=conf(?=ormance)"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C51c",
        "VALID: Go's regexp refuses back-references: dropped",
        one({**CA, "auth-tls-match-cn": "CN=(c)\\1"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C53",
        "VALID: 'CN=' compiles (empty regex); TMPL matches the whole DN unanchored: every certificate passes",
        one({**CA, "auth-tls-match-cn": "CN="}),
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C56",
        "AUTHTLS: without auth-tls-secret nothing else is parsed or validated: the Ingress is kept, no mTLS",
        one({"auth-tls-verify-client": "bogus", "auth-tls-match-cn": "nope"}),
        (200, 200),
        "not enforced",  # the annotations ask for client certificates; nginx asks none (issues 6413, 10285)
        "annotation-invalid-value",
    ),
    # --- the Secret (PEM, SSL) ---------------------------------------------------------------------
    Case(
        "C16",
        "PEM: a keypair without ca.crt is kept without CAFileName; SERVERS logs 'mutual authentication "
        "disabled'; TMPL renders no ssl_verify_client",
        with_secret("pair", KEYPAIR),
        (200, 200),
        "not enforced",
        "secret-missing-ca",
    ),
    Case(
        "C18",
        "PEM/SSL ConfigureCACertWithCertAndKey: keypair and ca.crt in one file; E2E secret shape",
        lambda pki, host: [ingress(host, {"auth-tls-secret": "default/ca-pair"})],
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C19",
        "SSL CheckCACert: a DER ca.crt holds no PEM block: 'error decoding CA certificate/s', Secret refused, 403",
        with_secret("der", lambda pki: {"ca.crt": pki.ca.cert.public_bytes(Encoding.DER)}),
        (403, 403),
        "broken",
        "secret-unusable",
    ),
    Case(
        "C20",
        "SSL CheckCACert: every PEM block goes through x509.ParseCertificate: a private key in ca.crt fails, 403",
        with_secret("withkey", lambda pki: {"ca.crt": pki.ca.cert_pem() + pki.ca.key_pem()}),
        (403, 403),
        "broken",
        "secret-unusable",
    ),
    Case(
        "C21",
        "PEM: keypair plus a ca.crt that is not PEM: 'parsing CA certificate', Secret refused, 403",
        with_secret("badca", lambda pki: {**KEYPAIR(pki), "ca.crt": b"not a certificate"}),
        (403, 403),
        "broken",
        "secret-unusable",
    ),
    Case(
        "C21b",
        "SSL CreateSSLCert: tls.X509KeyPair refuses a key of another certificate, the Secret is refused, 403",
        with_secret(
            "mismatch",
            lambda pki: {
                "tls.crt": pki.server.cert_pem(),
                "tls.key": pki.client.key_pem(),
                "ca.crt": pki.ca.cert_pem(),
            },
        ),
        (403, 403),
        "broken",
        "secret-unusable",
    ),
    Case(
        "C23",
        "SSL ConfigureCRL: the first PEM block must be an X509 CRL: Secret refused, 403",
        with_secret("badcrl", lambda pki: {"ca.crt": pki.ca.cert_pem(), "ca.crl": pki.ca.cert_pem()}),
        (403, 403),
        "broken",
        "crl-invalid",
    ),
    Case(
        "C24",
        "PEM default branch: only ca.crl is 'no keypair or CA certificate', 403",
        with_secret("crlonly", lambda pki: {"ca.crl": b"-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"}),
        (403, 403),
        "broken",
        "secret-missing-ca",
    ),
    Case(
        "C25",
        "PEM default branch: a basic-auth Secret ('auth' key) is ErrSecretForAuth, 403",
        with_secret("basic", lambda pki: {"auth": b"user:$apr1$x$y"}),
        (403, 403),
        "broken",
        "secret-unusable",
    ),
    # --- several Ingresses for one host (SORT, SERVERS) ----------------------------------------------
    Case(
        "C60",
        "SORT oldest first; SERVERS: the first Ingress with a CA file sets the host's checks (another CA here)",
        two({"auth-tls-secret": "default/other-ca"}, CA),
        (400, 400),
        "broken",
        "mtls-host-conflict",
    ),
    Case(
        "C61",
        "SORT: on equal timestamps the greater namespace/name comes first ('zeta' before 'alpha')",
        two({"auth-tls-secret": "default/other-ca"}, CA, same_second=True, names=("alpha", "zeta")),
        (400, 200),
        "broken",
        "mtls-host-conflict",
    ),  # the client gets in; the other CA's clients would not
    Case(
        "C62",
        "SERVERS: mTLS is per server: an older Ingress without auth-tls on the host is covered too",
        two({}, CA),
        (400, 200),
        "works",
        "mtls-host-conflict",
    ),
    Case(
        "C63",
        "SERVERS: any Ingress's AuthTLSError on the host: server-level return 403, the good Ingress's paths too",
        two(CA, {"auth-tls-secret": "default/missing"}),
        (403, 403),
        "broken",
        "probe-location-denied",
    ),
    Case(
        "C64",
        "SERVERS: an older Ingress whose Secret has no ca.crt does not win (CAFileName empty)",
        lambda pki, host: [
            secret(f"pair-{host.split('.')[0]}", KEYPAIR(pki)),
            *two({"auth-tls-secret": f"default/pair-{host.split('.')[0]}"}, CA)(pki, host),
        ],
        (400, 200),
        "broken",
        "mtls-host-conflict",
    ),  # the client gets in; the older Ingress's Secret is ignored
    # --- the certificate the host is served with (TLSNAME) -------------------------------------------
    Case(
        "C67",
        "TLSNAME extractTLSSecretName: no entry lists the host, an entry whose certificate covers it by SAN is used",
        one(CA, tls=[{"secretName": "tls"}]),
        (400, 200),
        "works",
        "probe-ok",
    ),
    Case(
        "C69",
        "TLSNAME: the first Ingress with a tls: section decides; an entry for another host whose certificate "
        "does not cover this one: default certificate",
        lambda pki, host: [
            secret(
                f"narrow-{host.split('.')[0]}",
                {
                    "tls.crt": (
                        narrow := issue_leaf(
                            "elsewhere.example", pki.ca, key=new_key("ec"), v1=False, sans=["elsewhere.example"]
                        )
                    ).cert_pem(),
                    "tls.key": narrow.key_pem(),
                },
            ),
            ingress(host, CA, tls=[{"hosts": ["elsewhere.example"], "secretName": f"narrow-{host.split('.')[0]}"}]),
        ],
        (400, 200),
        "broken",
        "tls-section-missing",
        fake_certificate=True,
    ),
    Case(
        "C70",
        "TLSNAME createServers: a CA-only Secret has no Certificate: default certificate",
        lambda pki, host: [ingress(host, CA, tls=[{"hosts": [host], "secretName": "ca"}])],
        (400, 200),
        "broken",
        "tls-secret-unusable",
        fake_certificate=True,
    ),
    # --- which controller (store class filter) -------------------------------------------------------
    Case(
        "C78",
        "store: an IngressClass whose spec.controller is not k8s.io/ingress-nginx is not listed: ignored",
        one(CA, klass="traefik"),
        (404, 404),
        "broken",
        "ingress-class-mismatch",
        fake_certificate=True,
    ),
    Case(
        "C79",
        "store.go GetIngressClass: without spec.ingressClassName the annotation kubernetes.io/ingress.class is "
        "compared with --ingress-class (nginx) only; an IngressClass nginx-public of k8s.io/ingress-nginx does not "
        "make it served: ignored, the default server's 404",
        lambda pki, host: [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "IngressClass",
                "metadata": {"name": "nginx-public"},
                "spec": {"controller": "k8s.io/ingress-nginx"},
            },
            by_annotation(ingress(host, CA), "nginx-public"),
        ],
        (404, 404),
        "broken",
        "ingress-class-mismatch",
        fake_certificate=True,
    ),
    Case(
        "C57",
        "alias/main.go: server-alias has Validator parser.ValidateArrayOfServerName (IsValidRegex per comma-separated "
        "name: no space): nginx's space-separated form is a ValidationError, EXTRACT returns it, store.go "
        "syncIngress stores nothing: no server, the default server's 404",
        one({**CA, "server-alias": "www.conf.test alias.conf.test"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C58",
        "the same dropped Ingress beside a plain one for the host: the plain one makes the server, no client check",
        lambda pki, host: [
            ingress(host, {**CA, "server-alias": "www.conf.test alias.conf.test"}, name=f"{host.split('.')[0]}-a"),
            ingress(host, {}, name=f"{host.split('.')[0]}-b", created="2026-01-02T00:00:00Z"),
        ],
        (200, 200),
        "not enforced",
        "annotation-invalid-value",
    ),
    # --- auth-tls-match-cn apart from the CA (TMPL: the `if` is rendered whenever MatchCN is set) ------
    Case(
        "C80",
        'TMPL define "SERVER": the match-cn `if` needs no CA file; a keypair Secret without ca.crt (PEM: no '
        "CAFileName) renders no ssl_verify_client, the subject is always empty: 403 with and without a "
        "certificate (issues 9250, 10185)",
        one({"auth-tls-secret": "default/tls", "auth-tls-match-cn": "CN=conformance-client"}),
        (403, 403),
        "broken",
        "match-cn-refuses-all",
    ),
    Case(
        "C81",
        "TMPL: auth-tls-verify-client off renders `ssl_verify_client off`: no certificate is asked, the match-cn "
        "`if` refuses everyone",
        one({**CA, "auth-tls-verify-client": "off", "auth-tls-match-cn": "CN=conformance-client"}),
        (403, 403),
        "broken",
        "match-cn-refuses-all",
    ),
    Case(
        "C82",
        "TMPL + ngx_http_process_request: optional lets a request without a certificate past the verify check, "
        "then the match-cn `if` answers 403; a verified certificate with the subject gets in",
        one({**CA, "auth-tls-verify-client": "optional", "auth-tls-match-cn": "CN=conformance-client"}),
        (403, 200),
        "works",
        "match-cn-requires-certificate",
    ),
    Case(
        "C83",
        "TMPL: optional_no_ca with match-cn: no certificate 403, but the subject is all that is checked",
        one({**CA, "auth-tls-verify-client": "optional_no_ca", "auth-tls-match-cn": "CN=conformance-client"}),
        (403, 200),
        "not enforced",
        "match-cn-requires-certificate",
    ),
    Case(
        "C84",
        "SERVERS getBackendServers: while no Ingress gives a CA file each overwrites server.CertificateAuth; "
        "the newer one without auth-tls leaves none: the older one's match-cn is not rendered",
        two({"auth-tls-secret": "default/tls", "auth-tls-match-cn": "CN=conformance-client"}, {}),
        (200, 200),
        "not enforced",
        "secret-missing-ca",
    ),
    Case(
        "C85",
        "SERVERS: the newer Ingress's CertificateAuth is the last written: its match-cn, without a CA file, "
        "refuses everyone",
        two({}, {"auth-tls-secret": "default/tls", "auth-tls-match-cn": "CN=conformance-client"}),
        (403, 403),
        "broken",
        "match-cn-refuses-all",
    ),
    # --- which rules and Ingresses reach the server (SERVERS, createServers) ---------------------------
    Case(
        "C86",
        "SERVERS getBackendServers: `rule.HTTP == nil` → continue, before CertificateAuth: the mTLS Ingress's "
        "host-only rule brings nothing; the other Ingress's paths are served without client checks",
        lambda pki, host: [
            host_only(ingress(host, CA, name=f"{host.split('.')[0]}-a", created="2026-01-01T00:00:00Z")),
            ingress(host, {}, name=f"{host.split('.')[0]}-b", created="2026-01-02T00:00:00Z"),
        ],
        (200, 200),
        "not enforced",
        "mtls-rule-without-http",
    ),
    Case(
        "C87",
        "createServers: `if anns.Canary.Enabled { continue }`: a host only a canary names gets no server; the "
        "catch-all answers with the default certificate and 404 (E2E canary 'should return 404 status for "
        "requests to the canary if no matching ingress is found')",
        one({**CA, "canary": "true", "canary-weight": "10"}),
        (404, 404),
        "broken",
        "host-canary-only",
        fake_certificate=True,
    ),
    # --- the CA file of a Secret with a keypair (PEM getPemCertificate, SSL ConfigureCACertWithCertAndKey) ----
    Case(
        "C88",
        "PEM getPemCertificate: with tls.crt and tls.key, CAFileName is the keypair's file with ca.crt appended "
        "(E2E assertSslClientCertificateConfig: ssl_client_certificate …/<ns>-<name>.pem): a CA in tls.crt's chain "
        "is trusted for clients although ca.crt holds another",
        lambda pki, host: [
            secret(
                f"chain-{host.split('.')[0]}",
                {
                    "tls.crt": pki.server.cert_pem() + pki.ca.cert_pem(),
                    "tls.key": pki.server.key_pem(),
                    "ca.crt": pki.other_ca.cert_pem(),
                },
            ),
            ingress(host, {"auth-tls-secret": f"default/chain-{host.split('.')[0]}"}),
        ],
        (400, 200),
        "works",
        "client-cert-accepted",
    ),
    # --- proxy-ssl-* beside auth-tls (PROXYSSL, EXTRACT, TMPL "Location denied") ------------------------
    Case(
        "C89",
        "PROXYSSL Parse: a proxy-ssl-secret the controller cannot find is a LocationDeniedError; EXTRACT sets the "
        "Ingress's Denied and TMPL renders `return 503;` in its locations, after nginx's client check: 400 "
        "without a certificate, 503 with one",
        one({**CA, "proxy-ssl-secret": "default/upstream-client"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C90",
        "PROXYSSL Parse, TMPL: proxy-ssl-* renders proxy_ssl_* (nginx's own TLS to the backend) and asks clients for "
        "nothing: without auth-tls-secret, a client without a certificate gets in",
        one({"proxy-ssl-secret": "default/ca", "proxy-ssl-verify": "on"}),
        (200, 200),
        "works",
    ),
    Case(
        "C91",
        "PROXYSSL Parse: the auth-tls Secret (ca.crt only) is usable as proxy-ssl-secret too: no denial",
        one({**CA, "proxy-ssl-secret": "default/ca"}),
        (400, 200),
        "works",
    ),
    # --- basic authentication beside auth-tls (AUTH Parse, EXTRACT, TMPL "Location denied") -------------
    Case(
        "C92",
        "AUTH Parse: an auth-secret that does not exist is a LocationDeniedError ('unexpected error reading secret'); "
        "EXTRACT sets Denied and TMPL renders `return 503;` in the locations, after the client check",
        one({**CA, "auth-type": "basic", "auth-secret": "default/basic-auth"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C93",
        "AUTH Parse, dumpSecretAuthFile: an auth-file Secret without the key `auth` (here the CA Secret) is denied: "
        "'the secret ca does not contain a key with value auth'",
        one({**CA, "auth-type": "basic", "auth-secret": "ca"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    # --- other annotations' validators (PARSERS, VALID, EXTRACT) -------------------------------------------
    Case(
        "C94",
        "PARSERS clientbodybuffersize: ValidateRegex(SizeRegex `^(?i)\\d+[bkmg]?$`, true) and Parse returns the "
        "ValidationError; EXTRACT returns it, store.go syncIngress stores nothing: no server, the default server's 404",
        one({**CA, "client-body-buffer-size": "10 MB"}),
        (404, 404),
        "broken",
        "annotation-invalid-value",
        fake_certificate=True,
    ),
    Case(
        "C95",
        "PARSERS proxy: proxy-body-size has the same validator, but Parse uses the default on any error: served",
        one({**CA, "proxy-body-size": "10 MB"}),
        (400, 200),
        "works",
    ),
    Case(
        "C96",
        "PARSERS sslpassthrough: ValidateBool refuses 'yes', Parse returns it: the mTLS Ingress is dropped and a "
        "plain one for the host makes the server, no client check",
        lambda pki, host: [
            ingress(host, {**CA, "ssl-passthrough": "yes"}, name=f"{host.split('.')[0]}-a"),
            ingress(host, {}, name=f"{host.split('.')[0]}-b", created="2026-01-02T00:00:00Z"),
        ],
        (200, 200),
        "not enforced",
        "annotation-invalid-value",
    ),
    # --- the other parsers that deny locations (AUTHREQ, ALLOW, DENY, HEADERS, FASTCGI; EXTRACT sets Denied,
    # TMPL "Location denied": `return 503;` in the Ingress's locations, after nginx's client check) ---------
    Case(
        "C97",
        "AUTHREQ Parse, CHECK StringToURL: '..' in the host is 'invalid url host', a LocationDeniedError (E2E auth.go "
        "'with invalid auth-url should deny whole location', the same value): 400 without a certificate, 503 with one",
        one({**CA, "auth-url": "https://invalid..auth.url"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C98",
        "AUTHREQ Parse, CHECK StringToURL: a bare path passes the validator but has no scheme: 'url scheme is empty'",
        one({**CA, "auth-url": "/oauth2/auth"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C99",
        "AUTHREQ Parse: auth-method's validator ValidateRegex(methodsRegex `^(GET|…)$`, true) refuses 'get'; Parse "
        "turns the ValidationError into NewLocationDenied('invalid HTTP method'), not a drop",
        one({**CA, "auth-url": AUTH_URL, "auth-method": "get"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C100",
        "AUTHREQ ParseStringToCacheDurations / ValidCacheDuration: '200 202 401' has no time: 'invalid cache "
        "duration', read even without auth-cache-key",
        one({**CA, "auth-url": AUTH_URL, "auth-cache-duration": "200 202 401"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C101",
        "AUTHREQ Parse: auth-response-headers refused by parser.HeadersVariable (';') is NewLocationDenied('validation "
        "error')",
        one({**CA, "auth-url": AUTH_URL, "auth-response-headers": "X-User;X-Email"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C102",
        "AUTHREQ Parse, STORE GetConfigMap: auth-proxy-set-headers 'auth-headers' is looked up as the key "
        "'auth-headers', never found although default/auth-headers exists (E2E auth.go writes <namespace>/auth-headers)",
        with_maps(
            {**CA, "auth-url": AUTH_URL, "auth-proxy-set-headers": "auth-headers"},
            config_map("auth-headers", {"X-A": "1"}),
        ),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C103",
        "ALLOW Parse: ValidateCIDRs refuses '10.0.0.0/33' (ValidationError); Parse turns every error but a missing "
        "annotation into a LocationDeniedError: denied, not dropped",
        one({**CA, "allowlist-source-range": "10.0.0.0/33"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C104",
        "ALLOW Parse: comma-separated CIDRs with spaces are taken (E2E ipallowlist.go 'should set valid ip allowlist "
        "range': '18.0.0.0/8, 56.0.0.0/8'); the probe's 127.0.0.1 is listed: no denial, allowed",
        one({**CA, "allowlist-source-range": "127.0.0.1/32, 18.0.0.0/8"}),
        (400, 200),
        "works",
    ),
    Case(
        "C105",
        "ALLOW, CHECK checkAnnotation: the alias whitelist-source-range is read when allowlist-source-range is absent; "
        "'office' is no IP address or CIDR: denied",
        one({**CA, "whitelist-source-range": "office"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C106",
        "DENY Parse: ';' between CIDRs is refused by ValidateCIDRs: a LocationDeniedError",
        one({**CA, "denylist-source-range": "192.0.2.0/24;198.51.100.0/24"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C107",
        "DENY Parse: a valid list (E2E ipdenylist.go form '18.0.0.0/8, 56.0.0.1') without the probe's address: no "
        "denial, not refused",
        one({**CA, "denylist-source-range": "192.0.2.0/24, 198.51.100.1"}),
        (400, 200),
        "works",
    ),
    Case(
        "C108",
        "HEADERS Parse: the ConfigMap custom-headers names does not exist: 'unable to find configMap' (E2E "
        "customheaders.go 'should return status code 503 when custom-headers is configured with an invalid secret')",
        one({**CA, "custom-headers": "default/custom-headers"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C109",
        "HEADERS Parse: the ConfigMap exists, but global-allowed-response-headers (default: none) does not list its "
        "header: 'header … is not allowed'",
        with_maps({**CA, "custom-headers": "default/custom-headers"}, config_map("custom-headers", {"X-A": "42"})),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C110",
        "HEADERS Parse: the header listed in the controller ConfigMap's global-allowed-response-headers (E2E "
        "customheaders.go 'should set \"more_set_headers …\" when custom-headers are set'): no denial",
        with_maps(
            {**CA, "custom-headers": "default/custom-headers"},
            config_map("custom-headers", {"X-A": "42"}),
            controller_settings(global_allowed_response_headers="X-A"),
        ),
        (400, 200),
        "works",
    ),
    Case(
        "C111",
        "FASTCGI Parse: fastcgi-params-configmap is read whatever backend-protocol says; a ConfigMap missing from the "
        "Ingress's namespace is a LocationDeniedError",
        one({**CA, "fastcgi-params-configmap": "fcgi"}),
        (400, 503),
        "broken",
        "location-denied",
    ),
    Case(
        "C112",
        "FASTCGI Parse: the ConfigMap exists with valid keys and values (E2E fastcgi.go 'should add fastcgi_param in "
        "the configuration file'): "
        "no denial; fastcgi_param beside proxy_pass changes nothing",
        with_maps(
            {**CA, "fastcgi-params-configmap": "fcgi"}, config_map("fcgi", {"SCRIPT_FILENAME": "/app/index.php"})
        ),
        (400, 200),
        "works",
    ),
]


def by_annotation(obj: dict[str, Any], klass: str) -> dict[str, Any]:
    del obj["spec"]["ingressClassName"]
    obj["metadata"]["annotations"]["kubernetes.io/ingress.class"] = klass
    return obj


def host_only(obj: dict[str, Any]) -> dict[str, Any]:
    for rule in obj["spec"]["rules"]:
        rule.pop("http")
    return obj


def objects_for(case: Case, pki: Pki) -> list[dict[str, Any]]:
    return base(pki) + case.objects(pki, case.host)


@pytest.fixture(scope="module")
def served(pki: Pki, nginx_binary: str, tmp_path_factory: pytest.TempPathFactory):
    """One real nginx for every case, each on its own host name, configured from the policy."""
    folder = tmp_path_factory.mktemp("conformance")
    write_file(folder / "client.crt", pki.client.cert_pem())
    write_file(folder / "client.key", pki.client.key_pem(), private=True)
    hosts = []
    for case in CASES:
        hosts += [h for h in gateway_hosts(objects_for(case, pki)) if h.policy.host == case.host]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield gateway, folder


@pytest.mark.nginx
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_controller_rule(case: Case, pki: Pki, served) -> None:
    gateway, folder = served
    results = run_probe(
        ProbeSpec(
            gateway.url(case.host),
            resolve=gateway.resolve(case.host),
            insecure=True,
            timeout=5,
            cert=str(folder / "client.crt"),
            key=str(folder / "client.key"),
        )
    )
    assert tuple(r.status for r in results) == case.statuses, (case.cite, [r.body[:80] for r in results])
    assert results[1].fake_certificate == case.fake_certificate, case.cite
    snapshot = snapshot_from_objects(objects_for(case, pki), "conformance")
    policy = next(p for p in host_policies(snapshot) if p.host == case.host)
    client = load_material(pki.client.cert_pem() + pki.client.key_pem(), "client.crt")
    report = host_report(policy, snapshot, NOW, client=client, probe=results)
    codes = {f.code for f in report.findings}
    assert report.state == case.state, (case.cite, report.verdict, sorted(codes))
    if case.code:
        assert case.code in codes, (case.cite, report.verdict, sorted(codes))
    prose = [f.fix for f in report.findings if f.fix and not f.is_command]
    assert not prose, "a fix is a command that runs, never prose"
    if "depth" in case.extra:
        assert policy.policy.verify_depth == case.extra["depth"]
    if "pass_certificate" in case.extra:
        assert results[1].echoed("ssl-client-cert"), "pass-certificate: the upstream gets ssl-client-cert"


def test_every_rule_without_a_probe_agrees(pki: Pki) -> None:
    """The same cases offline (check --manifests, no probe): the state must not claim more than the
    objects show. Where the probe was what proved a failure, offline is at most as good, never 'works'
    for a case the controller breaks."""
    wrong = []
    for case in CASES:
        snapshot = snapshot_from_objects(objects_for(case, pki), "conformance")
        policy = next(p for p in host_policies(snapshot) if p.host == case.host)
        client = load_material(pki.client.cert_pem() + pki.client.key_pem(), "client.crt")
        report = host_report(policy, snapshot, NOW, client=client)
        if case.state != "works" and report.state == "works":
            wrong.append((case.id, report.verdict))
    assert not wrong


@pytest.mark.nginx
def test_plain_http_reaches_the_upstream_of_an_mtls_server(pki: Pki, nginx_binary: str, tmp_path) -> None:
    """Why mtls-plain-http is an open door: the server block ingress-nginx renders listens on port 80
    and 443 (nginx.tmpl define "SERVER": buildHTTPListener, buildHTTPSListener), and nginx checks the
    client certificate only on a TLS connection (ngx_http_request.c ngx_http_process_request: the
    `ssl_verify_client` checks are inside `if (c->ssl)`). Measured: the same server answers 400 over
    HTTPS without a certificate and 200 over HTTP. ingress-nginx's only guard is its Lua redirect
    (lua_ingress.lua redirect_to_https), which ssl-redirect "false" or a host without a tls:
    certificate turns off (the policy tests below)."""
    import httpx

    from mtls_tui.lab.nginx import Nginx, free_port

    http_port, https_port = free_port(), free_port()

    def body(prefix) -> str:
        write_file(prefix / "s.crt", pki.server.cert_pem())
        write_file(prefix / "s.key", pki.server.key_pem(), private=True)
        write_file(prefix / "ca.crt", pki.ca.cert_pem())
        return (
            f"server {{\n  listen 127.0.0.1:{http_port};\n  listen 127.0.0.1:{https_port} ssl;\n"
            f"  server_name meow.{DOMAIN};\n  ssl_certificate {prefix}/s.crt;\n  ssl_certificate_key {prefix}/s.key;\n"
            f"  ssl_client_certificate {prefix}/ca.crt;\n  ssl_verify_client on;\n"
            '  location / { return 200 "upstream verify=$ssl_client_verify\\n"; }\n}'
        )

    with Nginx(body, [http_port, https_port], binary=nginx_binary):
        headers = {"Host": f"meow.{DOMAIN}"}
        plain = httpx.get(f"http://127.0.0.1:{http_port}/", headers=headers, timeout=5)
        tls = httpx.get(f"https://127.0.0.1:{https_port}/", headers=headers, timeout=5, verify=False)
    assert (tls.status_code, plain.status_code) == (400, 200)
    assert plain.text.startswith("upstream")


def _http_case(pki: Pki, annotations: dict[str, str], *, tls: list | None = None, settings: dict | None = None):
    objects = base(pki) + [ingress(f"meow.{DOMAIN}", {**CA, **annotations}, tls=tls)]
    if settings:
        objects = [o for o in objects if o["kind"] != "ConfigMap"] + [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                "data": settings,
            }
        ]
    snapshot = snapshot_from_objects(objects, "conformance")
    policy = next(p for p in host_policies(snapshot) if p.host == f"meow.{DOMAIN}")
    return host_report(policy, snapshot, NOW)


@pytest.mark.parametrize(
    ("annotations", "tls", "settings", "opened"),
    [
        ({}, None, None, False),  # ssl-redirect defaults to true (config.go NewDefault) and the host has a certificate
        ({"ssl-redirect": "false"}, None, None, True),  # rewrite.Parse: the annotation
        ({}, None, {"ssl-redirect": "false"}, True),  # the ConfigMap's default for it
        ({"ssl-redirect": "false", "force-ssl-redirect": "true"}, None, None, False),  # force wins (redirect_to_https)
        ({"ssl-redirect": "no"}, None, None, False),  # not a Go bool: GetBoolAnnotation fails, the default (true)
        ({}, [], None, True),  # no tls: section: no certificate configured for the host, no redirect
        ({"force-ssl-redirect": "true"}, [], None, False),  # force redirects even then
        # lua_ingress.lua rewrite: with use-forwarded-headers the client's X-Forwarded-Proto is the scheme
        # redirect_to_https looks at: "https" skips the redirect, force-ssl-redirect included
        ({"force-ssl-redirect": "true"}, None, {"use-forwarded-headers": "true"}, True),
    ],
)
def test_plain_http_is_an_open_door_unless_redirected(pki: Pki, annotations, tls, settings, opened: bool) -> None:
    report = _http_case(pki, annotations, tls=tls, settings=settings)
    found = [f for f in report.findings if f.code == "mtls-plain-http"]
    assert bool(found) is opened, report.verdict
    if opened:
        assert report.state == "not enforced" and found[0].severity.value == "error"
        # without a tls: section the fix gives the host its certificate, and with it ssl-redirect (true by
        # default) redirects (certificate.lua configured_for_current_request); force-ssl-redirect alone
        # would send clients to the fake certificate
        expected = (
            "use-forwarded-headers"
            if settings and "use-forwarded-headers" in settings
            else '{"spec":{"tls":[{"hosts":'
            if tls == []
            else "force-ssl-redirect=true"
        )
        assert expected in found[0].fix and report.lead is found[0]


@pytest.mark.nginx
def test_an_error_page_on_the_host_itself_redirects_without_end(pki: Pki, nginx_binary: str) -> None:
    """error-page-loop, measured: the controller's `error_page 495 496 = URL;` (TMPL) with URL on the
    same mTLS host; the request for the error page itself, without a certificate, is redirected to
    the error page again."""
    host = f"loop.{DOMAIN}"
    page = f"https://{host}/cert-error"
    objects = base(pki) + [ingress(host, {**CA, "auth-tls-error-page": page})]
    snapshot = snapshot_from_objects(objects, "conformance")
    policy = next(p for p in host_policies(snapshot) if p.host == host)
    assert "error-page-loop" in {f.code for f in host_report(policy, snapshot, NOW).findings}
    with Gateway([h for h in gateway_hosts(objects) if h.policy.host == host], nginx_binary=nginx_binary) as gateway:
        for path in ("/", "/cert-error", "/cert-error"):  # the page's own request: refused, sent to the page again
            [without, *_] = run_probe(
                ProbeSpec(gateway.url(host, path), resolve=gateway.resolve(host), insecure=True, timeout=5)
            )
            assert without.status == 302 and dict((k.lower(), v) for k, v in without.headers).get("location") == page, (
                path
            )


@pytest.mark.nginx
@pytest.mark.parametrize(
    ("alias", "name", "taken"), [("x.conf.test", "x", True), ("*.test", "y", True), ("", "x", False)]
)
def test_an_alias_beats_the_wildcard_hosts_regex(
    pki: Pki, nginx_binary: str, alias: str, name: str, taken: bool
) -> None:
    """Why alias-takes-wildcard-names is an open door, measured: the server block of the wildcard host
    `*.conf.test` as the controller names it (template.go buildServerName: a regex) with client checks,
    and another host's server whose server_name lists the alias (nginx.tmpl: `server_name HOST ALIAS…`)
    without them. A name the alias covers is answered by the plain server: 200 without a certificate."""
    import httpx

    from mtls_tui.lab.nginx import Nginx, free_port

    port = free_port()

    def body(prefix) -> str:
        write_file(prefix / "s.crt", pki.server.cert_pem())
        write_file(prefix / "s.key", pki.server.key_pem(), private=True)
        write_file(prefix / "ca.crt", pki.ca.cert_pem())
        tls = f"  listen 127.0.0.1:{port} ssl;\n  ssl_certificate {prefix}/s.crt;\n  ssl_certificate_key {prefix}/s.key;\n"
        return (
            f'server {{\n  server_name "~^(?<subdomain>[\\w-]+)\\.conf\\.test$";\n{tls}'
            f"  ssl_client_certificate {prefix}/ca.crt;\n  ssl_verify_client on;\n"
            '  location / { return 200 "wildcard\\n"; }\n}\n'
            f'server {{\n  server_name other.example {alias};\n{tls}  location / {{ return 200 "plain\\n"; }}\n}}'
        )

    with Nginx(body, [port], binary=nginx_binary):
        host = f"{name}.{DOMAIN}"
        with httpx.Client(verify=False, timeout=5) as client:
            request = client.build_request(
                "GET", f"https://127.0.0.1:{port}/", headers={"Host": host}, extensions={"sni_hostname": host}
            )
            answer = client.send(request)
    assert (answer.status_code, answer.text) == ((200, "plain\n") if taken else (400, answer.text))


@pytest.mark.nginx
@pytest.mark.parametrize("match_cn", [True, False])
def test_the_match_cn_check_answers_plain_http_too(pki: Pki, nginx_binary: str, match_cn: bool) -> None:
    """Why match-cn-refuses-acme: the server block with its port 80 listener (buildHTTPListener) and the
    match-CN `if` (nginx.tmpl define "SERVER"): an HTTP request for the ACME challenge has no subject."""
    import httpx

    from mtls_tui.lab.nginx import Nginx, free_port

    port = free_port()
    check = '  if ( $ssl_client_s_dn !~ "CN=conformance-client" ) { return 403 "client certificate unauthorized"; }\n'

    def body(prefix) -> str:
        return (
            f"server {{\n  listen 127.0.0.1:{port};\n  server_name meow.{DOMAIN};\n{check if match_cn else ''}"
            '  location /.well-known/acme-challenge/ { return 200 "token\\n"; }\n}'
        )

    with Nginx(body, [port], binary=nginx_binary):
        answer = httpx.get(
            f"http://127.0.0.1:{port}/.well-known/acme-challenge/token", headers={"Host": f"meow.{DOMAIN}"}, timeout=5
        )
    assert answer.status_code == (403 if match_cn else 200)


@pytest.mark.nginx
@pytest.mark.openssl_cli
def test_nginx_cannot_present_the_clients_certificate_to_a_tls_backend(
    pki: Pki, nginx_binary: str, openssl_binary: str, tmp_path
) -> None:
    """Why pass-certificate-not-tls: nginx verifies the client, forwards ssl-client-cert as a header,
    and opens its own TLS to the backend (backend-protocol HTTPS: proxy_pass https://), which carries
    no client certificate; a backend that requires one (openssl s_server -Verify) fails the
    handshake and nginx answers 502 to the verified client (kubernetes/ingress-nginx issue 5922)."""
    import ssl
    import subprocess
    import time as clock

    import httpx

    from mtls_tui.lab.nginx import Nginx, free_port

    write_file(tmp_path / "s.crt", pki.server.cert_pem())
    write_file(tmp_path / "s.key", pki.server.key_pem(), private=True)
    write_file(tmp_path / "ca.crt", pki.ca.cert_pem())
    write_file(tmp_path / "c.crt", pki.client.cert_pem())
    write_file(tmp_path / "c.key", pki.client.key_pem(), private=True)
    backend_port, port = free_port(), free_port()
    backend = subprocess.Popen(
        [
            openssl_binary,
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            f"127.0.0.1:{backend_port}",
            "-cert",
            str(tmp_path / "s.crt"),
            "-key",
            str(tmp_path / "s.key"),
            "-CAfile",
            str(tmp_path / "ca.crt"),
            "-Verify",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        clock.sleep(0.5)

        def body(prefix) -> str:
            return (
                f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name meow.{DOMAIN};\n"
                f"  ssl_certificate {tmp_path}/s.crt;\n  ssl_certificate_key {tmp_path}/s.key;\n"
                f"  ssl_client_certificate {tmp_path}/ca.crt;\n  ssl_verify_client on;\n"
                "  location / {\n    proxy_set_header ssl-client-cert $ssl_client_escaped_cert;\n"
                f"    proxy_pass https://127.0.0.1:{backend_port};\n  }}\n}}"
            )

        with Nginx(body, [port], binary=nginx_binary):
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            context.load_cert_chain(str(tmp_path / "c.crt"), str(tmp_path / "c.key"))
            with httpx.Client(verify=context, timeout=5) as client:
                answer = client.get(f"https://127.0.0.1:{port}/", headers={"Host": f"meow.{DOMAIN}"})
    finally:
        backend.terminate()
        backend.wait(5)
    assert answer.status_code == 502


@pytest.mark.nginx
@pytest.mark.openssl_cli
@pytest.mark.parametrize("tickets", [False, True])
def test_a_session_from_a_host_without_client_checks_does_not_open_an_mtls_host(
    pki: Pki, nginx_binary: str, openssl_binary: str, tmp_path, tickets: bool
) -> None:
    """Why ssl-session-tickets and the shared session cache need no rule, measured: ingress-nginx
    renders `ssl_session_cache shared:SSL:…` and `ssl_session_tickets` (config.go NewDefault:
    SSLSessionCache true, SSLSessionTickets false; nginx.tmpl) at http level, shared by every server.
    A session made with a host that asks no certificate, offered again with the mTLS host's name:
    TLS 1.2 resumes it and nginx answers 421 (the name differs from the one the session was made
    for); nginx rejects the TLS 1.3 handshake (alert 49 access_denied). No request gets in without a
    certificate."""
    import subprocess

    from mtls_tui.lab.nginx import Nginx, free_port

    port = free_port()
    (tmp_path / "ticket.key").write_bytes(bytes(range(80)))

    def body(prefix) -> str:
        write_file(prefix / "s.crt", pki.server.cert_pem())
        write_file(prefix / "s.key", pki.server.key_pem(), private=True)
        write_file(prefix / "ca.crt", pki.ca.cert_pem())
        keys = f"ssl_session_tickets on;\nssl_session_ticket_key {tmp_path}/ticket.key;\n" if tickets else ""
        return (
            f"ssl_protocols TLSv1.2 TLSv1.3;\nssl_session_cache shared:SSL:1m;\n{keys}"
            f"ssl_certificate {prefix}/s.crt;\nssl_certificate_key {prefix}/s.key;\n"
            f'server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name open.{DOMAIN};\n  location / {{ return 200 "open\\n"; }}\n}}\n'
            f"server {{\n  listen 127.0.0.1:{port} ssl;\n  server_name mtls.{DOMAIN};\n"
            f"  ssl_client_certificate {prefix}/ca.crt;\n  ssl_verify_client on;\n"
            '  location / { return 200 "in\\n"; }\n}'
        )

    def ask(host: str, version: str, session: str) -> str:
        request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        flag = "-sess_out" if host.startswith("open") else "-sess_in"
        done = subprocess.run(
            [openssl_binary, "s_client", version, "-connect", f"127.0.0.1:{port}", "-servername", host, "-ign_eof"]
            + [flag, str(tmp_path / session)]
            + ([] if tickets else ["-no_ticket"]),
            input=request,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout + done.stderr

    with Nginx(body, [port], binary=nginx_binary):
        for version in ("-tls1_2", "-tls1_3"):
            made = ask(f"open.{DOMAIN}", version, f"{version}.pem")
            assert "open" in made.splitlines()[-1] or "\nopen\n" in made, made[-300:]
            assert (tmp_path / f"{version}.pem").stat().st_size > 0  # a session to offer
            again = ask(f"mtls.{DOMAIN}", version, f"{version}.pem")
            assert "\nin\n" not in again
            if version == "-tls1_2":
                assert "Reused, TLSv1.2" in again and "421 Misdirected Request" in again, again[-600:]
            else:
                # nginx refuses the handshake (its log: "handshake rejected"): alert 49 access denied
                assert "Reused" not in again and "HTTP/1.1" not in again and "alert access denied" in again, again[
                    -600:
                ]
