"""nginx's HTTP/1.1 surface as bytes and text, for the built-in gateway: request heads
read, nginx's own pages and response heads written, access and error log lines
formatted. Pure: no sockets, so each rule is checked against a captured nginx answer.

The header order is nginx 1.22.1's (Debian bookworm, the release DESIGN.md measured),
captured from the nginx gateway; its pages and reason phrases are policy/nginx_answers.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import format_datetime

from mtls_tui.policy.nginx_answers import SERVER

REQUEST_LINE = re.compile(r"([A-Z]+) (\S+) (HTTP/1\.[01])")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Request:
    """One request as nginx parsed it. `complete` is False for a request nginx answered
    while still reading its headers (an invalid or misdirected Host): its
    `$request_length` and `$http_user_agent` only count what came before."""

    line: str
    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...] = ()
    header_sizes: tuple[int, ...] = ()  # bytes of each header line, with its line end
    body: bytes = b""
    complete: bool = True

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    @property
    def length(self) -> int:
        """`$request_length`: request line, header lines, blank line and body."""
        rest = 2 + len(self.body) if self.complete else 0
        return len(self.line) + 2 + sum(self.header_sizes) + rest

    def through_host(self) -> Request:
        """What nginx had read when ngx_http_process_host answered."""
        end = next((i + 1 for i, (key, _) in enumerate(self.headers) if key.lower() == "host"), len(self.headers))
        return replace(self, headers=self.headers[:end], header_sizes=self.header_sizes[:end], body=b"", complete=False)

    @property
    def keepalive(self) -> bool:
        connection = (self.header("connection") or "").lower()
        if self.version == "HTTP/1.1":
            return "close" not in connection
        return "keep-alive" in connection


def parse_head(head: bytes) -> Request:
    """The request line and headers, up to the blank line. Raises ValueError with
    nginx's error-log words when nginx would answer 400."""
    lines = head.split(b"\n")
    text = lines[0].rstrip(b"\r").decode("latin-1")
    match = REQUEST_LINE.fullmatch(text)
    if not match:
        raise ValueError("client sent invalid request")
    headers: list[tuple[str, str]] = []
    sizes: list[int] = []
    for raw in lines[1:]:
        line = raw.rstrip(b"\r").decode("latin-1")
        if not line:
            break
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise ValueError("client sent invalid header line")
        headers.append((name, value.strip(" \t")))
        sizes.append(len(raw) + 1)
    return Request(text, match.group(1), match.group(2), match.group(3), tuple(headers), tuple(sizes))


def unparsed(first_line: bytes) -> Request:
    """A request nginx could not parse, as its access log still records it."""
    return Request(first_line.split(b"\n")[0].rstrip(b"\r").decode("latin-1"), "", "", "HTTP/1.0", complete=False)


def response_head(
    status: int,
    status_text: str,
    content_type: str | None,
    length: int,
    keepalive: bool,
    extra: tuple[tuple[str, str], ...],
    now: datetime,
) -> bytes:
    """Status line and headers in ngx_http_header_filter's order."""
    lines = [f"HTTP/1.1 {status} {status_text}", f"Server: {SERVER}", f"Date: {format_datetime(now, usegmt=True)}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    lines += [f"Content-Length: {length}", f"Connection: {'keep-alive' if keepalive else 'close'}"]
    lines += [f"{name}: {value}" for name, value in extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def escape(value: str | None) -> str:
    """nginx's default log escaping: quote, backslash and non-printable bytes as \\xHH."""
    if not value:
        return "-"
    return "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\' else f"\\x{ord(c):02X}" for c in value)


@dataclass(frozen=True)
class UpstreamLog:
    """The `$upstream_*` fields of a proxied request."""

    addr: str
    length: int
    seconds: float
    status: int


def access_line(
    client: str,
    when: datetime,
    request: Request,
    status: int,
    body_bytes: int,
    seconds: float,
    upstream_name: str,
    upstream: UpstreamLog | None,
    request_id: str,
) -> str:
    """One line in ingress-nginx's `log-format-upstream` (gateway.ACCESS_LOG_FORMAT)."""
    local = f"{when:%d}/{MONTHS[when.month - 1]}/{when:%Y:%H:%M:%S %z}"
    up = f"{upstream.addr} {upstream.length} {upstream.seconds:.3f} {upstream.status}" if upstream else "- - - -"
    return (
        f'{client} - - [{local}] "{escape(request.line)}" {status} {body_bytes} "{escape(request.header("referer"))}" '
        f'"{escape(request.header("user-agent"))}" {request.length} {seconds:.3f} [{upstream_name}] [] {up} {request_id}'
    )


def error_line(
    when: datetime,
    process: str,
    number: int,
    message: str,
    client: str,
    server: str,
    request: Request | None = None,
    level: str = "info",
) -> str:
    """An error-log line (`[info]` unless `level`) as nginx writes it, with the context it appends."""
    context = f"client: {client}, server: {server}"
    if request is not None:
        context = f'while reading client request headers, {context}, request: "{request.line}"'
        host = request.header("host")
        context += f', host: "{host}"' if host is not None else ""
    else:
        context = f"while SSL handshaking, {context}"
    return f"{when:%Y/%m/%d %H:%M:%S} [{level}] {process}: *{number} {message} {context}"
