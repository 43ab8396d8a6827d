"""Meta's webhook: the verification handshake and signed event delivery. Verify, publish,
return — no business logic here.

Two routes of each: ``/webhook`` for the single channel of the ``WHATSAPP_*`` settings, and
``/webhook/{channel_id}`` for the channels of the operator's registry, each checked with
that channel's own tokens and app secret.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.requests import ClientDisconnect

from gateway.channels import ChannelEntry
from gateway.deps import SettingsDep
from gateway.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized
from gateway.metrics import WEBHOOK_REQUESTS
from gateway.settings import Settings
from gateway.whatsapp.events import InboundEvent, parse_body, require_owner, split_envelope
from gateway.whatsapp.service import publish_events
from gateway.whatsapp.signature import verify_signature

router = APIRouter(prefix="/api/whatsapp", tags=["whatsapp"])


# The POST routes read the raw bytes themselves (the signature covers them), so FastAPI
# cannot describe their body: the OpenAPI document says here what Meta sends.
def _array(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


_ID = {"type": "string", "minLength": 1, "maxLength": 256}
_STRING = {"type": "string"}
_OBJECT = {"type": "object"}
_MESSAGE = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": _ID, "from": _STRING, "type": _STRING, "timestamp": _STRING},
}
_STATUS = {
    "type": "object",
    "required": ["id", "status"],
    "properties": {"id": _ID, "status": _STRING, "recipient_id": _STRING},
}
_VALUE = {
    "type": "object",
    "properties": {
        "metadata": _OBJECT,
        "contacts": _array(_OBJECT),
        "messages": _array(_MESSAGE),
        "statuses": _array(_STATUS),
        "errors": _array(_OBJECT),
    },
}
_CHANGE = {
    "type": "object",
    "required": ["field", "value"],
    "properties": {"field": _STRING, "value": _VALUE},
}
_ENVELOPE = {
    "type": "object",
    "required": ["object", "entry"],
    "properties": {
        "object": {"type": "string", "enum": ["whatsapp_business_account"]},
        "entry": _array(
            {"type": "object", "properties": {"id": _STRING, "changes": _array(_CHANGE)}},
            minItems=1,
        ),
    },
}
_SIGNED_EVENTS_DOC = {
    "parameters": [
        {
            "name": "X-Hub-Signature-256",
            "in": "header",
            "required": True,
            "description": "sha256=<hex HMAC-SHA256 of the raw body with the app secret>",
            "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
        }
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": _ENVELOPE}}},
}

ModeQuery = Annotated[str | None, Query(alias="hub.mode")]
TokenQuery = Annotated[str | None, Query(alias="hub.verify_token")]
ChallengeQuery = Annotated[str | None, Query(alias="hub.challenge")]


def get_channel(channel_id: str, request: Request) -> ChannelEntry:
    registry = request.app.state.channels
    entry = registry.get(channel_id) if registry is not None else None
    if entry is None:
        raise NotFound(f"no WhatsApp channel {channel_id[:253]!r} is served here")
    return entry


ChannelDep = Annotated[ChannelEntry, Depends(get_channel)]


def _challenge(
    mode: str | None, token: str | None, challenge: str | None, expected: list[str]
) -> PlainTextResponse:
    """The raw challenge if ``token`` matches one of ``expected`` (all compared, in
    constant time each), else ``Forbidden``."""
    given = (token or "").encode()
    matches = [hmac.compare_digest(given, e.encode()) for e in expected if e]
    if mode != "subscribe" or not token or challenge is None or not any(matches):
        raise Forbidden("verification failed: wrong hub.mode or hub.verify_token")
    return PlainTextResponse(challenge)


@router.get("/webhook", response_class=PlainTextResponse)
async def verify_webhook(
    settings: SettingsDep,
    mode: ModeQuery = None,
    token: TokenQuery = None,
    challenge: ChallengeQuery = None,
) -> PlainTextResponse:
    return _challenge(mode, token, challenge, [settings.whatsapp_verify_token.get_secret_value()])


@router.get("/webhook/{channel_id}", response_class=PlainTextResponse)
async def verify_channel_webhook(
    channel: ChannelDep,
    mode: ModeQuery = None,
    token: TokenQuery = None,
    challenge: ChallengeQuery = None,
) -> PlainTextResponse:
    # During a rotation the previous token follows the current one: both verify.
    expected = [t.get_secret_value() for t in channel.verify_tokens]
    return _challenge(mode, token, challenge, expected)


async def read_signed_body(request: Request, settings: Settings, app_secret: str) -> bytes:
    """The raw bytes, size-limited, with their signature checked before anything parses them."""
    header = request.headers.get("x-hub-signature-256")
    if not header:
        raise Unauthorized("missing X-Hub-Signature-256 header")
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    # isdigit() alone is true for "²", which int() refuses.
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    except ClientDisconnect:
        raise BadRequest("the client went away before sending the whole body") from None
    raw = bytes(body)
    verify_signature(raw, header, app_secret)
    return raw


async def signed_body(request: Request, settings: SettingsDep) -> bytes:
    return await read_signed_body(
        request, settings, settings.whatsapp_app_secret.get_secret_value()
    )


async def channel_signed_body(
    request: Request, settings: SettingsDep, channel: ChannelDep
) -> bytes:
    """Signed with this channel's app secret, and only that one."""
    return await read_signed_body(request, settings, channel.app_secret.get_secret_value())


async def _store(request: Request, settings: Settings, events: list[InboundEvent]) -> JSONResponse:
    await publish_events(
        request.app.state.js,
        events,
        prefix=settings.subject_prefix,
        stream=settings.stream,
        timeout=settings.publish_timeout_s,
    )
    WEBHOOK_REQUESTS.labels(result="stored").inc()
    return JSONResponse({"status": "ok", "events": len(events)})


@router.post("/webhook", openapi_extra=_SIGNED_EVENTS_DOC)
async def receive_webhook(
    request: Request, settings: SettingsDep, raw: Annotated[bytes, Depends(signed_body)]
) -> JSONResponse:
    return await _store(request, settings, split_envelope(parse_body(raw)))


@router.post("/webhook/{channel_id}", openapi_extra=_SIGNED_EVENTS_DOC)
async def receive_channel_webhook(
    request: Request,
    settings: SettingsDep,
    channel: ChannelDep,
    raw: Annotated[bytes, Depends(channel_signed_body)],
) -> JSONResponse:
    body = parse_body(raw)
    events = split_envelope(body, channel_id=channel.id)
    require_owner(
        body,
        phone_number_id=channel.phone_number_id,
        business_account_id=channel.business_account_id,
    )
    return await _store(request, settings, events)
