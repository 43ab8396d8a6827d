"""Authenticated admin API: send a WhatsApp text as the business."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.admin.deps import AdminSenderDep
from gateway.admin.schemas import SendRequest, SendResponse
from gateway.admin.service import TemplateNeeded
from gateway.deps import Sender, SendMessages
from gateway.errors import BadGateway, Conflict, Forbidden, TooManyRequests
from gateway.models import DEFAULT_CHANNEL
from whatsapp_cloud.errors import GraphApiError, RateLimited

router = APIRouter(prefix="/api/whatsapp", tags=["admin"], dependencies=[SendMessages])


@router.post("/send", response_model=SendResponse)
async def send_message(body: SendRequest, caller: Sender, sender: AdminSenderDep) -> SendResponse:
    # Sends go out from the WHATSAPP_* channel, `default`.
    if not caller.reaches(DEFAULT_CHANNEL):
        raise Forbidden(f"this token may not act on channel {DEFAULT_CHANNEL!r}")
    try:
        wamid = await sender.send_text(body.to, body.message)
    except TemplateNeeded as exc:
        raise Conflict(str(exc)) from None
    except RateLimited as exc:
        raise TooManyRequests(f"WhatsApp is rate-limiting this number: {exc.message}") from None
    except GraphApiError as exc:
        raise BadGateway(f"the Graph API refused the message: {exc.message}") from None
    return SendResponse(message_id=wamid, status="sent")
