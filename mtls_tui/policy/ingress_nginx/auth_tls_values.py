"""The values of auth-tls-error-page, auth-tls-match-cn and auth-tls-pass-certificate-to-upstream:
what each release's validator takes (VALIDATED), what the controller keeps when no validator
looks, what nginx then refuses to load, and a match-CN value that admits a given subject.
Separate from auth_tls.py, which runs the parse steps: this is what those steps consult.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mtls_tui.model import Finding, IngressObj, Severity
from mtls_tui.policy.go_bools import GO_BOOLS
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import annotate, ingress_finding, ingress_words
from mtls_tui.policy.ingress_nginx.releases import (
    ERROR_PAGE_V1,
    ERROR_PAGE_V2,
    MATCH_CN_CHARSET,
    AuthTlsRules,
    breaks_nginx_token,
)
from mtls_tui.policy.re2_syntax import re2_error
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg


def _error_page(value: str, rules: AuthTlsRules) -> str | None:
    """`redirectRegex` of the release (authtls/main.go), matched after the validator removes spaces."""
    compact = value.replace(" ", "")
    return value.strip() if rules.error_page.fullmatch(compact) and "\n" not in value and "\r" not in value else None


def error_page_words(rules: AuthTlsRules) -> tuple[str, str]:
    """What a valid error page is for this release, and why a value is not (authtls/main.go
    redirectRegex at the release's tag)."""
    if rules.error_page is ERROR_PAGE_V1:
        return "a URL with one path segment", (
            f" ({rules.named}'s redirectRegex: an optional scheme and host, then one path segment of letters, "
            "digits, '-' and '.'; more segments, '_' and @location came in v1.10.6/v1.11.4 and v1.12.6/v1.13.2)"
        )
    if rules.error_page is ERROR_PAGE_V2:
        return "a URL (no @location before v1.12.6/v1.13.2)", (
            f" ({rules.named}'s redirectRegex: letters, digits, '-', '_' and '.' in the path; no '?', '=', '&' or @location)"
        )
    return "a URL or @location", " (redirectRegex: no '?', '=' or '&')"


def _match_cn(value: str, rules: AuthTlsRules) -> str | None:
    """`parser.CommonNameAnnotationValidator` (v1.9.6 on): the prefix CN=, then Go's regexp
    (RE2 syntax) must compile what follows it; v1.9.1–v1.9.5 took only plain characters and
    `()|=` (commonNameRegex, spaces removed first). nginx later matches the value with PCRE."""
    if rules.match_cn == "charset":
        return value if MATCH_CN_CHARSET.fullmatch(value.replace(" ", "")) else None
    if not value.startswith("CN="):
        return None
    return value if re2_error(value[3:]) is None else None


def _pass_certificate(value: str, rules: AuthTlsRules) -> bool | None:
    return GO_BOOLS.get(value)


def as_given(name: str, value: str, rules: AuthTlsRules) -> str | bool:
    """A value no validator looked at (--enable-annotation-validation=false, or a release
    before v1.9): authtls.Parse keeps what parseString/parseBool make of it, and the template
    writes it as it is. A boolean that does not parse becomes false (parseBool's error is not a
    validation error); before v1.9 a match-CN without "CN=" in it was dropped (commonNameRegex
    `CN=`, unanchored, in Parse itself)."""
    if name == "auth-tls-pass-certificate-to-upstream":
        return GO_BOOLS.get(value, False)
    if name == "auth-tls-match-cn" and rules.match_cn == "contains-cn" and "CN=" not in value:
        return ""
    return value.strip()


def as_rendered(ingress: IngressObj, fields: dict[str, Any], rules: AuthTlsRules) -> list[Finding]:
    """What the controller writes that nginx then refuses, or reads as more than one value."""
    findings = []
    page = fields.get("error_page", "")
    if ";" in page:
        findings.append(
            ingress_finding(
                code="annotation-injects-config",
                severity=Severity.ERROR,
                title=f"auth-tls-error-page '{page}' writes nginx directives of its own",
                detail=f"No validator checks the value ({_unvalidated(rules)}), and the template writes it as given into "
                "`error_page 495 496 = …;`: what follows its ';' becomes directives of the host's server. nginx runs "
                "them if they parse (measured: '; add_header X-Injected 1' is served with every answer) or refuses "
                "the reload. Anyone who may annotate an Ingress can change this server's TLS and routing.",
                fix=annotate(ingress, "auth-tls-error-page", "https://example.com/mtls-error"),
                ingress=ingress,
                evidence=(f"{PREFIX}auth-tls-error-page: {page}",),
            )
        )
    elif breaks_nginx_token(page):
        findings.append(
            reload_refused(
                ingress,
                "auth-tls-error-page",
                page,
                "the validator removes spaces before it checks the value, but the template writes it as given "
                "(error_page 495 496 = …;)"
                if rules.validators
                else f"no validator checks the value ({_unvalidated(rules)}) and the template writes it as given",
                "https://example.com/mtls-error",
            )
        )
    match_cn = fields.get("match_cn", "")
    checked = rules.validators and rules.match_cn == "re2"  # else nothing compiled it before nginx does
    if match_cn and not checked and _regex_refused(match_cn):
        findings.append(
            reload_refused(
                ingress,
                "auth-tls-match-cn",
                match_cn,
                f"nothing compiles the regex before nginx does ({_unvalidated(rules) if not rules.validators else rules.named + ' checks characters only'}), "
                "and nginx's PCRE cannot compile it (neither can Go's RE2 nor Python's re)",
                None,
            )
        )
    elif match_cn and not rules.match_cn_quoted and breaks_nginx_token(match_cn):
        findings.append(
            reload_refused(
                ingress,
                "auth-tls-match-cn",
                match_cn,
                f"{rules.named} writes it without quotes (`if ( $ssl_client_s_dn !~ {clipped(match_cn)} )`; "
                "`| quote` came in v1.11.5 and v1.12.1)",
                spaced if not breaks_nginx_token(spaced := re.sub(r"\s", r"\\s", match_cn)) else None,
            )
        )
    raw_cn = ingress.annotation(PREFIX + "auth-tls-match-cn")
    if raw_cn and raw_cn.strip() and not match_cn and not rules.validators:
        findings.append(
            ingress_finding(
                code="match-cn-ignored",
                severity=Severity.ERROR,
                title=f"auth-tls-match-cn '{clipped(raw_cn)}' has no 'CN=': {rules.named} ignores it and lets every trusted "
                "client in",
                detail="Before v1.9 authtls.Parse kept a match-CN only when it contained 'CN=' (commonNameRegex) and "
                "dropped any other value without a word: every client certificate the CA signed gets in, whatever "
                "its subject.",
                fix=annotate(ingress, "auth-tls-match-cn", "CN=NAME"),
                ingress=ingress,
                evidence=(f"{PREFIX}auth-tls-match-cn: {clipped(raw_cn)}",),
            )
        )
    raw_pass = ingress.annotation(PREFIX + "auth-tls-pass-certificate-to-upstream")
    if raw_pass and not rules.validators and raw_pass not in GO_BOOLS:
        findings.append(
            ingress_finding(
                code="annotation-invalid-value",
                severity=Severity.WARNING,
                title=f"auth-tls-pass-certificate-to-upstream '{clipped(raw_pass)}' is not a boolean: the controller uses false",
                detail=f"No validator checks the value ({_unvalidated(rules)}); Go's strconv.ParseBool refuses it, and "
                "the upstream gets no ssl-client-cert header.",
                fix=annotate(ingress, "auth-tls-pass-certificate-to-upstream", "true"),
                ingress=ingress,
            )
        )
    return findings


def _regex_refused(value: str) -> bool:
    """Whether PCRE refuses the pattern, told by two engines that agree: Go's RE2 (which refuses
    more, look-around for one) and Python's re (close to PCRE). Where they differ, not claimed."""
    if re2_error(value) is None:
        return False
    try:
        re.compile(value)
    except re.error:
        return True
    return False


def _unvalidated(rules: AuthTlsRules) -> str:
    if rules.release is not None and rules.release < (1, 9, 0):
        return f"{rules.named} predates annotation validation"
    return "the controller runs with --enable-annotation-validation=false"


def reload_refused(ingress: IngressObj, name: str, value: str, why: str, example: str | None) -> Finding:
    """The controller renders the value, and `nginx -t` fails: it keeps its last good
    configuration and applies no change, of any Ingress, until the value is fixed."""
    return ingress_finding(
        code="annotation-invalid-value",
        severity=Severity.ERROR,
        title=f"{name} '{clipped(value)}': nginx refuses the configuration",
        detail=f"{why[0].upper() if not why[1:2].isdigit() else why[0]}{why[1:]}, and nginx's configuration test fails: the controller keeps its last "
        "good configuration and applies no change, of this Ingress or any other, until the value is fixed.",
        fix=annotate(ingress, name, example)
        if example is not None
        else f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + name + '-')}  # or a value nginx takes",
        ingress=ingress,
        evidence=(f"{PREFIX}{name}: {clipped(value)}",),
    )


def match_cn_for(dn: str, rules: AuthTlsRules | None = None) -> str:
    """An auth-tls-match-cn value that admits this subject DN (RFC 2253, as nginx's
    $ssl_client_s_dn prints it) and no CN that merely starts the same: the CN as printed, its
    regex characters escaped, then the end of the RDN. Valid for Go's regexp and for PCRE.
    A release that writes the value unquoted gets `\\s` for a space (one nginx token); v1.9.1–
    v1.9.5, whose validator takes letters, digits, `-._~/()|=` only, gets `.` for any other
    character and no end (a CN that starts the same also matches there)."""
    parts, current, escaped = [], "", False
    for char in dn:  # RDNs split on the commas RFC 2253 did not escape
        if char == "," and not escaped:
            parts.append(current)
            current = ""
            continue
        escaped = char == "\\" and not escaped
        current += char
    parts.append(current)
    value = next((p[3:] for p in parts if p.startswith("CN=")), None)
    if value is None:
        return "CN="
    if rules is not None and rules.validators and rules.match_cn == "charset":
        return "CN=" + re.sub(r"[^-._~a-zA-Z0-9]", ".", value)
    pattern = re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", value)
    if rules is not None and not rules.match_cn_quoted:  # one nginx token: no space, `;` or quote ends it
        pattern = re.sub(r"([;\"'])", r"\\\1", re.sub(r"\s", r"\\s", pattern))
    return "CN=" + pattern + "(,|$)"


def _match_cn_why(value: str) -> str:
    if not value.startswith("CN="):
        return " (CommonNameAnnotationValidator: missing prefix 'CN=')"
    reason = re2_error(value[3:])
    if reason is None:  # RE2 compiles it: only v1.9.1–v1.9.5's charset (MATCH_CN_CHARSET) refuses it
        return " (commonNameRegex of v1.9.1–v1.9.5: after CN=, only letters, digits and /-._~()|=)"
    return f" (Go's regexp refuses it: {reason})"


# Annotations whose bad values fail validation (the Ingress is dropped), in the order
# authtls.Parse reads them: the policy field, the parser (None: invalid), what a valid
# value is, an example for the fix, and why a value fails.
VALIDATED: dict[str, tuple[str, Callable[[str, AuthTlsRules], object], str, str, str | Callable[[str], str]]] = {
    "auth-tls-error-page": (
        "error_page",
        _error_page,
        "a URL or @location",
        "https://example.com/mtls-error",
        " (redirectRegex: no '?', '=' or '&')",
    ),
    "auth-tls-pass-certificate-to-upstream": (
        "pass_certificate",
        _pass_certificate,
        "a boolean",
        "true",
        " (Go's strconv.ParseBool)",
    ),
    "auth-tls-match-cn": ("match_cn", _match_cn, "CN=<regex>", "CN=NAME", _match_cn_why),
}
