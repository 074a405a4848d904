"""What nginx 1.22, configured as `gateway.render_http` configures it, decides — as
pure rules for the built-in gateway, which owns the sockets.

Each step follows the nginx code path named in its docstring, so a difference the
conformance test finds has one place to be fixed: which `server {}` the TLS name and
then the Host header select, what verifying the client certificate leaves on the
connection (`$ssl_client_verify` and friends), and which answer a request gets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import quote

import re2
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.certs import openssl_binding as ob
from mtls_tui.certs.crl import load_crls
from mtls_tui.certs.facts import name_to_str
from mtls_tui.certs.verify import nginx_verdict
from mtls_tui.lab.builtin_http import Request
from mtls_tui.lab.gateway import UPSTREAM_NAME, GatewayHost
from mtls_tui.policy.nginx_answers import CERT_ERROR, CN_REFUSED, NO_CERT, NO_CERT_LOGGED, OPTIONAL_NO_CA_ERRORS, page
from mtls_tui.policy.nginx_directives import UPSTREAM_HEADERS
from mtls_tui.policy.re2_syntax import compile_re2

DEFAULT_BACKEND = "upstream-default-backend"
DEFAULT_SERVER = "_"
# Headers nginx's proxy module never passes on as the client sent them (ngx_http_proxy_headers).
NOT_PROXIED = frozenset(
    {"host", "connection", "keep-alive", "te", "expect", "upgrade", "transfer-encoding", "content-length"}
)
VALID_HEADER_NAME = re.compile(r"[A-Za-z0-9-]+")  # ignore_invalid_headers on, underscores_in_headers off


@dataclass(frozen=True)
class ServerBlock:
    """One host's `server {}`. `ca` is empty when render_http writes no mTLS
    directives for it (no auth-tls policy, or no `ca.crt`)."""

    host: GatewayHost
    ca: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    match_cn: object | None = None  # a compiled RE2 pattern

    @classmethod
    def of(cls, host: GatewayHost) -> ServerBlock:
        """Parse what nginx parses at start; raises ValueError where nginx would refuse its configuration."""
        if host.denial:
            return cls(host)  # an AuthTLSError renders no client-certificate directives
        if not (host.policy.mtls and host.ca_pem):
            return cls(host, match_cn=compile_re2(host.cn_gate) if host.cn_gate else None)
        crls = load_crls(host.crl_pem or b"")
        if host.crl_pem and not crls:
            raise ValueError(f"{host.policy.host}: ca.crl holds no PEM CRL")
        try:  # linear-time matching: a backtracking pattern must not stall the lab (nginx's PCRE has match limits)
            match_cn = compile_re2(host.policy.match_cn) if host.policy.match_cn else None
        except re2.error as exc:
            raise ValueError(f"{host.policy.host}: auth-tls-match-cn is not a regular expression ({exc})") from None
        return cls(host, tuple(x509.load_pem_x509_certificates(host.ca_pem)), crls, match_cn)

    @property
    def name(self) -> str:
        return self.host.policy.host.lower()

    @property
    def mtls(self) -> bool:
        return bool(self.ca)

    @property
    def verify(self) -> str:
        """`ssl_verify_client`: nginx's `sscf->verify`, "off" when not set."""
        return self.host.policy.verify_client if self.mtls else "off"

    @property
    def asks_certificate(self) -> bool:
        return self.verify != "off"


class ServerNames:
    """nginx's server_name lookup on the one listen socket: exact names, then leading
    wildcards (`*.example.com`), longest first. Of two blocks for a name, the first
    wins, as nginx warns "conflicting server name" and keeps the first."""

    def __init__(self, hosts: list[GatewayHost]) -> None:
        self.blocks: dict[str, ServerBlock] = {}
        for host in hosts:
            if host.policy.host.lower() not in self.blocks:
                block = ServerBlock.of(host)
                self.blocks[block.name] = block
        self._wildcards = sorted(
            (b for b in self.blocks.values() if b.name.startswith("*.")), key=lambda b: -len(b.name)
        )
        self._mapped = {host.policy.host for host in hosts}

    def find(self, name: str) -> ServerBlock | None:
        if name in self.blocks:
            return self.blocks[name]
        return next((b for b in self._wildcards if name.endswith(b.name[1:])), None)

    def upstream_name(self, host: str) -> str:
        """`map $host $proxy_upstream_name` of render_http."""
        return UPSTREAM_NAME if host in self._mapped else DEFAULT_BACKEND


def validate_host(raw: str) -> str | None:
    """ngx_http_validate_host: lower case, without port and trailing dot; None when invalid."""
    end, dot, literal = len(raw), -2, False
    for i, ch in enumerate(raw):
        if ch == ".":
            if dot == i - 1:
                return None
            dot = i
        elif ch == ":":
            if not literal and end == len(raw):
                end = i
        elif ch == "[" and i == 0:
            literal = True
        elif ch == "]" and literal:
            end, literal = i + 1, False
        elif ch in "/\\" or ord(ch) <= 0x20 or ord(ch) == 0x7F:
            return None
    host = raw[:end]
    host = host[:-1] if host.endswith(".") else host
    return host.lower() or None


@dataclass(frozen=True)
class ClientTls:
    """What verifying the client certificate left on the connection: the result nginx
    reads with SSL_get_verify_result, and the `$ssl_client_*` variables."""

    sent: bool = False
    error: int = 0
    reason: str = ""
    subject_dn: str = ""
    issuer_dn: str = ""
    escaped_cert: str = ""

    @property
    def verify(self) -> str:
        """`$ssl_client_verify`."""
        if self.error:
            return f"FAILED:{self.reason}"
        return "SUCCESS" if self.sent else "NONE"


def client_tls(block: ServerBlock, chain: list[x509.Certificate], at: datetime | None = None) -> ClientTls:
    """nginx accepts every certificate in the handshake (its verify callback returns 1)
    and keeps OpenSSL's last error; `nginx_verdict`, with the `ssl_crl` CRLs, is that
    verification (the handshake, keys included, was a real one: tls13_keys=False)."""
    if not chain:
        return ClientTls()
    verdict = nginx_verdict(block.ca, chain, block.host.policy.verify_depth, at=at, crls=block.crls, tls13_keys=False)
    error = 0 if verdict.accepted else (verdict.error_code or 0)
    leaf = chain[0]
    return ClientTls(
        True,
        error,
        ob.error_string(error) if error else "",
        name_to_str(leaf.subject),
        name_to_str(leaf.issuer),
        quote(leaf.public_bytes(Encoding.PEM).decode("ascii"), safe=""),  # $ssl_client_escaped_cert
    )


@dataclass(frozen=True)
class Connection:
    """What the handshake settled, for every request on the connection. `servername`
    (nginx's hc->ssl_servername) is set only when the TLS name chose a server."""

    block: ServerBlock | None
    servername: str | None
    client: ClientTls


@dataclass(frozen=True)
class Answer:
    """nginx's answer to one request. With `upstream` set, the request is proxied
    with those headers and the upstream's answer is relayed instead of `body`."""

    status: int
    server: str  # the server_name nginx names in its error log
    seen: Request  # what nginx had read when it answered
    upstream_name: str = DEFAULT_BACKEND
    body: bytes = b""
    content_type: str | None = "text/html"
    extra: tuple[tuple[str, str], ...] = ()
    keepalive: bool = True
    upstream: tuple[tuple[str, str], ...] | None = None
    error: str | None = None  # the error-log message
    errors_after: tuple[str, ...] = ()  # `[error]` lines nginx writes after it


def bad_request(names: ServerNames, request: Request, server: str, message: str) -> Answer:
    """400 while reading the request: nginx closes the connection after it."""
    return Answer(400, server, request, names.upstream_name(server), page(400), keepalive=False, error=message)


def framing_refusal(names: ServerNames, request: Request, server: str) -> Answer | None:
    """ngx_http_process_request_header's checks of the body framing. The built-in
    gateway reads Content-Length bodies only: chunked ones are refused with nginx's
    answer to an unknown Transfer-Encoding (nginx would read them)."""
    if request.header("transfer-encoding") is not None:
        return Answer(
            501,
            server,
            request,
            names.upstream_name(server),
            page(501),
            keepalive=False,
            error='client sent unknown "Transfer-Encoding"',
        )
    length = request.header("content-length")
    if length is not None and not length.isdigit():
        return bad_request(names, request, server, 'client sent invalid "Content-Length" header')
    return None


def answer(names: ServerNames, conn: Connection, request: Request) -> Answer:
    """ngx_http_process_request_headers, ngx_http_process_request, then the server's
    rewrite phase (match-CN, then the AuthTLSError's `return 403;`) and the location (404 or proxy)."""
    current = conn.block.name if conn.block else DEFAULT_SERVER
    raw_host = request.header("host")
    host = validate_host(raw_host) if raw_host is not None else None
    if raw_host is not None and host is None:
        return bad_request(names, request.through_host(), current, "client sent invalid host header")
    if raw_host is None and request.version == "HTTP/1.1":
        return bad_request(names, request, current, 'client sent HTTP/1.1 request without "Host" header')
    block = conn.block
    if host is not None and host != conn.servername:
        block = names.find(host)
        if conn.servername and block is not None and block.asks_certificate:
            return Answer(
                421,
                current,
                request.through_host(),
                names.upstream_name(host),
                page(421),
                keepalive=False,
                error="client attempted to request the server name different from the one that was negotiated",
            )
    host = host or (block.name if block else DEFAULT_SERVER)
    server = block.name if block else DEFAULT_SERVER
    upstream_name = names.upstream_name(host)
    if block is not None and block.asks_certificate:
        refusal = _certificate_refusal(block, conn.client, request, upstream_name, host)
        if refusal:
            return refusal
    if block is not None and block.match_cn and not block.match_cn.search(conn.client.subject_dn):
        return Answer(403, server, request, upstream_name, CN_REFUSED.encode(), "text/plain")
    if block is not None and block.host.denial:
        return Answer(403, server, request, upstream_name, page(403))
    if block is not None and block.host.location_denial:  # nginx.tmpl: the location's `return 503;`
        return Answer(503, server, request, upstream_name, page(503))
    if block is None:
        return Answer(404, server, request, upstream_name, b"default backend - 404\n", "text/plain")
    return Answer(200, server, request, upstream_name, upstream=upstream_headers(block, conn.client, request, host))


def _certificate_refusal(
    block: ServerBlock, client: ClientTls, request: Request, upstream_name: str, host: str
) -> Answer | None:
    """495 and 496 (both 400 to the client), or the error page's answer in their place
    (policy/ingress_nginx/cert_answers.refused_answer): ngx_http_special_response_handler ends
    keepalive for both, then ngx_http_send_error_page redirects a URL with a 302, passes a path
    internally (as GET, no new certificate check) to its location, which here proxies to the
    upstream, and sends a named location nginx cannot find to a 500."""
    if client.error and not (block.verify == "optional_no_ca" and client.error in OPTIONAL_NO_CA_ERRORS):
        detail, message = CERT_ERROR, f"client SSL certificate verify error: ({client.error}:{client.reason})"
    elif block.verify == "on" and not client.sent:
        detail, message = NO_CERT, NO_CERT_LOGGED
    else:
        return None
    error_page = block.host.policy.error_page
    if error_page and error_page.startswith("/"):
        moved = replace(request, method=request.method if request.method == "HEAD" else "GET", target=error_page)
        upstream = upstream_headers(block, client, moved, host)
        return Answer(200, block.name, moved, upstream_name, upstream=upstream, keepalive=False, error=message)
    if error_page and error_page.startswith("@"):  # the lab writes no named location into a server
        missing = f'could not find named location "{error_page}"'
        return Answer(
            500, block.name, request, upstream_name, page(500), keepalive=False, error=message, errors_after=(missing,)
        )
    if error_page:
        return Answer(
            302,
            block.name,
            request,
            upstream_name,
            page(302),
            extra=(("Location", error_page),),
            keepalive=False,
            error=message,
        )
    return Answer(400, block.name, request, upstream_name, page(400, detail), keepalive=False, error=message)


def upstream_headers(block: ServerBlock, client: ClientTls, request: Request, host: str) -> tuple[tuple[str, str], ...]:
    """The proxied request's headers in nginx's order: `proxy_set_header`s (empty ones
    dropped), `Connection: close`, then the client's own, minus those a
    `proxy_set_header` names — a client cannot forge `ssl-client-verify`."""
    values = {
        "$ssl_client_verify": client.verify,
        "$ssl_client_s_dn": client.subject_dn,
        "$ssl_client_i_dn": client.issuer_dn,
    }
    wanted = [("Host", host)]
    if block.mtls:
        wanted += [(name, values[variable]) for name, variable in UPSTREAM_HEADERS]
        if block.host.policy.pass_certificate:
            wanted.append(("ssl-client-cert", client.escaped_cert))
    wanted.append(("Connection", "close"))
    if request.body:
        wanted.append(("Content-Length", str(len(request.body))))
    hidden = NOT_PROXIED | {name.lower() for name, _ in wanted}
    passed = [(n, v) for n, v in request.headers if n.lower() not in hidden and VALID_HEADER_NAME.fullmatch(n)]
    return tuple((n, v) for n, v in wanted if v) + tuple(passed)
