"""A cache for parses keyed by file or Secret contents, bounded by bytes as well as by count.

Clusters repeat contents (one client CA in a thousand Secrets), so each distinct content is
parsed once. `functools.lru_cache` bounds only the number of entries: a long session over
large, changing bundles (or a fuzzer's thousands of distinct inputs) kept gigabytes, and its
keys kept every private key it was given. Here a key is the SHA-256 of each bytes argument,
so no content is held by the key, and the entries' inputs together stay under `max_bytes`
(an input larger than that is parsed every time, never kept).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

# Per cache: the inputs a cache keeps, together (a cluster's distinct CAs and keypairs are far fewer)
CACHED_BYTES = 32 * 1024 * 1024
P = ParamSpec("P")
R = TypeVar("R")


def content_cache(max_entries: int, max_bytes: int) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Least recently used first out, when either bound is passed. Thread-safe: the screen's
    workers judge hosts while a refresh reads them again."""

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        entries: OrderedDict[tuple[Any, ...], tuple[R, int]] = OrderedDict()
        held = [0]
        lock = threading.Lock()

        @wraps(func)
        def cached(*args: P.args, **kwargs: P.kwargs) -> R:
            key = tuple(hashlib.sha256(a).digest() if isinstance(a, bytes) else a for a in args)
            key += tuple(sorted(kwargs.items()))
            with lock:
                found = entries.get(key)
                if found is not None:
                    entries.move_to_end(key)
                    return found[0]
            value = func(*args, **kwargs)
            size = sum(len(a) for a in args if isinstance(a, bytes))
            if size > max_bytes:
                return value
            with lock:
                if key not in entries:
                    entries[key] = (value, size)
                    held[0] += size
                    while len(entries) > max_entries or held[0] > max_bytes:
                        _, (_, gone) = entries.popitem(last=False)
                        held[0] -= gone
            return value

        def cache_clear() -> None:
            with lock:
                entries.clear()
                held[0] = 0

        cached.cache_clear = cache_clear  # type: ignore[attr-defined]
        cached.cache_held = lambda: (len(entries), held[0])  # type: ignore[attr-defined]
        return cached

    return decorate
