"""Which log lines are evidence about client-certificate authentication, and for what.

The controller says why it dropped an auth-tls set-up only in its log, often at
`W` or `I` level, and nginx says why it refused a client certificate only at
`info`; a person scrolling thousands of access lines misses both. Each highlight
names the DESIGN.md finding code it supports, so the log pane and the rules agree
on words. Most lines mention none of these, so four substring tests turn them
away before any rule looks closer. A controller repeats the same lines on every sync
(with a broken set-up, the same complaint), and nginx the same refusal for every
connection from one client: a line's verdict is remembered by the part that decides it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from mtls_tui.logs.records import AccessLine, KlogLine, LogRecord, NginxErrorLine
from mtls_tui.model import Severity
from mtls_tui.policy.nginx_answers import NGX_HTTPS_CERT_ERROR, NGX_HTTPS_NO_CERT, NO_CERT, NO_CERT_LOGGED

_QUOTED_REF = re.compile(r"""["']([a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*)["']""")
_NOT_FOUND_REF = re.compile(r"(?:local SSL certificate|[Ss]ecret) \"?([^\s\"/]+/[^\s\"]+?)\"? was not found")
_STORE_REF = re.compile(r'no object matching key "([^"]+)"')
_INVALID_FORMAT = re.compile(r"invalid format \(namespace/name\) found in '([^']*)'")
_LEGACY_ANNOTATION = re.compile(r"error reading (\w+) annotation in Ingress (\S+?):")
_SERVER = re.compile(r'Server "([^"]+)"')
_FOR_INGRESS = re.compile(r'for Ingress "([^"]+)"')
_SECRET_EVENT = re.compile(r"[Ss]ecret ([^\s/]+/\S+) was (?:added|updated)")
_ADDRESS = re.compile(r"[\d.]+|.*:.*")
_VERIFY_ERROR = re.compile(r"verify error:\s*\((\d+):([^)]*)\)")
_PROBE_AGENT = re.compile(r"mtls-tui/\S+ probe/([\w.-]+)")
_REF_KEYS = ("secret", "secretName", "ingress")
_CONNECTION = re.compile(r"\*\d{1,20} ")  # nginx's optional `*<connection> `, as the parser reads it
# Verdicts by the part of a line that decides them (see `classify`); bounded, since every line
# of a busy controller passes here. The parser matched the line's start as its kind, so the
# fields skipped are where `classify` looks for them.
_SEEN_ENTRIES, _SEEN_KEY_MAX = 4096, 1024
_klog_seen: dict[str, Highlight | None] = {}
_nginx_seen: dict[str, Highlight | None] = {}


class Highlight(NamedTuple):
    """A line worth a person's eye. `code` is a DESIGN.md finding code where the
    line is evidence for one, else a log-only tag (`secret-updated`, `probe-request`)."""

    code: str
    severity: Severity
    title: str
    refs: tuple[str, ...] = ()


def classify(record: LogRecord) -> Highlight | None:
    """None for the lines that say nothing about client certificates: nearly all of them.
    The kind and a few substring tests turn them away before the line's fields are read."""
    kind = record.kind
    raw = record.raw
    if kind == "access":
        if "mtls-tui/" not in raw:
            return None
        request_id, parsed = probe_id(record), record.parsed
        return _probe_request(parsed, request_id) if request_id and isinstance(parsed, AccessLine) else None
    if kind == "klog":
        # Without the kubelet prefix, severity, month-day and time (`I1128 21:45:34.090212`):
        # `_controller` reads neither, and the words tested below cannot be made of a
        # timestamp's characters, so what is left decides the verdict.
        key = raw[raw.find(" ", record.text_start + 6) :]
        seen = _klog_seen
    elif kind == "nginx-error":
        # Only what follows `pid#tid: ` and the connection number: where `_nginx` reads the
        # message and context from (it reads neither time, level nor connection). A verdict
        # needs one of the words tested below in that message, so the level cannot change it.
        rest = raw.find(": ", record.text_start) + 2  # the date holds no `: `, nor does `[level] `
        connection = _CONNECTION.match(raw, rest)
        key = raw[connection.end() if connection else rest :]
        seen = _nginx_seen
    else:
        return None
    try:
        return seen[key]
    except KeyError:
        pass
    found = None
    if "ertificate" in raw or "nnotation" in raw or "ecret" in raw or "mutual" in raw:
        parsed = record.parsed
        if isinstance(parsed, KlogLine):
            found = _controller(parsed, raw)
        elif isinstance(parsed, NginxErrorLine):
            found = _nginx(parsed)
    if len(key) <= _SEEN_KEY_MAX:
        if len(seen) >= _SEEN_ENTRIES:
            seen.clear()
        seen[key] = found
    return found


def probe_id(record: LogRecord) -> str | None:
    """The id the probe put in its User-Agent (`mtls-tui/<version> probe/<id>`), which
    ties an access line to the probe attempt that caused it."""
    if record.kind != "access" or "probe/" not in record.raw:  # the user agent is part of the line
        return None
    parsed = record.parsed
    if not isinstance(parsed, AccessLine) or not parsed.user_agent or "probe/" not in parsed.user_agent:
        return None
    match = _PROBE_AGENT.match(parsed.user_agent)
    return match[1] if match else None


def _controller(line: KlogLine, raw: str) -> Highlight | None:
    text = " ".join([line.message, *(value for _, value in line.values)])
    legacy = _LEGACY_ANNOTATION.search(text)
    ingress = line.value("ingress") or (legacy[2] if legacy else None)
    refs = _with(_refs(line, text), ingress)
    where = f"Ingress {ingress}: " if ingress else ""
    if "contains no keypair or CA certificate" in raw:
        secret = _first(_QUOTED_REF, text)
        named = f"Secret {secret}" if secret else "a Secret"
        return Highlight(
            "secret-missing-ca",
            Severity.ERROR,
            f"{where}{named} has none of ca.crt, tls.crt, tls.key: the controller cannot use it",
            refs,
        )
    if "cross namespace secrets are not supported" in raw:
        return Highlight(
            "annotation-cross-namespace",
            Severity.ERROR,
            f"{where}auth-tls-secret in another namespace refused (cross namespace secrets are not supported)",
            refs,
        )
    if "invalid format (namespace/name)" in raw:
        value = _first(_INVALID_FORMAT, text)
        shown = f"'{value}'" if value is not None else "the value"
        return Highlight(
            "annotation-secret-format", Severity.ERROR, f"{where}auth-tls-secret {shown} is not namespace/name", refs
        )
    if "local SSL certificate" in raw and "was not found" in raw:
        secret = _first(_NOT_FOUND_REF, text) or "a referenced Secret"
        fallback = (
            ": the host is served with the controller's fake certificate" if "default certificate" in text else ""
        )
        return Highlight("secret-not-found", Severity.ERROR, f"{where}Secret {secret} not found{fallback}", refs)
    if "Error obtaining X.509 certificate" in raw:
        return _x509_error(text, refs)
    if "already configured for mutual authentication" in raw:
        return _host_conflict(line, text, refs)
    if "has no 'ca.crt' key" in raw and "mutual authentication" in raw:
        secret = _first(_QUOTED_REF, text) or line.value("hostname") or "the auth-tls Secret"
        ingress = ingress or _first(_FOR_INGRESS, text)
        disabled = f" for Ingress {ingress}" if ingress else ""
        return Highlight(
            "secret-missing-ca",
            Severity.ERROR,
            f"Secret {secret} has no ca.crt key: mutual authentication disabled{disabled}",
            _with(refs, secret),
        )
    if "error reading" in raw and "CertificateAuth" in raw:
        reason = (line.value("err") or text.split(": ", 1)[-1]).removeprefix("location denied, reason: ")
        return Highlight(
            "annotation-invalid-value", Severity.ERROR, f"{where}auth-tls annotations refused: {reason}", refs
        )
    if "used in ingress annotations" in raw:
        secret = line.value("secret") or _first(_SECRET_EVENT, text) or "a Secret"
        verb = "added" if "was added" in raw else "updated"
        return Highlight(
            "secret-updated",
            Severity.INFO,
            f"Secret {secret} {verb}: the controller re-reads the Ingresses that use it",
            _with(refs, secret),
        )
    return None


def _x509_error(text: str, refs: tuple[str, ...]) -> Highlight:
    # the words may be in the line outside its message and values (a key's name): then the whole text
    reason = text.partition("Error obtaining X.509 certificate")[2].lstrip(": ") or text
    if "matching public key" in reason or "does not match public key" in reason:
        return Highlight(
            "key-mismatch", Severity.ERROR, f"A Secret's tls.key does not belong to its tls.crt: {reason}", refs
        )
    missing = _first(_STORE_REF, reason) or _first(_NOT_FOUND_REF, reason)
    if missing:
        return Highlight(
            "secret-not-found", Severity.ERROR, f"Secret {missing} not found by the controller", _with(refs, missing)
        )
    return Highlight(
        "input-unreadable", Severity.ERROR, f"The controller could not load a Secret's certificate: {reason}", refs
    )


def _host_conflict(line: KlogLine, text: str, refs: tuple[str, ...]) -> Highlight:
    host = _first(_SERVER, text)
    hostname = line.value("hostname")
    if host is None and hostname and hostname != "hostname":  # some releases log the literal key as its value
        host = hostname
    ingress = line.value("ingress") or _first(_QUOTED_REF, text)
    subject = f"Host {host}" if host else "A host"
    ignored = f"; Ingress {ingress}'s auth-tls annotations are ignored" if ingress else ""
    return Highlight(
        "mtls-host-conflict",
        Severity.WARNING,
        f"{subject} already has mTLS from an earlier Ingress{ignored}",
        _with(refs, host),
    )


def _nginx(line: NginxErrorLine) -> Highlight | None:
    message = line.message
    host = _host_name(line.host)
    on = f" on {host}" if host else ""
    refs = tuple(dict.fromkeys(name for name in (_host_name(line.server), host) if name))
    if "client SSL certificate verify error" in message:
        match = _VERIFY_ERROR.search(message)
        reason = f"({match[1]}:{match[2]})" if match else message
        return Highlight(
            "probe-cert-rejected", Severity.ERROR, f"nginx refused a client certificate{on}: {reason}", refs
        )
    if NO_CERT_LOGGED in message:
        client = f" {line.client}" if line.client else ""
        return Highlight(
            "probe-no-client-cert",
            Severity.WARNING,
            # nginx logs the line with an auth-tls-error-page too, and answers with the page
            # (policy/ingress_nginx/cert_answers.refused_answer; tests/test_field_reports_nginx_5.py)
            f"Client{client} sent no certificate{on}: nginx answers 400 {NO_CERT}, or the auth-tls-error-page",
            refs,
        )
    return None


def _probe_request(line: AccessLine, request_id: str) -> Highlight:
    """A plain 400 can mean no certificate or a refused one, and 403 can be match-CN or a
    broken annotation: only nginx-internal codes and 421 name a cause on their own."""
    status = line.status
    code = {
        NGX_HTTPS_CERT_ERROR: "probe-cert-rejected",
        NGX_HTTPS_NO_CERT: "probe-no-client-cert",
        421: "probe-misdirected",
    }.get(status, "probe-request")
    severity = Severity.ERROR if status >= 500 else Severity.WARNING if status >= 400 else Severity.INFO
    upstream = f" via {line.proxy_upstream_name}" if line.proxy_upstream_name else ""
    return Highlight(code, severity, f"Probe {request_id}: {line.request} answered {status}{upstream}")


def _refs(line: KlogLine, text: str) -> tuple[str, ...]:
    found = [value for key, value in line.values if key in _REF_KEYS and value]
    found += _QUOTED_REF.findall(text)
    found += _NOT_FOUND_REF.findall(text)
    return tuple(dict.fromkeys(found))


def _with(refs: tuple[str, ...], name: str | None) -> tuple[str, ...]:
    return refs if not name or name in refs else (*refs, name)


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    return match[1] if match else None


def _host_name(value: str | None) -> str | None:
    """nginx's `host:` is the Host header (maybe with a port); `server:` may be an address or `_`."""
    if not value or value == "_":
        return None
    name = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
    return None if not name or _ADDRESS.fullmatch(name) else name
