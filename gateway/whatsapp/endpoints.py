"""Meta's webhook: the verification handshake here, signed event delivery in
:mod:`gateway.whatsapp.ingress`. Verify, publish, return — no business logic here.

Two routes of each: ``/webhook`` for the single channel of the ``WHATSAPP_*`` settings, and
``/webhook/{channel_id}`` for the channels of the operator's registry, each checked with
that channel's own tokens and app secret.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import PlainTextResponse

from gateway.channels import ChannelRegistry
from gateway.deps import SettingsDep
from gateway.errors import Forbidden, NotFound
from whatsapp_cloud.registry import WEBHOOK_PREFIX, ChannelEntry

router = APIRouter(prefix="/api/whatsapp", tags=["whatsapp"])


# The POSTs are answered before routing and read the raw bytes themselves (the signature
# covers them), so FastAPI cannot describe them: the OpenAPI document says here what Meta
# sends and what it gets back.
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
_SIGNATURE_HEADER = {
    "name": "X-Hub-Signature-256",
    "in": "header",
    "required": True,
    "description": "sha256=<hex HMAC-SHA256 of the raw body with the app secret>",
    "schema": {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
}

ModeQuery = Annotated[str | None, Query(alias="hub.mode")]
TokenQuery = Annotated[str | None, Query(alias="hub.verify_token")]
ChallengeQuery = Annotated[str | None, Query(alias="hub.challenge")]


def get_channel(channel_id: str, request: Request) -> ChannelEntry:
    registry: ChannelRegistry | None = request.app.state.channels
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


_ERROR = {
    "description": "refused, nothing stored",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": _STRING, "message": _STRING},
                    }
                },
            }
        }
    },
}
_STORED = {
    "description": "every event of the POST stored in JetStream",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"status": _STRING, "events": {"type": "integer"}},
            }
        }
    },
}
_REFUSALS = {
    "400": "not a webhook envelope",
    "401": "no X-Hub-Signature-256",
    "403": "wrong signature, or ids that are not the channel's",
    "404": "no such channel",
    "413": "body over IBBASE_MAX_BODY_BYTES",
    "503": "JetStream did not confirm: retry later (Meta does)",
}


def _signed_post(summary: str, path_parameters: list[dict[str, Any]]) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _STORED}
    responses.update({code: {**_ERROR, "description": why} for code, why in _REFUSALS.items()})
    return {
        "tags": ["whatsapp"],
        "summary": summary,
        "operationId": summary.lower().replace(" ", "_"),
        "parameters": [*path_parameters, _SIGNATURE_HEADER],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ENVELOPE}}},
        "responses": responses,
    }


def document_signed_posts(app: FastAPI) -> None:
    """Add the two webhook POSTs to the app's OpenAPI document."""
    generate = app.openapi
    channel = {"name": "channel_id", "in": "path", "required": True, "schema": _STRING}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            paths = generate()["paths"]
            posts = {
                WEBHOOK_PREFIX: _signed_post("Receive webhook", []),
                f"{WEBHOOK_PREFIX}/{{channel_id}}": _signed_post(
                    "Receive channel webhook", [channel]
                ),
            }
            for path, operation in posts.items():
                paths.setdefault(path, {})["post"] = operation
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
