"""Meta's ``X-Hub-Signature-256``: HMAC-SHA256 of the raw request bytes with the app secret."""

from __future__ import annotations

import hashlib
import hmac

from whatsapp_cloud.errors import BadSignature, MissingSignature


def expected_signature(body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, app_secret: str) -> None:
    """Raise ``MissingSignature`` without the header, ``BadSignature`` when it is wrong."""
    if not header:
        raise MissingSignature("missing X-Hub-Signature-256 header")
    if not app_secret:
        raise BadSignature("webhook signatures cannot be checked: no app secret is configured")
    # compare_digest on equal-length ASCII bytes; a header of another shape simply mismatches.
    if not hmac.compare_digest(
        header.strip().lower().encode(), expected_signature(body, app_secret).encode()
    ):
        raise BadSignature("X-Hub-Signature-256 does not match the request body")
