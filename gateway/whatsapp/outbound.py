"""Outbound messages: idempotent replies and monotonic delivery statuses.

A reply is planned (a row with a unique idempotency key) in the same transaction that stores
the inbound message's work, then claimed and sent. A redelivered event finds the row and
never plans a second reply; a crash after the claim lets the row be reclaimed once stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import OutboundMessage
from gateway.whatsapp.replies import Reply

# read never goes back to delivered; failed is final unless the message was already read.
STATUS_RANK = {"pending": 0, "sending": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 3}


def _aware(stamp: datetime | None) -> datetime | None:
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


def plan_replies(
    session: Session,
    message_id: str,
    to: str,
    planned: Sequence[Reply],
    phone_number_id: str,
    channel_id: str,
) -> None:
    for i, reply in enumerate(planned):
        session.add(
            OutboundMessage(
                channel_id=channel_id,
                idempotency_key=f"reply:{message_id}:{i}",
                to_wa_id=to,
                kind="reply",
                body=reply.text,
                payload=reply.message,
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


def seconds_until_claimable(
    session: Session, message_id: str, stale_after: timedelta
) -> float | None:
    """None when every reply of this message has been sent; else how long until the last
    unsent one can be claimed (0 if one is pending now): a claim held by a worker that
    died is taken over once it is ``stale_after`` old."""
    rows = session.execute(
        select(OutboundMessage.status, OutboundMessage.updated_at).where(
            OutboundMessage.reply_to == message_id,
            OutboundMessage.kind == "reply",
            OutboundMessage.wamid.is_(None),
        )
    ).all()
    if not rows:
        return None
    now = datetime.now(UTC)
    wait = 0.0
    for status, updated_at in rows:
        updated = _aware(updated_at)
        if status == "sending" and updated is not None:
            wait = max(wait, (updated + stale_after - now).total_seconds())
    return max(wait, 0.0)


def claim_notice(
    session: Session, message_id: str, to: str, body: str, phone_number_id: str, channel_id: str
) -> OutboundMessage | None:
    """The one notice about an inbound message (that it could not be handled), claimed for
    sending; None when it exists already (sent, or another worker is at it)."""
    key = f"notice:{message_id}"
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)):
        return None
    row = OutboundMessage(
        channel_id=channel_id,
        idempotency_key=key,
        to_wa_id=to,
        kind="notice",
        body=body,
        reply_to=message_id,
        phone_number_id=phone_number_id,
        status="sending",
    )
    session.add(row)
    session.flush()
    return row


def record_sent(session: Session, row_id: int, wamid: str) -> None:
    """Store the wamid; a status webhook that beat us here left an 'external' row to fold in.

    That row may be committed by another worker between our look and our update (its
    status arrived while we were recording the send): the update then meets the unique
    wamid, and we look again. Failing here instead would leave the reply unrecorded, and
    sent a second time once its claim went stale.
    """
    for attempt in (1, 2, 3):
        try:
            with session.begin_nested():
                _record_sent(session, row_id, wamid)
            return
        except IntegrityError:
            if attempt == 3:
                raise


def _record_sent(session: Session, row_id: int, wamid: str) -> None:
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


def apply_status(session: Session, status: dict[str, Any], channel_id: str) -> str:
    """Apply one status webhook of a channel to that channel's messages; returns the effect:
    advanced, stale, created, ignored, or foreign (the wamid is another channel's)."""
    wamid, state = status["id"], status["status"]
    rank = STATUS_RANK.get(state)
    if rank is None or state in ("pending", "sending"):
        return "ignored"
    stamp = _timestamp(status.get("timestamp"))
    errors = status.get("errors") if isinstance(status.get("errors"), list) else []
    result = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.wamid == wamid,
            OutboundMessage.channel_id == channel_id,
            OutboundMessage.status_rank < rank,
        )
        .values(
            status=state,
            status_rank=rank,
            status_at=stamp,
            **({"errors": errors} if errors else {}),
        )
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return "advanced"
    owner = session.scalar(select(OutboundMessage.channel_id).where(OutboundMessage.wamid == wamid))
    if owner is not None:
        return "stale" if owner == channel_id else "foreign"
    recipient = status.get("recipient_id")
    session.add(
        OutboundMessage(
            channel_id=channel_id,
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
