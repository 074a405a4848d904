"""Notice cluster changes that alter a verdict: Ingresses and Secrets, by watch.

Each resource is watched from the resourceVersion of a fresh LIST, so the first
event reported is a real change; an expired version (410) lists again. Secrets are
watched only where our credentials may (a 403 just leaves Ingresses watched).
`stop()` shuts the streams down; `run()` returns within a second.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from mtls_tui.sources.kube import KubeSource
from mtls_tui.sources.streams import Watch

BACKOFF = (0.5, 1.0, 2.0, 5.0)


class ClusterWatch:
    def __init__(self, source: KubeSource, on_change: Callable[[str], None]) -> None:
        self.lists = {
            "Ingress": source.get.list_ingress_for_all_namespaces,
            "Secret": source.get.list_secret_for_all_namespaces,
        }
        self.on_change = on_change
        self.stopping = threading.Event()
        self._watches: dict[str, Watch] = {}
        self.watching: set[str] = set()

    def _version(self, kind: str) -> str:
        data = json.loads(self.lists[kind](limit=1).data)
        return (data.get("metadata") or {}).get("resourceVersion") or "0"

    def _watch(self, kind: str) -> None:
        attempt, version = 0, None
        while not self.stopping.is_set():
            try:
                version = version or self._version(kind)
                self.watching.add(kind)
                watch = self._watches[kind] = Watch(self.lists[kind], version)
                try:
                    if self.stopping.is_set():  # stopped while connecting
                        return
                    for change, obj in watch:
                        meta = obj.get("metadata") or {}
                        self.on_change(f"{kind} {meta.get('namespace')}/{meta.get('name')} {change.lower()}")
                finally:
                    watch.close()
                version = None if watch.expired else watch.version
                attempt = 0
            except Exception as exc:  # noqa: BLE001 - a dropped watch is reopened whatever broke it
                if getattr(exc, "status", None) == 403:
                    self.watching.discard(kind)
                    return
                if self.stopping.wait(BACKOFF[min(attempt, len(BACKOFF) - 1)]):
                    return
                attempt, version = attempt + 1, None

    def run(self) -> None:
        threads = [
            threading.Thread(target=self._watch, args=(kind,), name=f"watch-{kind}", daemon=True) for kind in self.lists
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def stop(self) -> None:
        self.stopping.set()
        for watch in list(self._watches.values()):
            watch.close()
