"""Errors from Meta's Graph API, classified by what the caller should do about them: one
taxonomy for the worker's message sends and the operator's management calls.

Meta asks clients to branch on ``code`` (and ``error_data.details``), not on the HTTP
status: throttling codes such as 130429 and 131056 come back as 400 as well as 429.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

TOKEN_INVALID = 190
OUTSIDE_WINDOW = 131047
INVALID_OBJECT = 100
PERMISSION_CODES = frozenset({10, *range(200, 300)})
# Throughput (130429), pair rate (131056), app call rate (4), WABA rate (80007), and the
# app- and user-level limits management endpoints answer with (17, 32, 613).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80007, 130429, 131056})
PAIR_RATE_LIMIT = 131056
# Graph's "temporary, wait and retry" codes: unknown (1), service (2), application limit
# (341), and the WhatsApp "something went wrong" / "service unavailable" family.
TRANSIENT_CODES = frozenset({1, 2, 341, 131000, 131016, 133004})
# 2200: Meta could not verify a webhook callback. The operator probes it first, so this is a
# path or DNS problem between Meta and the ingress that may well clear: retried.
CALLBACK_VERIFICATION_FAILED = 2200


class GraphApiError(Exception):
    """A call to the Graph API failed; ``retryable`` says whether trying again can help."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        subcode: int | None = None,
        details: str | None = None,
        fbtrace_id: str | None = None,
        retryable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.details = details
        self.fbtrace_id = fbtrace_id
        self.retryable = retryable
        # The server's Retry-After, when it sent one: no retry before that.
        self.retry_after_s = retry_after_s

    @classmethod
    def no_answer(cls, message: str) -> GraphApiError:
        """Meta did not answer at all (timeout, connection refused): worth retrying."""
        return cls(message, retryable=True)

    @property
    def temporary(self) -> bool:
        return self.retryable

    @property
    def rate_limited(self) -> bool:
        return self.http_status == 429 or self.code in RATE_LIMIT_CODES

    @property
    def reason(self) -> str:
        """A CamelCase condition reason for this failure (the operator's status)."""
        if self.rate_limited:
            return "MetaRateLimited"
        if self.code == CALLBACK_VERIFICATION_FAILED:
            return "CallbackVerificationFailed"
        if self.temporary:
            return "MetaUnavailable"
        if self.code == TOKEN_INVALID:
            return "TokenInvalid"
        if self.code in PERMISSION_CODES:
            return "PermissionDenied"
        if self.code == INVALID_OBJECT:
            return "InvalidObject"
        return "MetaRejected"

    def __str__(self) -> str:
        """ "Meta HTTP 400 code 100/33: message (details) [fbtrace_id …]"."""
        where = f"HTTP {self.http_status}" if self.http_status else "no answer"
        code = f" code {self.code}" if self.code is not None else ""
        sub = f"/{self.subcode}" if self.subcode else ""
        text = f"Meta {where}{code}{sub}: {self.message}"
        if self.details and self.details not in self.message:
            text += f" ({self.details})"
        return text + (f" [fbtrace_id {self.fbtrace_id}]" if self.fbtrace_id else "")


class TokenInvalid(GraphApiError):
    """190: the access token expired or was revoked. Never retried: rotate it and alert."""


class OutsideCustomerWindow(GraphApiError):
    """131047: more than 24 h since the user's last message; only templates may be sent."""


class RateLimited(GraphApiError):
    """130429 (throughput), 131056 (same user too often), 4, 80007, or HTTP 429."""


class MediaError(GraphApiError):
    """Media that cannot be had: unknown or expired id, too large, size or sha256 mismatch."""


def _error_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def from_response(response: httpx.Response, *, redact: str | None = None) -> GraphApiError:
    """Classify a non-2xx Graph response; ``redact`` is scrubbed from every text kept."""
    error = _error_object(response)
    status = response.status_code
    code = _int(error.get("code"))
    error_data = error.get("error_data")
    details = error_data.get("details") if isinstance(error_data, dict) else None
    message = str(error.get("message") or f"HTTP {status} {response.reason_phrase}".strip())
    if redact:
        message = message.replace(redact, "***")
        details = details.replace(redact, "***") if isinstance(details, str) else None
    kwargs: dict[str, Any] = {
        "http_status": status,
        "code": code,
        "subcode": _int(error.get("error_subcode")),
        "details": details if isinstance(details, str) else None,
        "fbtrace_id": error.get("fbtrace_id"),
        "retry_after_s": retry_after(response),
    }
    if code == TOKEN_INVALID or (code is None and status == 401):
        return TokenInvalid(message, retryable=False, **kwargs)
    if code == OUTSIDE_WINDOW:
        return OutsideCustomerWindow(message, retryable=False, **kwargs)
    if code in RATE_LIMIT_CODES or status == 429:
        return RateLimited(message, retryable=True, **kwargs)
    retryable = (
        status >= 500
        or code in TRANSIENT_CODES
        or code == CALLBACK_VERIFICATION_FAILED
        or error.get("is_transient") is True
    )
    return GraphApiError(message, retryable=retryable, **kwargs)


class WebhookRejected(ValueError):
    """A webhook delivery refused as a whole: nothing of it may be stored. The subclasses
    say why; the gateway answers each with its HTTP status (``http_status``)."""

    http_status = 400


class MalformedDelivery(WebhookRejected):
    """The body is not a webhook envelope (not JSON, wrong shape, ids that cannot be keys)."""


class MissingSignature(WebhookRejected):
    http_status = 401


class BadSignature(WebhookRejected):
    """The ``X-Hub-Signature-256`` does not prove the app secret (or none is configured)."""

    http_status = 403


class NotThisChannel(WebhookRejected):
    """Validly signed, but for a WABA or phone number the receiving channel does not own."""

    http_status = 403


class DeliveryTooLarge(WebhookRejected):
    http_status = 413
