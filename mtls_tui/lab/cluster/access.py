"""Who may do what: the RBAC switch tests use to withhold, say, `get secrets`.

Real RBAC only grants; the lab starts with everything allowed and denies on demand,
which is all a test of "the tool without permission to read Secrets" needs.
"""

from __future__ import annotations

import threading

from mtls_tui.lab.cluster.resources import RESOURCES, VERBS

FORBIDDABLE_VERBS = frozenset(VERBS)
FORBIDDABLE_RESOURCES = frozenset({r.plural for r in RESOURCES} | {"pods/log", "pods/exec"})


def _check(verb: str, resource: str) -> None:
    """A typo would otherwise deny nothing and a test would pass for the wrong reason."""
    if verb not in FORBIDDABLE_VERBS:
        raise ValueError(f"unknown verb {verb!r} (use one of {', '.join(sorted(FORBIDDABLE_VERBS))})")
    if resource not in FORBIDDABLE_RESOURCES:
        raise ValueError(f"unknown resource {resource!r} (use one of {', '.join(sorted(FORBIDDABLE_RESOURCES))})")


class Access:
    """The RBAC switch: denied (verb, resource, namespace) triples; namespace None denies everywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._denied: set[tuple[str, str, str | None]] = set()

    def forbid(self, verb: str, resource: str, namespace: str | None = None) -> None:
        _check(verb, resource)
        with self._lock:
            self._denied.add((verb, resource, namespace))

    def allow(self, verb: str, resource: str, namespace: str | None = None) -> None:
        """Undo `forbid`; without a namespace, every denial of this verb on this resource goes."""
        _check(verb, resource)
        with self._lock:
            self._denied = {d for d in self._denied if d[:2] != (verb, resource) or namespace not in (None, d[2])}

    def denied(self, verb: str, resource: str, namespace: str | None) -> bool:
        """A cluster-wide request is denied when any namespace is: RBAC cannot grant all-but-one."""
        with self._lock:
            if namespace is None:
                return any(d[:2] == (verb, resource) for d in self._denied)
            return (verb, resource, None) in self._denied or (verb, resource, namespace) in self._denied
