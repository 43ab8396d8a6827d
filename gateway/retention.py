"""How long what people sent is kept: card photos and the raw inbound events.

Contacts are the CRM's and stay; the photos they were read from, and the webhook payloads
(names, numbers, captions as Meta sent them), are personal data the business may keep only
as long as it needs them. A worker purges what is older than the configured days once an
``retention_check_s``, in batches of ``BATCH`` rows, each its own short transaction, so no
purge holds a long lock on the tables the pipeline writes.

A purged event keeps its row (emptied): the row is how a redelivered webhook is known as
handled, and how /status counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Text, cast, delete, select, update
from sqlalchemy.orm import Session

from gateway.models import CardImage, InboundMessage

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class Retention:
    photos_days: int = 0  # 0: kept for as long as their contact
    events_days: int = 0  # 0: kept

    @property
    def enabled(self) -> bool:
        return self.photos_days > 0 or self.events_days > 0


def purge_photos(session: Session, before: datetime) -> int:
    """One batch of card photos older than ``before``; how many were deleted."""
    ids = session.scalars(
        select(CardImage.id)
        .where(CardImage.created_at < before)
        .order_by(CardImage.id)
        .limit(BATCH)
    ).all()
    if ids:
        session.execute(delete(CardImage).where(CardImage.id.in_(ids)))
    return len(ids)


def purge_events(session: Session, before: datetime) -> int:
    """One batch of inbound payloads older than ``before`` emptied; how many."""
    ids = session.scalars(
        select(InboundMessage.id)
        .where(InboundMessage.created_at < before, cast(InboundMessage.payload, Text) != "{}")
        .order_by(InboundMessage.id)
        .limit(BATCH)
    ).all()
    if ids:
        session.execute(update(InboundMessage).where(InboundMessage.id.in_(ids)).values(payload={}))
    return len(ids)


# WorkerContext.transaction: runs one function in one committed transaction.
Transaction = Callable[[Callable[[Session], int]], Awaitable[int]]


async def purge(
    transaction: Transaction,
    retention: Retention,
    now: datetime | None = None,
) -> dict[str, int]:
    """Everything past its time, batch by batch; counts by kind."""
    now = now or datetime.now(UTC)
    jobs = [
        ("photos", purge_photos, retention.photos_days),
        ("events", purge_events, retention.events_days),
    ]
    counts: dict[str, int] = {}
    for kind, job, days in jobs:
        if days <= 0:
            continue
        before = now - timedelta(days=days)
        total = 0
        while True:
            done = await transaction(partial(job, before=before))
            total += done
            if done < BATCH:
                break
            await asyncio.sleep(0)  # let the pipeline's own transactions in between
        counts[kind] = total
    if any(counts.values()):
        log.info("retention: purged %s", counts)
    return counts
