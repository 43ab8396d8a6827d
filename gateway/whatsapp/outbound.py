"""Outbound messages: idempotent replies and monotonic delivery statuses.

A reply is planned (a row with a unique idempotency key) in the same transaction that stores
the inbound message's work, then claimed and sent. A redelivered event finds the row and
never plans a second reply; a crash after the claim lets the row be reclaimed once stale.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.models import OutboundMessage

# read never goes back to delivered; failed is final unless the message was already read.
STATUS_RANK = {"pending": 0, "sending": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 3}


def _aware(stamp: datetime | None) -> datetime | None:
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


def plan_replies(
    session: Session, message_id: str, to: str, bodies: list[str], phone_number_id: str
) -> None:
    for i, body in enumerate(bodies):
        session.add(
            OutboundMessage(
                idempotency_key=f"reply:{message_id}:{i}",
                to_wa_id=to,
                kind="reply",
                body=body,
                reply_to=message_id,
                phone_number_id=phone_number_id,
                status="pending",
            )
        )


def claim_replies(
    session: Session, message_id: str, stale_after: timedelta
) -> list[OutboundMessage]:
    """Replies of this message not sent yet, claimed by this worker (compare-and-set)."""
    rows = session.scalars(
        select(OutboundMessage)
        .where(
            OutboundMessage.reply_to == message_id,
            OutboundMessage.kind == "reply",
            OutboundMessage.wamid.is_(None),
        )
        .order_by(OutboundMessage.id)
    ).all()
    now = datetime.now(UTC)
    claimed = []
    for row in rows:
        updated = _aware(row.updated_at)
        stale = row.status == "sending" and updated is not None and now - updated > stale_after
        if row.status != "pending" and not stale:
            continue
        result = session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == row.id,
                OutboundMessage.status == row.status,
                OutboundMessage.updated_at == row.updated_at,
            )
            .values(status="sending", updated_at=now)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(row)
    return claimed


def record_sent(session: Session, row_id: int, wamid: str) -> None:
    """Store the wamid; a status webhook that beat us here left an 'external' row to fold in."""
    early = session.scalar(
        select(OutboundMessage).where(OutboundMessage.wamid == wamid, OutboundMessage.id != row_id)
    )
    status, rank, stamp = "sent", 1, datetime.now(UTC)
    errors: list[dict[str, Any]] = []
    if early is not None:
        if early.status_rank > rank:
            status, rank, stamp = early.status, early.status_rank, early.status_at or stamp
        errors = list(early.errors or [])
        session.delete(early)
        session.flush()
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row_id)
        .values(wamid=wamid, status=status, status_rank=rank, status_at=stamp, errors=errors)
    )


def release(session: Session, row_id: int) -> None:
    """Give a claimed reply back after a failed send, so a retry can claim it."""
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row_id, OutboundMessage.status == "sending")
        .values(status="pending", updated_at=datetime.now(UTC))
    )


def apply_status(session: Session, status: dict[str, Any]) -> str:
    """Apply one status webhook; returns the effect: advanced, stale, created or ignored."""
    wamid, state = status["id"], status["status"]
    rank = STATUS_RANK.get(state)
    if rank is None or state in ("pending", "sending"):
        return "ignored"
    stamp = _timestamp(status.get("timestamp"))
    errors = status.get("errors") if isinstance(status.get("errors"), list) else []
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.wamid == wamid, OutboundMessage.status_rank < rank)
        .values(
            status=state,
            status_rank=rank,
            status_at=stamp,
            **({"errors": errors} if errors else {}),
        )
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return "advanced"
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.wamid == wamid)):
        return "stale"
    recipient = status.get("recipient_id")
    session.add(
        OutboundMessage(
            wamid=wamid,
            kind="external",
            status=state,
            status_rank=rank,
            status_at=stamp,
            to_wa_id=recipient,
            errors=errors,
        )
    )
    session.flush()
    return "created"


def _timestamp(raw: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        return datetime.now(UTC)
