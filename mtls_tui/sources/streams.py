"""Reading the API server's chunked streams (logs, watches) line by line, and
stopping them from another thread: shutting the socket down unblocks a read at once,
where closing the response alone may wait for the next chunk."""

from __future__ import annotations

import json
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


class Watch:
    """One watch request from `version`: iterating it yields (type, object) for each
    change; BOOKMARKs only move `version`. An ERROR event ends it, and `expired` says
    whether that was 410 (the version is too old: list again)."""

    OPTIONS = dict(watch=True, allow_watch_bookmarks=True, timeout_seconds=60, _request_timeout=(5, 90))

    def __init__(self, list_func: Any, version: str, **selectors: Any) -> None:
        self.version = version
        self.expired = False
        self.response = list_func(resource_version=version, **self.OPTIONS, **selectors)

    def __iter__(self):
        for line in lines(self.response):
            if not line.strip():
                continue
            event = json.loads(line)
            obj = event.get("object") or {}
            if event.get("type") == "ERROR":
                self.expired = obj.get("code") == 410
                return
            self.version = (obj.get("metadata") or {}).get("resourceVersion") or self.version
            if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                yield event["type"], obj

    def close(self) -> None:
        shutdown(self.response)
