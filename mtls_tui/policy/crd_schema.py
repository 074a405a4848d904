"""What the API server refuses, or prunes, in a custom resource: its CRD's structural schema.

The schemas are the projects' released CRDs (package data, mtls_tui/policy/crds/, written by
scripts/vendor_crds.py; each file names its upstream commit). A small structural validator is used
rather than a JSON Schema library: the API server is not a Draft 7 validator. It prunes unknown
fields instead of refusing them (unless the client asks for strict validation), drops nulls of
non-nullable fields before it validates, checks only some formats, counts `integer` as Go does and
matches `pattern` with Go's RE2 — and its messages, which a finding must quote, are its own. So each
rule below follows k8s.io/kube-openapi pkg/validation/validate (type.go typeValidator.Validate,
object_validator.go, slice_validator.go, validator.go stringValidator/numberValidator,
schema_props.go) and the messages k8s.io/apiextensions-apiserver pkg/apiserver/validation/
validation.go kubeOpenAPIResultToFieldErrors turns its errors into (field.Required, NotSupported,
TooLong, TooMany, TypeInvalid, Invalid: k8s.io/apimachinery pkg/util/validation/field/errors.go).

Not checked: x-kubernetes-validations (CEL; a few that decide client certificates are translated
by hand in crd_rules.py), list-type uniqueness (x-kubernetes-list-type map/set), metadata beyond
the schema, and `status` (a CRD with the status subresource ignores it on create).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from mtls_tui.policy.re2_syntax import compile_re2, re2_error

SCHEMA_PACKAGE = "mtls_tui.policy.crds"
ROOT_FIELDS = ("apiVersion", "kind", "metadata")  # the server's own (ObjectMeta): not the schema's to check


Path = tuple[str | int, ...]  # where in the object: ("spec", "listeners", 0, "port")


@dataclass(frozen=True)
class Refusal:
    """One reason the API server gives: `message` as it prints it (`field: Type: detail`), and,
    when the correction is certain (an enum value spelt in another case, one allowed value
    matching), the value meant."""

    path: Path
    message: str
    meant: Any = None


@dataclass(frozen=True)
class SchemaVerdict:
    """The API server's answer to one object: `refused` holds its messages (`field: Type: detail`),
    empty when it stores the object; `pruned` the paths of unknown fields it drops (or, when the
    client asks for strict validation, as kubectl apply does by default, refuses)."""

    refused: tuple[Refusal, ...]
    pruned: tuple[Path, ...]
    source: str  # where the schema comes from: `owner/repo@commit:path`


class Node:
    """One compiled schema node: what the validator needs, read once."""

    __slots__ = (
        "types",
        "nullable",
        "has_default",
        "keep_unknown",
        "int_or_string",
        "properties",
        "additional",
        "items",
        "required",
        "enum",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusive_minimum",
        "exclusive_maximum",
        "min_length",
        "max_length",
        "min_items",
        "max_items",
        "min_properties",
        "max_properties",
        "any_of",
        "one_of",
        "all_of",
        "not_",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        kind = raw.get("type")
        self.types: tuple[str, ...] = (kind,) if isinstance(kind, str) and kind else ()
        self.nullable = bool(raw.get("nullable"))
        self.has_default = "default" in raw
        self.keep_unknown = bool(raw.get("x-kubernetes-preserve-unknown-fields"))
        self.int_or_string = bool(raw.get("x-kubernetes-int-or-string"))
        props = raw.get("properties")
        self.properties = {k: Node(v) for k, v in props.items()} if isinstance(props, dict) else None
        extra = raw.get("additionalProperties")
        self.additional = Node(extra) if isinstance(extra, dict) else None
        items = raw.get("items")
        self.items = Node(items) if isinstance(items, dict) else None
        self.required: tuple[str, ...] = tuple(raw.get("required") or ())
        enum = raw.get("enum")
        self.enum: tuple[Any, ...] | None = tuple(enum) if isinstance(enum, list) else None
        pattern = raw.get("pattern")
        self.pattern: str | None = pattern if isinstance(pattern, str) and re2_error(pattern) is None else None
        self.format: str | None = raw.get("format") if self.types == ("string",) else None
        self.minimum, self.maximum = raw.get("minimum"), raw.get("maximum")
        self.exclusive_minimum = bool(raw.get("exclusiveMinimum"))
        self.exclusive_maximum = bool(raw.get("exclusiveMaximum"))
        self.min_length, self.max_length = raw.get("minLength"), raw.get("maxLength")
        self.min_items, self.max_items = raw.get("minItems"), raw.get("maxItems")
        self.min_properties, self.max_properties = raw.get("minProperties"), raw.get("maxProperties")
        self.any_of = tuple(Node(s) for s in raw.get("anyOf") or ())
        self.one_of = tuple(Node(s) for s in raw.get("oneOf") or ())
        self.all_of = tuple(Node(s) for s in raw.get("allOf") or ())
        self.not_ = Node(raw["not"]) if isinstance(raw.get("not"), dict) else None


@lru_cache(maxsize=1)
def vendored() -> frozenset[str]:
    """The schema files shipped, `<group>_<Kind>.json`: only these names are ever opened."""
    return frozenset(entry.name for entry in resources.files(SCHEMA_PACKAGE).iterdir() if entry.name.endswith(".json"))


@lru_cache(maxsize=64)
def _schema_file(group: str, kind: str) -> dict[str, Any] | None:
    name = f"{group}_{kind}.json"
    if name not in vendored():
        return None
    found: dict[str, Any] = json.loads(resources.files(SCHEMA_PACKAGE).joinpath(name).read_text())
    return found


def raw_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    """The openAPIV3Schema the API server uses for this apiVersion and kind (None: not vendored,
    or a version the CRD does not serve)."""
    group, _, version = api_version.rpartition("/")
    found = _schema_file(group, kind)
    if found is None:
        return None
    versions: dict[str, Any] = found["versions"]
    schema = versions.get(version)
    if isinstance(schema, dict) and "same as" in schema:
        schema = versions[schema["same as"]]
    return schema if isinstance(schema, dict) else None


def schema_source(api_version: str, kind: str) -> str:
    """`owner/repo@commit:path` of the CRD the schema was read from ("" when none is vendored)."""
    found = _schema_file(api_version.rpartition("/")[0], kind)
    return str(found["source"]) if found else ""


@lru_cache(maxsize=64)
def compiled(api_version: str, kind: str) -> Node | None:
    """The compiled schema (cached: a file of thousands of objects compiles each kind once)."""
    raw = raw_schema(api_version, kind)
    return Node(raw) if raw is not None else None


def validate(obj: dict[str, Any]) -> SchemaVerdict | None:
    """The API server's verdict on one custom resource, or None when no schema is known for its
    apiVersion and kind (then nothing is said about it)."""
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    node = compiled(api_version, kind)
    if node is None:
        return None
    body = {k: v for k, v in obj.items() if k != "status"}
    walk = _Walk()
    walk.value(node, body, ())
    return SchemaVerdict(tuple(dict.fromkeys(walk.refused)), tuple(walk.pruned), schema_source(api_version, kind))


def dotted(path: Path) -> str:
    """The API server's field path: `spec.listeners[0].port`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def quoted(value: Any) -> str:
    """A bad value as field.Error prints it: Go's %q for a string, %v for a number or a bool,
    JSON otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)  # a YAML timestamp: a string


def go_float(number: float) -> str:
    """Go's %v of a float64: strconv 'g' with the shortest digits, in exponent form when the
    exponent is below -4 or at least 6 (ftoa.go: "if precision was the shortest possible, use
    precision 6"), the exponent at least two digits (1e+06)."""
    exponent = f"{number:e}".partition("e")[2]
    shortest = repr(float(number))
    mantissa, _, _ = shortest.partition("e")
    exp = int(exponent)
    if -4 <= exp < 6:
        return str(int(number)) if float(number).is_integer() else mantissa
    significant = repr(float(number) / 10**exp) if "e" not in shortest else mantissa
    significant = significant.removesuffix(".0")
    return f"{significant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


JSON_TYPES = (
    (bool, "boolean"),
    (str, "string"),
    (int, "integer"),
    (float, "number"),
    (list, "array"),
    (dict, "object"),
)


def _json_type(value: Any) -> str:
    return next((name for kind, name in JSON_TYPES if isinstance(value, kind)), "null")


class _Walk:
    """One object's walk: the refusals in schema order, the pruned paths in document order."""

    def __init__(self) -> None:
        self.refused: list[Refusal] = []
        self.pruned: list[Path] = []

    def _refuse(self, path: Path, body: str, meant: Any = None) -> None:
        self.refused.append(Refusal(path, f"{dotted(path)}: {body}", meant))

    def value(self, node: Node, value: Any, path: Path) -> None:
        if isinstance(value, date):  # a YAML timestamp: kubectl sends it to the API server as a JSON string
            value = value.isoformat()
        if not self._typed(node, value, path):
            return
        self._composition(node, value, path)
        if node.enum is not None and not any(_same(value, allowed) for allowed in node.enum):
            values = ", ".join(json.dumps(v if isinstance(v, str) else json.dumps(v)) for v in node.enum)
            meant = [
                v for v in node.enum if isinstance(v, str) and isinstance(value, str) and v.lower() == value.lower()
            ]
            body = f"Unsupported value: {quoted(value)}: supported values: {values}"
            self._refuse(path, body, meant[0] if len(meant) == 1 else None)
        if isinstance(value, str):
            self._string(node, value, path)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self._number(node, value, path)
        elif isinstance(value, list):
            self._array(node, value, path)
        elif isinstance(value, dict):
            self._object(node, value, path)

    def _typed(self, node: Node, value: Any, path: Path) -> bool:
        """typeValidator: an integral float is an integer, an integer a number (isFloatInt, isIntFloat)."""
        actual = _json_type(value)
        if value is None:
            if node.types and not node.nullable:
                self._invalid_type(path, node.types[0], "null")
                return False
            return True
        if node.int_or_string:
            ok = actual in ("integer", "string") or (actual == "number" and float(value).is_integer())
            if not ok:
                self._invalid_type(path, "integer,string", actual)
            return ok
        if not node.types:
            return True
        wanted = node.types[0]
        ok = (
            actual == wanted
            or (wanted == "number" and actual == "integer")
            or (wanted == "integer" and actual == "number" and float(value).is_integer())
        )
        if not ok:
            self._invalid_type(path, wanted, actual)
        return ok

    def _invalid_type(self, path: Path, wanted: str, actual: str) -> None:
        self._refuse(path, f'Invalid value: "{actual}": {dotted(path)} in body must be of type {wanted}: "{actual}"')

    def _composition(self, node: Node, value: Any, path: Path) -> None:
        """anyOf / oneOf / allOf / not (schema_props.go): their messages name no field (`<nil>`)."""
        if not (node.any_of or node.one_of or node.all_of or node.not_ is not None):
            return
        at = f'<nil>: Invalid value: "": "{dotted(path)}" must'
        if node.any_of and not any(_passes(n, value, path) for n in node.any_of):
            self.refused.append(Refusal(path, f"{at} validate at least one schema (anyOf)"))
        if node.one_of:
            count = sum(_passes(n, value, path) for n in node.one_of)
            if count != 1:
                found = "Found none valid" if count == 0 else f"Found {count} valid alternatives"
                self.refused.append(Refusal(path, f"{at} validate one and only one schema (oneOf). {found}"))
        if node.all_of and not all(_passes(n, value, path) for n in node.all_of):
            self.refused.append(Refusal(path, f"{at} validate all the schemas (allOf)"))
        if node.not_ is not None and _passes(node.not_, value, path):
            self.refused.append(Refusal(path, f"{at} not validate the schema (not)"))

    def _string(self, node: Node, value: str, path: Path) -> None:
        """The messages are built only for a refusal: most strings pass."""
        if node.max_length is not None and len(value) > node.max_length:
            unit = "byte" if node.max_length == 1 else "bytes"
            self._refuse(path, f"Too long: may not be more than {node.max_length} {unit}")
        if node.min_length is not None and len(value) < node.min_length:
            self._bad(path, value, f"should be at least {node.min_length} chars long")
        if node.pattern is not None and compile_re2(node.pattern).search(value) is None:
            self._bad(path, value, f"should match '{node.pattern}'")
        if node.format is not None and not _format_ok(node.format, value):
            self._bad(path, value, f"must be of type {node.format}: {quoted(value)}")

    def _bad(self, path: Path, value: Any, why: str) -> None:
        """field.Invalid with kube-openapi's `<field> in body <why>` detail."""
        self._refuse(path, f"Invalid value: {quoted(value)}: {dotted(path)} in body {why}")

    def _number(self, node: Node, value: float, path: Path) -> None:
        if node.minimum is not None:
            if value <= node.minimum if node.exclusive_minimum else value < node.minimum:
                words = "greater than" if node.exclusive_minimum else "greater than or equal to"
                self._bad(path, value, f"should be {words} {go_float(node.minimum)}")
        if node.maximum is not None:
            if value >= node.maximum if node.exclusive_maximum else value > node.maximum:
                words = "less than" if node.exclusive_maximum else "less than or equal to"
                self._bad(path, value, f"should be {words} {go_float(node.maximum)}")

    def _array(self, node: Node, value: list[Any], path: Path) -> None:
        if node.items is not None:
            for index, item in enumerate(value):
                self.value(node.items, item, (*path, index))
        if node.min_items is not None and len(value) < node.min_items:
            self._bad(path, len(value), f"should have at least {node.min_items} items")
        if node.max_items is not None and len(value) > node.max_items:
            unit = "item" if node.max_items == 1 else "items"
            self._refuse(path, f"Too many: {len(value)}: must have at most {node.max_items} {unit}")

    def _object(self, node: Node, value: dict[str, Any], path: Path) -> None:
        if node.min_properties is not None and len(value) < node.min_properties:
            self._bad(path, len(value), f"should have at least {node.min_properties} properties")
        if node.max_properties is not None and len(value) > node.max_properties:
            self._refuse(path, f"Too many: {len(value)}: must have at most {node.max_properties} items")
        present = set()
        for key, item in value.items():
            if not path and key in ROOT_FIELDS:
                present.add(key)
                continue
            child = _child(node, key)
            if child is None:
                if not node.keep_unknown:
                    self.pruned.append((*path, key))
                continue
            if item is None and not child.nullable:
                if child.has_default:
                    present.add(key)  # defaulted (structuraldefaulting), then valid
                continue  # PruneNonNullableNullsWithoutDefaults: as if absent
            present.add(key)
            self.value(child, item, (*path, key))
        for key in node.required:
            if key not in present:
                self._refuse((*path, key), "Required value")


def _child(node: Node, key: str) -> Node | None:
    if node.properties is not None and key in node.properties:
        return node.properties[key]
    return node.additional


def _passes(node: Node, value: Any, path: Path) -> bool:
    """A sub-schema of anyOf/oneOf/allOf/not accepts the value (nothing refused; pruning aside)."""
    walk = _Walk()
    walk.value(node, value, path)
    return not walk.refused


def _same(value: Any, allowed: Any) -> bool:
    """Enum membership as Go compares decoded JSON: a bool is never a number."""
    return isinstance(value, bool) == isinstance(allowed, bool) and value == allowed


def _format_ok(name: str, value: str) -> bool:
    """The string formats the API server checks (apiextensions-apiserver validation/formats.go
    supportedVersionedFormats) that the vendored schemas use, as kube-openapi pkg/validation/strfmt
    checks them (default.go: byte → govalidator.IsBase64, ipv4 → isIPv4, ipv6 → govalidator.IsIPv6;
    time.go IsDateTime); any other format is not checked."""
    if name == "byte":
        return BASE64.fullmatch(value) is not None
    if name in ("date-time", "datetime"):
        return _date_time(value)
    if name == "ipv4":
        return "." in value and (_ip(value) or _sloppy_ipv4(value))
    if name == "ipv6":
        return ":" in value and _ip(value)
    return True


BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})")
DATE_TIME = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))")


def _date_time(value: str) -> bool:
    """strfmt IsDateTime: a full date, `t`, then the time pattern, hours ≤ 23, minutes and seconds ≤ 59."""
    parts = value.lower().split("t")
    if len(value) < 4 or len(parts) < 2:
        return False
    try:
        datetime.strptime(parts[0], "%Y-%m-%d")
    except ValueError:
        return False
    found = DATE_TIME.match(parts[1])  # FindAllStringSubmatch on the second part, anchored by the pattern
    if found is None or found.end() != len(parts[1]):
        return False
    return found.group(1) <= "23" and found.group(2) <= "59" and found.group(3) <= "59"


def _sloppy_ipv4(value: str) -> bool:
    """netutils.ParseIPSloppy also takes leading zeros (`010.1.1.1`)."""
    parts = value.split(".")
    return len(parts) == 4 and all(p.isascii() and p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts)


def _ip(value: str) -> bool:
    """net.ParseIP."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
