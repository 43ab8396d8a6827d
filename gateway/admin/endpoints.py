"""Authenticated admin API: send a WhatsApp message as the business.

``Idempotency-Key`` (optional header): the same key with the same body answers the first
send's result (with ``Idempotent-Replayed: true``) and sends nothing; with another body, 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from gateway.admin.deps import AdminSenderDep
from gateway.admin.schemas import SendRequest, SendResponse
from gateway.admin.service import KeyReused, SendInProgress, TemplateNeeded
from gateway.deps import Sender, SendMessages
from gateway.errors import (
    ApiError,
    BadGateway,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
)
from gateway.models import DEFAULT_CHANNEL
from whatsapp_cloud.errors import GraphApiError, RateLimited

router = APIRouter(prefix="/api/whatsapp", tags=["admin"], dependencies=[SendMessages])

# Meta's answers that are about the message itself (a bad media id, a template that is
# not approved in that language, wrong parameters…): the caller's to fix, not ours.
MESSAGE_REFUSED = frozenset({100, 131008, 131009, 131053, 132000, 132001, 132005, 132012, 132018})
MAX_KEY_LEN = 255


class Unprocessable(ApiError):
    """A well-formed request that cannot be carried out as asked (the code validation
    errors answer with, so that clients handle both alike)."""

    status_code = 422
    code = "invalid_request"


@router.post("/send", response_model=SendResponse)
async def send_message(
    body: SendRequest,
    caller: Sender,
    sender: AdminSenderDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=MAX_KEY_LEN,
            description="sends with the same key and body go out once",
        ),
    ] = None,
) -> SendResponse:
    channel_id = body.channel or DEFAULT_CHANNEL
    # Scope first: a token learns nothing about channels it may not act on.
    if not caller.reaches(channel_id):
        raise Forbidden(f"this token may not act on channel {channel_id!r}")
    channel = sender.channels.find(channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id!r} does not exist")
    try:
        sent = await sender.send(body, channel, idempotency_key)
    except (TemplateNeeded, SendInProgress) as exc:
        raise Conflict(str(exc)) from None
    except KeyReused as exc:
        raise Unprocessable(str(exc)) from None
    except GraphApiError as exc:
        raise _graph_error(exc) from None
    if sent.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return SendResponse(message_id=sent.wamid, status="sent", channel=sent.channel, type=sent.type)


def _graph_error(exc: GraphApiError) -> ApiError:
    if isinstance(exc, RateLimited):
        return TooManyRequests(f"WhatsApp is rate-limiting this number: {exc.message}")
    if exc.code in MESSAGE_REFUSED and exc.subcode is None:
        details = f" ({exc.details})" if exc.details else ""
        return Unprocessable(f"WhatsApp refused the message: {exc.message}{details}")
    return BadGateway(f"the Graph API refused the message: {exc.message}")
