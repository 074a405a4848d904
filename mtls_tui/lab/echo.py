"""An echo upstream, as the seed's echoserver: it answers with the request it got.

The body lists the request headers as `name=value` lines, so the probe reads
`ssl-client-verify=SUCCESS` exactly as it would from gcr.io's echoserver.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mtls-tui-echo"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        headers = "".join(f"\t{name.lower()}={value}\n" for name, value in self.headers.items())
        body = (
            "Hostname: mtls-tui-lab-echo\n\n"
            "Request Information:\n"
            f"\tclient_address={self.client_address[0]}\n\tmethod={self.command}\n"
            f"\treal path={self.path}\n\trequest_version={self.request_version.split('/')[-1]}\n\n"
            f"Request Headers:\n{headers}\n"
            "Request Body:\n\t-no body in request-\n"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test and TUI output clean
        pass


class EchoServer:
    """`with EchoServer() as echo:` serves on 127.0.0.1:`echo.port` in a thread."""

    def __init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="mtls-tui-echo", daemon=True)

    def start(self) -> EchoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EchoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
