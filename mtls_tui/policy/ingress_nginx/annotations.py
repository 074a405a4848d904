"""An Ingress's annotations as ingress-nginx's parser package reads them
(internal/ingress/annotations/parser): the prefix they are read under, the auth-tls keys, and the
normalising and boolean readers. Separate because every module of the package reads annotations
this way and none of them owns it.
"""

from __future__ import annotations

from mtls_tui.model import ANNOTATIONS_PREFIX, IngressObj
from mtls_tui.policy.go_bools import GO_BOOLS

PREFIX = ANNOTATIONS_PREFIX
AUTH_TLS_KEYS = (
    "auth-tls-secret",
    "auth-tls-verify-client",
    "auth-tls-verify-depth",
    "auth-tls-error-page",
    "auth-tls-pass-certificate-to-upstream",
    "auth-tls-match-cn",
)


def normalized(value: str | None) -> str | None:
    """`parser.normalizeString`: every line of a string annotation is trimmed."""
    return None if value is None else "\n".join(line.strip() for line in value.split("\n"))


def go_bool_annotation(ingress: IngressObj, name: str, default: bool) -> bool:
    """parser.GetBoolAnnotation, where a missing or unreadable value takes the default."""
    return GO_BOOLS.get(ingress.annotation(PREFIX + name) or "", default)
