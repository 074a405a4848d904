"""Every annotation's validator, and which ones drop the whole Ingress.

Sources, kubernetes/ingress-nginx at controller-v1.15.1 unless a row names another tag:
parser/validators.go (ValidateRegex, ValidateOptions, ValidateBool, ValidateInt, ValidateCIDRs,
ValidateServerName, ValidateServiceName, checkAnnotation), annotations.go Extractor.Extract (a
ValidationError returned by Parse is returned), store.go syncIngress (`klog.Error(err); return`),
and each parser's Parse in internal/ingress/annotations/<package>/main.go (the package is named
in each row): whether it returns the error, or logs it and uses its default.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mtls_tui.certs.issue import Issued, issue_ca, issue_leaf, new_key
from mtls_tui.policy.ingress_nginx.annotations import AUTH_TLS_KEYS
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.ingress_nginx.releases import rules_for
from mtls_tui.policy.ingress_nginx.risks import ANNOTATION_RISK
from mtls_tui.policy.ingress_nginx.validators import DROPS, NOT_DROPPED, go_cidrs
from mtls_tui.policy.kube_objects import snapshot_from_objects
from tests.test_controller_releases import objects

MIRROR = Path("/work/.mirror/kubernetes+ingress-nginx/repo")
HOST = "v.release.test"


@pytest.fixture(scope="module")
def pki() -> tuple[Issued, Issued, Issued]:
    ca = issue_ca("Validators CA", key=new_key("ec"))
    server = issue_leaf("server", ca, key=new_key("ec"), v1=False, sans=["*.release.test"])
    client = issue_leaf("client", ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
    return ca, server, client


def served(pki, annotations: dict[str, str], release: str = "1.15.1", args: tuple[str, ...] = ()):
    """(whether the mTLS host is served with its client checks, the invalid-value findings)."""
    snapshot = snapshot_from_objects(objects(pki, HOST, annotations, release, args), "validators")
    policy = next(p for p in host_policies(snapshot) if p.host == HOST)
    invalid = [f for f in policy.findings if f.code == "annotation-invalid-value"]
    return policy.served and policy.client_checks, invalid


# (annotation, an invalid value, a valid value): the parser returns the validation error (DROPS)
DROPPED = [
    # clientbodybuffersize: ValidateRegex(SizeRegex `^(?i)\d+[bkmg]?$`, true); Parse returns GetStringAnnotation's error
    ("client-body-buffer-size", "10 MB", "10M"),
    # loadbalancing: ValidateOptions(round_robin, chash, ..., ewma; case-sensitive); Parse returns it
    ("load-balance", "EWMA", "ewma"),
    # sslpassthrough: ValidateBool (strconv.ParseBool); Parse returns GetBoolAnnotation
    ("ssl-passthrough", "yes", "true"),
    # http2pushpreload: ValidateBool
    ("http2-push-preload", "on", "false"),
    # ratelimit: ValidateInt (strconv.Atoi: no spaces); `if err != nil && IsValidationError(err) { return nil, err }`
    ("limit-rps", "10r/s", "10"),
    ("limit-connections", " 5", "+5"),
    # ratelimit: limit-allowlist ValidateCIDRs (net.ParseCIDRs: comma-separated, each trimmed), alias limit-whitelist
    ("limit-allowlist", "10.0.0.0/8 192.168.0.1", "10.0.0.0/8, 192.168.0.1"),
    ("limit-whitelist", "10.0.0.0/33", "10.0.0.1/8"),
    # upstreamvhost: ValidateServerName (TrimSpace, IsValidRegex: no space, no '@')
    ("upstream-vhost", "svc@cluster", " svc.local "),
    # defaultbackend: ValidateServiceName (DNS-1035 label); Parse returns it
    ("default-backend", "Echo_Svc", "echo"),
    # auth: authTypeRegex `basic|digest`, case-sensitive, unanchored; Parse returns GetStringAnnotation's error
    ("auth-type", "Basic", "basic"),
    # authreq: auth-url URLWithNginxVariableRegex; `return nil, err`
    ("auth-url", "http://auth/verify?x=<y>", "http://auth.svc/verify?rd=$escaped_request_uri"),
    # connection: `^(close|keep-alive)$`
    ("connection-proxy-header", "Close", "keep-alive"),
    # customhttperrors: `^(?:[4,5]\d{2},?)*$`
    ("custom-http-errors", "404;503", "404,503"),
    # sslcipher: regexValidSSLCipher (v1.13.0+: '_' allowed); `return config, err`
    ("ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256 @SECLEVEL=9", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=2"),
    # xforwardedprefix: RegexPathWithCapture
    ("x-forwarded-prefix", "/api?v=1", "/api/$1"),
    # redirect: from-to-www-redirect ValidateBool; `if err != nil && !IsMissingAnnotations(err) { return nil, err }`
    ("from-to-www-redirect", "yes", "true"),
    # proxyssl: proxy-ssl-secret BasicCharsRegex; `return &Config{}, err`
    ("proxy-ssl-secret", "default/up stream#1", "default/upstream"),
]


@pytest.mark.parametrize(("name", "bad", "good"), DROPPED, ids=[d[0] for d in DROPPED])
def test_an_invalid_value_drops_the_ingress_and_a_valid_one_is_served(pki, name, bad, good) -> None:
    ok, invalid = served(pki, {name: bad})
    assert not ok and len(invalid) == 1 and f"{name} '{bad}'" in invalid[0].title, invalid
    assert "the Ingress is ignored" in invalid[0].title and DROPS[name if name in DROPS else "limit-allowlist"]
    if name != "proxy-ssl-secret":  # a valid proxy-ssl-secret names a Secret this test has not: denied, not dropped
        ok, invalid = served(pki, {name: good})
        assert ok and not invalid, invalid


# (annotation, invalid value): the parser logs the validation error and uses its default: served
SERVED = [
    ("proxy-body-size", "10 MB"),  # proxy: `if err != nil { config.BodySize = defBackend.ProxyBodySize }`
    ("cors-allow-origin", "https://a.com; evil"),  # cors: "cors-allow-origin is invalid, defaulting to '*'"
    ("backend-protocol", "HTTP2"),  # backendprotocol: "Using HTTP as protocol"
    ("proxy-read-timeout", "60s"),  # proxy: default ProxyReadTimeout
    ("session-cookie-samesite", "Sometimes"),  # sessionaffinity: ignored
    ("enable-cors", "yes"),  # cors: defaulting to 'false'
    ("canary-weight", "ten"),  # canary: defaulting to '0'
    ("ssl-prefer-server-ciphers", "yes"),  # sslcipher: SSLPreferServerCiphers ""
    ("opentelemetry-operation-name", "op name!"),  # opentelemetry: read only when enable-opentelemetry is true
]


@pytest.mark.parametrize(("name", "bad"), SERVED, ids=[s[0] for s in SERVED])
def test_a_value_the_parser_replaces_by_its_default_is_served(pki, name, bad) -> None:
    ok, invalid = served(pki, {name: bad})
    assert ok and not invalid, invalid
    assert name in NOT_DROPPED or DROPS[name].reached is not None


def test_what_a_parser_reads_first_decides_what_it_validates(pki) -> None:
    """opentelemetry/main.go Parse: the operation name only after enable-opentelemetry parses true.
    redirect.go Parse: a present but empty temporal-redirect fails parseString (InvalidContent, not a
    validation error) and returns before permanent-redirect is read; without it, permanent-redirect is."""
    assert not served(pki, {"enable-opentelemetry": "true", "opentelemetry-operation-name": "op name!"})[0]
    assert served(pki, {"temporal-redirect": "", "permanent-redirect": "https://x.example/a b"})[0]
    assert not served(pki, {"permanent-redirect": "https://x.example/a b"})[0]
    assert served(pki, {"from-to-www-redirect": "", "temporal-redirect": "https://x.example/?a=<b>"})[0]
    # auth/main.go Parse: auth-secret-type is read only once auth-type matched `basic|digest`
    assert served(pki, {"auth-secret-type": "htpasswd"})[0]
    assert not served(pki, {"auth-type": "basic", "auth-secret-type": "htpasswd"})[0]


def test_validation_off_or_a_release_without_validators_serves_the_ingress(pki) -> None:
    """checkAnnotation: `if EnableAnnotationValidation && annotationValue != ""`; validators.go came in v1.9."""
    bad = {"client-body-buffer-size": "10 MB", "ssl-passthrough": "yes"}
    assert not served(pki, bad)[0]
    assert served(pki, bad, args=("--enable-annotation-validation=false",)) == (True, [])
    assert served(pki, bad, release="1.8.5") == (True, [])
    assert served(pki, {"client-body-buffer-size": ""})[0]  # checkAnnotation: empty values are not validated


@pytest.mark.parametrize(
    ("annotations", "release", "dropped"),
    [
        # sslcipher regexValidSSLCipher: '_' from v1.11.6, v1.12.2, v1.13.0 (#13110); @SECLEVEL from v1.9.6
        ({"ssl-ciphers": "TLS_AES_128_GCM_SHA256"}, "1.12.1", True),
        ({"ssl-ciphers": "TLS_AES_128_GCM_SHA256"}, "1.12.2", False),
        ({"ssl-ciphers": "DEFAULT:@SECLEVEL=1"}, "1.9.5", True),
        ({"ssl-ciphers": "DEFAULT:@SECLEVEL=1"}, "1.9.6", False),
        # validators.go urlEnabledChars gains ',' in v1.10.5 and v1.11.3, not in v1.11.0-v1.11.2
        ({"permanent-redirect": "https://x.example/?a=1,2"}, "1.11.2", True),
        ({"permanent-redirect": "https://x.example/?a=1,2"}, "1.11.3", False),
        # redirect.go reads temporal-redirect-code from v1.12.0, relative-redirects from v1.13.0
        ({"temporal-redirect": "https://x.example/", "temporal-redirect-code": "302 Found"}, "1.11.8", False),
        ({"temporal-redirect": "https://x.example/", "temporal-redirect-code": "302 Found"}, "1.12.0", True),
        ({"relative-redirects": "yes"}, "1.12.8", False),
        ({"relative-redirects": "yes"}, "1.13.0", True),
        # xforwardedprefix: BasicCharsRegex before v1.9.5, RegexPathWithCapture from it
        ({"x-forwarded-prefix": "/api/$1"}, "1.9.4", True),
        ({"x-forwarded-prefix": "/api/$1"}, "1.9.5", False),
        # MaliciousRegex (v1.11.5, v1.12.1): the unanchored authTypeRegex took "basic\n" before
        ({"auth-type": "basic\ndigest"}, "1.11.4", False),
        ({"auth-type": "basic\ndigest"}, "1.11.5", True),
    ],
)
def test_releases_differ(pki, annotations, release, dropped) -> None:
    ok, invalid = served(pki, annotations, release=release)
    assert (not ok and bool(invalid)) is dropped, invalid


def test_the_release_keys() -> None:
    """ingress_nginx.releases rules_for: each boundary read at its tag (the test above measures them)."""
    assert [rules_for(r).ssl_ciphers for r in ((1, 9, 5), (1, 9, 6), (1, 11, 6), (1, 12, 0), (1, 12, 2))] == [
        "plain",
        "strength",
        "underscore",
        "strength",
        "underscore",
    ]
    assert [rules_for(r).url_commas for r in ((1, 10, 4), (1, 10, 5), (1, 11, 0), (1, 11, 3), (1, 12, 0))] == [
        False,
        True,
        False,
        True,
        True,
    ]
    assert [rules_for(r).newline_refused for r in ((1, 11, 4), (1, 11, 5), (1, 12, 0), (1, 12, 1))] == [
        False,
        True,
        False,
        True,
    ]


def test_cidrs_as_go_parses_them() -> None:
    """internal/net ParseIPNets: net.ParseCIDR, else net.ParseIP; no zone, no leading zeros, no
    netmask form, prefix within the address's bits; every comma-separated entry counts."""
    assert go_cidrs("10.0.0.1/8, 192.168.0.1,::1,2001:db8::/32")
    for bad in ("10.0.0.0/255.0.0.0", "010.0.0.1", "fe80::1%eth0", "10.0.0.0/33", "1.2.3.4,", "a.b.c.d", "10.0.0.0/ 8"):
        assert not go_cidrs(bad), bad


def test_every_validated_annotation_is_in_one_table() -> None:
    """Every annotation whose parser declares a Validator at v1.15.1 is either dropped (DROPS), or
    not (NOT_DROPPED), or read elsewhere (auth-tls-*, server-alias), or a snippet (ValidateNull)."""
    snippets = {"configuration-snippet", "server-snippet", "auth-snippet", "modsecurity-snippet", "stream-snippet"}
    elsewhere = {"server-alias", *AUTH_TLS_KEYS}
    known = {*DROPS, *(a for c in DROPS.values() for a in c.aliases), *NOT_DROPPED, *snippets, *elsewhere}
    assert not set(DROPS) & set(NOT_DROPPED)
    assert not set(ANNOTATION_RISK) - known
    if not MIRROR.is_dir():
        pytest.skip("no kubernetes/ingress-nginx mirror here: the source cannot be listed")
    listed = subprocess.run(
        ["git", "-C", str(MIRROR), "grep", "-h", "-E", r'^\s+[A-Za-z]+ += "[a-z0-9-]+"', "controller-v1.15.1", "--"]
        + ["internal/ingress/annotations/*/main.go", "internal/ingress/annotations/redirect/redirect.go"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {line.split('"')[1] for line in listed.splitlines()}
    values = {"auth-file", "auth-map", "cookie", "HTTP", "DEFAULT", "TLSv1.2", "off", "INGRESSCOOKIE"}
    missing = {n for n in names - known - values if "-" in n or n in ("canary", "satisfy", "affinity")}
    assert not missing, missing
