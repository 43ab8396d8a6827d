"""Admin sends: free-form text only inside the 24-hour customer-service window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import OutboundMessage, User

CUSTOMER_WINDOW = timedelta(hours=24)
TEMPLATE_NEEDED = (
    "{to} has not written to this number in the last 24 hours, so WhatsApp only accepts an "
    "approved message template now (Meta error 131047); free-form text cannot be sent"
)


def last_inbound(session: Session, wa_id: str) -> datetime | None:
    stamps = session.scalars(select(User.last_inbound_at).where(User.wa_id == wa_id)).all()
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
