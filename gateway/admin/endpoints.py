"""Authenticated admin API: send a WhatsApp text as the business."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from gateway.admin.schemas import SendRequest, SendResponse
from gateway.admin.service import TEMPLATE_NEEDED, inside_window, record_admin_send
from gateway.db import transaction
from gateway.deps import SendMessages, SettingsDep
from gateway.errors import BadGateway, Conflict, TooManyRequests
from gateway.whatsapp.errors import GraphApiError, OutsideCustomerWindow, RateLimited

router = APIRouter(prefix="/api/whatsapp", tags=["admin"], dependencies=[SendMessages])


@router.post("/send", response_model=SendResponse)
async def send_message(body: SendRequest, request: Request, settings: SettingsDep) -> SendResponse:
    sessions = request.app.state.sessions

    def _window() -> bool:
        with sessions() as session:
            return inside_window(session, body.to)

    if not await asyncio.to_thread(_window):
        raise Conflict(TEMPLATE_NEEDED.format(to=body.to))
    try:
        wamid = await request.app.state.graph.send_text(body.to, body.message)
    except OutsideCustomerWindow:
        raise Conflict(TEMPLATE_NEEDED.format(to=body.to)) from None
    except RateLimited as exc:
        raise TooManyRequests(f"WhatsApp is rate-limiting this number: {exc.message}") from None
    except GraphApiError as exc:
        raise BadGateway(f"the Graph API refused the message: {exc.message}") from None

    def _record() -> None:
        with transaction(sessions) as session:
            record_admin_send(
                session,
                wamid=wamid,
                to=body.to,
                body=body.message,
                phone_number_id=settings.whatsapp_phone_id,
            )

    await asyncio.to_thread(_record)
    return SendResponse(message_id=wamid, status="sent")
