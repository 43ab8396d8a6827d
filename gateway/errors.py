"""Errors that carry their HTTP meaning; one handler (in ``gateway.app``) maps them."""

from __future__ import annotations


class ApiError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers  # e.g. WWW-Authenticate on a 401, Retry-After on a 429

    def document(self) -> dict[str, dict[str, str]]:
        """The body every API error is answered with."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status_code = 403
    code = "forbidden"


class NotFound(ApiError):
    status_code = 404
    code = "not_found"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(ApiError):
    status_code = 429
    code = "rate_limited"


class BadGateway(ApiError):
    """An upstream (Meta's Graph API) refused or failed; not the client's mistake."""

    status_code = 502
    code = "upstream_error"


class Unavailable(ApiError):
    status_code = 503
    code = "unavailable"
