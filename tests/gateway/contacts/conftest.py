"""Fixtures of the contacts tests: contacts added through the real upsert path, the rows
around them (users, messages, card photos), and the contacts API with real tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.service import create_token
from gateway.auth.tokens import Scope
from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import upsert_contact
from gateway.db import transaction
from gateway.models import DEFAULT_CHANNEL, CardImage, InboundMessage, User
from tests.gateway.contacts.support import Issue, make_app

AddContact = Callable[..., int]


@pytest.fixture
def add_contact(sessions: sessionmaker[Session]) -> AddContact:
    """Upsert one card in its own transaction; returns the contact id."""

    def add(
        *,
        channel: str = DEFAULT_CHANNEL,
        owner: int | None = None,
        confidence: dict[str, float] | None = None,
        **fields: Any,
    ) -> int:
        with transaction(sessions) as session:
            contact, _ = upsert_contact(
                session,
                ContactFields(**fields),
                owner_id=owner,
                source="card",
                confidence=confidence,
                channel_id=channel,
            )
            return contact.id

    return add


@pytest.fixture
def add_user(sessions: sessionmaker[Session]) -> Callable[..., int]:
    def add(wa_id: str, *, channel: str = DEFAULT_CHANNEL, **columns: Any) -> int:
        with transaction(sessions) as session:
            user = User(channel_id=channel, user_key=wa_id, wa_id=wa_id, **columns)
            session.add(user)
            session.flush()
            return user.id

    return add


@pytest.fixture
def add_photo(sessions: sessionmaker[Session]) -> Callable[..., int]:
    """A card photo of a contact, ``age`` old; returns its id."""

    def add(
        contact_id: int,
        data: bytes,
        *,
        mime_type: str = "image/jpeg",
        age: timedelta = timedelta(0),
    ) -> int:
        with transaction(sessions) as session:
            image = CardImage(
                message_id=f"wamid.photo.{contact_id}.{data.hex()}",
                contact_id=contact_id,
                media_id="m1",
                mime_type=mime_type,
                sha256="0" * 64,
                size=len(data),
                data=data,
                created_at=datetime.now(UTC) - age,
            )
            session.add(image)
            session.flush()
            return image.id

    return add


@pytest.fixture
def add_message(sessions: sessionmaker[Session]) -> Callable[..., int]:
    """An inbound card message that carried a contact; returns its row id."""

    def add(message_id: str, *, contact_id: int | None, user_id: int | None = None) -> int:
        with transaction(sessions) as session:
            row = InboundMessage(
                message_id=message_id,
                phone_number_id="106540352242922",
                user_id=user_id,
                type="image",
                payload={},
                contact_id=contact_id,
            )
            session.add(row)
            session.flush()
            return row.id

    return add


@pytest.fixture
async def client(sessions: sessionmaker[Session]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(sessions))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def issue(sessions: sessionmaker[Session]) -> Issue:
    """A stored token of ``scope`` for ``channels`` (None: every channel), as headers."""

    def make(scope: Scope, channels: list[str] | None) -> dict[str, str]:
        with transaction(sessions) as session:
            new, _ = create_token(
                session, name="t", scope=scope, channels=channels, expires_in=timedelta(hours=1)
            )
        return {"Authorization": f"Bearer {new.value}"}

    return make
