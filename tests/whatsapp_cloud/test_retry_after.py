"""``Retry-After`` as the Graph API (or anything before it) may send it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from whatsapp_cloud.errors import RateLimited, from_response, retry_after


def response(status: int, headers: dict[str, str]) -> httpx.Response:
    body = {"error": {"message": "(#130429) Rate limit hit", "code": 130429}}
    return httpx.Response(status, headers=headers, json=body)


@pytest.mark.parametrize(
    ("header", "expected"), [("7", 7.0), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None)]
)
def test_seconds(header: str, expected: float | None) -> None:
    assert retry_after(response(429, {"Retry-After": header})) == expected


def test_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    seconds = retry_after(response(429, {"Retry-After": when}))
    assert seconds is not None and 25 <= seconds <= 30


def test_absent_and_carried_on_the_error() -> None:
    assert retry_after(response(429, {})) is None
    error = from_response(response(429, {"Retry-After": "12"}))
    assert isinstance(error, RateLimited) and error.retryable and error.retry_after_s == 12
