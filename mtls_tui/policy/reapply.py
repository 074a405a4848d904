"""A fix for an object the API server refused: the object again, corrected, through `kubectl apply`.

A refused object never reached the cluster, so a `kubectl patch` has nothing to patch: the fix
must carry the whole object. It carries what the user wrote (no status, no server-set metadata).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mtls_tui.model import KubeResource
from mtls_tui.shell import json_arg

KEPT_METADATA = ("name", "namespace", "labels", "annotations")


def apply_corrected(resource: KubeResource, correct: Callable[[dict[str, Any]], None]) -> str:
    """`printf '%s' '<the object, corrected>' | kubectl apply -f -` (the JSON quoted for the shell)."""
    body: dict[str, Any] = json.loads(json.dumps(resource.body, default=str))  # a YAML timestamp: a string
    body.pop("status", None)
    written = body.get("metadata")
    meta: dict[str, Any] = written if isinstance(written, dict) else {}
    body["metadata"] = {k: meta[k] for k in KEPT_METADATA if k in meta}
    correct(body)
    return f"printf '%s' {json_arg(body)} | kubectl apply -f -"
