"""The CEL rules (x-kubernetes-validations) of a CRD's openAPIV3Schema, evaluated on an object as
the API server evaluates them on create: schema defaults applied first (structural defaulting runs
before validation), `self` bound to the value at the rule's node, rules on list items run per item,
property names escaped as apiextensions does (k8s.io/apiextensions-apiserver
pkg/apiserver/schema/cel/model escaping: a CEL keyword `x` is `__x__`; `_`, `.`, `-`, `/` in a name
become `__underscores__`, `__dot__`, `__dash__`, `__slash__`). Transition rules (`oldSelf`) only run
on update and are skipped. Evaluated with cel-python (celpy): a rule that evaluates to anything but
true, or fails to evaluate, is a problem, as the API server answers 422 for both."""

from __future__ import annotations

import copy
from typing import Any

import celpy

_KEYWORDS = frozenset(
    "true false null in as break const continue else for function if import let loop package namespace return var "
    "void while".split()
)
_ENV = celpy.Environment()
_PROGRAMS: dict[str, Any] = {}


def _escape(name: str) -> str:
    if name in _KEYWORDS:
        return f"__{name}__"
    out = name.replace("__", "__underscores__")
    return out.replace(".", "__dot__").replace("-", "__dash__").replace("/", "__slash__")


def _escaped(value: Any) -> Any:
    if isinstance(value, dict):
        return {_escape(str(k)): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def with_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """`value` with the schema's `default`s filled in where a property is absent (recursively)."""
    value = copy.deepcopy(value)
    _default(value, schema)
    return value


def _default(value: Any, schema: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name not in value and "default" in sub:
                value[name] = copy.deepcopy(sub["default"])
            if name in value:
                _default(value[name], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for name in set(value) - set(schema.get("properties") or {}):
                _default(value[name], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _default(item, schema["items"])


def _run(rule: str, value: Any) -> Any:
    program = _PROGRAMS.get(rule)
    if program is None:
        program = _PROGRAMS[rule] = _ENV.program(_ENV.compile(rule))
    return program.evaluate({"self": celpy.json_to_cel(_escaped(value))})


def cel_problems(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Every CEL rule of `schema` that `obj` (defaults applied) fails, with its path and message."""
    out: list[str] = []
    _walk(with_defaults(obj, schema), schema, "", out)
    return out


def _walk(value: Any, schema: dict[str, Any], path: str, out: list[str]) -> None:
    for rule in schema.get("x-kubernetes-validations") or []:
        text = str(rule.get("rule") or "")
        if "oldSelf" in text:
            continue
        try:
            result = _run(text, value)
        except Exception as exc:  # noqa: BLE001  (any evaluation failure is a refusal at the API server)
            out.append(f"{path or '.'}: rule {text!r} could not be evaluated: {exc}")
            continue
        if result is not True and not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            out.append(f"{path or '.'}: {rule.get('message') or text}")
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in value:
                _walk(value[name], sub, f"{path}.{name}", out)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{index}]", out)
