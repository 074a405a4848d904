"""The ingress-nginx annotation parsers that deny an Ingress's locations, besides the two
Secret ones (proxy-ssl-secret, basic auth's auth-secret) that ingress_nginx/locations.py reads.

`Extractor.Extract` (internal/ingress/annotations/annotations.go) runs every parser; one that
returns a LocationDeniedError sets the Ingress's `Denied` (the first met: Go's map order), and
nginx.tmpl renders `return 503;` in each of its locations ("Location denied. Reason: …"), after
nginx has checked the client's certificate (ngx_http_process_request): 400 without one, 503 with
one. Read at controller-v1.15.1, paths in kubernetes/ingress-nginx:

- AUTHREQ  internal/ingress/annotations/authreq/main.go, authReq.Parse, ParseStringToCacheDurations
- ALLOW    internal/ingress/annotations/ipallowlist/main.go, ipallowlist.Parse (ipwhitelist before v1.9)
- DENY     internal/ingress/annotations/ipdenylist/main.go, ipdenylist.Parse (changelog: v1.6.4)
- HEADERS  internal/ingress/annotations/customheaders/main.go, customHeaders.Parse (v1.10.1, v1.11.0 on)
- FASTCGI  internal/ingress/annotations/fastcgi/main.go, fastcgi.Parse
- STORE    internal/ingress/controller/store/store.go GetConfigMap and New: the lister's key is
           `namespace/name`; it holds the ConfigMaps of --watch-namespace, without label OWNER=TILLER

A value whose validation error drops the whole Ingress (validators.DROPS) gives no
denial here. authreq's Parse also returns plain errors (neither a validation error, a missing
annotation nor a location denial), which Extract skips (`continue`): the Ingress is served without
its external authentication (`authreq_skipped`). Pure: objects in, denials out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from mtls_tui.model import ANNOTATIONS_PREFIX, ClusterSnapshot, ControllerObj, IngressObj
from mtls_tui.policy.go_url import string_to_url_error
from mtls_tui.policy.ingress_nginx.releases import CURRENT, AuthTlsRules, controller_rules
from mtls_tui.policy.ingress_nginx.validators import (
    AUTH_REQUEST_REDIRECT,
    BASIC_CHARS_GO,
    BOOL,
    DROPS,
    EXTENDED_ALPHA_NUMERIC,
    GO_SPACE,
    go_cidrs,
)
from mtls_tui.policy.re2_syntax import compile_re2
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg, json_arg

PREFIX = ANNOTATIONS_PREFIX
# whether a ConfigMap is known: read, known missing (a cluster's), or not read here (manifest files
# without it; RBAC forbids it), as policy/successors/references.py Presence
Presence = Literal["found", "missing", "unseen", "forbidden"]

# What a location denial looks like to the user: the annotation whose parser denied it.
DeniedBy = Literal[
    "proxy-ssl-secret",
    "auth-secret",
    "auth-url",
    "auth-method",
    "auth-cache-duration",
    "auth-response-headers",
    "auth-proxy-set-headers",
    "allowlist-source-range",
    "whitelist-source-range",
    "denylist-source-range",
    "custom-headers",
    "fastcgi-params-configmap",
]

DENIED = (
    "The controller denies every location of the Ingress (annotations.go Extract; nginx.tmpl "
    '"Location denied": return 503). nginx still checks client certificates first: without one a client '
    "gets 400, with one 503."
)


@dataclass(frozen=True)
class LocationDenial:
    """One parser's `Denied` for an Ingress: why (None: not denied), which annotation's parser said
    it, what could not be read here; `detail` and `fix` for the finding (the Secret rules' are
    written by ingress_nginx/locations.py)."""

    reason: str | None
    by: DeniedBy
    unseen: str | None = None
    detail: str = ""
    fix: str = ""


# Go's regexes, verbatim (RE2)
METHODS = "(GET|HEAD|POST|PUT|PATCH|DELETE|CONNECT|OPTIONS|TRACE)"  # AUTHREQ methodsRegex
HEADER_NAME = r"^[a-zA-Z\d\-_]+$"  # AUTHREQ and HEADERS headerRegexp
HEADER_VALUE = r"^[a-zA-Z\d_ :;.,\\/\"'?!(){}\[\]@<>=\-+*#$&\x60|~^%]+$"  # HEADERS valueRegexp
HEADERS_VARIABLE = r"^[A-Za-z0-9-_, ]*$"  # parser.HeadersVariable
EXTENDED_CHARS = "^[/" + EXTENDED_ALPHA_NUMERIC + "]*$"  # parser.ExtendedCharsRegex
STATUS_CODE, DURATION = r"^\d{3}$", r"^\d+(ms|s|m|h|d|w|M|y)$"  # AUTHREQ statusCodeRegex, durationRegex
FASTCGI_INDEX = r"^[A-Za-z0-9.\-\_]+$"  # FASTCGI regexValidIndexAnnotationAndKey
# a ConfigMap the API server could hold: namespace (DNS-1123 label) / name (DNS-1123 subdomain)
_REF = re.compile(
    r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*"
)


def _matches(pattern: str, text: str) -> bool:
    return compile_re2(pattern).search(text) is not None


def _value(ingress: IngressObj, name: str) -> str | None:
    return ingress.annotation(PREFIX + name)


def _trimmed(value: str) -> str:
    """parser.normalizeString: every line TrimSpace'd."""
    return "\n".join(line.strip(GO_SPACE) for line in value.split("\n"))


def _refused(rules: AuthTlsRules, pattern: str, raw: str | None, remove_space: bool) -> bool:
    """checkAnnotation's parser.ValidateRegex: a non-empty value, validation on, fails the regex
    (spaces removed first when asked) or holds \\r or \\n (MaliciousRegex)."""
    if not rules.validators or not raw:
        return False
    text = raw.replace(" ", "") if remove_space else raw
    return (rules.newline_refused and ("\r" in text or "\n" in text)) or not _matches(pattern, text)


def _words(ingress: IngressObj) -> str:
    return f"kubectl annotate ingress {arg(ingress.name)} -n {arg(ingress.namespace)}"


def _annotate(ingress: IngressObj, name: str, value: str) -> str:
    return f"{_words(ingress)} {arg(ingress.prefix + name + '=' + value)} --overwrite"


def _remove(ingress: IngressObj, name: str) -> str:
    return f"{_words(ingress)} {arg(ingress.prefix + name + '-')}"


def _denied(by: DeniedBy, reason: str, what: str, fix: str, then: str = "") -> LocationDenial:
    return LocationDenial(reason, by, detail=f"{what} {DENIED}" + (f" {then}" if then else ""), fix=fix)


def _at(rules: AuthTlsRules) -> tuple[int, int, int]:
    return rules.release or CURRENT


# --- ConfigMaps (STORE) ------------------------------------------------------------------------


def _config_map(
    snapshot: ClusterSnapshot, controller: ControllerObj | None, key: str
) -> tuple[Presence, dict[str, str]]:
    """store.GetConfigMap(key): the key as the annotation writes it, against `namespace/name`."""
    namespace, _, name = key.partition("/")
    if not _REF.fullmatch(key) or (controller and controller.watch_namespace not in (None, namespace)):
        return "missing", {}
    for resource in snapshot.of_kind("ConfigMap", ""):
        if resource.namespace == namespace and resource.name == name:
            meta = resource.body.get("metadata")
            labels = meta.get("labels") if isinstance(meta, dict) else None
            if isinstance(labels, dict) and labels.get("OWNER") == "TILLER":  # store.go labelsTweakListOptionsFunc
                return "missing", {}
            data = resource.body.get("data")
            return "found", {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    if any(k == "ConfigMap" and n in ("", namespace) and o in ("", name) for k, n, o in snapshot.forbidden):
        return "forbidden", {}
    return ("missing" if snapshot.complete else "unseen"), {}


# a new object made client-side and applied (JSON, as kubectl apply sends it), as the Secret fixes do
_APPLIED = "--dry-run=client -o yaml | kubectl apply -f -"


def _remove_keys(key: str, names: list[str]) -> str:
    namespace, _, name = key.partition("/")
    pointer = [{"op": "remove", "path": "/data/" + k.replace("~", "~0").replace("/", "~1")} for k in names]
    return f"kubectl patch configmap {arg(name)} -n {arg(namespace)} --type json -p {json_arg(pointer)}"


def _in_namespace(
    snapshot: ClusterSnapshot, controller: ControllerObj | None, ingress: IngressObj, key: str
) -> str | None:
    """The ConfigMap of the Ingress's namespace that a reference without (or with an empty) namespace meant."""
    candidate = f"{ingress.namespace}/{key.split('/')[-1]}"
    return candidate if candidate != key and _config_map(snapshot, controller, candidate)[0] == "found" else None


def secret_references(ingress: IngressObj) -> set[str]:
    """The Secrets ingress_nginx/locations.py's two denial rules look up for an Ingress (proxy-ssl-secret,
    basic auth's auth-secret), as `namespace/name`: what a cluster read must GET for them."""
    refs: set[str] = set()
    proxy = _trimmed(_value(ingress, "proxy-ssl-secret") or "")
    if proxy.count("/") == 1 and all(proxy.split("/")):
        refs.add(proxy)
    basic = _trimmed(_value(ingress, "auth-secret") or "")
    if _value(ingress, "auth-type") and basic and basic.count("/") <= 1:
        namespace, _, name = basic.rpartition("/")
        refs.add(f"{namespace or ingress.namespace}/{name}")
    return refs


def config_map_references(ingress: IngressObj) -> set[tuple[str, str]]:
    """The ConfigMaps these rules look up for an Ingress (and the one of its namespace a fix may
    name instead), as (namespace, name): what a cluster read must GET for them."""
    refs: set[tuple[str, str]] = set()
    for name in ("custom-headers", "auth-proxy-set-headers", "fastcgi-params-configmap"):
        value = _trimmed(_value(ingress, name) or "")
        if not value:
            continue
        namespace, slash, last = value.rpartition("/")
        if slash and namespace and "/" not in namespace:
            refs.add((namespace, last))
        refs.add((ingress.namespace, last))
    return refs


# --- authreq (AUTHREQ) -------------------------------------------------------------------------


def authreq_denied(ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot) -> LocationDenial:
    """authreq/main.go authReq.Parse (v1.15.1), its steps in order. No auth-url (or an empty one),
    or one the validator refuses (a drop), and nothing is denied; auth-cache-duration refused by its
    validator makes Parse return a plain error, which Extract skips: no denial, and no external
    authentication either."""
    rules = controller_rules(controller)
    raw = _value(ingress, "auth-url")
    if raw is None or (rules.validators and not DROPS["auth-url"].validator.test(raw, rules)) or not _trimmed(raw):
        return LocationDenial(None, "auth-url")
    for step in (_auth_url, _auth_method):
        if (denial := step(ingress, rules)) is not None:
            return denial
    if _refused(rules, EXTENDED_CHARS, _value(ingress, "auth-cache-duration"), False):
        return LocationDenial(None, "auth-cache-duration")
    for step in (_auth_cache_duration, _auth_response_headers):
        if (denial := step(ingress, rules)) is not None:
            return denial
    return _auth_proxy_set_headers(ingress, controller, snapshot, rules)


@dataclass(frozen=True)
class SkippedAuth:
    """authreq/main.go authReq.Parse returned an error for an Ingress with auth-url that is no
    validation error, no missing annotation and no location denial: annotations.go Extract skips
    it (`continue`), so the Ingress has no ExternalAuth, nginx.tmpl renders no auth_request, and
    its paths are served without the external check. `empty`: auth-url itself is empty (perhaps
    meant as "off"); otherwise a URL is written and another annotation silently turns it off."""

    by: str  # the annotation whose value made Parse fail
    value: str
    reason: str  # Parse's error, in the controller's words
    detail: str
    fix: str
    then: str = ""
    empty: bool = False
    unseen: str | None = None  # a ConfigMap read before it: missing, the locations are denied instead


SKIPPED = (
    "annotations.go Extract skips a parser error that is neither a validation error, a missing annotation nor "
    'a location denial ("continue"): the Ingress gets no external authentication, nginx.tmpl renders no '
    "auth_request, and every request that passes the client-certificate check reaches the backend without it."
)


def authreq_skipped(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> SkippedAuth | None:
    """authreq/main.go authReq.Parse (v1.15.1), the returns that are plain errors, in its order:
    auth-url empty once trimmed (parser.parseString's InvalidContentError, every release);
    auth-cache-duration refused by ValidateRegex(ExtendedCharsRegex, false) ("auth-cache-duration
    contains invalid value"); auth-request-redirect refused by ValidateRegex(URLIsValidRegex, true)
    and auth-always-set-cookie refused by ValidateBool ("… is invalid: …"): the last three since
    v1.9.1 and only with annotation validation on (off, the getter's error is no ValidationError
    and Parse goes on). A denial met first (authreq_denied) or a drop (DROPS) is reported elsewhere.
    The keepalive, signin, cache-key, snippet and proxy-set-headers getters' errors are only logged."""
    rules = controller_rules(controller)
    raw = _value(ingress, "auth-url")
    if raw is None or (rules.validators and not DROPS["auth-url"].validator.test(raw, rules)):
        return None
    if not _trimmed(raw):
        return SkippedAuth(
            "auth-url",
            raw,
            f"the annotation auth-url does not contain a valid value ({clipped(raw)})",
            "auth-url is there but empty: authreq/main.go Parse stops at parser.GetStringAnnotation's "
            f"InvalidContentError. {SKIPPED}",
            _remove(ingress, "auth-url"),
            "If the paths need the external check, write the service's URL instead "
            "(auth-url=http://auth.auth.svc.cluster.local/verify).",
            empty=True,
        )
    if _at(rules) < (1, 9, 1) or not rules.validators:
        return None
    denial = authreq_denied(ingress, controller, snapshot)
    if denial.reason is not None:
        return None
    cache = _value(ingress, "auth-cache-duration")
    if denial.by == "auth-cache-duration" and cache is not None:  # its validator refused it
        entries = [e.strip(GO_SPACE) for e in re.split(r"[;,\n\r]", cache)]
        kept = ", ".join(e for e in entries if e and _valid_cache_duration(e) and _matches(EXTENDED_CHARS, e))
        return SkippedAuth(
            "auth-cache-duration",
            cache,
            "auth-cache-duration contains invalid value",
            "auth-cache-duration takes comma-separated entries of status codes and times (200 202 401 5m) of "
            "letters, digits, spaces and commas only (parser.ExtendedCharsRegex); authreq/main.go Parse returns "
            f"a plain error when the validator refuses it. {SKIPPED}",
            _annotate(ingress, "auth-cache-duration", kept) if kept else _remove(ingress, "auth-cache-duration"),
            "" if kept else "Without it the default 200 202 401 5m applies.",
        )
    redirect = _value(ingress, "auth-request-redirect")
    if redirect and not AUTH_REQUEST_REDIRECT.test(redirect, rules):
        return SkippedAuth(
            "auth-request-redirect",
            redirect,
            "auth-request-redirect is invalid: annotation "
            f"{ingress.prefix}auth-request-redirect contains invalid value",
            "auth-request-redirect sets the X-Auth-Request-Redirect header sent to the authentication service. "
            "With validation on it must match parser.URLIsValidRegex: letters, digits and -._~/:?&=, so no nginx "
            f"$variable ($scheme://$host$request_uri is refused); authreq/main.go Parse returns a plain error. {SKIPPED}",
            _remove(ingress, "auth-request-redirect"),
            "Without it the header carries $request_uri (nginx.tmpl), what a $variable value usually meant.",
            unseen=denial.unseen,
        )
    cookie = _value(ingress, "auth-always-set-cookie")
    if cookie and not BOOL.test(cookie, rules):
        meant = BOOL.suggest(cookie)
        return SkippedAuth(
            "auth-always-set-cookie",
            cookie,
            "auth-always-set-cookie is invalid: annotation "
            f"{ingress.prefix}auth-always-set-cookie contains invalid value",
            "auth-always-set-cookie takes a Go boolean (strconv.ParseBool: true, false, 1, 0, …); with validation on "
            f"parser.ValidateBool refuses anything else and authreq/main.go Parse returns a plain error. {SKIPPED}",
            _annotate(ingress, "auth-always-set-cookie", meant)
            if meant
            else _remove(ingress, "auth-always-set-cookie"),
            unseen=denial.unseen,
        )
    return None


def _auth_url(ingress: IngressObj, rules: AuthTlsRules) -> LocationDenial | None:
    """AUTHREQ Parse: parser.StringToURL (Go's url.Parse, then a scheme, a host, no '..' in it);
    E2E test/e2e/annotations/auth.go "with invalid auth-url should deny whole location"."""
    value = _trimmed(_value(ingress, "auth-url") or "")
    error = string_to_url_error(value)
    if error is None:
        return None
    meant = _url_meant(value)
    usable = string_to_url_error(meant) is None and DROPS["auth-url"].validator.test(meant, rules)
    return _denied(
        "auth-url",
        f"could not parse auth-url annotation: {error}",
        "auth-url sends each request first to an authentication service (nginx auth_request) and lets it in "
        "on a 2xx answer only. The controller cannot parse this URL (authreq/main.go Parse, "
        "parser.StringToURL: a scheme and a host, e.g. http://auth.auth.svc.cluster.local/verify or "
        "https://$host/oauth2/auth).",
        _annotate(ingress, "auth-url", meant) if usable else _remove(ingress, "auth-url"),
        ""
        if usable
        else "Removing the annotation serves the paths without the external check: write the "
        "service's URL instead if the paths need it.",
    )


def _url_meant(value: str) -> str:
    """The URL a refused auth-url most likely meant: a bare path on the host itself (oauth2-proxy's
    https://$host/oauth2/auth), a missing or mistyped scheme, '..' or spaces in the host."""
    text = re.sub(r"\s+", "", value)
    if text.startswith("/"):
        return "https://$host" + text
    text = re.sub(r"^(https?):?/{0,3}(?=[^/])", r"\1://", text, flags=re.IGNORECASE)
    if "://" not in text:
        text = "http://" + text
    scheme, _, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    host = re.sub(r"\.{2,}", ".", host).strip(".")
    return f"{scheme}://{host}{slash}{path}"


def _auth_method(ingress: IngressObj, rules: AuthTlsRules) -> LocationDenial | None:
    """AUTHREQ Parse: with validation on, auth-method's validator parser.ValidateRegex(methodsRegex,
    true) failing is "invalid HTTP method"; off, nothing checks it. Before v1.9 Parse itself ran
    ValidMethod on the value. methodsRegex was a substring match before v1.13.7/v1.14.3/v1.15.0."""
    raw = _value(ingress, "auth-method")
    pattern = f"^{METHODS}$" if rules.auth_method_anchored else METHODS
    if _at(rules) < (1, 9, 0):
        value = _trimmed(raw or "")
        refused = bool(value) and not _matches(pattern, value)
    else:
        refused = _refused(rules, pattern, raw, True)
    if not refused or raw is None:
        return None
    meant = raw.strip().upper()
    return _denied(
        "auth-method",
        "invalid HTTP method",
        "auth-method sets the method of the request to the authentication service (proxy_method). With "
        "annotation validation on, the controller takes GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS "
        "or TRACE, in capitals (authreq/main.go methodsRegex), and denies anything else.",
        _annotate(ingress, "auth-method", meant)
        if _matches(f"^{METHODS}$", meant)
        else _remove(ingress, "auth-method"),
        "Without it the request to the service keeps the client's method.",
    )


def _valid_cache_duration(entry: str) -> bool:
    """AUTHREQ ValidCacheDuration: space-separated status codes, then at least one time; a code
    after a time refuses it, other words are ignored."""
    seen = False
    for word in entry.split(" "):
        if _matches(STATUS_CODE, word):
            if seen:
                return False
        elif _matches(DURATION, word):
            seen = True
    return seen


def _auth_cache_duration(ingress: IngressObj, rules: AuthTlsRules) -> LocationDenial | None:
    """AUTHREQ ParseStringToCacheDurations: each comma-separated entry, trimmed, must be a valid
    cache duration; it runs whether or not auth-cache-key turns caching on (E2E auth.go uses
    "200 202 401 30m")."""
    entries = [e.strip(GO_SPACE) for e in _trimmed(_value(ingress, "auth-cache-duration") or "").split(",")]
    bad = next((e for e in entries if e and not _valid_cache_duration(e)), None)
    if bad is None:
        return None
    kept = ", ".join(e for e in entries if e and _valid_cache_duration(e))
    return _denied(
        "auth-cache-duration",
        f"invalid cache duration: {bad}",
        "auth-cache-duration says how long the authentication service's answers are cached: comma-separated "
        "entries of status codes, then times (200 202 401 5m). The controller reads it even without "
        "auth-cache-key and refuses an entry without a time or with a code after one (authreq/main.go "
        "ParseStringToCacheDurations, ValidCacheDuration).",
        _annotate(ingress, "auth-cache-duration", kept) if kept else _remove(ingress, "auth-cache-duration"),
        "" if kept else "Without it the default 200 202 401 5m applies.",
    )


def _auth_response_headers(ingress: IngressObj, rules: AuthTlsRules) -> LocationDenial | None:
    """AUTHREQ Parse: auth-response-headers refused by parser.HeadersVariable (validation on) is
    "validation error"; then each comma-separated name must match headerRegexp."""
    raw = _value(ingress, "auth-response-headers")
    if raw is None:
        return None
    if _refused(rules, HEADERS_VARIABLE, raw, True):
        reason = "validation error"
    elif any(h and not _matches(HEADER_NAME, h) for h in (p.strip(GO_SPACE) for p in _trimmed(raw).split(","))):
        reason = "invalid headers list"
    else:
        return None
    names = ",".join(dict.fromkeys(w for w in re.split(r"[\s,;:|]+", raw) if w and _matches(HEADER_NAME, w)))
    return _denied(
        "auth-response-headers",
        reason,
        "auth-response-headers names the headers of the authentication service's answer that reach the "
        "backend, separated by commas. The controller takes names of letters, digits, '-' and '_' only "
        "(authreq/main.go Parse, headerRegexp; parser.HeadersVariable first when validation is on).",
        _annotate(ingress, "auth-response-headers", names) if names else _remove(ingress, "auth-response-headers"),
    )


def _auth_proxy_set_headers(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot, rules: AuthTlsRules
) -> LocationDenial:
    """AUTHREQ Parse: auth-proxy-set-headers refused by its validator is only logged (no headers);
    otherwise cache.SplitMetaNamespaceKey, another namespace without allow-cross-namespace-resources
    (v1.9+), then GetConfigMap with the value as written, and every key a header name."""
    by: DeniedBy = "auth-proxy-set-headers"
    raw = _value(ingress, by)
    name = "" if raw is None or _refused(rules, BASIC_CHARS_GO, raw, True) else _trimmed(raw)
    what = (
        "auth-proxy-set-headers names a ConfigMap (namespace/name) whose keys are headers sent to the "
        "authentication service. The controller looks it up by that key as written, so a name without its "
        "namespace is never found; it must be of the Ingress's namespace unless allow-cross-namespace-resources "
        "is true, and each key must be a header name (authreq/main.go Parse, store.go GetConfigMap)."
    )
    parts = name.split("/")
    if len(parts) > 2 and rules.security_settings:  # before v1.9 the look-up below refuses it
        reason = f'error reading configmap name {name} from annotation: unexpected key format: "{name}"'
        return _denied(by, reason, what, _set_headers_meant(ingress, controller, snapshot, name))
    namespace = (parts[0] if len(parts) == 2 else "") or ingress.namespace  # SplitMetaNamespaceKey
    cross = namespace != ingress.namespace and not (controller and controller.allow_cross_namespace)
    if cross and rules.security_settings:
        reason = "cross namespace usage of secrets is not allowed"
        return _denied(by, reason, what, _copied(ingress, controller, snapshot, name) or _remove(ingress, by))
    if not name:
        return LocationDenial(None, by)
    status, data = _config_map(snapshot, controller, name)
    if status in ("unseen", "forbidden"):
        return LocationDenial(None, by, f"ConfigMap {name} ({by} of {ingress.ref})")
    if status == "missing":
        fix = _set_headers_meant(ingress, controller, snapshot, name)
        return _denied(by, f'unable to find configMap "{name}"', what, fix)
    bad = sorted(k for k in data if not _matches(HEADER_NAME, k))
    if bad:
        return _denied(by, "invalid proxy-set-headers in configmap", what, _remove_keys(name, bad))
    return LocationDenial(None, by)


def _set_headers_meant(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot, key: str
) -> str:
    """The Ingress's namespace's ConfigMap of that name, named in full (its keys that are no header
    names removed), or the annotation removed when there is none."""
    meant = _in_namespace(snapshot, controller, ingress, key)
    if meant is None:
        return _remove(ingress, "auth-proxy-set-headers")
    bad = sorted(k for k in _config_map(snapshot, controller, meant)[1] if not _matches(HEADER_NAME, k))
    return " && ".join(
        [_annotate(ingress, "auth-proxy-set-headers", meant)] + ([_remove_keys(meant, bad)] if bad else [])
    )


def _copied(ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot, key: str) -> str | None:
    """A copy of another namespace's ConfigMap in the Ingress's, named by the annotation."""
    status, data = _config_map(snapshot, controller, key)
    if status != "found" or not any(_matches(HEADER_NAME, k) for k in data):
        return None
    name = key.partition("/")[2]
    literals = " ".join(arg(f"--from-literal={k}={v}") for k, v in sorted(data.items()) if _matches(HEADER_NAME, k))
    create = f"kubectl create configmap {arg(name)} -n {arg(ingress.namespace)} {literals} {_APPLIED}"
    return f"{create} && {_annotate(ingress, 'auth-proxy-set-headers', f'{ingress.namespace}/{name}')}"


# --- allowlist and denylist (ALLOW, DENY) --------------------------------------------------------


def source_range_denied(ingress: IngressObj, controller: ControllerObj | None) -> LocationDenial | None:
    """ipallowlist/main.go and ipdenylist/main.go Parse: the first denial of either."""
    rules = controller_rules(controller)
    at = _at(rules)
    allow: tuple[DeniedBy, ...] = ("allowlist-source-range", "whitelist-source-range")
    if at < (1, 9, 0):  # ipwhitelist/main.go: whitelist-source-range only
        allow = ("whitelist-source-range",)
    lists = [allow, ("denylist-source-range",)] if at >= (1, 6, 4) else [allow]
    for names in lists:
        if (denial := _source_range(ingress, rules, names)) is not None:
            return denial
    return None


def _source_range(ingress: IngressObj, rules: AuthTlsRules, names: tuple[DeniedBy, ...]) -> LocationDenial | None:
    """One list: checkAnnotation reads the annotation, or its alias (whitelist-source-range) when it
    is absent or empty; GetStringAnnotation's every error but a missing annotation is denied (a
    ValidateCIDRs refusal, an empty value), then net.ParseIPNets refuses any entry that is neither
    an IP address nor a CIDR (E2E ipallowlist.go, ipdenylist.go take "18.0.0.0/8, 56.0.0.0/8")."""
    by = names[0]
    raw = _value(ingress, by)
    if not raw and len(names) > 1 and _value(ingress, names[1]):
        by, raw = names[1], _value(ingress, names[1])
    if raw is None:
        return None
    full = ingress.prefix + by
    value = _trimmed(raw)
    if rules.validators and raw and not go_cidrs(raw):
        reason = f"annotation {full} contains invalid value"
    elif not value:
        reason = f"the annotation {full} does not contain a valid value ({clipped(raw)})"
    elif (bad := next((p.strip(GO_SPACE) for p in value.split(",") if not go_cidrs(p)), None)) is not None:
        reason = f"the annotation does not contain a valid IP address or network: invalid CIDR address: {bad}"
    else:
        return None
    kept = ",".join(dict.fromkeys(p for p in re.split(r"[\s,;]+", raw) if p and go_cidrs(p)))
    allow = by != "denylist-source-range"
    does = (
        "lets in only the client addresses it lists (nginx allow, then deny all: 403 for others)"
        if allow
        else "refuses the client addresses it lists (nginx deny: 403)"
    )
    what = (
        f"{by} {does}. The controller refuses this value: every comma-separated entry must be an IP address or "
        f"a CIDR ({'ipallowlist' if allow else 'ipdenylist'}/main.go Parse, net.ParseIPNets; parser.ValidateCIDRs "
        "when validation is on)."
    )
    then = (
        ""
        if kept
        else "Removing the annotation lets every address in (the client certificate is still asked): write the "
        "addresses instead if the paths must stay limited."
        if allow
        else "Removing it lets the addresses it meant in again: write them as IP addresses or CIDRs if they must "
        "stay out."
    )
    return _denied(by, reason, what, _annotate(ingress, by, kept) if kept else _remove(ingress, by), then)


# --- custom-headers (HEADERS) --------------------------------------------------------------------


def custom_headers_denied(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> LocationDenial:
    """customheaders/main.go customHeaders.Parse: custom-headers refused by its validator, absent or
    empty is no header; otherwise GetConfigMap with the value as written (E2E customheaders.go
    "should return status code 503 when custom-headers is configured with an invalid secret"), then
    each key a header name, each value printable, each key listed in the controller ConfigMap's
    global-allowed-response-headers (configmap.go: split at ',', trimmed; default none)."""
    by: DeniedBy = "custom-headers"
    rules = controller_rules(controller)
    at = _at(rules)
    raw = _value(ingress, by)
    if not (at >= (1, 11, 0) or at == (1, 10, 1)) or raw is None or _refused(rules, BASIC_CHARS_GO, raw, True):
        return LocationDenial(None, by)
    name = _trimmed(raw)
    if not name:
        return LocationDenial(None, by)
    what = (
        "custom-headers names a ConfigMap (namespace/name) whose keys and values the controller adds to every "
        "answer (more_set_headers). It looks the ConfigMap up by that key as written (a name without its "
        "namespace is never found), and takes header names of letters, digits, '-' and '_', printable values, "
        "and only headers that global-allowed-response-headers of the controller's ConfigMap lists, exactly as "
        "written (customheaders/main.go Parse; the default lists none)."
    )
    status, _ = _config_map(snapshot, controller, name)
    if status in ("unseen", "forbidden"):
        return LocationDenial(None, by, f"ConfigMap {name} ({by} of {ingress.ref})")
    if status == "missing":
        meant = _in_namespace(snapshot, controller, ingress, name)
        fixes = _header_problems(ingress, controller, snapshot, meant)[1] if meant else []
        removal = _remove(ingress, by)
        return _denied(
            by,
            f'unable to find configMap "{name}"',
            what,
            removal if not meant or removal in fixes else " && ".join([_annotate(ingress, by, meant), *fixes]),
            ""
            if meant
            else f"To send the headers, create ConfigMap {name} and list its keys in "
            "global-allowed-response-headers instead.",
        )
    reason, fixes, unseen = _header_problems(ingress, controller, snapshot, name)
    if reason is None:
        return LocationDenial(None, by, unseen)
    return _denied(by, reason, what, " && ".join(fixes))


def _header_problems(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot, key: str
) -> tuple[str | None, list[str], str | None]:
    """HEADERS Parse on the ConfigMap's entries: (the reason of a denial, the fixes, what could not
    be read here). Go's map order picks which entry is reported; any one denies."""
    data = _config_map(snapshot, controller, key)[1]
    bad = sorted(k for k, v in data.items() if not _matches(HEADER_NAME, k) or not _matches(HEADER_VALUE, v))
    allowed = list(controller.allowed_response_headers) if controller is not None else []
    refused = sorted(k for k in data if k not in bad and k not in allowed)
    if not bad and refused and (controller is None or (not controller.config_seen and not snapshot.complete)):
        return None, [], f"global-allowed-response-headers of the controller (custom-headers of {ingress.ref})"
    if not bad and not refused:
        return None, [], None
    if bad:
        reason = f"invalid header {'value' if _matches(HEADER_NAME, bad[0]) else 'name'} in configmap"
    else:
        listed = " ".join(allowed)
        reason = f"header {refused[0]} is not allowed, defined allowed headers inside global-allowed-response-headers [{listed}]"
    if refused and controller is not None and not controller.config_map:
        return reason, [_remove(ingress, "custom-headers")], None  # no ConfigMap of the controller's to allow them in
    fixes = [_remove_keys(key, bad)] if bad else []
    if refused and controller is not None and controller.config_map:
        fixes.append(_allow_headers(controller, allowed + refused))
    return reason, fixes, None


def _allow_headers(controller: ControllerObj, headers: list[str]) -> str:
    """The controller's ConfigMap with global-allowed-response-headers listing `headers`: a merge
    patch of that key when the ConfigMap was read, else made with that one key."""
    namespace, _, name = (controller.config_map or "").partition("/")
    value = ",".join(dict.fromkeys(headers))
    if controller.config_seen:
        patch = json_arg({"data": {"global-allowed-response-headers": value}})
        return f"kubectl patch configmap {arg(name)} -n {arg(namespace)} --type merge -p {patch}"
    literal = arg(f"--from-literal=global-allowed-response-headers={value}")
    return f"kubectl create configmap {arg(name)} -n {arg(namespace)} {literal} {_APPLIED}"


# --- fastcgi (FASTCGI) -----------------------------------------------------------------------------


def fastcgi_denied(ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot) -> LocationDenial:
    """fastcgi/main.go fastcgi.Parse: fastcgi-index or fastcgi-params-configmap refused by its
    validator drops the Ingress; cache.SplitMetaNamespaceKey refusing the value denies; another
    namespace is a plain error Extract skips (unless allow-cross-namespace-resources, v1.9+); then
    the ConfigMap is looked up in the Ingress's namespace, whatever namespace the value names, and
    a missing one denies. Parse runs whatever backend-protocol says. (A key or value its regexes
    refuse is a validation error: a drop, not modelled here.)"""
    by: DeniedBy = "fastcgi-params-configmap"
    rules = controller_rules(controller)
    raw = _value(ingress, by)
    if _refused(rules, FASTCGI_INDEX, _value(ingress, "fastcgi-index"), True):
        return LocationDenial(None, by)
    if raw is None or _refused(rules, BASIC_CHARS_GO, raw, True) or not _trimmed(raw):
        return LocationDenial(None, by)
    value = _trimmed(raw)
    parts = value.split("/")
    what = (
        "fastcgi-params-configmap names a ConfigMap of the Ingress's namespace whose keys and values become "
        "fastcgi_param directives; the controller reads it whatever backend-protocol says (fastcgi/main.go Parse)."
    )
    if len(parts) > 2:
        reason = f'error reading configmap name from annotation: unexpected key format: "{clipped(value)}"'
        found = _config_map(snapshot, controller, f"{ingress.namespace}/{parts[-1]}")[0] == "found"
        return _denied(by, reason, what, _annotate(ingress, by, parts[-1]) if found else _remove(ingress, by))
    other = parts[0] if len(parts) == 2 else ""
    if (
        other
        and other != ingress.namespace
        and not (rules.security_settings and controller and controller.allow_cross_namespace)
    ):
        return LocationDenial(None, by)  # "different namespace is not supported": skipped, not denied
    key = f"{ingress.namespace}/{parts[-1]}"
    status, _ = _config_map(snapshot, controller, key)
    if status in ("unseen", "forbidden"):
        return LocationDenial(None, by, f"ConfigMap {key} ({by} of {ingress.ref})")
    if status == "found":
        return LocationDenial(None, by)
    return _denied(
        by,
        f'unexpected error reading configmap {key}: no object matching key "{key}" in local store',
        what,
        _remove(ingress, by),
        f"For a FastCGI backend, create ConfigMap {key} with its fastcgi_param keys instead "
        "(kubectl create configmap … --from-literal=SCRIPT_FILENAME=…).",
    )


def location_denials(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot
) -> list[LocationDenial]:
    """Every parser of this module, for one Ingress (each one's denial, or its None and what it could not read)."""
    found: list[LocationDenial | None] = [
        authreq_denied(ingress, controller, snapshot),
        source_range_denied(ingress, controller),
        custom_headers_denied(ingress, controller, snapshot),
        fastcgi_denied(ingress, controller, snapshot),
    ]
    return [d for d in found if d is not None]
