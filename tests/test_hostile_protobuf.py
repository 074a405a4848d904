"""Hostile bytes for the lab's protobuf decoder (mtls_tui/lab/cluster/protobuf.py), through the lab's
real API server over TLS: whatever a client posts as `application/vnd.kubernetes.protobuf`, the
answer is one Kubernetes Status with a 4xx code (or the object, when the bytes do spell a Secret or a
ConfigMap), within the socket's 5 s, never a 500 (the server's catch-all for a Python exception) and
never a hang. Bytes are drawn at random and as protobuf with the lab's field numbers, so that the
fuzzing reaches the map entries, the metadata and the Secret type, not only the magic check.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_tui.lab.cluster import LabCluster, protobuf
from tests.test_hostile_lab import cluster, exchange, identity  # noqa: F401  (fixtures)

SECRETS = "/api/v1/namespaces/default/secrets"
REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append((value & 0x7F) | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def entry(key: bytes, value: bytes) -> bytes:
    return field(1, key) + field(2, value)


# A field as a hostile client writes it: length-delimited with a right or lying length, a varint, a
# fixed 32/64-bit value cut short or not, a group wire type (3, 4) or 6/7, or a runaway varint.
RAW_FIELD = st.one_of(
    st.builds(field, st.integers(0, 20), st.binary(max_size=40)),
    st.builds(
        lambda n, size, payload: varint(n << 3 | 2) + varint(size) + payload,
        st.integers(0, 20),
        st.integers(0, 2**64),
        st.binary(max_size=20),
    ),
    st.builds(
        lambda n, wire, payload: varint(n << 3 | wire) + payload,
        st.integers(0, 20),
        st.integers(0, 7),
        st.binary(max_size=12),
    ),
    st.just(b"\xff" * 11),
)
MESSAGE = st.lists(RAW_FIELD, max_size=6).map(b"".join)
TEXT = st.one_of(st.sampled_from(["v1", "Secret", "ConfigMap", "", "x" * 300]), st.text(max_size=30)).map(str.encode)


@st.composite
def hostile_object(draw: st.DrawFn) -> bytes:
    """A runtime.Unknown whose typeMeta names a kind the lab decodes (or not), holding a Secret or
    ConfigMap with hostile metadata, map entries (some not messages at all) and a Secret type."""
    kind = draw(st.one_of(st.sampled_from([(b"v1", b"Secret"), (b"v1", b"ConfigMap")]), st.tuples(TEXT, TEXT)))
    type_meta = field(1, kind[0]) + field(2, kind[1])
    junk = st.one_of(st.just(b""), MESSAGE)  # trailing fields, valid or not, often none
    meta = field(1, draw(TEXT)) + field(3, draw(TEXT)) + draw(junk)
    entries = b"".join(
        field(draw(st.integers(2, 3)), draw(st.one_of(MESSAGE, st.builds(entry, TEXT, st.binary(max_size=30)))))
        for _ in range(draw(st.integers(0, 4)))
    )
    raw = field(1, meta) + entries + field(3, draw(TEXT)) + draw(junk)
    body = field(1, type_meta) + field(2, raw) + draw(junk)
    cut = draw(st.integers(0, len(body)))
    return protobuf.MAGIC + (body[:cut] if draw(st.integers(0, 3)) == 0 else body)


BODIES = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=200).map(protobuf.MAGIC.__add__),
    MESSAGE.map(protobuf.MAGIC.__add__),
    hostile_object(),
)

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def answer(lab: LabCluster, who: tuple[str, str], path: str, body: bytes) -> tuple[int, dict]:
    head = f"POST {path} HTTP/1.1\nHost: x\nContent-Type: {protobuf.CONTENT_TYPE}\nContent-Length: {len(body)}\n"
    return exchange(lab, who, head, body)  # a 5 s socket timeout: a hang fails


def expected(path: str, body: bytes) -> set[int]:
    """The answers a body may get: 400 for bytes that are not protobuf (or not the object they claim
    to be: kube-apiserver's transformDecodeError), 415 for protobuf of a kind the lab does not decode,
    else what the object itself earns (kept, another namespace than the URL's, already there, invalid)."""
    if path == REVIEWS and not body.startswith(protobuf.MAGIC):
        return {201, 400}  # read as JSON (api.py _access_review): an empty body is `{}`, else a 400
    decode = protobuf.decode_object if path == SECRETS else protobuf.access_review_attributes
    try:
        decode(body)
    except protobuf.NotDecoded:
        return {415}
    except protobuf.ProtobufError:
        return {400}
    return {201, 400, 409, 422} if path == SECRETS else {201}  # 400: a namespace not the URL's


@pytest.mark.parametrize("path", [SECRETS, REVIEWS], ids=["create", "access-review"])
@FUZZ
@given(body=BODIES)
def test_hostile_protobuf_gets_one_clear_answer(
    cluster: LabCluster,  # noqa: F811
    identity: tuple[str, str],  # noqa: F811
    path: str,
    body: bytes,
) -> None:
    code, reply = answer(cluster, identity, path, body)
    assert code in expected(path, body), (code, reply)
    if code == 201:
        assert reply["kind"] in ("Secret", "ConfigMap", "SelfSubjectAccessReview"), reply
        if reply["kind"] != "SelfSubjectAccessReview":
            cluster.delete(reply["kind"], reply["metadata"].get("namespace", "default"), reply["metadata"]["name"])
        return
    assert reply["kind"] == "Status" and reply["code"] == code and reply["message"], reply
    assert "Traceback" not in reply["message"]


@FUZZ
@given(body=BODIES)
def test_the_decoder_raises_only_its_own_error(body: bytes) -> None:
    """In-process too, so that a shrunk counterexample names the line: ProtobufError (a ValueError the
    API turns into its Status) or a result, nothing else."""
    for decode in (protobuf.decode_object, protobuf.access_review_attributes):
        try:
            decoded = decode(body)
        except protobuf.ProtobufError as exc:
            assert str(exc)
        else:
            assert isinstance(decoded, dict)


def test_a_deep_hostile_body_still_decodes_in_time(cluster: LabCluster, identity: tuple[str, str]) -> None:  # noqa: F811
    """A thousand nested length-delimited fields and a megabyte of two-byte varint fields: one answer
    within 5 s."""
    nested = b""
    for _ in range(1000):
        nested = field(2, nested)
    many = protobuf.MAGIC + b"\x08\x00" * 500_000
    for body in (protobuf.MAGIC + nested, many):
        code, reply = answer(cluster, identity, SECRETS, body)
        assert code in expected(SECRETS, body) and reply["kind"] == "Status", reply
