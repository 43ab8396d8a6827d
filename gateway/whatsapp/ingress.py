"""Meta's signed event deliveries, served straight off ASGI in front of FastAPI's router.

``POST /api/whatsapp/webhook`` (the single channel of the ``WHATSAPP_*`` settings) and
``POST /api/whatsapp/webhook/{channel_id}`` (a channel of the operator's registry) are the
gateway's hot path: up to thousands of requests a second from Meta. Each one is read as raw
bytes, size-limited, its ``X-Hub-Signature-256`` checked before anything parses it, split
into events and published to JetStream; the answer is 200 only once every PubAck arrived.

Routing, dependency solving and Request/Response objects cost more CPU than all of that
work together (see bench/webhook.py and the README), so these two routes skip them: this
middleware answers them itself and hands every other request to the application. Errors
are the API's own ``{"error": {"code", "message"}}``; anything unexpected propagates to
Starlette's error middleware (a 500), as it would from a route.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import (
    ApiError,
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from gateway.metrics import WEBHOOK_REQUESTS
from gateway.settings import Settings
from gateway.whatsapp.service import publish_events
from whatsapp_cloud.errors import WebhookRejected
from whatsapp_cloud.registry import WEBHOOK_PREFIX, ChannelEntry
from whatsapp_cloud.signature import verify_signature
from whatsapp_cloud.webhook import owned_events, parse_body

_JSON = (b"content-type", b"application/json")
_STORED = WEBHOOK_REQUESTS.labels(result="stored")


class WebhookIngress:
    """ASGI middleware serving the webhook POSTs; the app's ``state`` holds what the
    lifespan opened (``settings``, ``publisher``, ``channels``)."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        path: str = scope["path"]
        if path == WEBHOOK_PREFIX:
            channel_id = None
        elif path.startswith(WEBHOOK_PREFIX + "/") and "/" not in path[len(WEBHOOK_PREFIX) + 1 :]:
            channel_id = path[len(WEBHOOK_PREFIX) + 1 :]
        else:
            return await self.app(scope, receive, send)
        try:
            try:
                count = await self._store(scope, receive, channel_id)
            except WebhookRejected as rejected:
                raise _as_api_error(rejected) from None
        except ApiError as exc:
            WEBHOOK_REQUESTS.labels(result=exc.code).inc()
            await _answer(send, exc.status_code, _error_body(exc), exc.headers)
            return
        _STORED.inc()
        await _answer(send, 200, b'{"status":"ok","events":%d}' % count)

    async def _store(self, scope: Scope, receive: Receive, channel_id: str | None) -> int:
        settings: Settings = self.state.settings
        channel: ChannelEntry | None = None
        if channel_id is None:
            app_secret = settings.whatsapp_app_secret.get_secret_value()
        else:
            registry = self.state.channels
            channel = registry.get(channel_id) if registry is not None else None
            if channel is None:
                raise NotFound(f"no WhatsApp channel {channel_id[:253]!r} is served here")
            app_secret = channel.app_secret.get_secret_value()
        signature, declared = _headers(scope)
        if signature is None:
            raise Unauthorized("missing X-Hub-Signature-256 header")
        raw = await _read_body(receive, declared, settings.max_body_bytes)
        verify_signature(raw, signature, app_secret)
        body = parse_body(raw)
        if channel is None:
            # One app secret may sign for many numbers: this route serves only its own.
            events = owned_events(
                body,
                phone_number_id=settings.whatsapp_phone_id,
                business_account_id=settings.whatsapp_business_account_id,
            )
        else:
            events = owned_events(
                body,
                phone_number_id=channel.phone_number_id,
                business_account_id=channel.business_account_id,
                channel_id=channel.id,
            )
        await publish_events(
            self.state.publisher,
            events,
            prefix=settings.subject_prefix,
            timeout=settings.publish_timeout_s,
        )
        return len(events)


def _headers(scope: Scope) -> tuple[str | None, bytes]:
    """The signature header (latin-1, as Starlette decodes headers) and Content-Length."""
    signature: str | None = None
    declared = b""
    for name, value in scope["headers"]:
        if name == b"x-hub-signature-256":
            signature = value.decode("latin-1")
        elif name == b"content-length":
            declared = value
    return signature, declared


async def _read_body(receive: Receive, declared: bytes, limit: int) -> bytes:
    # isdigit() alone is true for "²", which int() refuses.
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    message = await receive()
    if message["type"] == "http.request" and not message.get("more_body", False):
        body: bytes = message.get("body", b"")  # the usual case: one message, no copy
    else:
        chunks = bytearray()
        while True:
            if message["type"] != "http.request":
                raise BadRequest("the client went away before sending the whole body")
            chunks += message.get("body", b"")
            if len(chunks) > limit:
                raise PayloadTooLarge(f"the body is larger than {limit} bytes")
            if not message.get("more_body", False):
                break
            message = await receive()
        body = bytes(chunks)
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    return body


_HTTP_ERRORS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    413: PayloadTooLarge,
}


def _as_api_error(rejected: WebhookRejected) -> ApiError:
    return _HTTP_ERRORS.get(rejected.http_status, BadRequest)(str(rejected))


def _error_body(exc: ApiError) -> bytes:
    return json.dumps(exc.document(), ensure_ascii=False, separators=(",", ":")).encode()


async def _answer(
    send: Send, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    raw_headers = [_JSON, (b"content-length", b"%d" % len(body))]
    for name, value in (headers or {}).items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    start: Message = {"type": "http.response.start", "status": status, "headers": raw_headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
