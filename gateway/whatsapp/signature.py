"""Meta's ``X-Hub-Signature-256``: HMAC-SHA256 of the raw request bytes with the app secret."""

from __future__ import annotations

import hashlib
import hmac

from gateway.errors import Forbidden, Unauthorized


def expected_signature(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, app_secret: str) -> None:
    """Raise ``Unauthorized`` when the header is missing, ``Forbidden`` when it is wrong."""
    if not header:
        raise Unauthorized("missing X-Hub-Signature-256 header")
    if not app_secret:
        raise Forbidden("webhook signatures cannot be checked: no app secret is configured")
    # compare_digest on equal-length ASCII bytes; a header of another shape simply mismatches.
    if not hmac.compare_digest(
        header.strip().lower().encode(), expected_signature(body, app_secret).encode()
    ):
        raise Forbidden("X-Hub-Signature-256 does not match the request body")
