"""external-auth-skipped: an Ingress with auth-url whose authreq Parse fails with an error that is
neither a validation error, a missing annotation nor a location denial. Read at controller-v1.15.1
(paths in kubernetes/ingress-nginx):

- EXTRACT  internal/ingress/annotations/annotations.go Extractor.Extract: such an error is skipped
           (`if !errors.IsLocationDenied(err) { continue }`): no ExternalAuth for the Ingress at all
- AUTHREQ  internal/ingress/annotations/authreq/main.go authReq.Parse: `return nil, err` for an empty
           auth-url (parser.parseString's InvalidContentError); `fmt.Errorf` for auth-cache-duration,
           auth-request-redirect and auth-always-set-cookie refused by their validators (since v1.9.1)
- CHECK    internal/ingress/annotations/parser/validators.go checkAnnotation, URLIsValidRegex,
           ExtendedCharsRegex, ValidateBool

The keepalive, signin, cache-key, snippet and proxy-set-headers getters' errors are only logged by
Parse (defaults used), so they skip nothing. No real-nginx case here: the lab's gateway renders no
auth_request for any auth-url (it has no authentication service to ask), so served-with and
served-without the external check look the same on it; these are unit tests of the source's rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.objects import meow_ingress
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import Severity
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from tests.test_ingress_nginx_denials import AUTH, config_map, denied
from tests.test_policy_fixes_run import NOW, read_back_as_printed
from tests.test_policy_ingress_nginx import report, with_config

P = "nginx.ingress.kubernetes.io/"
CODE = "external-auth-skipped"


def skipped(pki: SeedPki, annotations: dict[str, str], *extra: dict, **kw):
    """The external-auth-skipped finding for meow.com (None: none), the location-denied one, the report."""
    denial, _, result = denied(pki, annotations, *extra, **kw)
    return next((f for f in result.findings if f.code == CODE), None), denial, result


@pytest.mark.parametrize(
    ("annotations", "by", "fix"),
    [
        # AUTHREQ: auth-request-redirect's URLIsValidRegex has no '$': oauth2-proxy's usual value is refused
        ({"auth-request-redirect": "$scheme://$host$request_uri"}, "auth-request-redirect", "auth-request-redirect-"),
        ({"auth-request-redirect": "https://$host/start"}, "auth-request-redirect", "auth-request-redirect-"),
        # AUTHREQ: auth-always-set-cookie's ValidateBool (strconv.ParseBool) refuses 'yes'
        ({"auth-always-set-cookie": "yes"}, "auth-always-set-cookie", "auth-always-set-cookie=true"),
        ({"auth-always-set-cookie": "sometimes"}, "auth-always-set-cookie", "auth-always-set-cookie-"),
        # AUTHREQ: auth-cache-duration's ExtendedCharsRegex has no ';' (before ParseStringToCacheDurations runs)
        (
            {"auth-cache-duration": "200 202 401 5m; 403 1m"},
            "auth-cache-duration",
            "'nginx.ingress.kubernetes.io/auth-cache-duration=200 202 401 5m, 403 1m'",
        ),
        ({"auth-cache-duration": "5m@"}, "auth-cache-duration", "auth-cache-duration-"),
    ],
)
def test_a_refused_side_annotation_serves_the_paths_without_the_auth_url(pki: SeedPki, annotations, by, fix) -> None:
    found, denial, result = skipped(pki, {"auth-url": AUTH, **annotations})
    assert denial is None, denial.title  # not a 503: the paths are served
    assert found is not None and found.severity == Severity.ERROR and result.state == "broken", result.verdict
    assert by in found.title and repr(annotations[by]) in found.title and "authreq/main.go" in found.detail
    assert found.fix.endswith(fix) or f"{fix} --overwrite" in found.fix, found.fix
    assert found.is_command and "#" not in found.fix, found.fix


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_auth_url_asks_no_service(pki: SeedPki, value: str) -> None:
    """AUTHREQ: parser.parseString returns InvalidContentError for a value empty once trimmed (the
    validator removes spaces first, and does not run on ''), Parse returns it, EXTRACT skips it. A
    warning: the author may have blanked it on purpose."""
    found, denial, _ = skipped(pki, {"auth-url": value})
    assert denial is None and found is not None and found.severity == Severity.WARNING
    assert found.fix.endswith(f"{P}auth-url-") and "URL" in found.then, (found.fix, found.then)


@pytest.mark.parametrize(
    "annotations",
    [
        {"auth-url": AUTH},
        {
            "auth-url": AUTH,
            "auth-request-redirect": "https://meow.com/start?x=1",
            "auth-always-set-cookie": "True",
            "auth-cache-duration": "200 202 401 5m, 403 1m",
        },
        # only logged by Parse, defaults used: nothing skipped
        {"auth-url": AUTH, "auth-keepalive": "-3", "auth-keepalive-timeout": "0", "auth-keepalive-requests": "0"},
        {"auth-url": AUTH, "auth-signin": "https://$host/start?rd=$escaped_request_uri"},
        {"auth-url": AUTH, "auth-cache-key": "$remote_user$http_authorization!"},
        {"auth-request-redirect": "$request_uri"},  # no auth-url: ErrMissingAnnotations, nothing asked
    ],
)
def test_values_parse_takes_skip_nothing(pki: SeedPki, annotations) -> None:
    found, denial, result = skipped(pki, annotations)
    assert found is None and denial is None, (found and found.title, result.verdict)


def test_a_denial_or_a_drop_met_first_is_reported_as_such(pki: SeedPki) -> None:
    """AUTHREQ's order: auth-method's and ParseStringToCacheDurations' denials come before the
    request-redirect check (location-denied, 503); an auth-url the validator refuses drops the Ingress
    (CHECK, annotation-invalid-value). Neither is also an external-auth-skipped."""
    redirect = {"auth-request-redirect": "$request_uri"}
    for first in ({"auth-method": "get"}, {"auth-cache-duration": "200 202 401"}):
        found, denial, _ = skipped(pki, {"auth-url": AUTH, **first, **redirect})
        assert found is None and denial is not None, found and found.title
    found, denial, result = skipped(pki, {"auth-url": 'http://auth/"x', **redirect})
    assert found is None and "annotation-invalid-value" in {f.code for f in result.findings}
    # another parser's denial (ipallowlist) answers 503 in the same locations: nothing is served open
    found, denial, _ = skipped(pki, {"auth-url": AUTH, "allowlist-source-range": "office", **redirect})
    assert found is None and denial is not None


def test_release_and_validation(pki: SeedPki) -> None:
    """The three validator returns exist since v1.9.1 (v1.9.0's Parse had no validators) and need
    --enable-annotation-validation (off: the getter's error is InvalidContent, Parse goes on); the empty
    auth-url is skipped in every release."""
    redirect = {"auth-url": AUTH, "auth-request-redirect": "$scheme://$host$request_uri"}
    assert skipped(pki, redirect, image="registry.k8s.io/ingress-nginx/controller:v1.9.0")[0] is None
    assert skipped(pki, redirect, image="registry.k8s.io/ingress-nginx/controller:v1.9.1")[0] is not None
    assert skipped(pki, redirect, args=("--enable-annotation-validation=false",))[0] is None
    cookie = {"auth-url": AUTH, "auth-always-set-cookie": "yes"}
    assert skipped(pki, cookie, args=("--enable-annotation-validation=false",))[0] is None
    old = skipped(pki, {"auth-url": ""}, image="registry.k8s.io/ingress-nginx/controller:v1.8.0")[0]
    assert old is not None


def test_a_configmap_not_among_the_files_is_named(pki: SeedPki) -> None:
    """AUTHREQ reads auth-proxy-set-headers' ConfigMap before auth-request-redirect: missing, it denies
    the locations first. Not among the files, the finding says so."""
    given = {"auth-url": AUTH, "auth-proxy-set-headers": "default/hdrs", "auth-request-redirect": "$request_uri"}
    found, _, _ = skipped(pki, given, complete=False)  # manifest files: what is not there is unseen
    assert found is not None and "ConfigMap default/hdrs" in found.detail, found and found.detail
    found, _, _ = skipped(pki, given, config_map("hdrs", {"X-A": "1"}))
    assert found is not None and "ConfigMap" not in found.detail
    assert skipped(pki, given)[1] is not None  # a cluster without it: denied (503), not skipped


@pytest.mark.parametrize(
    "annotations",
    [
        {"auth-url": AUTH, "auth-request-redirect": "$scheme://$host$request_uri"},
        {"auth-url": AUTH, "auth-always-set-cookie": "yes"},
        {"auth-url": AUTH, "auth-cache-duration": "200 202 401 5m; 403 1m"},
        {"auth-url": ""},
    ],
)
def test_the_fix_runs_as_printed(pki: SeedPki, tmp_path: Path, annotations) -> None:
    """The fix in bash as printed, with the real kubectl against the lab's API server; the cluster read
    back as `check` reads one: the finding is gone, and no location denial took its place."""
    given = {**meow_ingress()["metadata"]["annotations"], **{P + k: v for k, v in annotations.items()}}
    objects = with_config(pki, {}, meow_ingress(given))
    found = next((f for f in report(objects)[1].findings if f.code == CODE), None)
    assert found is not None and found.is_command and " #" not in found.fix, found and found.fix
    done, snapshot = read_back_as_printed(found.fix, objects, tmp_path)
    assert done.returncode == 0, f"{found.fix}\n{done.stderr}"
    after = host_report(next(p for p in host_policies(snapshot) if p.host == "meow.com"), snapshot, NOW)
    codes = {f.code for f in after.findings}
    assert CODE not in codes and "location-denied" not in codes, (found.fix, after.verdict)
