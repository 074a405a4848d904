"""Just enough of Kubernetes' protobuf encoding to read what kubectl sends that way.

kubectl posts the objects of its typed commands as protobuf (`k8s\\0` magic, then a
`runtime.Unknown` whose `raw` holds the object) and accepts JSON back, as every API server
decodes protobuf for the built-in kinds: a SelfSubjectAccessReview (`kubectl auth can-i`), of
which the lab answers from the spec's resource attributes, and the Secret or ConfigMap of
`kubectl create secret|configmap` (measured with kubectl v1.32.4 -v=8: `Content-Type:
application/vnd.kubernetes.protobuf` on the POST). Field numbers from
k8s.io/api/authorization/v1/generated.proto, k8s.io/api/core/v1/generated.proto (Secret,
ConfigMap), k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto (ObjectMeta) and
k8s.io/apimachinery/pkg/runtime/generated.proto (Unknown, TypeMeta).
"""

from __future__ import annotations

import base64
from typing import Any

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
_UNKNOWN_RAW = 2  # runtime.Unknown: 1 typeMeta, 2 raw
_REVIEW_SPEC = 2  # SelfSubjectAccessReview: 1 metadata, 2 spec
_SPEC_RESOURCE_ATTRIBUTES = 1
# ResourceAttributes: field number -> JSON name
_ATTRIBUTES = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}


class ProtobufError(ValueError):
    """Bytes that are not the protobuf they claim to be: the API server's 400 (k8s.io/apiserver
    pkg/endpoints/handlers/rest.go transformDecodeError: BadRequest, "the object provided is
    unrecognized")."""


class NotDecoded(ProtobufError):
    """Well-formed protobuf of a kind the lab does not decode (a real API server would): 415, so
    the user learns it is the lab's limit, not their bytes."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _entries(data: bytes) -> list[tuple[int, bytes]]:
    """The length-delimited fields of one message in order, each repeat kept (a map is one entry
    message per key); fields of other wire types are skipped."""
    found: list[tuple[int, bytes]] = []
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, at = _varint(data, at)
        elif wire == 2:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise ProtobufError("truncated field")
            found.append((number, data[at : at + size]))
            at += size
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return found


def _fields(data: bytes) -> dict[int, bytes]:
    """The length-delimited fields of one message (the last of each number wins, as in protobuf)."""
    return dict(_entries(data))


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _map(data: bytes, number: int) -> dict[bytes, bytes]:
    """A `map<…>` field: entry messages with the key as field 1 and the value as field 2."""
    pairs = (_fields(entry) for n, entry in _entries(data) if n == number)
    return {pair.get(1, b""): pair.get(2, b"") for pair in pairs}


def _unknown(body: bytes) -> dict[int, bytes]:
    if not body.startswith(MAGIC):
        raise ProtobufError("no k8s protobuf magic")
    return _fields(body[len(MAGIC) :])


def access_review_attributes(body: bytes) -> dict[str, str]:
    """The `spec.resourceAttributes` of a protobuf SelfSubjectAccessReview, as JSON names them."""
    review = _fields(_unknown(body).get(_UNKNOWN_RAW, b""))
    attributes = _fields(_fields(review.get(_REVIEW_SPEC, b"")).get(_SPEC_RESOURCE_ATTRIBUTES, b""))
    return {
        name: attributes[number].decode("utf-8", "replace")
        for number, name in _ATTRIBUTES.items()
        if number in attributes
    }


# ObjectMeta: 1 name, 3 namespace (all that `kubectl create secret|configmap` fills in).
_META_TEXT = {1: "name", 3: "namespace"}
# Each kind's maps: field number -> (JSON name, values are bytes, base64 in JSON); Secret's `type` is field 3.
_MAPS: dict[str, dict[int, tuple[str, bool]]] = {
    "Secret": {2: ("data", True)},
    "ConfigMap": {2: ("data", False), 3: ("binaryData", True)},
}
_SECRET_TYPE = 3


def _values(data: bytes, number: int, binary: bool) -> dict[str, str]:
    return {
        _text(key): base64.b64encode(value).decode() if binary else _text(value)
        for key, value in _map(data, number).items()
    }


def decode_object(body: bytes) -> dict[str, Any]:
    """A Secret or ConfigMap that kubectl posted as protobuf, as the same object in JSON."""
    unknown = _unknown(body)
    type_meta = _fields(unknown.get(1, b""))
    api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
    if kind not in _MAPS or api_version != "v1":
        raise NotDecoded(f"the lab decodes no protobuf {api_version}/{kind}")
    raw = unknown.get(_UNKNOWN_RAW, b"")
    fields = _fields(raw)
    meta = _fields(fields.get(1, b""))
    metadata = {name: _text(meta[n]) for n, name in _META_TEXT.items() if meta.get(n)}
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    obj |= {name: values for n, (name, binary) in _MAPS[kind].items() if (values := _values(raw, n, binary))}
    if kind == "Secret" and fields.get(_SECRET_TYPE):
        obj["type"] = _text(fields[_SECRET_TYPE])
    return obj
