"""The PEM blocks Go's `encoding/pem.Decode` finds, called until it finds none.

Go programs (ingress-nginx's `ssl.CheckCACert` among them) read PEM more strictly than a search
for `-----BEGIN`: the BEGIN line must start the data or a line (a UTF-8 BOM or an indent before
it hides the block), its line must end in `-----`, the END line must start a line and hold only
`-----END <type>-----` (trailing spaces aside), and the body must be base64 once spaces, tabs,
CR and LF are taken out. Text before a block, between blocks and after the last is skipped.
Written from those rules (Go 1.25.3 and later, the algorithm of go.dev/cl/709858: the first END
line, then the last BEGIN before it) and held to Go's own answers by
tests/test_secret_encodings.py, which runs tests/data/go/ca_check.go.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import NamedTuple

_BEGIN = b"-----BEGIN "
_END = b"\n-----END "
_DASHES = b"-----"


def _line(data: bytes, start: int) -> tuple[bytes, int]:
    """The line from `start` without its LF (and a CR before it) and trailing spaces and tabs,
    and where the next line starts."""
    newline = data.find(b"\n", start)
    stop = len(data) if newline < 0 else newline
    after = stop if newline < 0 else newline + 1
    if newline > start and data[newline - 1 : newline] == b"\r":
        stop -= 1
    return data[start:stop].rstrip(b" \t"), after


def _body(text: bytes) -> bytes | None:
    """Go's base64.StdEncoding on the body, which skips CR and LF (pem.Decode drops spaces and tabs)."""
    try:
        return base64.b64decode(text.translate(None, b" \t\r\n"), validate=True)
    except (binascii.Error, ValueError):
        return None


class GoBlock(NamedTuple):
    """A pem.Block: its type, its `Key: value` headers (as Go keeps them: a map, the last of a
    repeated key wins, spaces trimmed) and its decoded bytes."""

    kind: bytes
    headers: dict[bytes, bytes]
    der: bytes


def go_pem_blocks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, decoded bytes) of every block, in order."""
    for block in go_pem_decoded(data):
        yield block.kind, block.der


def go_pem_decoded(data: bytes) -> Iterator[GoBlock]:
    """Every block pem.Decode finds, with its headers, in order."""
    pos = 0
    while (end := data.find(_END, pos)) >= 0:
        trailer = end + len(_END)
        found = _block(data, pos, end, trailer)
        if found is None:
            pos = trailer  # a damaged block: Go looks again after the END it saw
            continue
        block, pos = found
        yield block


def go_pem_encode(block: GoBlock) -> bytes:
    """pem.EncodeToMemory: the BEGIN line, the headers (Proc-Type first, then the others sorted) and
    a blank line after them, the bytes in base64 lines of 64, the END line, each ending in LF."""
    proc = [b"Proc-Type"] if b"Proc-Type" in block.headers else []
    keys = proc + sorted(k for k in block.headers if k != b"Proc-Type")
    head = b"".join(k + b": " + block.headers[k] + b"\n" for k in keys) + (b"\n" if keys else b"")
    text = base64.b64encode(block.der)
    body = b"".join(text[i : i + 64] + b"\n" for i in range(0, len(text), 64))
    return b"-----BEGIN " + block.kind + b"-----\n" + head + body + b"-----END " + block.kind + b"-----\n"


def _block(data: bytes, pos: int, end: int, trailer: int) -> tuple[GoBlock, int] | None:
    begin = data.rfind(_BEGIN, pos, end)
    if begin < 0 or (begin > pos and data[begin - 1 : begin] != b"\n"):
        return None
    type_line, body = _line(data, begin + len(_BEGIN))
    if not type_line.endswith(_DASHES):
        return None
    kind = type_line[: -len(_DASHES)]
    headers: dict[bytes, bytes] = {}
    while body < len(data):  # `Key: value` lines before the base64
        line, after = _line(data, body)
        if b":" not in line:
            break
        key, _, value = line.partition(b":")
        headers[key.strip(b" \t\r\n")] = value.strip(b" \t\r\n")
        body = after
    if headers and body > end:
        return None
    close = trailer + len(kind) + len(_DASHES)
    if data[trailer:close] != kind + _DASHES or _line(data, close)[0]:
        return None
    der = _body(data[body:end]) if body < end else b""
    if der is None:
        return None
    return GoBlock(kind, headers, der), _line(data, end + 1)[1]
