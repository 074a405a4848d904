"""`kubectl exec` against the lab: the API server's exec subresource over WebSocket, with the
Kubernetes streaming sub-protocols `v5.channel.k8s.io` and `v4.channel.k8s.io`.

kubectl (v1.30+) and the Python client's `stream` open
`GET /api/v1/namespaces/NS/pods/POD/exec?command=…&stdout=true` as a WebSocket (RFC 6455). Each
binary message starts with its channel: 1 stdout, 2 stderr, 3 the final Status as JSON; v5 adds
255 (close a channel) and ends with a close frame (k8s.io/apimachinery/pkg/util/httpstream/wsstream
conn.go; k8s.io/client-go/tools/remotecommand websocket.go). The lab's pods run nothing: a
container holds files, and the one command it answers is `cat FILE` (the read the article's
troubleshooting does, and all the tool ever asks).
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Mapping, Sequence

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
STDOUT, STDERR, ERROR = 1, 2, 3


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()  # noqa: S324 - RFC 6455


def chosen_protocol(offered: str) -> str | None:
    """The first of ours the client offers (it lists them in its order of preference)."""
    wanted = [p.strip() for p in offered.split(",") if p.strip()]
    return next((p for p in PROTOCOLS if p in wanted), None)


def frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """One unmasked, final frame (a server's frames are never masked)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return head + payload


def run(files: Mapping[str, bytes], command: Sequence[str]) -> tuple[bytes, bytes, int]:
    """(stdout, stderr, exit code) of `command` in a container holding `files`, as the real one would answer."""
    if not command:
        return b"", b"no command\n", 126
    if command[0] != "cat":
        return b"", f'exec: "{command[0]}": executable file not found in $PATH\n'.encode(), 127
    out, err, code = b"", b"", 0
    for path in command[1:]:
        if path in files:
            out += files[path]
        else:
            err += f"cat: {path}: No such file or directory\n".encode()
            code = 1
    return out, err, code


def status(code: int) -> bytes:
    """The Status on channel 3 that ends an exec (remotecommand's errorDecoderV4)."""
    if code == 0:
        return json.dumps({"metadata": {}, "status": "Success"}).encode()
    return json.dumps(
        {
            "metadata": {},
            "status": "Failure",
            "message": f"command terminated with non-zero exit code: exit status {code}",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
        }
    ).encode()


def messages(stdout: bytes, stderr: bytes, code: int, protocol: str) -> list[bytes]:
    """The frames an exec sends back, in order; large output in pieces, as a container writes it."""
    piece = 32 * 1024
    out = [frame(bytes([STDOUT]) + stdout[i : i + piece]) for i in range(0, len(stdout), piece)]
    out += [frame(bytes([STDERR]) + stderr[i : i + piece]) for i in range(0, len(stderr), piece)]
    out.append(frame(bytes([ERROR]) + status(code)))
    if protocol == "v5.channel.k8s.io":
        out.append(frame(struct.pack("!H", 1000), opcode=0x8))  # normal closure
    return out
