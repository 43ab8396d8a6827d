"""Admin sends: free-form text only inside the 24-hour customer-service window."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import transaction
from gateway.models import DEFAULT_CHANNEL, OutboundMessage, User
from whatsapp_cloud.client import GraphClient
from whatsapp_cloud.errors import OutsideCustomerWindow

CUSTOMER_WINDOW = timedelta(hours=24)
TEMPLATE_NEEDED = (
    "{to} has not written to this number in the last 24 hours, so WhatsApp only accepts an "
    "approved message template now (Meta error 131047); free-form text cannot be sent"
)


class TemplateNeeded(Exception):
    """Outside the recipient's window: by our records, or by Meta's answer (131047)."""

    def __init__(self, to: str) -> None:
        super().__init__(TEMPLATE_NEEDED.format(to=to))


def last_inbound(session: Session, wa_id: str) -> datetime | None:
    """When ``wa_id`` last wrote to the `default` channel, the one admin sends go out from."""
    stmt = select(User.last_inbound_at).where(
        User.wa_id == wa_id, User.channel_id == DEFAULT_CHANNEL
    )
    stamps = session.scalars(stmt).all()
    known = [s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps if s is not None]
    return max(known, default=None)


def inside_window(session: Session, wa_id: str, now: datetime | None = None) -> bool:
    last = last_inbound(session, wa_id)
    now = now or datetime.now(UTC)
    return last is not None and now - last < CUSTOMER_WINDOW


def record_admin_send(
    session: Session, *, wamid: str, to: str, body: str, phone_number_id: str
) -> OutboundMessage:
    row = OutboundMessage(
        channel_id=DEFAULT_CHANNEL,
        wamid=wamid,
        to_wa_id=to,
        kind="admin",
        body=body,
        phone_number_id=phone_number_id,
        status="sent",
        status_rank=1,
        status_at=datetime.now(UTC),
    )
    session.add(row)
    return row


class AdminSender:
    """Send a text as the business and record it. Raises ``TemplateNeeded``, or the Graph
    client's ``RateLimited`` / ``GraphApiError`` when Meta refuses the message."""

    def __init__(
        self, sessions: sessionmaker[Session], graph: GraphClient, phone_number_id: str
    ) -> None:
        self.sessions = sessions
        self.graph = graph
        self.phone_number_id = phone_number_id

    async def send_text(self, to: str, message: str) -> str:
        """The message's wamid once Meta accepted it and it is recorded."""
        if not await asyncio.to_thread(self._inside_window, to):
            raise TemplateNeeded(to)
        try:
            wamid = await self.graph.send_text(to, message)
        except OutsideCustomerWindow:
            raise TemplateNeeded(to) from None
        await asyncio.to_thread(self._record, wamid, to, message)
        return wamid

    # The database is synchronous: these run in the thread pool, off the event loop.

    def _inside_window(self, to: str) -> bool:
        with self.sessions() as session:
            return inside_window(session, to)

    def _record(self, wamid: str, to: str, message: str) -> None:
        with transaction(self.sessions) as session:
            record_admin_send(
                session, wamid=wamid, to=to, body=message, phone_number_id=self.phone_number_id
            )
