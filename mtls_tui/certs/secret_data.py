"""A Secret's values as the API server stores them: `data` decoded from base64, `stringData` as text.

The API server decodes `data` with Go's base64.StdEncoding (encoding/json's []byte), which
skips line breaks and refuses anything else outside the alphabet, a missing `=` included:
`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte N`.
So a Secret with such a value never reaches the cluster; it can only come from a manifest
file, which then cannot be applied. No verdict about what the controller does with it would
be true, so reading stops there, naming the key (`inspect`, `check --manifests` and the
screen alike).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from mtls_tui.errors import InputError


def _decoded(value: object, where: str) -> bytes:
    """One `data` value, decoded as the API server decodes it; InputError at `where` if it refuses it."""
    text = str(value or "").encode().translate(None, b"\r\n")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(
            where,
            "data value is not valid base64: the API server refuses the Secret (plain text belongs in stringData)",
        ) from None


def secret_values(obj: Mapping[str, object], label: str) -> dict[str, bytes]:
    """Every key of the Secret `obj`: `data` decoded, then `stringData` over it, as the API server
    merges them. `label` names the Secret in errors (`LABEL, key KEY`)."""
    data = obj.get("data")
    string_data = obj.get("stringData")
    values: dict[str, bytes] = {}
    for key, value in data.items() if isinstance(data, Mapping) else ():
        values[str(key)] = _decoded(value, f"{label}, key {key}")
    for key, value in string_data.items() if isinstance(string_data, Mapping) else ():
        values[str(key)] = str(value or "").encode()
    return values
