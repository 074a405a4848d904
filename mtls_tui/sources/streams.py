"""Reading the API server's chunked streams (logs, watches) line by line, and
stopping them from another thread: shutting the socket down unblocks a read at once,
where closing the response alone may wait for the next chunk."""

from __future__ import annotations

import socket
from typing import Any


def shutdown(response: Any) -> None:
    """Unblock a thread reading `response` from another thread."""
    conn = getattr(response, "connection", None)
    sock = getattr(conn, "sock", None)
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    try:
        response.close()
    except Exception:  # noqa: BLE001 - closing a broken stream may raise anything; it is gone either way
        pass


def lines(response: Any):
    """Complete lines from a chunked stream, as text."""
    pending = b""
    for chunk in response.stream(4096, decode_content=False):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode("utf-8", "replace")
    if pending:
        yield pending.decode("utf-8", "replace")
