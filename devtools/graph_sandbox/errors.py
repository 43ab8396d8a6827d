"""Graph API errors in Meta's shape, and the catalogue of the codes the sandbox can raise.

Every error body is ``{"error": {message, type, code, error_subcode?, error_data?, fbtrace_id}}``.
``error_data`` (``messaging_product`` + ``details``) is what the WhatsApp Cloud API adds to
its own errors; plain Graph errors (token, unknown object, unknown path) carry none.

HTTP statuses follow Meta's error-code table: authorization errors are 401, throttling and
most WhatsApp errors 400 (yes, 130429 and 131056 too: clients must branch on ``code``, not on
the status), 131000 is 500, the "service unavailable" family 503.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

GRAPH_DOCS = (
    "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
)


@dataclass(frozen=True)
class CatalogueEntry:
    title: str
    details: str | None
    http_status: int
    type: str = "OAuthException"
    subcode: int | None = None


# Titles and details as Meta's error-code reference words them.
CATALOGUE: dict[int, CatalogueEntry] = {
    1: CatalogueEntry("An unknown error occurred", None, 500),
    2: CatalogueEntry("Service temporarily unavailable", None, 503),
    4: CatalogueEntry("Application request limit reached", None, 400),
    10: CatalogueEntry("Application does not have permission for this action", None, 403),
    100: CatalogueEntry("Invalid parameter", None, 400),
    190: CatalogueEntry("Invalid OAuth access token - Cannot parse access token", None, 401),
    200: CatalogueEntry("Permissions error", None, 403),
    80007: CatalogueEntry(
        "Rate limit issues", "The WhatsApp Business Account has reached its rate limit.", 400
    ),
    130429: CatalogueEntry(
        "Rate limit hit", "Cloud API message throughput has been reached.", 400, subcode=2494055
    ),
    131000: CatalogueEntry(
        "Something went wrong", "Message failed to send due to an unknown error.", 500
    ),
    131008: CatalogueEntry(
        "Required parameter is missing", "The request is missing a required parameter.", 400
    ),
    131009: CatalogueEntry(
        "Parameter value is not valid", "One or more parameter values are invalid.", 400
    ),
    131016: CatalogueEntry(
        "Service unavailable", "A service is temporarily unavailable. Please retry.", 503
    ),
    131026: CatalogueEntry("Message Undeliverable", "Message Undeliverable.", 400),
    131047: CatalogueEntry(
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
        400,
    ),
    131048: CatalogueEntry(
        "Spam rate limit hit",
        "Message failed to send because there are restrictions on how many messages can be "
        "sent from this phone number. This may be because too many previous messages were "
        "blocked or flagged as spam.",
        400,
    ),
    131053: CatalogueEntry(
        "Media upload error", "Unable to upload the media used in the message.", 400
    ),
    131056: CatalogueEntry(
        "(Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
        400,
        subcode=2494071,
    ),
    132000: CatalogueEntry(
        "Number of parameters does not match the expected number of params",
        "The number of variable parameter values included in the request did not match the "
        "number of variable parameters defined in the template.",
        400,
    ),
    132001: CatalogueEntry(
        "Template name does not exist in the translation",
        "The template does not exist in the specified language or the template has not "
        "been approved.",
        404,
    ),
    132018: CatalogueEntry(
        "There was an issue with the parameters in your template",
        "One or more parameter values are invalid.",
        400,
    ),
    133004: CatalogueEntry(
        "Server temporarily unavailable", "The server is temporarily unavailable.", 503
    ),
}


def fbtrace_id() -> str:
    return secrets.token_urlsafe(16)[:22]


class GraphError(Exception):
    """An error the sandbox answers with, already in Meta's terms."""

    def __init__(
        self,
        http_status: int,
        code: int,
        message: str,
        *,
        type: str = "OAuthException",
        subcode: int | None = None,
        details: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.type = type
        self.subcode = subcode
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def from_code(
    code: int, *, http_status: int | None = None, details: str | None = None
) -> GraphError:
    """The error Meta answers for ``code``; unknown codes get a generic message."""
    entry = CATALOGUE.get(code)
    if entry is None:
        return GraphError(
            http_status or 400, code, f"(#{code}) Sandbox-injected error", details=details
        )
    if code == 190:
        return invalid_token(http_status=http_status or entry.http_status)
    return GraphError(
        http_status or entry.http_status,
        code,
        f"(#{code}) {entry.title}",
        type=entry.type,
        subcode=entry.subcode,
        details=details or entry.details,
    )


_INVALID_TOKEN_HEADERS = {"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token"'}


def invalid_token(*, http_status: int = 401) -> GraphError:
    return GraphError(http_status, 190, CATALOGUE[190].title, headers=_INVALID_TOKEN_HEADERS)


def _meta_time(unix: float) -> str:
    # Meta words it "Tuesday, 12-Mar-24 10:00:00 PDT"; the sandbox keeps UTC.
    return time.strftime("%A, %d-%b-%y %H:%M:%S UTC", time.gmtime(unix))


def expired_token(expires_at: float, now: float, *, http_status: int = 401) -> GraphError:
    return GraphError(
        http_status,
        190,
        f"Error validating access token: Session has expired on {_meta_time(expires_at)}. "
        f"The current time is {_meta_time(now)}.",
        subcode=463,
        headers=_INVALID_TOKEN_HEADERS,
    )


def invalidated_token(*, http_status: int = 401) -> GraphError:
    return GraphError(
        http_status,
        190,
        "Error validating access token: The session has been invalidated because the user "
        "changed their password or Facebook has changed the session for security reasons.",
        subcode=460,
        headers=_INVALID_TOKEN_HEADERS,
    )


def bad_app_token() -> GraphError:
    """An ``{app_id}|{app_secret}`` token whose secret is wrong (or whose app is unknown)."""
    return GraphError(
        401, 190, "Invalid OAuth access token signature.", headers=_INVALID_TOKEN_HEADERS
    )


def permissions_error() -> GraphError:
    """The token is valid but has no access to this WABA (no target id, or no scope)."""
    return GraphError(403, 200, "(#200) Permissions error")


def permission_denied() -> GraphError:
    """The token reaches the number but lacks ``whatsapp_business_messaging``."""
    return GraphError(403, 10, f"(#10) {CATALOGUE[10].title}")


def app_token_required() -> GraphError:
    return GraphError(400, 15, "(#15) This method must be called with an app access_token.")


def callback_verification_failed(reason: str) -> GraphError:
    """Meta could not verify a callback URL while it was being set: nothing was changed."""
    return GraphError(
        400, 2200, f"Callback verification failed with the following errors: {reason}"
    )


def invalid_parameter(details: str) -> GraphError:
    return GraphError(400, 100, "(#100) Invalid parameter", details=details)


def invalid_value(details: str) -> GraphError:
    """131009: a value outside Meta's limits (a length, a count, a duplicate id)."""
    return from_code(131009, details=details)


def unknown_object(object_id: str, method: str) -> GraphError:
    """What Graph answers for an id that does not exist or that this token cannot see."""
    return GraphError(
        400,
        100,
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, "
        f"cannot be loaded due to missing permissions, or does not support this operation. "
        f"{GRAPH_DOCS}",
        type="GraphMethodException",
        subcode=33,
    )


def unknown_path(path: str) -> GraphError:
    return GraphError(400, 2500, f"Unknown path components: {path}")


def unversioned(path: str) -> GraphError:
    # Meta would serve an unversioned call with the app's oldest available version; the
    # sandbox refuses it so that a client that forgot to pin a version fails in tests.
    return GraphError(
        400,
        2500,
        f"Unversioned Graph API call to {path}: pin a version, e.g. /v25.0{path} (sandbox)",
    )


def lookaside_not_found() -> GraphError:
    # Meta documents 404 for a media URL that can no longer be downloaded (expired or
    # unknown): retrieve a fresh URL with GET /{media-id} and download again.
    return GraphError(404, 100, "Media URL is invalid or has expired", type="GraphMethodException")


async def graph_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GraphError)
    return JSONResponse(exc.body(), status_code=exc.http_status, headers=exc.headers)
