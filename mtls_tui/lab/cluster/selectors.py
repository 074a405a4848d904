"""Label and field selectors with the API server's grammar and its refusals.

The tool narrows its reads with selectors (controller pods by label, Events by
`involvedObject`); a lab that ignored them would hide a wrong selector.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mtls_tui.lab.cluster.status import bad_request
from mtls_tui.policy.label_selector import split_terms  # the selector grammar's one splitter

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_SET = re.compile(rf"^\s*({_NAME})\s+(in|notin)\s*\(([^()]*)\)\s*$")
_COMPARE = re.compile(rf"^\s*({_NAME})\s*(==|!=|=)\s*([-A-Za-z0-9_.]*)\s*$")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_NAME})\s*$")

Predicate = Callable[[dict[str, Any]], bool]


def _label_requirement(text: str) -> Callable[[dict[str, str]], bool]:
    if match := _SET.match(text):
        key, op, values = match.group(1), match.group(3), {v.strip() for v in match.group(4).split(",")}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if match := _COMPARE.match(text):
        key, op, value = match.group(1), match.group(3), match.group(4)
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if match := _EXISTS.match(text):
        negated, key = match.group(1) == "!", match.group(2)
        return lambda labels: (key in labels) != negated
    raise bad_request(f"unable to parse requirement: found '{text.strip()}', expected: in, notin, =, ==, !=, gt, lt")


def label_selector(text: str | None) -> Predicate:
    if not text or not text.strip():
        return lambda obj: True
    requirements = [_label_requirement(part) for part in split_terms(text)]

    def matches(obj: dict[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(requirement(labels) for requirement in requirements)

    return matches


@dataclass(frozen=True)
class _FieldTerm:
    path: str
    value: str
    negated: bool

    def __call__(self, obj: dict[str, Any]) -> bool:
        current: Any = obj
        for part in self.path.split("."):
            current = current.get(part) if isinstance(current, dict) else None
        actual = "" if current is None else str(current).lower() if isinstance(current, bool) else str(current)
        return (actual == self.value) != self.negated


def field_selector(text: str | None, allowed: tuple[str, ...]) -> Predicate:
    if not text or not text.strip():
        return lambda obj: True
    terms = []
    for part in text.split(","):
        match = re.match(r"^\s*([A-Za-z.]+)\s*(==|!=|=)(.*)$", part)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        path, op, value = match.groups()
        if path not in allowed:
            raise bad_request(f"field label not supported: {path}")
        terms.append(_FieldTerm(path, value.strip(), op == "!="))
    return lambda obj: all(term(obj) for term in terms)
