"""HTTPS transport: client certificates, HTTP/1.1 keep-alive and chunked streams.

The TLS handshake runs in each connection's own thread, not in the accept loop, so
a silent client cannot stall the others. Every live socket is tracked, so `stop()`
can cut idle keep-alive connections and open streams at once instead of waiting
for clients to hang up.
"""

from __future__ import annotations

import json
import logging
import re
import select
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mtls_tui.lab.cluster import status
from mtls_tui.lab.cluster.api import Api
from mtls_tui.lab.cluster.responses import Reply, Request, Stream, StreamCut, Upgrade

log = logging.getLogger(__name__)
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0
MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's own limit for a request body
MAX_CHUNK_LINE = 1024
_DIGITS = re.compile(r"[0-9]{1,12}")


class ApiServer(ThreadingHTTPServer):
    def __init__(self, api: Api, context: ssl.SSLContext) -> None:
        self.api = api
        self.context = context
        self.stopping = False
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        """Skip HTTPServer's reverse DNS lookup of the address: it can take seconds offline."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def _track(self, conn: socket.socket) -> bool:
        with self._lock:
            if self.stopping:
                return False
            self._connections.add(conn)
            return True

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if not self._track(request):
            return
        try:
            request.settimeout(HANDSHAKE_TIMEOUT)
            tls = self.context.wrap_socket(request, server_side=True)
        except OSError:  # ssl.SSLError included: no certificate from our CA, or not TLS at all
            return
        finally:
            self._untrack(request)
        try:
            if self._track(tls):
                self.RequestHandlerClass(tls, client_address, self)
        except OSError:
            pass  # the client or stop() closed the connection mid-request
        finally:
            self._untrack(tls)
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("lab API server: connection from %s failed", client_address, exc_info=True)

    def stop(self) -> None:
        """Stop accepting, cut every connection, and wait for their threads."""
        self.shutdown()
        with self._lock:
            self.stopping = True
            connections = list(self._connections)
        for conn in connections:
            try:
                # socket.socket's own shutdown: SSLSocket's would drop its state under a reading thread.
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall between them
    server: ApiServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the lab runs under a TUI, where stderr output would garble the screen."""

    def _user(self) -> str | None:
        cert = self.connection.getpeercert()
        for rdn in (cert or {}).get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    def _alive(self) -> bool:
        """A streaming client sends nothing: anything readable means it hung up."""
        if self.server.stopping:
            return False
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def _refuse(self, reply: Reply) -> None:
        """Answer without reading the body: the connection cannot be reused after that."""
        self.close_connection = True
        self._reply(reply)

    def _body(self) -> bytes:
        """The request body, bounded, as kube-apiserver reads it: Content-Length (digits only,
        one value) or chunked, never both; more than MAX_BODY is refused before it is read."""
        lengths = self.headers.get_all("Content-Length") or []
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        if chunked and lengths:
            raise status.bad_request("a request may not carry both Content-Length and Transfer-Encoding")
        if chunked:
            return self._chunked_body()
        if not lengths:
            return b""
        if len(set(value.strip() for value in lengths)) != 1 or not _DIGITS.fullmatch(lengths[0].strip()):
            raise status.bad_request(f"invalid Content-Length {', '.join(lengths)!r}: want one whole number of bytes")
        length = int(lengths[0])
        if length > MAX_BODY:
            raise status.too_large(length, MAX_BODY)
        body = self.rfile.read(length)
        if len(body) != length:
            raise status.bad_request(f"the body ended after {len(body)} of {length} bytes")
        return body

    def _chunked_body(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE + 1)
            size_text = line.split(b";", 1)[0].strip()
            if len(line) > MAX_CHUNK_LINE or not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size_text):
                raise status.bad_request("malformed chunked body")
            size = int(size_text, 16)
            if size == 0:
                while self.rfile.readline(MAX_CHUNK_LINE + 1) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: read and dropped
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise status.too_large(total, MAX_BODY)
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(MAX_CHUNK_LINE + 1) not in (b"\r\n", b"\n"):
                raise status.bad_request("malformed chunked body")
            parts.append(chunk)

    def _serve(self) -> None:
        user = self._user()
        if user is None:  # authenticate first: nothing of an anonymous request's body is read
            self._refuse(Reply(401, json.dumps(status.unauthorized()).encode()))
            return
        try:
            body = self._body()
        except status.ApiError as error:
            self._refuse(Reply(error.code, json.dumps(error.status).encode()))
            return
        url = urlsplit(self.path)
        every = parse_qs(url.query, keep_blank_values=True)
        query = {key: values[-1] for key, values in every.items()}
        upgrade = "websocket" in (self.headers.get("Upgrade") or "").lower()
        request = Request(
            self.command,
            url.path,
            query,
            self.headers.get("Accept", ""),
            self.headers.get("Content-Type", ""),
            body,
            user,
            self._alive,
            websocket=(self.headers.get("Sec-WebSocket-Key", ""), self.headers.get("Sec-WebSocket-Protocol", ""))
            if upgrade
            else None,
            command=tuple(every.get("command", [])),
        )
        try:
            response = self.server.api.handle(request)
        except Exception as exc:  # a lab bug must still answer as an API server would, not hang the client
            log.debug("lab API server: %s %s failed", self.command, self.path, exc_info=True)
            failure = status.status(500, "InternalError", f"Internal error occurred: {exc}")
            response = Reply(500, json.dumps(failure).encode())
        if isinstance(response, Stream):
            self._stream(response)
        elif isinstance(response, Upgrade):
            self._upgrade(response)
        else:
            self._reply(response)

    def _reply(self, reply: Reply) -> None:
        self.send_response(reply.code)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _upgrade(self, upgrade: Upgrade) -> None:
        """Switch to the WebSocket and send the exec's frames; the connection ends with them."""
        self.close_connection = True
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", upgrade.accept)
        self.send_header("Sec-WebSocket-Protocol", upgrade.protocol)
        self.end_headers()
        try:
            for message in upgrade.frames:
                self.wfile.write(message)
            self.wfile.flush()
            self.connection.settimeout(2)  # the client answers our close with its own: read it, then hang up
            self.connection.recv(64)
        except OSError:
            pass

    def _stream(self, stream: Stream) -> None:
        self.send_response(200)
        self.send_header("Content-Type", stream.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in stream.chunks:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except StreamCut:
            self.close_connection = True
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(stream.chunks, "close", None)
            if close:
                close()
