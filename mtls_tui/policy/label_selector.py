"""Kubernetes label selectors as `labels.Parse` reads them (k8s.io/apimachinery/pkg/labels/selector.go).

ingress-nginx's `--watch-namespace-selector` is one: the controller serves an Ingress only
when its namespace's labels match (store.go New, `watchedNamespace`). A selector the parser
refuses stops the controller at start (pkg/flags/flags.go ParseFlags: "failed to parse
--watch-namespace-selector").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Operator = Literal["exists", "!", "=", "!=", "in", "notin", "gt", "lt"]

# selector.go: a key is an optional DNS-subdomain prefix and a qualified name; a value is a
# label value (63 characters at most, alphanumeric at both ends)
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = re.compile(rf"([a-z0-9]([-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}", re.ASCII)
_VALUE = re.compile(rf"({_NAME})?", re.ASCII)
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
# One term, already stripped: no whitespace at either end to backtrack over (a long run of
# spaces between two alternatives made the match quadratic).
_TERM = re.compile(
    r"(?:(?P<not>!)\s*(?P<nkey>[^\s,!=<>()]+)"
    r"|(?P<key>[^\s,!=<>()]+)(?:\s*(?P<op>==|=|!=|>|<)\s*(?P<value>[^\s,()]*)"
    r"|\s+(?P<set>in|notin)\s*\((?P<values>[^()]*)\))?)",
    re.ASCII,
)


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """selector.go Requirement.Matches: `!=` and `notin` also match an absent label."""
        present = self.key in labels
        value = labels.get(self.key, "")
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and value in self.values
        if self.operator in ("!=", "notin"):
            return not present or value not in self.values
        if not present or not _INTEGER.fullmatch(value):
            return False
        limit = int(self.values[0])
        return int(value) > limit if self.operator == "gt" else int(value) < limit


@dataclass(frozen=True)
class Selector:
    text: str
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def parse_selector(text: str) -> Selector | None:
    """The selector, or None where `labels.Parse` returns an error."""
    requirements: list[Requirement] = []
    rest = text.strip()
    if not rest:
        return Selector(text, ())
    for term in split_terms(rest):
        found = _TERM.fullmatch(term.strip())
        if found is None:
            return None
        requirement = _requirement(found)
        if requirement is None:
            return None
        requirements.append(requirement)
    return Selector(text, tuple(requirements))


def split_terms(text: str) -> list[str]:
    """Terms split on the commas outside a value set's parentheses."""
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    return [*terms, current]


def _requirement(found: re.Match[str]) -> Requirement | None:
    if found["not"]:
        key = found["nkey"]
        return Requirement(key, "!") if _KEY.fullmatch(key) else None
    key = found["key"]
    if not _KEY.fullmatch(key):
        return None
    if found["op"]:
        value = found["value"]
        if not _VALUE.fullmatch(value):
            return None
        if found["op"] in (">", "<"):
            return (
                Requirement(key, "gt" if found["op"] == ">" else "lt", (value,)) if _INTEGER.fullmatch(value) else None
            )
        return Requirement(key, "!=" if found["op"] == "!=" else "=", (value,))
    if found["set"]:
        values = tuple(v.strip() for v in found["values"].split(","))  # parseValues: "()" is the set {""}
        if not all(_VALUE.fullmatch(v) for v in values):
            return None
        return Requirement(key, "in" if found["set"] == "in" else "notin", values)
    return Requirement(key, "exists")


# metav1.LabelSelectorOperator → the Requirement operator labels.NewRequirement is given
# (k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go LabelSelectorAsSelector)
_EXPRESSION_OPERATORS: dict[str, Operator] = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def from_label_selector(match_labels: object, match_expressions: object) -> Selector | None:
    """A metav1.LabelSelector (`matchLabels`, `matchExpressions`) as LabelSelectorAsSelector
    builds it; None where it returns an error (an unknown operator; In/NotIn without values;
    Exists/DoesNotExist with values; a key or value labels.NewRequirement refuses). Neither
    field set: everything matches (labels.Everything)."""
    labels = match_labels if isinstance(match_labels, dict) else {}
    expressions = match_expressions if isinstance(match_expressions, list) else []
    if match_labels is not None and not isinstance(match_labels, dict):
        return None
    requirements: list[Requirement] = []
    for key, value in labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return None
        if not _KEY.fullmatch(key) or not _VALUE.fullmatch(value):
            return None
        requirements.append(Requirement(key, "=", (value,)))
    for raw in expressions:
        if not isinstance(raw, dict):
            return None
        key, operator, values = raw.get("key"), _EXPRESSION_OPERATORS.get(str(raw.get("operator"))), raw.get("values")
        values = values if isinstance(values, list) else [] if values is None else None
        if not isinstance(key, str) or not _KEY.fullmatch(key) or operator is None or values is None:
            return None
        if not all(isinstance(v, str) and _VALUE.fullmatch(v) for v in values):
            return None
        if (operator in ("in", "notin")) != bool(values):  # In/NotIn need values; Exists/DoesNotExist none
            return None
        requirements.append(Requirement(key, operator, tuple(values)))
    return Selector(",".join(map(_said, requirements)), tuple(requirements))


def _said(requirement: Requirement) -> str:
    """One requirement as labels.Parse would read it back."""
    key, operator, values = requirement.key, requirement.operator, requirement.values
    if operator == "exists":
        return key
    if operator == "!":
        return f"!{key}"
    if operator in ("in", "notin"):
        return f"{key} {operator} ({','.join(values)})"
    return f"{key}={values[0]}"
