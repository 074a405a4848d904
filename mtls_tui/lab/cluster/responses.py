"""What the API layer hands the HTTP transport, so routing never touches sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    accept: str
    content_type: str
    body: bytes
    user: str | None  # the client certificate's CN; None when no certificate was sent
    alive: Callable[[], bool]  # False once the client hung up or the server is stopping
    websocket: tuple[str, str] | None = None  # (Sec-WebSocket-Key, offered protocols) of an Upgrade request
    command: tuple[str, ...] = ()  # an exec's `command` parameters, in order (they repeat)


@dataclass(frozen=True)
class Reply:
    code: int
    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class Upgrade:
    """101 Switching Protocols to a WebSocket, then these frames (an exec's output and status)."""

    accept: str
    protocol: str
    frames: tuple[bytes, ...]


@dataclass(frozen=True)
class Stream:
    """A chunked 200 response: watch events or log lines, written as they come."""

    content_type: str
    chunks: Iterator[bytes]


class StreamCut(Exception):
    """Raised by a stream's iterator to drop the connection without the closing chunk."""
