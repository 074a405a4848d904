"""Follow the logs of every ingress-nginx controller pod at once.

One thread per pod streams `follow=true&timestamps=true`; a pod watch notices pods
that appear, restart or go away. A stream that drops is reopened with backoff from
`sinceSeconds` just before the last line seen, and lines up to that line's kubelet
timestamp are skipped, so a reconnect repeats nothing and loses nothing that the
kubelet still holds (what can be lost: lines a pod wrote and rotated away while no
stream was open; what can be repeated: nothing, unless two lines share one
nanosecond timestamp and the stream broke between them, where the second is dropped).

Lines from all pods are merged in time order through a short reorder window
(`window` seconds): a line is released once no earlier line can still arrive.
`stop()` shuts the sockets down, so every thread returns within a second.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mtls_tui.errors import CannotRun
from mtls_tui.logs.parse import parse_line
from mtls_tui.logs.records import LogRecord
from mtls_tui.sources.kube import CONTROLLER_SELECTOR, KubeSource, reason_of, status_message
from mtls_tui.sources.streams import Watch, lines, shutdown

BACKOFF = (0.2, 0.5, 1.0, 2.0, 5.0)


def _kubelet_stamp(line: str) -> str:
    """The kubelet's timestamp: the line up to its first space (without copying the rest)."""
    space = line.find(" ")
    return line if space < 0 else line[:space]


def _nanos(stamp: str) -> int:
    """`2026-11-28T21:45:34.09021234Z` → nanoseconds since the epoch. RFC3339Nano trims
    trailing zeros, so these strings do not sort as text; integers do. Every line of a
    followed pod passes here, and consecutive lines share their second: that is read once."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    second = _epoch_second(whole)
    if second is None:
        return time.time_ns()
    return second * 1_000_000_000 + (
        int(fraction[:9].ljust(9, "0")) if fraction.isascii() and fraction.isdigit() else 0
    )


@functools.lru_cache(maxsize=16)
def _epoch_second(whole: str) -> int | None:
    try:
        return int(datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


@dataclass
class _Merger:
    """Releases records in timestamp order once they are older than the window."""

    emit: Callable[[LogRecord], None]
    window: float
    _heap: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _count: itertools.count = field(default_factory=itertools.count)

    def add(self, record: LogRecord) -> None:
        when = record.timestamp.timestamp() if record.timestamp else time.time()
        with self._lock:
            heapq.heappush(self._heap, (when, next(self._count), record))

    def flush(self, everything: bool = False) -> None:
        horizon = time.time() - self.window
        ready = []
        with self._lock:
            while self._heap and (everything or self._heap[0][0] <= horizon):
                ready.append(heapq.heappop(self._heap)[2])
        for record in ready:
            self.emit(record)


class _PodStream(threading.Thread):
    def __init__(self, follower: ControllerLogs, namespace: str, pod: str, container: str) -> None:
        super().__init__(name=f"logs-{pod}", daemon=True)
        self.follower, self.namespace, self.pod, self.container = follower, namespace, pod, container
        self.gone = threading.Event()
        self.response: Any = None
        self.last_stamp: int | None = None
        self.connects = 0

    def close(self) -> None:
        self.gone.set()
        if self.response is not None:
            shutdown(self.response)

    def run(self) -> None:
        attempt = 0
        while not (self.gone.is_set() or self.follower.stopping.is_set()):
            try:
                self.response = self.follower.open_log(self.namespace, self.pod, self.container, self.last_stamp)
                if self.gone.is_set() or self.follower.stopping.is_set():
                    return  # stopped while connecting: close() found no response to shut
                self.connects += 1
                attempt = 0
                for line in lines(self.response):
                    self._take(line)
            except Exception as exc:  # noqa: BLE001 - a dropped stream is reopened whatever broke it
                if self.follower.stopping.is_set() or self.gone.is_set():
                    return
                if getattr(exc, "status", None) == 404:
                    return  # the pod is gone; the pod watch knows
            finally:
                if self.response is not None:
                    shutdown(self.response)
                    self.response = None
            if self.gone.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)]) or self.follower.stopping.is_set():
                return
            attempt += 1

    def _take(self, line: str) -> None:
        stamp = _nanos(_kubelet_stamp(line))
        if self.last_stamp is not None and stamp <= self.last_stamp:
            return  # already delivered before the reconnect
        self.last_stamp = stamp
        self.follower.merger.add(parse_line(line, self.pod, self.container, with_timestamp=True))


class ControllerLogs:
    """`run()` blocks (call it in a worker thread) until `stop()`."""

    def __init__(
        self,
        source: KubeSource,
        on_record: Callable[[LogRecord], None],
        *,
        tail: int | None = 100,
        since_seconds: int | None = None,
        window: float = 0.15,
        selector: str = CONTROLLER_SELECTOR,
    ) -> None:
        self.get = source.get
        self.tail, self.since_seconds, self.selector = tail, since_seconds, selector
        self.merger = _Merger(on_record, window)
        self.stopping = threading.Event()
        self.streams: dict[tuple[str, str], _PodStream] = {}
        self._watch: Watch | None = None
        self._lock = threading.Lock()

    # --- what the pod threads call ------------------------------------------------------

    def open_log(self, namespace: str, pod: str, container: str, last_stamp: int | None) -> Any:
        kwargs: dict[str, Any] = {"follow": True, "timestamps": True, "container": container}
        if last_stamp is not None:
            kwargs["since_seconds"] = max(1, int(time.time() - last_stamp / 1e9) + 2)
        elif self.since_seconds is not None:
            kwargs["since_seconds"] = self.since_seconds
        elif self.tail is not None:
            kwargs["tail_lines"] = self.tail
        return self.get.read_namespaced_pod_log(pod, namespace, _request_timeout=(5, 3600), **kwargs)

    # --- pods -------------------------------------------------------------------------

    def _follow(self, pod: dict[str, Any]) -> None:
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        key = (meta.get("namespace", "default"), meta.get("name", "?"))
        containers = [c.get("name") for c in spec.get("containers") or []]
        container = "controller" if "controller" in containers else (containers[0] if containers else "controller")
        with self._lock:
            if key in self.streams and self.streams[key].is_alive():
                return
            stream = _PodStream(self, key[0], key[1], container)
            self.streams[key] = stream
        stream.start()

    def _forget(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        with self._lock:
            stream = self.streams.pop((meta.get("namespace", "default"), meta.get("name", "?")), None)
        if stream:
            stream.close()

    def _list_pods(self) -> str:
        data = json.loads(self.get.list_pod_for_all_namespaces(label_selector=self.selector).data)
        for pod in data.get("items") or []:
            self._follow(pod)
        return (data.get("metadata") or {}).get("resourceVersion") or "0"

    def _watch_pods(self, version: str) -> str | None:
        """Follow pod changes; returns the last version seen, or None when it expired (410)."""
        watch = self._watch = Watch(self.get.list_pod_for_all_namespaces, version, label_selector=self.selector)
        try:
            if self.stopping.is_set():  # stopped while connecting: stop() found no watch to close
                return version
            for change, pod in watch:
                if change == "DELETED":
                    self._forget(pod)
                elif (pod.get("status") or {}).get("phase") in ("Running", None):
                    self._follow(pod)
        finally:
            watch.close()
            self._watch = None
        return None if watch.expired else watch.version

    def _flusher(self) -> None:
        while not self.stopping.wait(self.merger.window / 2):
            self.merger.flush()
        self.merger.flush(everything=True)

    def run(self) -> None:
        flusher = threading.Thread(target=self._flusher, name="logs-merge", daemon=True)
        flusher.start()
        attempt = 0
        version: str | None = None
        try:
            while not self.stopping.is_set():
                try:
                    if version is None:
                        version = self._list_pods()
                    version = self._watch_pods(version)
                    attempt = 0
                except Exception:  # noqa: BLE001 - the API dropped us: list again after a pause
                    if self.stopping.is_set():
                        break
                    version = None
                    self.stopping.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)])
                    attempt += 1
        finally:
            self.stopping.set()
            with self._lock:
                streams = list(self.streams.values())
            for stream in streams:
                stream.close()
            for stream in streams:
                stream.join(timeout=1)
            flusher.join(timeout=1)

    def stop(self) -> None:
        self.stopping.set()
        if self._watch is not None:
            self._watch.close()
        with self._lock:
            streams = list(self.streams.values())
        for stream in streams:
            stream.close()


def controller_pods(source: KubeSource, selector: str = CONTROLLER_SELECTOR) -> list[dict[str, Any]]:
    """The controller pods now. CannotRun when the API server cannot be reached or refuses."""
    from kubernetes.client.exceptions import ApiException

    try:
        response = source.request(source.get.list_pod_for_all_namespaces, label_selector=selector)
    except ApiException as exc:
        raise CannotRun(f"cannot list the controller pods ({selector}): {status_message(exc)}") from None
    return json.loads(response.data).get("items") or []


def read_controller_logs(
    source: KubeSource, *, tail: int | None = 100, since_seconds: int | None = None, selector: str = CONTROLLER_SELECTOR
) -> list[LogRecord]:
    """The logs every controller pod holds now (no follow), merged in time order."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    records: list[LogRecord] = []
    for pod in controller_pods(source, selector):
        meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        containers = [c.get("name") for c in spec.get("containers") or []]
        container = "controller" if "controller" in containers else (containers[0] if containers else "controller")
        kwargs: dict[str, Any] = {"timestamps": True, "container": container}
        if since_seconds is not None:
            kwargs["since_seconds"] = since_seconds
        elif tail is not None:
            kwargs["tail_lines"] = tail
        pod_ref = f"{meta.get('namespace')}/{meta.get('name')}"
        try:
            response = source.request(
                source.get.read_namespaced_pod_log, meta.get("name"), meta.get("namespace"), **kwargs
            )
            records += [
                parse_line(line, meta.get("name", ""), container, with_timestamp=True)
                for line in lines(response)
                if line
            ]
        except ApiException as exc:
            raise CannotRun(f"cannot read the log of pod {pod_ref}: {status_message(exc)}") from None
        except (HTTPError, OSError) as exc:
            raise CannotRun(f"the log of pod {pod_ref} broke off: {reason_of(exc)}") from None
    return sorted(records, key=lambda r: r.timestamp.timestamp() if r.timestamp else 0.0)
