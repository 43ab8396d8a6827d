"""Errors from Meta's Graph API, classified by what the caller should do about them.

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
# Throughput (130429), pair rate (131056), app call rate (4), WABA rate (80007).
RATE_LIMIT_CODES = frozenset({4, 80007, 130429, 131056})
PAIR_RATE_LIMIT = 131056
# Graph's "temporary, wait and retry" codes: unknown (1), service (2), and the WhatsApp
# "something went wrong" / "service unavailable" family.
TRANSIENT_CODES = frozenset({1, 2, 131000, 131016, 133004})


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

    def __str__(self) -> str:
        parts = [self.message]
        if self.details and self.details not in self.message:
            parts.append(f"({self.details})")
        meta = [f"HTTP {self.http_status}"] if self.http_status else []
        if self.code is not None:
            meta.append(f"code {self.code}")
        if self.fbtrace_id:
            meta.append(f"fbtrace_id {self.fbtrace_id}")
        return " ".join(parts) + (f" [{', '.join(meta)}]" if meta else "")


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
    retryable = status >= 500 or code in TRANSIENT_CODES or error.get("is_transient") is True
    return GraphApiError(message, retryable=retryable, **kwargs)
