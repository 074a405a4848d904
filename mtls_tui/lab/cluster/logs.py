"""Container logs as the kubelet serves them through the API server.

Tests and the lab feed lines; `kubectl logs -f` and the tool's log pane read them
with the kubelet's options and its quirks (fixed nine-digit timestamps, a container
name required when a pod has several).
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mtls_tui.lab.cluster.responses import StreamCut
from mtls_tui.lab.cluster.status import bad_request
from mtls_tui.lab.cluster.store import Change, Store

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _nanoseconds(when: datetime | None) -> int:
    if when is None:
        return time.time_ns()
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def rfc3339_nano(ns: int) -> str:
    """The kubelet's `RFC3339NanoFixed`: always nine fractional digits."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


class PodLog:
    """One container's log: timestamped lines, the oldest dropped once `size` is reached."""

    def __init__(self, store: Store, size: int) -> None:
        self._changed = store.changed
        self._lines: deque[tuple[int, str]] = deque(maxlen=size)
        self._total = 0  # lines ever appended: a follow stream keeps its place by this count

    def append(self, line: str, when: datetime | None = None) -> None:
        stamp = _nanoseconds(when)
        with self._changed:
            for part in line.rstrip("\n").split("\n"):
                self._lines.append((stamp, part))
                self._total += 1
            self._changed.notify_all()

    def extend(self, lines: Iterable[str]) -> None:
        with self._changed:
            for line in lines:
                self.append(line)

    def snapshot(self) -> tuple[list[tuple[int, str]], int]:
        with self._changed:
            return list(self._lines), self._total

    def after(self, position: int) -> tuple[list[tuple[int, str]], int]:
        """Lines appended since `position`; lines already dropped are skipped, as a rotated log loses them."""
        with self._changed:
            first = self._total - len(self._lines)
            return list(itertools.islice(self._lines, max(position - first, 0), None)), self._total


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    tail_lines: int | None = None
    since: int | None = None  # nanoseconds since the epoch: older lines are left out
    timestamps: bool = False


def since_cutoff(since_seconds: int | None, since_time: str | None) -> int | None:
    """`sinceSeconds` or `sinceTime` (RFC 3339) as a cutoff, refused together as the API server does."""
    if since_seconds is not None and since_time:
        raise bad_request("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if since_seconds is not None:
        if since_seconds < 1:
            raise bad_request("sinceSeconds: Invalid value: must be greater than 0")
        return time.time_ns() - since_seconds * 1_000_000_000
    if since_time:
        try:
            return _nanoseconds(datetime.fromisoformat(since_time.replace("Z", "+00:00")))
        except ValueError:
            raise bad_request(f'parsing time "{since_time}" as "2006-01-02T15:04:05Z07:00": cannot parse') from None
    return None


@dataclass(eq=False)
class _Follower:
    namespace: str
    pod: str
    ended: str | None = None  # "cut" or "deleted"


def container_for(pod: dict[str, Any], requested: str | None) -> str:
    """The container a log request means, refused with the API server's messages."""
    name = pod["metadata"]["name"]
    spec = pod.get("spec") or {}
    containers = [c["name"] for c in spec.get("containers") or []]
    init = [c["name"] for c in spec.get("initContainers") or []]
    if requested:
        if requested not in containers + init:
            raise bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    if len(containers) == 1:
        return containers[0]
    message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
    if init:
        message += f" or one of the init containers: [{' '.join(init)}]"
    raise bad_request(message)


class LogBook:
    """Every container's log and every open follow stream, so pods can be deleted and streams cut."""

    def __init__(self, store: Store, size: int = 100_000) -> None:
        self._store = store
        self._size = size
        self._logs: dict[tuple[str, str, str], PodLog] = {}
        self._followers: set[_Follower] = set()
        store.subscribe(self._on_change)

    def log(self, namespace: str, pod: str, container: str) -> PodLog:
        with self._store.changed:
            return self._logs.setdefault((namespace, pod, container), PodLog(self._store, self._size))

    def _on_change(self, change: Change) -> None:
        """A deleted pod's container is gone: its streams end cleanly and its logs are dropped."""
        if change.type != "DELETED" or change.resource.kind != "Pod":
            return
        namespace, pod = change.obj["metadata"]["namespace"], change.obj["metadata"]["name"]
        self._end(namespace, pod, "deleted")
        for key in [k for k in self._logs if k[:2] == (namespace, pod)]:
            del self._logs[key]

    def _end(self, namespace: str | None, pod: str | None, reason: str) -> int:
        with self._store.changed:
            chosen = [
                f
                for f in self._followers
                if f.ended is None and namespace in (None, f.namespace) and pod in (None, f.pod)
            ]
            for follower in chosen:
                follower.ended = reason
            self._store.changed.notify_all()
            return len(chosen)

    def cut(self, namespace: str | None = None, pod: str | None = None) -> int:
        return self._end(namespace, pod, "cut")

    def read(
        self, namespace: str, pod: str, container: str, options: LogOptions, alive: Callable[[], bool]
    ) -> Iterator[bytes]:
        """The response body; with `follow` it ends only when the pod goes, the stream is cut or the client leaves."""
        log = self.log(namespace, pod, container)
        lines, position = log.snapshot()
        if options.since is not None:
            lines = [line for line in lines if line[0] >= options.since]
        if options.tail_lines is not None:
            lines = lines[-options.tail_lines :] if options.tail_lines > 0 else []
        return self._stream(log, lines, position, namespace, pod, options, alive)

    def _stream(
        self,
        log: PodLog,
        lines: list[tuple[int, str]],
        position: int,
        namespace: str,
        pod: str,
        options: LogOptions,
        alive: Callable[[], bool],
    ) -> Iterator[bytes]:
        if lines:
            yield _format(lines, options.timestamps)
        if not options.follow:
            return
        follower = _Follower(namespace, pod)
        with self._store.changed:
            self._followers.add(follower)
        try:
            while True:
                with self._store.changed:
                    fresh, position = log.after(position)
                    if not fresh and follower.ended is None and not self._store.closed:
                        self._store.changed.wait(1.0)
                        fresh, position = log.after(position)
                    ended = follower.ended or ("stopped" if self._store.closed else None)
                if fresh:
                    yield _format(fresh, options.timestamps)
                if ended == "cut":
                    raise StreamCut()
                if ended or not alive():
                    return
        finally:
            with self._store.changed:
                self._followers.discard(follower)


def _format(lines: list[tuple[int, str]], timestamps: bool) -> bytes:
    if timestamps:
        return "".join(f"{rfc3339_nano(stamp)} {text}\n" for stamp, text in lines).encode()
    return "".join(f"{text}\n" for _, text in lines).encode()
