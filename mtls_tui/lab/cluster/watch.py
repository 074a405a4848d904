"""Watch streams with the API server's resourceVersion semantics.

The tool resumes watches from the last version it saw and must survive "410 Gone";
the lab replays its change history the same way a watch cache does, including
turning a MODIFIED into ADDED or DELETED when the object enters or leaves the selector.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mtls_tui.lab.cluster.resources import Resource
from mtls_tui.lab.cluster.selectors import Predicate
from mtls_tui.lab.cluster.status import ApiError, bad_request
from mtls_tui.lab.cluster.store import Change, Store


@dataclass(frozen=True)
class WatchRequest:
    resource: Resource
    namespace: str | None
    matches: Predicate
    version: str  # "" or "0": current objects as ADDED first
    bookmarks: bool
    timeout: float | None
    render: Callable[[dict[str, Any]], dict[str, Any]] = lambda obj: obj  # a Table row for kubectl get -w


def _line(event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"


def parse_version(text: str) -> int:
    try:
        version = int(text)
    except ValueError:
        raise bad_request(f'invalid resource version: strconv.ParseUint: parsing "{text}": invalid syntax') from None
    if version < 0:
        raise bad_request(f'invalid resource version: strconv.ParseUint: parsing "{text}": invalid syntax')
    return version


def _translate(change: Change, request: WatchRequest) -> tuple[str, dict[str, Any]] | None:
    """The event this watcher sees, if any: selectors decide on both the old and the new state."""
    if change.resource != request.resource:
        return None
    if request.namespace is not None and change.obj["metadata"].get("namespace") != request.namespace:
        return None
    now = request.matches(change.obj)
    before = change.old is not None and request.matches(change.old)
    if change.type == "DELETED":
        return ("DELETED", change.obj) if before else None
    if change.type == "ADDED" or not before:
        return ("ADDED", change.obj) if now else None
    return ("MODIFIED" if now else "DELETED", change.obj)


def watch_events(
    store: Store, request: WatchRequest, alive: Callable[[], bool], bookmark_interval: float
) -> Iterator[bytes]:
    """Validate now (bad versions answer 400 before the stream starts), then stream."""
    start = None if request.version in ("", "0") else parse_version(request.version)
    return _events(store, request, start, alive, bookmark_interval)


def _events(
    store: Store, request: WatchRequest, start: int | None, alive: Callable[[], bool], bookmark_interval: float
) -> Iterator[bytes]:
    deadline = time.monotonic() + request.timeout if request.timeout else None
    if start is None:
        with store.changed:
            cursor = store.version
            current = store.select(request.resource, request.namespace, request.matches)
        for obj in current:
            yield _line("ADDED", request.render(obj))
    else:
        cursor = start
    next_bookmark = time.monotonic() + bookmark_interval
    while alive():
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return
        try:
            with store.changed:
                changes = store.changes_after(cursor)
                if not changes and not store.closed:
                    wake = min(1.0, next_bookmark - now, deadline - now if deadline is not None else 1.0)
                    store.changed.wait(max(wake, 0.0))
                    changes = store.changes_after(cursor)
                closed = store.closed
        except ApiError as error:
            yield _line("ERROR", error.status)
            return
        for change in changes:
            cursor = change.version
            event = _translate(change, request)
            if event:
                yield _line(event[0], request.render(event[1]))
        if closed:
            return
        if time.monotonic() >= next_bookmark:
            if request.bookmarks:
                mark = {
                    "kind": request.resource.kind,
                    "apiVersion": request.resource.api_version,
                    "metadata": {"resourceVersion": str(cursor)},
                }
                yield _line("BOOKMARK", mark)
            next_bookmark = time.monotonic() + bookmark_interval
