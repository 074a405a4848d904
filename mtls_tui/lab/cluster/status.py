"""Status bodies worded as kube-apiserver words them.

The tool under test turns these messages into findings ("cannot list Secrets: ...");
tests only mean something if the lab fails the way a real cluster fails.
"""

from __future__ import annotations

from typing import Any

from mtls_tui.lab.cluster.resources import Resource

CONTINUE_TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


class ApiError(Exception):
    """A failure the server answers with a Status body; Python callers of the lab get it too."""

    def __init__(self, status: dict[str, Any]) -> None:
        super().__init__(status["message"])
        self.status = status

    @property
    def code(self) -> int:
        return int(self.status["code"])


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


def _details(resource: Resource, name: str | None, kind: str | None = None) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name} if name else {}
    if resource.group:
        details["group"] = resource.group
    details["kind"] = kind or resource.plural
    return details


def not_found(resource: Resource, name: str) -> ApiError:
    return ApiError(status(404, "NotFound", f'{resource.qualified} "{name}" not found', _details(resource, name)))


def already_exists(resource: Resource, name: str) -> ApiError:
    return ApiError(
        status(409, "AlreadyExists", f'{resource.qualified} "{name}" already exists', _details(resource, name))
    )


def forbidden(
    user: str, verb: str, resource: Resource, namespace: str | None, name: str | None, subresource: str | None = None
) -> ApiError:
    target = resource.plural + (f"/{subresource}" if subresource else "")
    subject = f'{resource.qualified} "{name}"' if name else resource.qualified
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = f'{subject} is forbidden: User "{user}" cannot {verb} resource "{target}" in API group "{resource.group}" {scope}'
    return ApiError(status(403, "Forbidden", message, _details(resource, name)))


def unauthorized() -> dict[str, Any]:
    return status(401, "Unauthorized", "Unauthorized")


def expired(message: str) -> ApiError:
    return ApiError(status(410, "Expired", message))


def bad_request(message: str) -> ApiError:
    return ApiError(status(400, "BadRequest", message))


def too_large(size: int, limit: int) -> ApiError:
    return ApiError(
        status(413, "RequestEntityTooLarge", f"the request body of {size} bytes is larger than {limit} bytes")
    )


def unprocessable(message: str) -> ApiError:
    return ApiError(status(422, "Invalid", message))


def no_route() -> ApiError:
    return ApiError(status(404, "NotFound", "the server could not find the requested resource", {}))


def method_not_allowed() -> ApiError:
    return ApiError(
        status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
    )


def unsupported_media_type(why: str = "") -> ApiError:
    """A body the lab cannot read: a patch type it does not know, or protobuf of a kind it does not
    decode (lab/cluster/protobuf.py decodes the Secret and ConfigMap of `kubectl create`)."""
    message = "the body of the request was in an unknown format - accepted media types include: application/json"
    return ApiError(status(415, "UnsupportedMediaType", message + (f" ({why})" if why else ""), {}))


def too_large_version(requested: int, current: int) -> ApiError:
    details = {
        "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
        "retryAfterSeconds": 1,
    }
    return ApiError(status(504, "Timeout", f"Too large resource version: {requested}, current: {current}", details))
