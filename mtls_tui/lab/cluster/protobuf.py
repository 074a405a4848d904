"""Just enough of Kubernetes' protobuf encoding to read what kubectl sends that way.

kubectl posts a SelfSubjectAccessReview (`kubectl auth can-i`) as protobuf (`k8s\\0` magic, then
a `runtime.Unknown` whose `raw` holds the object) and accepts JSON back. The lab answers from
the spec's resource attributes, so only those are read: field numbers from
k8s.io/api/authorization/v1/generated.proto and k8s.io/apimachinery/pkg/runtime/generated.proto.
"""

from __future__ import annotations

MAGIC = b"k8s\x00"
_UNKNOWN_RAW = 2  # runtime.Unknown: 1 typeMeta, 2 raw
_REVIEW_SPEC = 2  # SelfSubjectAccessReview: 1 metadata, 2 spec
_SPEC_RESOURCE_ATTRIBUTES = 1
# ResourceAttributes: field number -> JSON name
_ATTRIBUTES = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}


class ProtobufError(ValueError):
    pass


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


def _fields(data: bytes) -> dict[int, bytes]:
    """The length-delimited fields of one message (the last of each number wins, as in protobuf)."""
    found: dict[int, bytes] = {}
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
            found[number], at = data[at : at + size], at + size
        elif wire in (1, 5):
            at += 8 if wire == 1 else 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
    return found


def access_review_attributes(body: bytes) -> dict[str, str]:
    """The `spec.resourceAttributes` of a protobuf SelfSubjectAccessReview, as JSON names them."""
    if not body.startswith(MAGIC):
        raise ProtobufError("no k8s protobuf magic")
    review = _fields(_fields(body[len(MAGIC) :]).get(_UNKNOWN_RAW, b""))
    attributes = _fields(_fields(review.get(_REVIEW_SPEC, b"")).get(_SPEC_RESOURCE_ATTRIBUTES, b""))
    return {
        name: attributes[number].decode("utf-8", "replace")
        for number, name in _ATTRIBUTES.items()
        if number in attributes
    }
