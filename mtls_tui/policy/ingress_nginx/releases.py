"""How ingress-nginx releases differ in reading the auth-tls annotations.

A team still running v1.10 gets other answers than one on v1.15 for the same Ingress: a
value one release drops the Ingress for, another renders as given, and nginx then refuses
the reload or reads it its own way. The release comes from the controller's image tag;
a tag that names none is read as the current release. Every difference below was read at
the tags named, in kubernetes/ingress-nginx:

- AUTHTLS  internal/ingress/annotations/authtls/main.go (the regexes, authTLSAnnotations, Parse)
- VALID    internal/ingress/annotations/parser/validators.go (checkAnnotation, CommonNameAnnotationValidator)
- FLAGS    pkg/flags/flags.go (--enable-annotation-validation)
- CONFIG   internal/ingress/controller/config/config.go NewDefault
- TMPL     rootfs/etc/nginx/template/nginx.tmpl define "SERVER"
- OTHERS   the other parsers' validators (validators.py): sslcipher/main.go
           regexValidSSLCipher, xforwardedprefix/main.go, VALID URLIsValidRegex,
           URLWithNginxVariableRegex, MaliciousRegex; authreq/main.go methodsRegex
           (denials.py)

The server-level `return 403;` for a denied auth-tls Secret (TMPL `AuthTLSError`,
controller.go createServers) is the same at every tag from v1.0.0 to v1.15.1: it needs no
rule here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from mtls_tui.model import VERIFY_MODES, ControllerObj, VerifyMode

Release = tuple[int, int, int]
CURRENT: Release = (1, 15, 1)

# AUTHTLS redirectRegex, three generations (changelog: "Auth TLS: Improve redirect RegEx"
# #12321/#12322 in v1.10.6/v1.11.4; "Allow named redirects" #13819/#13820 in v1.13.2/v1.12.6).
ERROR_PAGE_V1 = re.compile(r"((https?://)?[A-Za-z0-9\-.]*(:\d+)?/[A-Za-z0-9\-.]*)?", re.ASCII)
ERROR_PAGE_V2 = re.compile(r"((https?://)?[A-Za-z0-9\-.]+(:\d+)?)?(/[A-Za-z0-9\-_.]+)*/?", re.ASCII)
ERROR_PAGE_V3 = re.compile(r"(@[A-Za-z0-9_-]+|((https?://)?[A-Za-z0-9\-.]+(:\d+)?)?(/[A-Za-z0-9\-_.]+)*/?)", re.ASCII)
# AUTHTLS v1.9.1–v1.9.5 commonNameRegex: `^CN=[/\-.\_\~a-zA-Z0-9` + QuoteMeta(`()|=`) + `]*$`
MATCH_CN_CHARSET = re.compile(r"CN=[/\-._~a-zA-Z0-9()|=]*", re.ASCII)

# How a release checks auth-tls-match-cn:
#   contains-cn  before v1.9: no validator; a value without "CN=" somewhere is silently dropped
#   charset      v1.9.1–v1.9.5: commonNameRegex, a validator (a failure drops the Ingress)
#   re2          v1.9.6 on: CommonNameAnnotationValidator, "CN=" then Go's regexp must compile the rest
MatchCnCheck = Literal["contains-cn", "charset", "re2"]
# OTHERS ssl-ciphers: plain before v1.9.6; @STRENGTH/@SECLEVEL from v1.9.6 ("Include SECLEVEL and
# STRENGTH", #10754); '_' from v1.11.6, v1.12.2, v1.13.0 ("Allow ciphers with underscores", #13110)
SslCiphers = Literal["plain", "strength", "underscore"]


@dataclass(frozen=True)
class AuthTlsRules:
    """What one controller does with auth-tls annotation values."""

    release: Release | None  # None: the image tag names no release; the current one's rules are used
    validators: bool  # annotation validators run: they exist (v1.9+) and --enable-annotation-validation is on
    verify_client_anchored: bool  # authVerifyClientRegex is `^(…)$`, not a substring match
    error_page: re.Pattern[str]
    match_cn: MatchCnCheck
    match_cn_quoted: bool  # TMPL writes `!~ {{ MatchCN | quote }}`, not the bare value
    security_settings: bool  # allow-cross-namespace-resources and annotations-risk-level exist (v1.9+)
    url_commas: bool  # OTHERS URLIsValidRegex and URLWithNginxVariableRegex take ','
    newline_refused: bool  # OTHERS ValidateRegex refuses \r and \n (MaliciousRegex)
    ssl_ciphers: SslCiphers
    wide_urls: bool  # OTHERS x-forwarded-prefix takes $1 captures; auth-url ', ' (v1.9.5)
    auth_method_anchored: bool = True  # authreq methodsRegex `^(GET|…)$`, not a substring match
    # AUTHTLS Config.Equal compares MatchCN ("Ensure changes in MatchCN annotation are detected", #11173):
    # before, a change to auth-tls-match-cn alone left the running configuration as it was (#10915)
    match_cn_change_reloads: bool = True

    @property
    def named(self) -> str:
        return "v" + ".".join(map(str, self.release)) if self.release else f"v{'.'.join(map(str, CURRENT))} (assumed)"

    @property
    def described(self) -> str:
        """What the verdict used, in words for the report: the release, and validation when off."""
        validation = "; annotation validation off" if self.security_settings and not self.validators else ""
        old = "; before annotation validation (v1.9)" if not self.security_settings else ""
        return f"annotation rules of {self.named}{validation}{old}"

    @property
    def usual(self) -> bool:
        """The current release, named by its tag, validation on: nothing worth a line of its own."""
        return self.release == CURRENT and self.validators


_IMAGE_RELEASE = re.compile(r":v?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?(?:[-@]|$)")


def release_of(image: str) -> Release | None:
    """`registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:…` → (1, 11, 3); None when the
    tag names no release (a digest alone, `latest`)."""
    found = _IMAGE_RELEASE.search(image)
    return (int(found[1]), int(found[2]), int(found[3] or 0)) if found else None


def _at_least(release: Release, by_minor: dict[int, int], from_minor: int) -> bool:
    """A fix back-ported to patch releases: `by_minor` gives the first patch of each minor
    release that has it; every minor from `from_minor` on has it from its first patch."""
    major, minor, patch = release
    if major != 1:
        return major > 1
    if minor >= from_minor:
        return True
    return minor in by_minor and patch >= by_minor[minor]


@lru_cache(maxsize=64)  # asked for every Ingress; a cluster runs a release or two
def rules_for(release: Release | None, validation_flag: bool = True) -> AuthTlsRules:
    """The rules of a release; `validation_flag`: FLAGS --enable-annotation-validation (default true)."""
    at = release or CURRENT
    has_validators = at >= (1, 9, 0)  # changelog 1.9.0 "Implement annotation validation (#9673)"
    if _at_least(at, {12: 6, 13: 2}, 14):
        error_page = ERROR_PAGE_V3
    elif _at_least(at, {10: 6, 11: 4}, 12):
        error_page = ERROR_PAGE_V2
    else:
        error_page = ERROR_PAGE_V1
    match_cn: MatchCnCheck = "re2" if at >= (1, 9, 6) else "charset" if has_validators else "contains-cn"
    return AuthTlsRules(
        release=release,
        validators=has_validators and validation_flag,
        # "Missing anchors in regular expression" (#11718, #11719): v1.10.4, v1.11.2
        verify_client_anchored=_at_least(at, {10: 4, 11: 2}, 12),
        error_page=error_page,
        match_cn=match_cn,
        # TMPL `| quote` on MatchCN from v1.11.5 and v1.12.1 (absent at v1.12.0 and before v1.11.5)
        match_cn_quoted=_at_least(at, {11: 5, 12: 1}, 13),
        # CONFIG: AllowCrossNamespaceResources and AnnotationsRiskLevel from v1.9.1 (controller-v1.9.0
        # tags a "wip" commit without them; its changelog lists the validation work)
        security_settings=has_validators,
        # VALID urlEnabledChars gains ',' in v1.10.5 and v1.11.3 (absent in v1.11.0-v1.11.2)
        url_commas=_at_least(at, {10: 5, 11: 3}, 12),
        # VALID MaliciousRegex in ValidateRegex: v1.11.5, v1.12.1 (absent in v1.12.0)
        newline_refused=_at_least(at, {11: 5, 12: 1}, 13),
        ssl_ciphers="underscore" if _at_least(at, {11: 6, 12: 2}, 13) else "strength" if at >= (1, 9, 6) else "plain",
        # OTHERS v1.9.5 "Validate x-forwarded-prefix annotation with RegexPathWithCapture" (#10598);
        # URLWithNginxVariableRegex built on extendedAlphaNumeric from the same tag
        wide_urls=at >= (1, 9, 5),
        # authreq/main.go methodsRegex anchored: v1.13.7, v1.14.3, v1.15.0 (read at each tag)
        auth_method_anchored=_at_least(at, {13: 7, 14: 3}, 15),
        # read at each tag: absent up to v1.10.1, present from v1.10.2 and v1.11.0
        match_cn_change_reloads=_at_least(at, {10: 2}, 11),
    )


def controller_rules(controller: ControllerObj | None) -> AuthTlsRules:
    """The rules of the controller serving an Ingress; none known (manifests without its
    Deployment): the current release's, validation on."""
    if controller is None:
        return rules_for(None)
    return rules_for(release_of(controller.image), controller.annotation_validation)


def verify_client_as_read(value: str, rules: AuthTlsRules) -> tuple[VerifyMode, Literal["mode", "default", "refused"]]:
    """What `ssl_verify_client` becomes for an annotation value, and how: a mode nginx takes,
    the default `on`, or a value the controller renders but nginx refuses (its reload fails).
    AUTHTLS Parse keeps a value the regex matches and falls back to `on` otherwise. Before the
    anchors, any value containing on/off/optional matched and was written as given; nginx reads
    the enum case-insensitively (ngx_conf_set_enum_slot: measured, `ssl_verify_client Optional;`
    is optional) and refuses anything else (`ssl_verify_client none;` fails `nginx -t`)."""
    mode = next((m for m in VERIFY_MODES if m == value.lower()), None)
    if mode is not None and mode == value:
        return mode, "mode"
    if rules.verify_client_anchored or not re.search(r"on|off|optional|optional_no_ca", value):
        return "on", "default"
    return (mode, "mode") if mode is not None else ("on", "refused")


def breaks_nginx_token(value: str) -> bool:
    """A bare (unquoted) value nginx's configuration parser does not read as one token:
    whitespace ends it, `;` `{` `}` end the directive, a quote starts a quoted string
    (measured: `!~ CN=John Smith )` and `!~ CN=a{2} )` fail `nginx -t`)."""
    return any(c.isspace() or c in ";{}\"'" for c in value)
