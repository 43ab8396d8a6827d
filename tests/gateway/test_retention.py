"""Retention: card photos and raw inbound events past their days are purged in batches,
on both databases; contacts and everything younger stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import retention
from gateway.db import transaction
from gateway.models import CardImage, Contact, InboundMessage
from gateway.retention import Retention, purge

T = TypeVar("T")
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def seed(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as s:
        contact = Contact(channel_id="default", source="card", name="Kept")
        s.add(contact)
        s.flush()
        for i, age in enumerate((1, 5, 40, 41, 90)):
            stamp = NOW - timedelta(days=age)
            s.add(
                InboundMessage(
                    message_id=f"wamid.{i}", channel_id="default", phone_number_id="1",
                    type="image", payload={"from": "79001234567", "caption": "private"},
                    created_at=stamp, contact_id=contact.id,
                )
            )  # fmt: skip
            s.add(
                CardImage(
                    message_id=f"wamid.{i}", channel_id="default", contact_id=contact.id,
                    media_id=str(i), mime_type="image/jpeg", sha256="x", size=3, data=b"jpg",
                    created_at=stamp,
                )
            )  # fmt: skip


async def test_old_photos_and_events_are_purged_in_batches(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(sessions)
    monkeypatch.setattr(retention, "BATCH", 2)  # three batches for the three old photos
    calls = 0

    async def in_transaction(work: Callable[[Session], T]) -> T:
        nonlocal calls
        calls += 1
        with transaction(sessions) as s:
            return work(s)

    counts = await purge(in_transaction, Retention(photos_days=30, events_days=60), now=NOW)
    assert counts == {"photos": 3, "events": 1}
    assert calls == 2 + 1  # photos: a full batch, then one of 1; events: one batch of 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CardImage)) == 2
        payloads = dict(s.execute(select(InboundMessage.message_id, InboundMessage.payload)).all())
        assert payloads["wamid.4"] == {} and payloads["wamid.3"]["caption"] == "private"
        assert s.scalar(select(func.count()).select_from(Contact)) == 1
    # Nothing configured, nothing touched.
    assert await purge(in_transaction, Retention(), now=NOW) == {}
