"""Values read from a Kubernetes object's body, which is whatever the file or the API gave: a field
the schema says is a mapping may be a list, a string or missing in a hand-written file. The rules
read such fields through these, so a wrong shape reads as absent instead of raising."""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""
