"""Meta's webhook: the verification handshake and signed event delivery. Verify, publish,
return — no business logic here."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from gateway.deps import SettingsDep
from gateway.errors import Forbidden, PayloadTooLarge, Unauthorized
from gateway.metrics import WEBHOOK_REQUESTS
from gateway.whatsapp.events import parse_body, split_envelope
from gateway.whatsapp.service import publish_events
from gateway.whatsapp.signature import verify_signature

router = APIRouter(prefix="/api/whatsapp", tags=["whatsapp"])


@router.get("/webhook", response_class=PlainTextResponse)
async def verify_webhook(
    settings: SettingsDep,
    mode: Annotated[str | None, Query(alias="hub.mode")] = None,
    token: Annotated[str | None, Query(alias="hub.verify_token")] = None,
    challenge: Annotated[str | None, Query(alias="hub.challenge")] = None,
) -> PlainTextResponse:
    expected = settings.whatsapp_verify_token.get_secret_value()
    if (
        mode != "subscribe"
        or not token
        or not expected
        or challenge is None
        or not hmac.compare_digest(token.encode(), expected.encode())
    ):
        raise Forbidden("verification failed: wrong hub.mode or hub.verify_token")
    return PlainTextResponse(challenge)


async def signed_body(request: Request, settings: SettingsDep) -> bytes:
    """The raw bytes, size-limited, with their signature checked before anything parses them."""
    header = request.headers.get("x-hub-signature-256")
    if not header:
        raise Unauthorized("missing X-Hub-Signature-256 header")
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    raw = bytes(body)
    verify_signature(raw, header, settings.whatsapp_app_secret.get_secret_value())
    return raw


@router.post("/webhook")
async def receive_webhook(
    request: Request, settings: SettingsDep, raw: Annotated[bytes, Depends(signed_body)]
) -> JSONResponse:
    events = split_envelope(parse_body(raw))
    await publish_events(
        request.app.state.js,
        events,
        prefix=settings.subject_prefix,
        stream=settings.stream,
        timeout=settings.publish_timeout_s,
    )
    WEBHOOK_REQUESTS.labels(result="stored").inc()
    return JSONResponse({"status": "ok", "events": len(events)})
