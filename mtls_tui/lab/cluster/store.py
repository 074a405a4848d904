"""Objects, resourceVersions and the bounded change history watches replay.

One lock and one condition cover everything (objects, history, logs): the lab is
small, and a single condition lets every stream wake on any change or on stop.
Stored dicts are never mutated after they are stored, so readers may serialise them
outside the lock.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mtls_tui.lab.cluster import status
from mtls_tui.lab.cluster.resources import Resource, find
from mtls_tui.lab.cluster.selectors import Predicate

Obj = dict[str, Any]


@dataclass(frozen=True)
class Change:
    version: int
    type: str  # ADDED, MODIFIED or DELETED
    resource: Resource
    obj: Obj
    old: Obj | None


@dataclass(frozen=True)
class Page:
    items: list[Obj]
    version: int
    token: str | None
    remaining: int


def key_of(obj: Obj) -> str:
    """The etcd key order the API server lists in: `namespace/name`, or `name` when cluster-scoped."""
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, history: int = 1000) -> None:
        self.changed = threading.Condition(threading.RLock())
        self.closed = False
        self.version = 0
        self.compacted = 0
        self._history: deque[Change] = deque()
        self._history_size = history
        self._objects: dict[str, dict[str, Obj]] = {}
        # Each kind's keys in list order, kept until a key comes or goes: a LIST of 20,000
        # objects in pages of 500 would otherwise sort and scan them all for every page.
        self._order: dict[str, list[str]] = {}
        self._on_change: list[Callable[[Change], None]] = []

    def subscribe(self, callback: Callable[[Change], None]) -> None:
        """Run `callback` under the lock after every change (the log book drops a deleted pod's logs)."""
        self._on_change.append(callback)

    # --- writes -------------------------------------------------------------------------

    def put(self, obj: Obj, must_exist: bool | None = None, dry_run: bool = False) -> Obj:
        """Create (`must_exist=False`), replace (`True`) or either (`None`), as the server fills metadata;
        with `dry_run` (kubectl diff, --dry-run=server) the answer only: nothing is stored."""
        resource = find(str(obj.get("kind", "")))
        meta = copy.deepcopy(obj.get("metadata") or {})
        if not meta.get("name"):
            message = f'{resource.kind} "" is invalid: metadata.name: Required value: name or generateName is required'
            raise status.ApiError(status.status(422, "Invalid", message, {"kind": resource.kind}))
        if resource.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        body = {k: copy.deepcopy(v) for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata")}
        with self.changed:
            table = self._objects.setdefault(resource.kind, {})
            key = f"{meta['namespace']}/{meta['name']}" if resource.namespaced else meta["name"]
            old = table.get(key)
            if old is not None and must_exist is False:
                raise status.already_exists(resource, meta["name"])
            if old is None and must_exist:
                raise status.not_found(resource, meta["name"])
            meta["uid"] = old["metadata"]["uid"] if old else str(uuid.uuid4())
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"] if old else now_rfc3339()
            meta["resourceVersion"] = str(self.version + (0 if dry_run else 1))
            if resource.kind == "Namespace":
                body.setdefault("status", {"phase": "Active"})
            stored = {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": meta, **body}
            if dry_run:
                return copy.deepcopy(stored)
            self.version += 1
            if old is None:
                self._order.pop(resource.kind, None)
            table[key] = stored
            self._record(Change(self.version, "MODIFIED" if old else "ADDED", resource, stored, old))
            return copy.deepcopy(stored)

    def delete(self, resource: Resource, namespace: str | None, name: str) -> Obj | None:
        with self.changed:
            old = self._objects.get(resource.kind, {}).pop(f"{namespace}/{name}" if resource.namespaced else name, None)
            if old is None:
                return None
            self._order.pop(resource.kind, None)
            self.version += 1
            gone = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self.version)}}
            self._record(Change(self.version, "DELETED", resource, gone, old))
            return copy.deepcopy(gone)

    def _record(self, change: Change) -> None:
        if len(self._history) >= self._history_size:
            self.compacted = self._history.popleft().version
        self._history.append(change)
        for callback in self._on_change:
            callback(change)
        self.changed.notify_all()

    def compact(self) -> None:
        """Forget every change so far: a watch or continue token from before now gets 410 Expired."""
        with self.changed:
            self._history.clear()
            self.compacted = self.version

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    # --- reads --------------------------------------------------------------------------

    def get(self, resource: Resource, namespace: str | None, name: str) -> Obj | None:
        with self.changed:
            return self._objects.get(resource.kind, {}).get(f"{namespace}/{name}" if resource.namespaced else name)

    def select(self, resource: Resource, namespace: str | None, matches: Predicate | None) -> list[Obj]:
        """The kind's objects in list order (all of them, or those of `namespace`); `matches`
        None: no selector."""
        with self.changed:
            table = self._objects.get(resource.kind, {})
            keys = self._keys(resource, table)
            low, high = _span(keys, namespace, resource.namespaced)
            objects = [table[key] for key in keys[low:high]]
        return objects if matches is None else [obj for obj in objects if matches(obj)]

    def page(
        self, resource: Resource, namespace: str | None, matches: Predicate | None, limit: int, token: str | None
    ) -> Page:
        """One page of a LIST. Continuation pages show the current state after the token's key.
        Without a selector (`matches` None) the page and the count of what remains are
        found by position, so a page costs the same wherever it starts."""
        with self.changed:
            version, start = self.version, ""
            if token:
                version, start = _decode_token(token)
                if version < self.compacted:
                    raise status.expired(status.CONTINUE_TOO_OLD)
            table = self._objects.get(resource.kind, {})
            keys = self._keys(resource, table)
            low, high = _span(keys, namespace, resource.namespaced)
            if start:
                low = max(low, bisect.bisect_right(keys, start))
            if matches is None:
                cut = high if limit <= 0 else min(high, low + limit)
                items, remaining = [table[key] for key in keys[low:cut]], high - cut
            else:
                chosen = (table[key] for key in keys[low:high])
                items = [obj for obj in chosen if matches(obj)]
                remaining = len(items) - limit if 0 < limit < len(items) else 0
                items = items[:limit] if remaining else items
        if not remaining:
            return Page(items, version, None, 0)
        return Page(items, version, _encode_token(version, key_of(items[-1])), remaining)

    def _keys(self, resource: Resource, table: dict[str, Obj]) -> list[str]:
        """The kind's keys in etcd order (under the lock)."""
        keys = self._order.get(resource.kind)
        if keys is None:
            keys = self._order[resource.kind] = sorted(table)
        return keys

    def changes_after(self, version: int) -> list[Change]:
        """Changes newer than `version`; 410 Expired when some of them are no longer kept."""
        with self.changed:
            if version < self.compacted:
                raise status.expired(f"too old resource version: {version} ({self.compacted})")
            return [change for change in self._history if change.version > version]


def _span(keys: list[str], namespace: str | None, namespaced: bool) -> tuple[int, int]:
    """Where a namespace's keys (`namespace/name`) lie among the sorted keys: the names of
    one namespace sort together, since a namespace holds no '/' and '0' follows '/'."""
    if namespace is None:
        return 0, len(keys)
    if not namespaced:
        return 0, 0  # a cluster-scoped object is in no namespace
    return bisect.bisect_left(keys, namespace + "/"), bisect.bisect_left(keys, namespace + "0")


def _encode_token(version: int, last_key: str) -> str:
    data = json.dumps({"v": "meta.k8s.io/v1", "rv": version, "start": last_key + "\x00"}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return int(data["rv"]), str(data["start"]).rstrip("\x00")
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise status.bad_request(f"continue key is not valid: {token}") from None
