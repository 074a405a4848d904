"""What one controller log line is, once parsed.

A controller pod writes three kinds of lines to one stream: the Go controller's
klog lines, nginx's own error log and nginx's access log. Each gets its own shape
so that rules and panes read fields, not text; a line we do not understand keeps
its text and nothing else, so that nothing a person might need is ever hidden.

The classes are frozen (a record is shared by the buffer, the panes and the rules
at once), and a follower holds ten thousand records and builds hundreds of thousands
a second. So they are named tuples (a frozen dataclass sets each field through
`object.__setattr__`, which cost more than reading the line), and a record's `parsed` fields
are read from the line only when first asked for: the parser makes sure of the line's
kind, severity and time, and almost every line is then only filtered, counted and
shown as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

LogKind = Literal["klog", "nginx-error", "access", "other"]
SeverityLetter = Literal["I", "W", "E", "F"]

# Lines without a severity rank with `I`: hiding them takes asking for warnings or worse.
SEVERITY_RANK: dict[str | None, int] = {None: 0, "I": 0, "W": 1, "E": 2, "F": 3}


class KlogLine(NamedTuple):
    """A controller line: `I1128 21:45:34.090212       7 nginx.go:271] "msg" key="value"`.

    klog writes no year, so `month_day` and `time` stay text; the record's timestamp
    comes from the kubelet's prefix. `values` keeps the structured pairs in the order
    written (a key may repeat), already unquoted.
    """

    severity: SeverityLetter
    month_day: str
    time: str
    thread_id: int
    source: str
    message: str
    values: tuple[tuple[str, str], ...] = ()

    def value(self, key: str) -> str | None:
        return next((v for k, v in self.values if k == key), None)


class NginxErrorLine(NamedTuple):
    """nginx's error log: `2026/11/28 21:45:34 [info] 31#31: *5 message, client: …, host: "…"`.

    The client-certificate errors nginx logs at `info` are the only place the
    server says *why* it refused a certificate, so the context fields are kept.
    """

    time: str
    level: str
    pid: int
    tid: int
    connection: int | None
    message: str
    client: str | None = None
    server: str | None = None
    request: str | None = None
    host: str | None = None


@dataclass(frozen=True, slots=True)
class AccessLine:
    """An access-log line in ingress-nginx's `log-format-upstream` (v1.x, or 0.x with no
    alternative upstream) or in nginx's `combined` (no fields after the user agent).

    `fields` holds nginx's text in v1.x order (absent fields None); the named
    properties decode it when read, because almost every access line is only ever
    shown as text, and decoding twenty fields up front cost more than matching the
    line. nginx's `-` reads as None; upstream fields stay as nginx wrote them, since
    after retries they are lists (`10.1.2.3:8080, 10.1.2.4:8080`).
    """

    fields: tuple[str | None, ...]

    @property
    def remote_addr(self) -> str:
        return self.fields[0] or ""

    @property
    def remote_user(self) -> str | None:
        return _text(self.fields[1])

    @property
    def time_local(self) -> str:
        return self.fields[2] or ""

    @property
    def request(self) -> str:
        """The request line as nginx logged it; malformed ones (TLS to the HTTP port) too."""
        return self.fields[3] or ""

    @property
    def method(self) -> str | None:
        return self._request_part(0)

    @property
    def path(self) -> str | None:
        return self._request_part(1)

    @property
    def protocol(self) -> str | None:
        return self._request_part(2)

    @property
    def status(self) -> int:
        return int(self.fields[4] or 0)

    @property
    def body_bytes(self) -> int | None:
        return _integer(self.fields[5])

    @property
    def referer(self) -> str | None:
        return _text(self.fields[6])

    @property
    def user_agent(self) -> str | None:
        return _text(self.fields[7])

    @property
    def request_length(self) -> int | None:
        return _integer(self.fields[8])

    @property
    def request_time(self) -> float | None:
        value = _text(self.fields[9])
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None

    @property
    def proxy_upstream_name(self) -> str | None:
        return self.fields[10] or None

    @property
    def proxy_alternative_upstream_name(self) -> str | None:
        return self.fields[11] or None

    @property
    def upstream_addr(self) -> str | None:
        return _text(self.fields[12])

    @property
    def upstream_response_length(self) -> str | None:
        return _text(self.fields[13])

    @property
    def upstream_response_time(self) -> str | None:
        return _text(self.fields[14])

    @property
    def upstream_status(self) -> str | None:
        return _text(self.fields[15])

    @property
    def req_id(self) -> str | None:
        return _text(self.fields[16])

    def _request_part(self, index: int) -> str | None:
        parts = self.request.split(" ")
        return parts[index] if len(parts) == 3 else None


def _text(value: str | None) -> str | None:
    return None if value is None or value == "-" else value


def _integer(value: str | None) -> int | None:
    return None if value is None or value == "-" else int(value)


ParsedLine = KlogLine | NginxErrorLine | AccessLine


# The parser's promise that `parsed` can be read from the line when asked for, and how.
UNREAD = object()
READERS: dict[
    str, Callable[[str, int], ParsedLine]
] = {}  # kind -> reader of `raw` from `text_start`: filled by the parser


class _Fields(NamedTuple):
    pod: str
    container: str
    timestamp: datetime | None
    raw: str
    kind: LogKind
    severity: SeverityLetter | None
    parsed: Any = None  # a ParsedLine, None, or UNREAD: see LogRecord.parsed
    text_start: int = 0


class LogRecord(_Fields):
    """One line from one container. `raw` is the line exactly as received;
    `text_start` is where it begins after the kubelet's timestamp prefix."""

    @property  # type: ignore[override]
    def parsed(self) -> ParsedLine | None:
        """The line's fields; read from the line the first time they are asked for."""
        value = tuple.__getitem__(self, 6)
        if value is not UNREAD:
            return value
        cache = self.__dict__
        if "parsed" not in cache:
            cache["parsed"] = READERS[self.kind](self.raw, self.text_start)
        return cache["parsed"]

    @property
    def text(self) -> str:
        """The line as the container wrote it, for panes that show the timestamp apart."""
        return self.raw[self.text_start :].rstrip("\r\n")

    def _resolved(self) -> tuple[Any, ...]:
        return (*self[:6], self.parsed, self.text_start)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LogRecord) and self._resolved() == other._resolved()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self._resolved())

    def __repr__(self) -> str:
        return (
            "LogRecord("
            + ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self._resolved(), strict=True))
            + ")"
        )
