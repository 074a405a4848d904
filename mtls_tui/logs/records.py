"""What one controller log line is, once parsed.

A controller pod writes three kinds of lines to one stream: the Go controller's
klog lines, nginx's own error log and nginx's access log. Each gets its own shape
so that rules and panes read fields, not text; a line we do not understand keeps
its text and nothing else, so that nothing a person might need is ever hidden.

The classes are frozen (a record is shared by the buffer, the panes and the rules
at once) and slotted: a follower holds ten thousand of them and builds hundreds of
thousands a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Union

LogKind = Literal["klog", "nginx-error", "access", "other"]
SeverityLetter = Literal["I", "W", "E", "F"]

SEVERITY_RANK: dict[str | None, int] = {None: 0, "I": 0, "W": 1, "E": 2, "F": 3}
"""Lines without a severity rank with `I`: hiding them takes asking for warnings or worse."""


@dataclass(frozen=True, slots=True)
class KlogLine:
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


@dataclass(frozen=True, slots=True)
class NginxErrorLine:
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
    """An access-log line in ingress-nginx's `log-format-upstream` (v1.x, 0.x) or nginx's
    `combined`. nginx's `-` becomes None; upstream fields stay as nginx wrote them,
    because after retries they are lists (`10.1.2.3:8080, 10.1.2.4:8080`)."""

    remote_addr: str
    remote_user: str | None
    time_local: str
    request: str
    method: str | None
    path: str | None
    protocol: str | None
    status: int
    body_bytes: int | None
    referer: str | None = None
    user_agent: str | None = None
    request_length: int | None = None
    request_time: float | None = None
    proxy_upstream_name: str | None = None
    proxy_alternative_upstream_name: str | None = None
    upstream_addr: str | None = None
    upstream_response_length: str | None = None
    upstream_response_time: str | None = None
    upstream_status: str | None = None
    req_id: str | None = None


ParsedLine = Union[KlogLine, NginxErrorLine, AccessLine]


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One line from one container. `raw` is the line exactly as received;
    `text_start` is where it begins after the kubelet's timestamp prefix."""

    pod: str
    container: str
    timestamp: datetime | None
    raw: str
    kind: LogKind
    severity: SeverityLetter | None
    parsed: ParsedLine | None = None
    text_start: int = 0

    @property
    def text(self) -> str:
        """The line as the container wrote it, for panes that show the timestamp apart."""
        return self.raw[self.text_start:].rstrip("\r\n")
