"""One controller log line in, one `LogRecord` out; never an exception.

Followed controllers write thousands of lines a second, so the order of the checks
is the cost model: the first character chooses the precompiled regex to try (the
common formats first, so a line usually meets one), the line is read in place rather
than copied, and timestamps written as text in the line are decoded once per distinct
second (consecutive lines share them). A line is read only as far as its kind,
severity and time need: its fields (`LogRecord.parsed`) are read by the `_read_*`
functions when first asked for, which for most lines is never. Every regex runs in
linear time: a request path or user agent is text anyone on the internet chooses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import cast

from mtls_tui.logs.records import READERS, UNREAD, AccessLine, KlogLine, LogRecord, NginxErrorLine, SeverityLetter

_KLOG = re.compile(r"([IWEF])(\d{4}) (\d\d:\d\d:\d\d\.\d+) +(\d{1,10}) ([^\s\]]+)\] ?(.*)", re.DOTALL)
_KLOG_START = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d{1,10} [^\s\]]+\]")  # matches where _KLOG does
# A quoted string, Go's (klog) or nginx's: nginx escapes `"` in logged variables as \x22,
# yet a custom `escape=json` access format writes \".
_QUOTED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
_KLOG_MESSAGE = re.compile(_QUOTED, re.DOTALL)
# Anchored after a non-space and possessive, so a long run of spaces costs one attempt, not one per space.
_KLOG_PAIR = re.compile(r'(?<!\s)\s++([^\s="]++)=("[^"\\]*(?:\\.[^"\\]*)*"|\S*)', re.DOTALL)
_GO_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", re.DOTALL)
_GO_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

_NGINX_ERROR = re.compile(
    r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[([a-z]+)\] (\d{1,10})#(\d{1,10}): (?:\*(\d{1,20}) )?(.*)", re.DOTALL
)
_NGINX_ERROR_START = re.compile(
    r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[([a-z]+)\] \d{1,10}#\d{1,10}: "
)  # matches where _NGINX_ERROR does
_NGINX_CONTEXT = re.compile(r', (client|server|request|upstream|host|referrer|subrequest): ("[^"]*"|[^,]*)')
_NGINX_LEVELS = {
    "debug": "I",
    "info": "I",
    "notice": "I",
    "warn": "W",
    "error": "E",
    "crit": "F",
    "alert": "F",
    "emerg": "F",
}

# One upstream field: `-`, one value, or the list nginx writes after retries (`, `) and
# internal redirects (` : `). Elements hold no space or comma and never start with `:`,
# so where a list ends is never ambiguous (ambiguity here meant exponential backtracking).
_UPSTREAM = r"([^\s,:][^\s,]*(?:(?:, | : )[^\s,:][^\s,]*)*)"
_ACCESS_HEAD = _QUOTED + r" (\d{3}) (\d{1,20}|-) " + _QUOTED + " " + _QUOTED + r" (\d{1,20}|-) ([\d.]+|-) \[([^\]]*)\]"
_ACCESS_TAIL = " ".join([_UPSTREAM] * 4)
_ACCESS_V1 = re.compile(
    r"(\S+) - (\S+) \[([^\]]*)\] " + _ACCESS_HEAD + r" \[([^\]]*)\] " + _ACCESS_TAIL + r" (\S+)\s*\Z"
)
_ACCESS_V0 = re.compile(
    r"\S+ - \[(\S+)\] - (\S+) \[([^\]]*)\] "
    + _ACCESS_HEAD
    + r"(?: \[([^\]]*)\])? "
    + _ACCESS_TAIL
    + r"(?: (\S+))?\s*\Z"
)
_ACCESS_COMBINED = re.compile(
    r"(\S+) \S+ (\S+) \[([^\]]*)\] " + _QUOTED + r" (\d{3}) (\d{1,20}|-)(?: " + _QUOTED + " " + _QUOTED + ")?"
)
_COMBINED_MISSING = (None,) * 9  # combined ends with the user agent: no upstream fields
# Where an access line shows itself: combined's start up to the body size, with the time and
# status. A line that ingress-nginx's v1.x format matches starts so too, with the same time and
# status, and combined's tail is optional; the 0.x format starts otherwise (`host - [addr] -`).
_ACCESS_START = re.compile(r'\S++ \S++ \S++ \[([^\]]*+)\] "[^"\\]*+(?:\\.[^"\\]*+)*+" (\d{3}) [\d-]')
_ACCESS_TIME = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
    )
}

_UTC = UTC
_fromisoformat = datetime.fromisoformat
_record = tuple.__new__  # a LogRecord from all its fields at once, without the call to its generated __new__
_KLOG_LETTERS = frozenset("IWEF")
_DIGITS = frozenset("0123456789")
_KUBELET_PREFIX_MAX = 40  # `2026-11-28T21:45:34.090212345Z` is 30; offsets instead of Z are longer


def parse_line(raw: str, pod: str = "", container: str = "", *, with_timestamp: bool = False) -> LogRecord:
    """Classify and parse one line. With `with_timestamp`, a leading kubelet timestamp
    (`kubectl logs --timestamps`) is the record's time; a line without one is kept whole."""
    timestamp = None
    start = 0
    if with_timestamp:
        space = raw.find(" ", 0, _KUBELET_PREFIX_MAX)
        if space > 0:
            try:  # the kubelet's RFC3339Nano with `Z`, as Python 3.11 reads it; anything else, the slow path
                timestamp = _fromisoformat(raw[:space])
            except ValueError:
                timestamp = None
            if timestamp is None or timestamp.tzinfo is None:
                timestamp = _kubelet_time(raw[:space])
            if timestamp is not None:
                start = space + 1
    # The line is read in place: no copy of it is made. The checks below need not stop before a
    # closing line break: each ends on a character that is none, so a match cannot reach one.
    first = raw[start : start + 1]
    if first in _KLOG_LETTERS and _KLOG_START.match(raw, start) is not None:
        return _record(LogRecord, (pod, container, timestamp, raw, "klog", first, UNREAD, start))
    # Most lines are access lines: their check comes next and fails within a few characters on
    # anything else. No line is both an access line and an nginx error line: the order of the
    # two checks does not matter.
    access = _ACCESS_START.match(raw, start)
    time_group, status_group = 1, 2
    if access is None:
        access = _ACCESS_V0.match(raw, start)  # its `\s*\Z` takes a closing line break
        time_group, status_group = 3, 5
    if access is not None:
        status = access[status_group]
        if timestamp is None:
            timestamp = _access_time(access[time_group])
        severity = _STATUS_SEVERITY.get(status) or _severity(int(status))
        return _record(LogRecord, (pod, container, timestamp, raw, "access", severity, UNREAD, start))
    if first in _DIGITS and raw[start + 4 : start + 5] == "/":
        error = _NGINX_ERROR_START.match(raw, start)
        if error is not None:
            if timestamp is None:
                timestamp = _nginx_error_time(error[1])
            return _record(
                LogRecord, (pod, container, timestamp, raw, "nginx-error", _NGINX_LEVELS.get(error[2]), UNREAD, start)
            )
    return _record(LogRecord, (pod, container, timestamp, raw, "other", None, None, start))


def _severity(status: int) -> SeverityLetter:
    return "E" if status >= 500 else "W" if status >= 400 else "I"


_STATUS_SEVERITY = {
    f"{status:03d}": _severity(status) for status in range(1000)
}  # `\d` also takes other scripts' digits


def _span(raw: str, start: int) -> tuple[str, int, int]:
    """The line between `start` and its end, without the line break, for a reader."""
    return raw, start, len(raw.rstrip("\r\n")) if raw[-1:] in ("\n", "\r") else len(raw)


def _kubelet_time(token: str) -> datetime | None:
    """RFC3339Nano (`…34.090212345Z`). Python 3.11 reads it as it is; 3.10's
    fromisoformat takes neither the `Z` nor nine fraction digits, so only when the
    fast path fails is the token normalised (microseconds kept)."""
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(token)
    except ValueError:
        moment = _normalised_time(token)
        if moment is None:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_UTC)


def _normalised_time(token: str) -> datetime | None:
    if token.endswith("Z"):
        token = token[:-1]
        dot = token.find(".")
        if dot >= 0:
            token = token[: dot + 1] + token[dot + 1 : dot + 7].ljust(6, "0")
        token += "+00:00"
    try:
        return datetime.fromisoformat(token)
    except ValueError:
        return None


def _read_klog(raw: str, start: int) -> KlogLine:
    match = _KLOG.match(*_span(raw, start))
    assert match is not None  # parse_line saw _KLOG_START match here
    severity, month_day, time, thread_id, source, rest = match.groups()
    values: tuple[tuple[str, str], ...] = ()
    message = rest
    if rest[:1] == '"':
        quoted = _KLOG_MESSAGE.match(rest)
        if quoted is not None:
            message = _go_unquote(quoted[1])
            tail = rest[quoted.end() :]
            if tail:
                values = tuple(
                    (key, _go_unquote(value[1:-1]) if value[:1] == '"' else value)
                    for key, value in _KLOG_PAIR.findall(tail)
                )
    # the pattern admits I, W, E and F only
    return KlogLine(cast(SeverityLetter, severity), month_day, time, int(thread_id), source, message, values)


def _go_unquote(body: str) -> str:
    """Undo Go's strconv.Quote, which klog uses for messages and string values."""
    return _GO_ESCAPE.sub(_go_escape, body) if "\\" in body else body


def _go_escape(match: re.Match[str]) -> str:
    escape = match[1]
    if len(escape) == 1:
        return _GO_SIMPLE_ESCAPES.get(escape, escape)
    code = int(escape[1:], 16)
    # Go writes \x only for bytes that are not UTF-8: the character is lost either way.
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _read_nginx_error(raw: str, start: int) -> NginxErrorLine:
    match = _NGINX_ERROR.match(*_span(raw, start))
    assert match is not None  # parse_line saw _NGINX_ERROR_START match here
    time, level, pid, tid, connection, rest = match.groups()
    context: dict[str, str] = {}
    message = rest
    context_start = rest.find(", client: ")
    if context_start >= 0:
        message = rest[:context_start]
        for key, value in _NGINX_CONTEXT.findall(rest, context_start):
            context.setdefault(key, value[1:-1] if value[:1] == '"' and len(value) > 1 else value)
    return NginxErrorLine(
        time,
        level,
        int(pid),
        int(tid),
        int(connection) if connection else None,
        message,
        context.get("client"),
        context.get("server"),
        context.get("request"),
        context.get("host"),
    )


@lru_cache(maxsize=256)
def _nginx_error_time(text: str) -> datetime | None:
    """nginx writes local time without a zone; the controller image runs in UTC."""
    try:
        return datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=_UTC,
        )
    except ValueError:
        return None


def _read_access(raw: str, start: int) -> AccessLine:
    span = _span(raw, start)
    match = _ACCESS_V1.match(*span) or _ACCESS_V0.match(*span)
    if match is not None:
        return AccessLine(match.groups())
    combined = _ACCESS_COMBINED.match(*span)
    assert combined is not None  # parse_line saw _ACCESS_START match here, and combined's tail is optional
    return AccessLine(combined.groups() + _COMBINED_MISSING)


READERS.update({"klog": _read_klog, "nginx-error": _read_nginx_error, "access": _read_access})


@lru_cache(maxsize=256)
def _access_time(text: str) -> datetime | None:
    match = _ACCESS_TIME.fullmatch(text)
    if match is None or match[2] not in _MONTHS:
        return None
    day, month, year, hour, minute, second, sign, offset_hours, offset_minutes = match.groups()
    offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
    try:
        zone = timezone(-offset if sign == "-" else offset)
        return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone)
    except ValueError:
        return None
