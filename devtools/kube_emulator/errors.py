"""Kubernetes API errors, shaped as the real API server shapes them.

Clients branch on the HTTP code and on ``reason`` (kopf maps 404/409/422 to its own error
classes; kubectl prints ``message``), so each factory here mirrors the wording and the
``details`` of the corresponding apiserver error. They are ``kmock.KubernetesError`` instances,
so kmock's handler machinery and user-injected reactions treat them as Kubernetes errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kmock import KubernetesError


@dataclass(frozen=True)
class Cause:
    """One field-level reason why an object is invalid (``details.causes[]``)."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def render(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def status_body(error: KubernetesError) -> dict[str, Any]:
    """The ``Status`` object for an error, as sent in a response body or an ERROR watch event."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": error.message or "",
        "reason": error.reason or "",
        "code": error.status,
    }
    if error.details:
        body["details"] = error.details
    return body


def _details(resource: str, name: str | None, group: str) -> dict[str, Any]:
    details: dict[str, Any] = {"kind": resource}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return details


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> KubernetesError:
    message = f'{_qualified(resource, group)} "{name}" not found'
    return KubernetesError(404, "NotFound", message, _details(resource, name, group))


def no_such_endpoint() -> KubernetesError:
    return KubernetesError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(resource: str, name: str, group: str = "") -> KubernetesError:
    message = f'{_qualified(resource, group)} "{name}" already exists'
    return KubernetesError(409, "AlreadyExists", message, _details(resource, name, group))


def conflict(resource: str, name: str, group: str, why: str) -> KubernetesError:
    message = f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}'
    return KubernetesError(409, "Conflict", message, _details(resource, name, group))


def stale(resource: str, name: str, group: str) -> KubernetesError:
    """The optimistic-concurrency failure: the client wrote over a version it had not seen."""
    why = (
        "the object has been modified; please apply your changes to the latest version and "
        "try again"
    )
    return conflict(resource, name, group, why)


def invalid(kind: str, name: str, group: str, causes: Sequence[Cause]) -> KubernetesError:
    listed = ", ".join(str(cause) for cause in causes)
    summary = f"[{listed}]" if len(causes) > 1 else listed
    message = f'{_qualified(kind, group)} "{name}" is invalid: {summary}'
    details: dict[str, Any] = {"kind": kind, "causes": [cause.render() for cause in causes]}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return KubernetesError(422, "Invalid", message, details)


def unprocessable(message: str) -> KubernetesError:
    """A request that is well-formed but cannot be applied, e.g. a failed JSON-patch ``test``."""
    return KubernetesError(422, "Invalid", message, {})


def bad_request(message: str) -> KubernetesError:
    return KubernetesError(400, "BadRequest", message, {})


def forbidden(resource: str, name: str, group: str, why: str) -> KubernetesError:
    message = f'{_qualified(resource, group)} "{name}" is forbidden: {why}'
    return KubernetesError(403, "Forbidden", message, _details(resource, name, group))


def unauthorized() -> KubernetesError:
    return KubernetesError(401, "Unauthorized", "Unauthorized", {})


def method_not_allowed(method: str, resource: str) -> KubernetesError:
    message = (
        f"the server does not allow this method on the requested resource ({method} {resource})"
    )
    return KubernetesError(405, "MethodNotAllowed", message, {})


def unsupported_media_type(content_type: str, accepted: Sequence[str]) -> KubernetesError:
    message = (
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}"
    )
    if content_type:
        message = f"{message} (got {content_type})"
    return KubernetesError(415, "UnsupportedMediaType", message, {})


def expired(requested: int, oldest: int) -> KubernetesError:
    """A watch asked for history that has already been compacted away."""
    return KubernetesError(410, "Expired", f"too old resource version: {requested} ({oldest})", {})


def internal(message: str) -> KubernetesError:
    return KubernetesError(500, "InternalError", message, {})
