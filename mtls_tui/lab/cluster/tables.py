"""Server-side printing: the `Table` kubectl asks for when it shows `kubectl get` output.

Only the columns a workshop looks at are served; every kind has at least Name and Age.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, str, Callable[[Obj], Any]]  # name, type, cell


def age(timestamp: str | None) -> str:
    """Go's `duration.HumanDuration`, which kubectl's AGE column shows."""
    if not timestamp:
        return "<unknown>"
    then = datetime.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    seconds = int((datetime.now(UTC) - then).total_seconds())
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y{days % 365}d" if days < 365 * 8 and days % 365 else f"{days // 365}y"


def _get(obj: Obj, path: str, default: Any = None) -> Any:
    current: Any = obj
    for part in path.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    return default if current is None else current


def _pod_ready(pod: Obj) -> str:
    statuses = _get(pod, "status.containerStatuses", [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{len(_get(pod, 'spec.containers', []))}"


def _ingress_hosts(ingress: Obj) -> str:
    return ",".join(r["host"] for r in _get(ingress, "spec.rules", []) if r.get("host")) or "*"


def _lb_address(obj: Obj) -> str:
    return ",".join(i.get("ip") or i.get("hostname", "") for i in _get(obj, "status.loadBalancer.ingress", []))


def _ports(service: Obj) -> str:
    return ",".join(f"{p['port']}/{p.get('protocol', 'TCP')}" for p in _get(service, "spec.ports", [])) or "<none>"


NAME: Column = ("Name", "string", lambda o: o["metadata"]["name"])
AGE: Column = ("Age", "string", lambda o: age(o["metadata"].get("creationTimestamp")))
COLUMNS: dict[str, list[Column]] = {
    "Namespace": [NAME, ("Status", "string", lambda o: _get(o, "status.phase", "")), AGE],
    "Secret": [
        NAME,
        ("Type", "string", lambda o: o.get("type", "Opaque")),
        ("Data", "integer", lambda o: len(o.get("data") or {})),
        AGE,
    ],
    "ConfigMap": [NAME, ("Data", "integer", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})), AGE],
    "Service": [
        NAME,
        ("Type", "string", lambda o: _get(o, "spec.type", "ClusterIP")),
        ("Cluster-IP", "string", lambda o: _get(o, "spec.clusterIP", "<none>")),
        ("External-IP", "string", lambda o: _lb_address(o) or "<none>"),
        ("Port(s)", "string", _ports),
        AGE,
    ],
    "Pod": [
        NAME,
        ("Ready", "string", _pod_ready),
        ("Status", "string", lambda o: _get(o, "status.phase", "Pending")),
        (
            "Restarts",
            "integer",
            lambda o: sum(s.get("restartCount", 0) for s in _get(o, "status.containerStatuses", [])),
        ),
        AGE,
    ],
    "Event": [
        ("Last Seen", "string", lambda o: age(o.get("lastTimestamp") or o.get("eventTime"))),
        ("Type", "string", lambda o: o.get("type", "")),
        ("Reason", "string", lambda o: o.get("reason", "")),
        (
            "Object",
            "string",
            lambda o: f"{_get(o, 'involvedObject.kind', '').lower()}/{_get(o, 'involvedObject.name', '')}",
        ),
        ("Message", "string", lambda o: o.get("message", "")),
        NAME,
    ],
    "Deployment": [
        NAME,
        ("Ready", "string", lambda o: f"{_get(o, 'status.readyReplicas', 0)}/{_get(o, 'spec.replicas', 1)}"),
        ("Up-to-date", "integer", lambda o: _get(o, "status.updatedReplicas", 0)),
        ("Available", "integer", lambda o: _get(o, "status.availableReplicas", 0)),
        AGE,
    ],
    "Ingress": [
        NAME,
        ("Class", "string", lambda o: _get(o, "spec.ingressClassName", "<none>")),
        ("Hosts", "string", _ingress_hosts),
        ("Address", "string", _lb_address),
        ("Ports", "string", lambda o: "80, 443" if _get(o, "spec.tls") else "80"),
        AGE,
    ],
    "IngressClass": [
        NAME,
        ("Controller", "string", lambda o: _get(o, "spec.controller", "")),
        ("Parameters", "string", lambda o: "<none>"),
        AGE,
    ],
}


def table(kind: str, objects: list[Obj], list_meta: dict[str, Any], include: str) -> Obj:
    """A `meta.k8s.io/v1` Table; `include` is the request's includeObject (Metadata by default)."""
    columns = COLUMNS.get(kind, [NAME, AGE])
    definitions = [
        {
            "name": name,
            "type": kind_,
            "format": "name" if (name, kind_) == NAME[:2] else "",
            "description": "",
            "priority": 1 if (kind == "Event" and name == "Name") else 0,
        }
        for name, kind_, _ in columns
    ]
    rows = []
    for obj in objects:
        row: Obj = {"cells": [cell(obj) for _, _, cell in columns]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": definitions,
        "rows": rows,
    }
