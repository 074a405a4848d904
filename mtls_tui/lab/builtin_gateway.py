"""The lab's mTLS gateway without nginx: a TLS server on loopback that answers as the
nginx gateway (gateway.py) does, for machines where nginx is not installed.

nginx asks for a client certificate, accepts whatever comes in the handshake and
decides when the request arrives. Python's `ssl` cannot ask without verifying;
pyOpenSSL can (a verify callback that accepts everything), and it switches the server
certificate by SNI as nginx's servername callback does. The decisions live in
builtin_nginx and builtin_http (pure, each tied to the nginx code path it follows);
this module moves bytes: one thread per connection, HTTP/1.1 (ALPN http/1.1), the
echo upstream behind, logs in nginx's formats. Private keys stay in memory.
"""

from __future__ import annotations

import http.client
import itertools
import os
import re
import secrets
import selectors
import shutil
import socket
import struct
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from OpenSSL import SSL

from mtls_tui.certs.issue import issue_fake_certificate
from mtls_tui.lab.builtin_http import Request, UpstreamLog, access_line, error_line, parse_head, response_head, unparsed
from mtls_tui.lab.builtin_nginx import (
    DEFAULT_SERVER,
    Answer,
    ClientTls,
    Connection,
    ServerBlock,
    ServerNames,
    answer,
    bad_request,
    client_tls,
    framing_refusal,
    validate_host,
)
from mtls_tui.lab.echo import EchoServer
from mtls_tui.lab.gateway import GatewayHost
from mtls_tui.lab.leftovers import private_folder
from mtls_tui.lab.nginx import free_port
from mtls_tui.policy.nginx_answers import page, reason

HEAD_END = re.compile(rb"\r?\n\r?\n")
MAX_HEAD = 32 * 1024  # nginx's large_client_header_buffers 4 8k
CLIENT_TIMEOUT = 60  # seconds, nginx's client_header_timeout; also ends idle keep-alive connections
UPSTREAM_TIMEOUT = 60  # nginx's proxy_read_timeout
NOT_RELAYED = frozenset(
    {"server", "date", "connection", "keep-alive", "transfer-encoding", "content-length", "content-type", "x-pad"}
)


def _accept_any(*_: object) -> bool:
    """As ngx_ssl_verify_callback: let the handshake finish, decide at the request."""
    return True


def _select_alpn(_: SSL.Connection, offered: list[bytes]) -> bytes:
    return b"http/1.1" if b"http/1.1" in offered else SSL.NO_OVERLAPPING_PROTOCOLS


def _tls_context(cert_pem: bytes, key_pem: bytes, client_cas: tuple[x509.Certificate, ...] = ()) -> SSL.Context:
    """One `server {}`'s TLS: ingress-nginx's TLS 1.2 and 1.3, the CA names of
    `ssl_client_certificate` in the certificate request, and no session resumption,
    so every connection's client certificate is verified here, afresh."""
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_max_proto_version(SSL.TLS1_3_VERSION)
    context.set_options(SSL.OP_NO_TICKET)
    context.set_session_cache_mode(SSL.SESS_CACHE_OFF)
    chain = x509.load_pem_x509_certificates(cert_pem)
    context.use_certificate(chain[0])
    for cert in chain[1:]:
        context.add_extra_chain_cert(cert)
    context.use_privatekey(serialization.load_pem_private_key(key_pem, password=None))  # type: ignore[arg-type]
    context.check_privatekey()
    for ca in client_cas:
        context.add_client_ca(ca)
    context.set_alpn_select_callback(_select_alpn)
    return context


@dataclass
class _Chosen:
    """What the servername callback chose for one connection (nginx's hc->conf_ctx and hc->ssl_servername)."""

    block: ServerBlock | None = None
    servername: str | None = None


@dataclass(frozen=True)
class _Reply:
    """What goes back to the client: nginx's own answer, or the upstream's as nginx relays it."""

    status: int
    status_text: str
    content_type: str | None
    extra: tuple[tuple[str, str], ...]
    body: bytes
    upstream: UpstreamLog | None = None
    error: str | None = None

    @classmethod
    def local(cls, outcome: Answer) -> _Reply:
        return cls(
            outcome.status,
            reason(outcome.status),
            outcome.content_type,
            outcome.extra,
            outcome.body,
            error=outcome.error,
        )


class _Reader:
    """Buffered reads from one TLS connection; None once the client is gone or idle
    past CLIENT_TIMEOUT (SO_RCVTIMEO turns into pyOpenSSL's WantReadError)."""

    def __init__(self, tls: SSL.Connection) -> None:
        self.tls = tls
        self.buffer = b""

    def _fill(self) -> bool:
        try:
            data = self.tls.recv(65536)
        except (SSL.Error, OSError):
            return False
        self.buffer += data
        return bool(data)

    def head(self) -> bytes | None:
        """Up to the blank line. Raises ValueError when longer than nginx reads."""
        while not (end := HEAD_END.search(self.buffer)):
            if len(self.buffer) > MAX_HEAD:
                raise ValueError("client sent too long header line")
            if not self._fill():
                return None
        head, self.buffer = self.buffer[: end.end()], self.buffer[end.end() :]
        return head

    def exactly(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            if not self._fill():
                return None
        body, self.buffer = self.buffer[:size], self.buffer[size:]
        return body


class _Logs:
    """access.log and error.log, one line per write, from every connection thread."""

    def __init__(self, folder: Path) -> None:
        self.paths = folder / "access.log", folder / "error.log"
        self._files = [open(path, "a", encoding="utf-8", buffering=1) for path in self.paths]
        self._lock = threading.Lock()

    def write(self, which: int, line: str) -> None:
        with self._lock:
            self._files[which].write(line + "\n")

    def close(self) -> None:
        for handle in self._files:
            handle.close()


def _handshake_error(exc: Exception) -> str:
    if isinstance(exc, SSL.WantReadError):
        return "client timed out (110: Connection timed out)"
    if isinstance(exc, (SSL.ZeroReturnError, SSL.SysCallError, OSError)):
        return "client closed connection"
    reasons = "; ".join(
        f"{lib}::{why}" for lib, _, why in (exc.args[0] if exc.args and isinstance(exc.args[0], list) else [])
    )
    return f"SSL_do_handshake() failed (SSL: {reasons or exc})"


class BuiltinGateway:
    """`with BuiltinGateway(hosts) as gw:` — the interface of `Gateway`, no nginx.

    `nginx_binary` is accepted so that either class takes the same arguments.
    """

    def __init__(self, hosts: list[GatewayHost], port: int | None = None, nginx_binary: str | None = None) -> None:
        self.hosts = hosts
        self.port = port or free_port()
        self._fake = issue_fake_certificate()
        self._names: ServerNames | None = None
        self._default: SSL.Context | None = None
        self._contexts: dict[str, SSL.Context] = {}
        self._echo: EchoServer | None = None
        self._folder: Path | None = None
        self._logs: _Logs | None = None
        self._listener: socket.socket | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        self._acceptor: threading.Thread | None = None
        self._open: dict[threading.Thread, socket.socket] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._numbers = itertools.count(1)
        self._resources: ExitStack | None = None

    def start(self) -> BuiltinGateway:
        with ExitStack() as stack:  # a start that fails half way releases what it took, in reverse
            self._names = ServerNames(self.hosts)
            self._build_contexts(self._names)
            self._folder = private_folder("mtls-tui-gateway-")
            stack.callback(self._remove_folder)
            self._logs = _Logs(self._folder)
            stack.callback(self._close_logs)
            self._echo = EchoServer().start()
            stack.callback(self._stop_echo)
            self._wake = socket.socketpair()
            stack.callback(self._close_wake)
            self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            stack.callback(self._close_listener)
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind(("127.0.0.1", self.port))
            self._listener.listen(128)
            self._stopping.clear()
            self._acceptor = threading.Thread(target=self._accept_loop, name="mtls-tui-gateway", daemon=True)
            self._acceptor.start()
            stack.callback(self._stop_accepting)
            self._resources = stack.pop_all()
        return self

    def _build_contexts(self, names: ServerNames) -> None:
        fake = self._fake.cert_pem(), self._fake.key_pem()
        self._default = _tls_context(*fake)
        self._default.set_tlsext_servername_callback(self._on_servername)
        for name, block in names.blocks.items():
            host = block.host
            own = (host.tls_cert_pem, host.tls_key_pem) if host.tls_cert_pem and host.tls_key_pem else fake
            self._contexts[name] = _tls_context(*own, block.ca if block.asks_certificate else ())

    def _on_servername(self, tls: SSL.Connection) -> None:
        """ngx_http_ssl_servername: a known name switches certificate and client
        verification to its server; an unknown or missing one keeps the default."""
        raw = tls.get_servername()
        name = validate_host(raw.decode("latin-1")) if raw else None
        block = self._names.find(name) if self._names and name else None
        if block is None:
            return
        chosen: _Chosen = tls.get_app_data()
        chosen.block, chosen.servername = block, name
        tls.set_context(self._contexts[block.name])
        if block.asks_certificate:
            tls.set_verify(SSL.VERIFY_PEER, _accept_any)

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake[0], selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._listener and not self._stopping.is_set():
                        try:
                            self._spawn(*self._listener.accept())
                        except OSError:
                            continue  # the client gave up between select and accept

    def _spawn(self, sock: socket.socket, address: tuple[str, int]) -> None:
        thread = threading.Thread(
            target=self._serve, args=(sock, address[0], next(self._numbers)), name="mtls-tui-gateway-conn", daemon=True
        )
        with self._lock:
            self._open[thread] = sock
        thread.start()

    def _serve(self, sock: socket.socket, client: str, number: int) -> None:
        timeout = struct.pack("ll", CLIENT_TIMEOUT, 0)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeout)
        tls = SSL.Connection(self._default, sock)
        chosen = _Chosen()
        tls.set_app_data(chosen)
        tls.set_accept_state()
        try:
            try:
                tls.do_handshake()
            except (SSL.Error, OSError) as exc:
                self._error(number, _handshake_error(exc), client, f"127.0.0.1:{self.port}")
                return
            conn = Connection(chosen.block, chosen.servername, self._client_tls(chosen.block, tls))
            self._exchange(tls, conn, client, number)
            tls.shutdown()
        except (SSL.Error, OSError):
            pass  # the client went away; nginx just closes too
        finally:
            sock.close()
            with self._lock:
                self._open.pop(threading.current_thread(), None)

    @staticmethod
    def _client_tls(block: ServerBlock | None, tls: SSL.Connection) -> ClientTls:
        peer = tls.get_peer_certificate()
        if block is None or not block.asks_certificate or peer is None:
            return ClientTls()
        leaf = peer.to_cryptography()
        sent = [cert.to_cryptography() for cert in tls.get_peer_cert_chain() or []]
        return client_tls(block, [leaf] + [cert for cert in sent if cert != leaf])

    def _exchange(self, tls: SSL.Connection, conn: Connection, client: str, number: int) -> None:
        """Requests on one connection until one closes it, as nginx's keep-alive loop."""
        assert self._names is not None
        reader = _Reader(tls)
        current = conn.block.name if conn.block else DEFAULT_SERVER
        while True:
            started = time.perf_counter()
            head: bytes | None = None
            try:
                head = reader.head()
                if head is None:
                    return
                request = parse_head(head)
            except ValueError as exc:
                outcome = bad_request(self._names, unparsed(head or reader.buffer), current, str(exc))
            else:
                outcome = framing_refusal(self._names, request, current)
                if outcome is None:
                    body = reader.exactly(int(request.header("content-length") or 0))
                    if body is None:
                        return
                    outcome = answer(self._names, conn, replace(request, body=body))
            if not self._respond(tls, outcome, client, number, started):
                return

    def _respond(self, tls: SSL.Connection, outcome: Answer, client: str, number: int, started: float) -> bool:
        """Send the answer (the upstream's when proxied), write both logs; False: close."""
        request = outcome.seen
        reply = self._proxy(outcome) if outcome.upstream is not None else _Reply.local(outcome)
        keepalive = outcome.keepalive and request.keepalive
        head = response_head(
            reply.status,
            reply.status_text,
            reply.content_type,
            len(reply.body),
            keepalive,
            reply.extra,
            datetime.now().astimezone(),
        )
        sent = b"" if request.method == "HEAD" else reply.body
        if outcome.error and outcome.upstream is not None:  # an error page passed to the upstream
            self._error(number, outcome.error, client, outcome.server, request)
        if reply.error:
            self._error(number, reply.error, client, outcome.server, request)
        for message in outcome.errors_after:
            self._error(number, message, client, outcome.server, request, "error")
        try:
            tls.sendall(head + sent)
        except (SSL.Error, OSError):
            keepalive = False
        if self._logs:
            self._logs.write(
                0,
                access_line(
                    client,
                    datetime.now().astimezone(),
                    request,
                    reply.status,
                    len(sent),
                    time.perf_counter() - started,
                    outcome.upstream_name,
                    reply.upstream,
                    secrets.token_hex(16),
                ),
            )
        return keepalive

    def _proxy(self, outcome: Answer) -> _Reply:
        """proxy_pass to the echo upstream: HTTP/1.1, `Connection: close`, nginx's headers."""
        assert self._echo is not None and outcome.upstream is not None
        request = outcome.seen
        lines = [f"{request.method} {request.target} HTTP/1.1"] + [
            f"{name}: {value}" for name, value in outcome.upstream
        ]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body
        address = f"127.0.0.1:{self._echo.port}"
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", self._echo.port), timeout=UPSTREAM_TIMEOUT) as upstream:
                upstream.sendall(data)
                response = http.client.HTTPResponse(upstream, method=request.method)
                response.begin()
                body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return _Reply(
                502,
                reason(502),
                "text/html",
                (),
                page(502),
                UpstreamLog(address, 0, time.perf_counter() - started, 502),
                f"upstream failed ({exc}) while reading response header from upstream",
            )
        extra = tuple(
            (n, v)
            for n, v in response.getheaders()
            if n.lower() not in NOT_RELAYED and not n.lower().startswith("x-accel-")
        )
        return _Reply(
            response.status,
            response.reason,
            response.getheader("content-type"),
            extra,
            body,
            UpstreamLog(address, len(body), time.perf_counter() - started, response.status),
        )

    def _error(
        self, number: int, message: str, client: str, server: str, request: Request | None = None, level: str = "info"
    ) -> None:
        if self._logs:
            process = f"{os.getpid()}#{threading.get_native_id()}"
            self._logs.write(
                1, error_line(datetime.now().astimezone(), process, number, message, client, server, request, level)
            )

    def error_log(self) -> str:
        paths = self.log_paths()
        return paths[1].read_text(errors="replace") if paths and paths[1].exists() else ""

    def log_paths(self) -> tuple[Path, Path] | None:
        """(access log, error log), for the lab's controller pods."""
        return self._logs.paths if self._logs else None

    def url(self, host: str, path: str = "/") -> str:
        return f"https://{host}:{self.port}{path}"

    def resolve(self, host: str) -> str:
        return f"{host}:{self.port}:127.0.0.1"

    def stop(self) -> None:
        """Stop accepting, end open connections (a blocked read returns at once), stop
        the echo upstream, remove the logs: no thread, socket or file stays. Safe to call twice."""
        resources, self._resources = self._resources, None
        if resources is not None:
            resources.close()

    def _stop_accepting(self) -> None:
        """The accept loop, then every connection it handed to a thread."""
        assert self._wake is not None and self._acceptor is not None
        self._stopping.set()
        self._wake[1].send(b"\0")
        self._acceptor.join(timeout=5)
        self._acceptor = None
        with self._lock:
            still_open = list(self._open.items())
        for _, sock in still_open:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread, _ in still_open:
            thread.join(timeout=5)

    def _close_listener(self) -> None:
        assert self._listener is not None
        self._listener.close()
        self._listener = None

    def _close_wake(self) -> None:
        assert self._wake is not None
        for end in self._wake:
            end.close()
        self._wake = None

    def _stop_echo(self) -> None:
        assert self._echo is not None
        self._echo.stop()
        self._echo = None

    def _close_logs(self) -> None:
        assert self._logs is not None
        self._logs.close()
        self._logs = None

    def _remove_folder(self) -> None:
        assert self._folder is not None
        shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None

    def __enter__(self) -> BuiltinGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
