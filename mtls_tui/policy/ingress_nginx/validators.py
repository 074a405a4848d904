"""Which ingress-nginx annotation values drop the whole Ingress: every parser's validator.

`checkAnnotation` (internal/ingress/annotations/parser/validators.go) runs the annotation's
`Validator` (its parser's `AnnotationFields`) on the raw value when the value is not empty and
`--enable-annotation-validation` is on; a failure is a `ValidationError`. What then happens is the
parser's to decide, and the parsers differ: most log it and use their default (proxy-body-size,
cors-allow-origin, every proxy-* and session-cookie-*: the Ingress is served), a few turn it into
a Location denied, and the ones in `DROPS` return it from `Parse`, so `Extractor.Extract`
(annotations.go) returns it and store.go syncIngress keeps nothing of the Ingress
(`klog.Error(err); return`): no server, path or certificate of it, and the admission webhook
refuses it. Go's map order decides which parser runs first, and every parser runs unless one
returns such an error, so any one of these values drops the Ingress, whatever else it has.

Read at controller-v1.15.1, each annotation with its package (internal/ingress/annotations/<package>/
main.go; redirect/redirect.go); the validators' regexes are Go's, verbatim, run by RE2 (the engine
Go's regexp follows). Release differences are keyed in releases.py. The auth-tls
annotations are read by `ingress_nginx.auth_tls.parse_auth_tls`, server-alias by
`ingress_nginx.dropped.alias_refused` (its fix separates names with commas); both use the character
classes defined here.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mtls_tui.model import ANNOTATIONS_PREFIX, ClusterSnapshot, ControllerObj, IngressObj
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.releases import CURRENT, AuthTlsRules, Release, controller_rules
from mtls_tui.policy.re2_syntax import compile_re2

PREFIX = ANNOTATIONS_PREFIX

# parser/validators.go, the building blocks of its regexes (regexp.QuoteMeta written out)
ALPHA_NUMERIC = r"\-\.\_\~a-zA-Z0-9\/:"
EXTENDED_ALPHA_NUMERIC = ALPHA_NUMERIC + ", "
REGEX_ENABLED = r"\^\$\[\]\(\)\{\}\*\+\?\|&=\\"
BASIC_CHARS_GO = "^[/" + ALPHA_NUMERIC + "]*$"  # BasicCharsRegex
IS_VALID_REGEX_GO = "^[/" + ALPHA_NUMERIC + REGEX_ENABLED + "]*$"  # IsValidRegex (ValidateServerName)
BASIC_CHARS: Any = compile_re2(BASIC_CHARS_GO)  # re2 publishes no types: a compiled pattern
SERVER_NAME_CHARS: Any = compile_re2(IS_VALID_REGEX_GO)
GO_ATOI = re.compile(r"[+-]?[0-9]+", re.ASCII)  # strconv.Atoi, base 10: a sign, digits, no spaces or '_'
_INT64 = 2**63
# strings.TrimSpace: unicode.IsSpace (Python's strip() also takes \x1c-\x1f, which Go keeps)
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?", re.ASCII)  # apimachinery NameIsDNS1035Label


def go_atoi(value: str) -> int | None:
    """strconv.Atoi on a 64-bit build: None when Go refuses the value."""
    if not GO_ATOI.fullmatch(value):
        return None
    number = int(value)
    return number if -_INT64 <= number < _INT64 else None


def _go_cidr_or_ip(spec: str) -> bool:
    """internal/net ParseIPNets, one entry: Go's net.ParseCIDR (an address without zone, '/', decimal
    digits up to the address's bits) or else net.ParseIP."""
    address, slash, bits = spec.partition("/")
    if "%" in address:  # netip.ParseAddr takes a zone, ParseCIDR and ParseIP refuse it
        return False
    try:
        parsed = ipaddress.ip_address(address)  # no leading zeros in IPv4, as Go since 1.17
    except ValueError:
        return False
    if not slash:
        return True
    return bits.isascii() and bits.isdigit() and int(bits) <= parsed.max_prefixlen


def go_cidrs(value: str) -> bool:
    """parser.ValidateCIDRs → net.ParseCIDRs: every comma-separated entry, trimmed, an IP or a CIDR."""
    return all(_go_cidr_or_ip(part.strip(GO_SPACE)) for part in value.split(","))


@dataclass(frozen=True)
class Validator:
    """One parser.Validate* as the controller builds it: `test` says whether a value passes, for
    the controller's release; `expected` says what passes; `suggest` turns a failing value into a
    passing one the user most likely meant (None: there is none to guess)."""

    test: Callable[[str, AuthTlsRules], bool]
    go: str  # the validator in parser/validators.go, as the parser names it
    expected: str
    suggest: Callable[[str], str | None] = lambda _: None


def _regex(
    go: str, pattern: str | Callable[[AuthTlsRules], str], remove_space: bool, expected: str, **kw: Any
) -> Validator:
    """parser.ValidateRegex(regex, removeSpace): spaces removed first when asked, the regex must
    match, and (MaliciousRegex, `rules.newline_refused`) the value must hold no \\r or \\n."""

    def test(value: str, rules: AuthTlsRules) -> bool:
        text = value.replace(" ", "") if remove_space else value
        if rules.newline_refused and ("\r" in text or "\n" in text):
            return False
        return compile_re2(pattern(rules) if callable(pattern) else pattern).search(text) is not None

    return Validator(test, f"ValidateRegex({go}, {str(remove_space).lower()})", expected, **kw)


def _options(options: tuple[str, ...], case_sensitive: bool) -> Validator:
    """parser.ValidateOptions(options, caseSensitive, trimSpace=true): every caller trims."""

    def test(value: str, rules: AuthTlsRules) -> bool:
        text = value.strip(GO_SPACE)
        return (text if case_sensitive else text.lower()) in options

    def suggest(value: str) -> str | None:
        return next((o for o in options if o.lower() == value.strip().lower()), None)

    go = f"ValidateOptions({{{', '.join(options)}}}, {str(case_sensitive).lower()}, true)"
    return Validator(test, go, "one of " + ", ".join(options), suggest)


def _bool_meant(value: str) -> str | None:
    word = value.strip().lower()
    return (
        "true"
        if word in ("yes", "on", "y", "enabled", "enable", "true")
        else "false"
        if word
        in (
            "no",
            "off",
            "n",
            "disabled",
            "disable",
            "false",
        )
        else None
    )


def _int_meant(value: str) -> str | None:
    found = re.search(r"[+-]?[0-9]+", value)
    return found[0] if found and go_atoi(found[0]) is not None else None


def _size_meant(value: str) -> str | None:
    """ "10 MB" → "10m": nginx sizes are digits and one unit letter."""
    found = re.fullmatch(r"\s*([0-9]+)\s*([bkmgBKMG])?[bB]?\s*", value)
    return found[1] + (found[2] or "").lower() if found else None


def _cidrs_meant(value: str) -> str | None:
    """The entries Go takes, comma-separated (spaces and semicolons are common separators)."""
    kept = [p for p in re.split(r"[\s,;]+", value) if p and _go_cidr_or_ip(p)]
    return ",".join(kept) or None


BOOL = Validator(
    lambda v, _: v in GO_BOOLS, "ValidateBool", "a boolean (Go's strconv.ParseBool: true, false, 1, 0, …)", _bool_meant
)
INT = Validator(lambda v, _: go_atoi(v) is not None, "ValidateInt", "a whole number (Go's strconv.Atoi)", _int_meant)
CIDRS = Validator(lambda v, _: go_cidrs(v), "ValidateCIDRs", "comma-separated IP addresses or CIDRs", _cidrs_meant)
SERVER_NAME = Validator(
    lambda v, _: SERVER_NAME_CHARS.search(v.strip(GO_SPACE)) is not None,
    "ValidateServerName",
    "a server name (letters, digits, -._~/: and regex characters; no space)",
)
SERVICE_NAME = Validator(
    lambda v, _: len(v) <= 63 and _DNS1035.fullmatch(v) is not None,
    "ValidateServiceName",
    "a Service name (DNS-1035 label: lower-case letters, digits and '-', starting with a letter)",
    lambda v: v.strip().lower() if _DNS1035.fullmatch(v.strip().lower()) else None,
)
SIZE = _regex(
    "SizeRegex",
    r"^(?i)\d+[bkmg]?$",
    True,
    "a size: digits and an optional unit b, k, m or g (10m)",
    suggest=_size_meant,
)
URL_IS_VALID = _regex(
    "URLIsValidRegex",
    lambda r: "^[" + ALPHA_NUMERIC + (r",:\?&=" if r.url_commas else r":\?&=") + "]*$",
    False,
    "a URL of letters, digits and -._~/:?&= (no space)",
)
# AUTHREQ auth-request-redirect: parser.ValidateRegex(URLIsValidRegex, true): no '$', so no nginx variable
AUTH_REQUEST_REDIRECT = _regex(
    "URLIsValidRegex",
    lambda r: "^[" + ALPHA_NUMERIC + (r",:\?&=" if r.url_commas else r":\?&=") + "]*$",
    True,
    "a URL of letters, digits and -._~/:?&= (no nginx $variable)",
)
SSL_CIPHERS = {  # sslcipher regexValidSSLCipher, three generations (rules.ssl_ciphers)
    "plain": r"^[A-Za-z0-9!:+\-]*$",
    "strength": r"^(?:(?:[A-Za-z0-9!:+\-])*(?:@STRENGTH)*(?:@SECLEVEL=[0-5])*(?:@STRENGTH)*)*$",
    "underscore": r"^(?:(?:[A-Za-z0-9!:+\-_])*(?:@STRENGTH)*(?:@SECLEVEL=[0-5])*(?:@STRENGTH)*)*$",
}

Kind = Literal["string", "bool", "int"]


@dataclass(frozen=True)
class Check:
    """One annotation whose validation error its parser returns.

    kind: the parser's getter (GetStringAnnotation, GetBoolAnnotation, GetIntAnnotation): it says
    which present value stops a parser that returns every error (an empty value skips the
    validator, then fails to parse: InvalidContent, not a validation error).
    after: the annotations that parser reads before this one, returning on their errors.
    reached: any further condition of the parser's for reading this one.
    """

    package: str
    kind: Kind
    validator: Validator
    since: Release = (1, 9, 0)
    aliases: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    reached: Callable[[IngressObj, ControllerObj | None, ClusterSnapshot | None], bool] | None = None


def _auth_type_read(ingress: IngressObj, *_: object) -> bool:
    """auth/main.go Parse: auth-type must be there and match `basic|digest` before anything else is read."""
    kind = _value(ingress, "auth-type")
    return kind is not None and re.search("basic|digest", _trimmed_lines(kind)) is not None


def _auth_secret_read(ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot | None) -> bool:
    """auth/main.go Parse reads auth-realm only once the auth-secret's Secret was found (every step
    before it that fails is a Location denied, not a drop)."""
    if not _auth_type_read(ingress) or snapshot is None:
        return False
    name = _trimmed_lines(_value(ingress, "auth-secret") or "")
    parts = name.split("/")
    if not name or len(parts) > 2 or BASIC_CHARS.search(name.replace(" ", "")) is None:
        return False
    namespace = (parts[0] or ingress.namespace) if len(parts) == 2 else ingress.namespace
    if namespace != ingress.namespace and not (controller and controller.allow_cross_namespace):
        return False
    return snapshot.secret(f"{namespace}/{parts[-1]}") is not None


def _otel_enabled(ingress: IngressObj, *_: object) -> bool:
    """opentelemetry/main.go Parse reads the operation name only when enable-opentelemetry is true."""
    return GO_BOOLS.get(_value(ingress, "enable-opentelemetry") or "") is True


def _no_temporal(ingress: IngressObj, *_: object) -> bool:
    """redirect.go Parse returns with the temporal redirect; permanent-* are read without one."""
    return _value(ingress, "temporal-redirect") is None


def _temporal(ingress: IngressObj, *_: object) -> bool:
    return _trimmed_lines(_value(ingress, "temporal-redirect") or "") != ""


_REDIRECT = ("from-to-www-redirect", "relative-redirects", "temporal-redirect")
_HASH = ("upstream-hash-by", "upstream-hash-by-subset")

# Annotation → its check, for every validation error a parser returns (v1.15.1).
DROPS: dict[str, Check] = {
    "auth-type": Check(
        "auth",
        "string",
        _regex(
            "authTypeRegex",
            "basic|digest",
            True,
            "basic or digest (lower case)",
            suggest=lambda v: v.strip().lower() if v.strip().lower() in ("basic", "digest") else None,
        ),
    ),
    "auth-secret-type": Check(
        "auth",
        "string",
        _regex(
            "authSecretTypeRegex",
            "auth-file|auth-map",
            True,
            "auth-file or auth-map",
            suggest=lambda v: v.strip().lower() if v.strip().lower() in ("auth-file", "auth-map") else None,
        ),
        reached=_auth_type_read,
    ),
    "auth-realm": Check(
        "auth",
        "string",
        _regex(
            "CharsWithSpace",
            "^[/" + ALPHA_NUMERIC + " ]*$",
            False,
            "letters, digits, spaces and -._~/: (CharsWithSpace)",
        ),
        reached=_auth_secret_read,
    ),
    "auth-url": Check(
        "authreq",
        "string",
        _regex(
            "URLWithNginxVariableRegex",
            lambda r: (
                "^["
                + (EXTENDED_ALPHA_NUMERIC if r.wide_urls else ALPHA_NUMERIC)
                + (r",:\?&=" if r.url_commas else r":\?&=")
                + "$]*$"
            ),
            True,
            "a URL of letters, digits, nginx $variables and -._~/:?&=, (URLWithNginxVariableRegex)",
        ),
    ),
    "client-body-buffer-size": Check("clientbodybuffersize", "string", SIZE),
    "connection-proxy-header": Check(
        "connection",
        "string",
        _regex(
            "validConnectionHeaderValue",
            "^(close|keep-alive)$",
            True,
            "close or keep-alive",
            suggest=lambda v: v.strip().lower() if v.strip().lower() in ("close", "keep-alive") else None,
        ),
    ),
    "custom-http-errors": Check(
        "customhttperrors",
        "string",
        _regex(
            "arrayOfHTTPErrors",
            r"^(?:[4,5]\d{2},?)*$",
            True,
            "comma-separated status codes 400–599",
            suggest=lambda v: ",".join(re.findall(r"\b[45][0-9]{2}\b", v)) or None,
        ),
    ),
    "default-backend": Check("defaultbackend", "string", SERVICE_NAME),
    "fastcgi-index": Check(
        "fastcgi",
        "string",
        _regex(
            "regexValidIndexAnnotationAndKey", r"^[A-Za-z0-9.\-\_]+$", True, "a file name of letters, digits and .-_"
        ),
    ),
    "fastcgi-params-configmap": Check(
        "fastcgi",
        "string",
        _regex(
            "BasicCharsRegex", BASIC_CHARS_GO, True, "a ConfigMap name: namespace/name in letters, digits and -._~/:"
        ),
    ),
    "http2-push-preload": Check("http2pushpreload", "bool", BOOL),
    "load-balance": Check(
        "loadbalancing",
        "string",
        _options(("round_robin", "chash", "chashsubset", "sticky_balanced", "sticky_persistent", "ewma"), True),
    ),
    "opentelemetry-operation-name": Check(
        "opentelemetry",
        "string",
        _regex("regexOperationName", r"^[A-Za-z0-9_\-]*$", True, "letters, digits, '_' and '-'"),
        reached=_otel_enabled,
    ),
    "proxy-ssl-secret": Check(
        "proxyssl",
        "string",
        _regex("BasicCharsRegex", BASIC_CHARS_GO, True, "namespace/name in letters, digits and -._~/:"),
    ),
    "limit-rpm": Check("ratelimit", "int", INT),
    "limit-rps": Check("ratelimit", "int", INT),
    "limit-connections": Check("ratelimit", "int", INT),
    "limit-allowlist": Check("ratelimit", "string", CIDRS, aliases=("limit-whitelist",)),
    "from-to-www-redirect": Check("redirect", "bool", BOOL),
    "relative-redirects": Check("redirect", "bool", BOOL, since=(1, 13, 0), after=_REDIRECT[:1]),
    "temporal-redirect": Check("redirect", "string", URL_IS_VALID, after=_REDIRECT[:2]),
    "temporal-redirect-code": Check("redirect", "int", INT, since=(1, 12, 0), after=_REDIRECT, reached=_temporal),
    "permanent-redirect": Check("redirect", "string", URL_IS_VALID, after=_REDIRECT, reached=_no_temporal),
    "permanent-redirect-code": Check(
        "redirect", "int", INT, after=(*_REDIRECT, "permanent-redirect"), reached=_no_temporal
    ),
    "ssl-ciphers": Check(
        "sslcipher",
        "string",
        _regex(
            "regexValidSSLCipher",
            lambda r: SSL_CIPHERS[r.ssl_ciphers],
            True,
            "OpenSSL cipher names joined by ':' (letters, digits, !+-_, @STRENGTH, @SECLEVEL=n)",
        ),
    ),
    "ssl-passthrough": Check("sslpassthrough", "bool", BOOL),
    "upstream-hash-by": Check(
        "upstreamhashby",
        "string",
        _regex(
            "hashByRegex",
            r"^[A-Za-z0-9\-_\$\{\}]*$",
            True,
            "nginx variables and letters, digits, '-' and '_' ($request_uri)",
        ),
    ),
    "upstream-hash-by-subset": Check("upstreamhashby", "bool", BOOL, after=_HASH[:1]),
    "upstream-hash-by-subset-size": Check("upstreamhashby", "int", INT, after=_HASH),
    "upstream-vhost": Check("upstreamvhost", "string", SERVER_NAME),
    "x-forwarded-prefix": Check(
        "xforwardedprefix",
        "string",
        _regex(
            "RegexPathWithCapture",
            lambda r: r"^/?[" + ALPHA_NUMERIC + r"\/\$]*$" if r.wide_urls else BASIC_CHARS_GO,
            True,
            "a path of letters, digits, -._~/: and $1-style captures",
        ),
    ),
}
_ALIASES = {alias: name for name, check in DROPS.items() for alias in check.aliases}

# Annotations with a validator whose error the parser does not return (read at v1.15.1): it logs it
# and uses its default (default), turns it into a Location denied (denied, 503 in the Ingress's
# locations), or returns a plain error Extract skips, so the feature is off (skipped). The Ingress
# is served either way. ValidateNull annotations (the snippets) never fail. Listed so that a test
# can hold every annotation the controller knows to one of the two tables.
NOT_DROPPED: dict[str, tuple[str, Literal["default", "denied", "skipped"]]] = {
    **{k: ("authreqglobal", "default") for k in ("enable-global-auth",)},
    **{k: ("auth", "denied") for k in ("auth-secret",)},
    **{k: ("authreq", "denied") for k in ("auth-method", "auth-response-headers")},
    **{k: ("authreq", "skipped") for k in ("auth-cache-duration", "auth-request-redirect", "auth-always-set-cookie")},
    **{
        k: ("authreq", "default")
        for k in (
            "auth-signin",
            "auth-signin-redirect-param",
            "auth-cache-key",
            "auth-keepalive",
            "auth-keepalive-share-vars",
            "auth-keepalive-requests",
            "auth-keepalive-timeout",
            "auth-proxy-set-headers",
        )
    },
    "backend-protocol": ("backendprotocol", "default"),
    **{
        k: ("canary", "default")
        for k in (
            "canary",
            "canary-weight",
            "canary-weight-total",
            "canary-by-header",
            "canary-by-header-value",
            "canary-by-header-pattern",
            "canary-by-cookie",
        )
    },
    **{
        k: ("cors", "default")
        for k in (
            "enable-cors",
            "cors-allow-origin",
            "cors-allow-headers",
            "cors-allow-methods",
            "cors-allow-credentials",
            "cors-expose-headers",
            "cors-max-age",
        )
    },
    "custom-headers": ("customheaders", "default"),
    "disable-proxy-intercept-errors": ("disableproxyintercepterrors", "default"),
    **{k: ("ipallowlist", "denied") for k in ("allowlist-source-range", "whitelist-source-range")},
    "denylist-source-range": ("ipdenylist", "denied"),
    **{k: ("log", "default") for k in ("enable-access-log", "enable-rewrite-log")},
    **{k: ("mirror", "default") for k in ("mirror-request-body", "mirror-target", "mirror-host")},
    **{
        k: ("modsecurity", "default")
        for k in ("enable-modsecurity", "enable-owasp-core-rules", "modsecurity-transaction-id")
    },
    **{k: ("opentelemetry", "default") for k in ("enable-opentelemetry", "opentelemetry-trust-incoming-span")},
    "use-port-in-redirects": ("portinredirect", "default"),
    **{
        k: ("proxy", "default")
        for k in (
            "proxy-connect-timeout",
            "proxy-send-timeout",
            "proxy-read-timeout",
            "proxy-buffers-number",
            "proxy-buffer-size",
            "proxy-busy-buffers-size",
            "proxy-cookie-path",
            "proxy-cookie-domain",
            "proxy-body-size",
            "proxy-next-upstream",
            "proxy-next-upstream-timeout",
            "proxy-next-upstream-tries",
            "proxy-request-buffering",
            "proxy-redirect-from",
            "proxy-redirect-to",
            "proxy-buffering",
            "proxy-http-version",
            "proxy-max-temp-file-size",
        )
    },
    **{
        k: ("proxyssl", "default")
        for k in (
            "proxy-ssl-ciphers",
            "proxy-ssl-protocols",
            "proxy-ssl-name",
            "proxy-ssl-verify",
            "proxy-ssl-verify-depth",
            "proxy-ssl-server-name",
        )
    },
    **{k: ("ratelimit", "default") for k in ("limit-rate", "limit-rate-after", "limit-burst-multiplier")},
    **{
        k: ("rewrite", "default")
        for k in (
            "rewrite-target",
            "ssl-redirect",
            "preserve-trailing-slash",
            "force-ssl-redirect",
            "use-regex",
            "app-root",
        )
    },
    "satisfy": ("satisfy", "default"),
    "service-upstream": ("serviceupstream", "default"),
    **{
        k: ("sessionaffinity", "default")
        for k in (
            "affinity",
            "affinity-mode",
            "affinity-canary-behavior",
            "session-cookie-name",
            "session-cookie-secure",
            "session-cookie-expires",
            "session-cookie-max-age",
            "session-cookie-path",
            "session-cookie-domain",
            "session-cookie-samesite",
            "session-cookie-conditional-samesite-none",
            "session-cookie-change-on-failure",
        )
    },
    "ssl-prefer-server-ciphers": ("sslcipher", "default"),
}


@dataclass(frozen=True)
class Invalid:
    """An annotation value whose validation error drops the Ingress."""

    name: str  # the annotation as written (an alias, when the controller read the alias)
    value: str
    expected: str
    why: str  # where the rule is, for the finding's detail
    example: str | None  # a passing value the user most likely meant; None: remove the annotation


def _value(ingress: IngressObj, name: str) -> str | None:
    return ingress.annotation(PREFIX + name)


def _trimmed_lines(value: str) -> str:
    """parser.normalizeString: each line TrimSpace'd."""
    return "\n".join(line.strip(GO_SPACE) for line in value.split("\n"))


def _read(
    check: Check,
    rules: AuthTlsRules,
    ingress: IngressObj,
    controller: ControllerObj | None,
    snapshot: ClusterSnapshot | None,
) -> bool:
    """Whether the parser gets as far as validating this annotation: the release reads it, no
    earlier annotation made the parser return (a present value its getter cannot parse, which
    is no validation error: an empty one, or for strings one empty once trimmed), and the
    parser's own condition holds."""
    at = rules.release or CURRENT
    if at < check.since:
        return False
    for earlier in check.after:
        value = _value(ingress, earlier)
        if value is None or DROPS[earlier].since > at:
            continue
        if (_trimmed_lines(value) if DROPS[earlier].kind == "string" else value) == "":
            return False
    return check.reached is None or check.reached(ingress, controller, snapshot)


def invalid_values(
    ingress: IngressObj, controller: ControllerObj | None, snapshot: ClusterSnapshot | None = None
) -> list[Invalid]:
    """Every value of this Ingress whose validation error its parser returns: each one alone drops it.
    None when validation is off or the release predates it (rules.validators)."""
    rules = controller_rules(controller)
    if not rules.validators:
        return []
    found = []
    for key, value in ingress.annotations:
        if not key.startswith(PREFIX) or value == "":  # checkAnnotation: empty values are not validated
            continue
        written = key[len(PREFIX) :]
        name = _ALIASES.get(written, written)
        check = DROPS.get(name)
        if check is None or (name != written and _value(ingress, name)):  # the alias is read only without the name
            continue
        if check.validator.test(value, rules) or not _read(check, rules, ingress, controller, snapshot):
            continue
        example = check.validator.suggest(value)
        found.append(
            Invalid(
                written,
                value,
                check.validator.expected,
                f" ({check.package}/{'redirect' if check.package == 'redirect' else 'main'}.go: "
                f"parser.{check.validator.go}, and its Parse returns the error)",
                example if example is not None and check.validator.test(example, rules) else None,
            )
        )
    return found
