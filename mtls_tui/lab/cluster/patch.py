"""PATCH bodies as kube-apiserver applies them, for `kubectl annotate`, `kubectl patch`
and a client-side `kubectl apply` on an object that exists.

Strategic merge patch is applied as a JSON merge patch with its `$` directives left
out: for the objects the lab holds (Secret data, annotations, Ingress specs whose lists
have no merge keys) the two give the same object.
"""

from __future__ import annotations

import copy
from typing import Any

from mtls_tui.lab.cluster import status

MERGE_TYPES = ("application/merge-patch+json", "application/strategic-merge-patch+json")
JSON_PATCH = "application/json-patch+json"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue  # a strategic-merge directive ($setElementOrder/…, $retainKeys, $patch)
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902's add, remove, replace, copy and test: what `kubectl patch --type json` sends."""
    if not isinstance(operations, list):
        raise status.bad_request("json patch must be a list of operations")
    document = copy.deepcopy(target)
    for operation in operations:
        op, path = (operation or {}).get("op"), (operation or {}).get("path", "")
        if op == "copy":  # an add of the value found at `from`
            origin = str(operation.get("from", ""))
            source, key = _locate(document, origin)
            try:
                found = source[_index(key, len(source))] if isinstance(source, list) else source[key]
            except KeyError:
                raise status.unprocessable(
                    f"copy operation does not apply: doc is missing from path: {origin}"
                ) from None
            op, operation = "add", {"op": "add", "path": path, "value": found}
        parent, last = _locate(document, path)
        if op in ("add", "replace"):
            value = copy.deepcopy(operation.get("value"))
            if isinstance(parent, list):
                index = len(parent) if last == "-" else _index(last, len(parent) + (op == "add"))
                if op == "add":
                    parent.insert(index, value)
                else:
                    parent[index] = value
            elif op == "replace" and last not in parent:
                raise status.unprocessable(f"replace operation does not apply: doc is missing key: {path}")
            else:
                parent[last] = value
        elif op == "remove":
            try:
                del parent[_index(last, len(parent)) if isinstance(parent, list) else last]
            except KeyError:
                raise status.unprocessable(f"remove operation does not apply: doc is missing path: {path}") from None
        elif op == "test":
            current = parent[_index(last, len(parent))] if isinstance(parent, list) else parent.get(last)
            if current != operation.get("value"):
                raise status.unprocessable(f"testing value {path} failed")
        else:
            raise status.bad_request(f"unsupported json patch operation: {op!r}")
    return document


def _locate(document: Any, path: str) -> tuple[Any, str]:
    """The container of the last path element, and that element (RFC 6901 unescaped)."""
    if not path.startswith("/"):
        raise status.bad_request(f"json patch path must start with '/': {path!r}")
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
    node = document
    for part in parts[:-1]:
        try:
            node = node[_index(part, len(node))] if isinstance(node, list) else node[part]
        except (KeyError, TypeError):
            raise status.unprocessable(f"doc is missing path: {path}") from None
    if not isinstance(node, (dict, list)):
        raise status.unprocessable(f"doc is missing path: {path}")
    return node, parts[-1]


def _index(part: str, size: int) -> int:
    if not part.isdigit() or int(part) >= size:
        raise status.unprocessable(f"index {part} is out of range")
    return int(part)
