"""Fixtures of the review pages' tests: contacts with a card photo stored through the real
database layer, and API tokens created as `ibbase admin token create` does."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.service import create_token
from gateway.auth.tokens import Scope
from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import upsert_contact
from gateway.db import transaction
from gateway.models import DEFAULT_CHANNEL, CardImage

AddCard = Callable[..., int]
Issue = Callable[..., str]
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def card_jpeg(text: str = "ACME Corp") -> bytes:
    """A small business-card-shaped JPEG."""
    image = Image.new("RGB", (360, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 351, 191), outline="navy", width=3)
    draw.text((24, 40), text, fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


@pytest.fixture
def add_card(sessions: sessionmaker[Session]) -> AddCard:
    """Upsert one card (and store its photo) in its own transaction; the contact's id."""
    counter = iter(range(1, 1_000_000))

    def add(
        *,
        channel: str = DEFAULT_CHANNEL,
        confidence: dict[str, float] | None = None,
        photo: bytes | None = None,
        **fields: Any,
    ) -> int:
        with transaction(sessions) as session:
            contact, _ = upsert_contact(
                session,
                ContactFields(**fields),
                owner_id=None,
                source="card",
                confidence=confidence,
                channel_id=channel,
            )
            if photo is not None:
                n = next(counter)
                session.add(
                    CardImage(
                        message_id=f"wamid.ui.{contact.id}.{n}",
                        channel_id=channel,
                        contact_id=contact.id,
                        media_id=f"media-{n}",
                        mime_type="image/jpeg",
                        sha256=hashlib.sha256(photo).hexdigest(),
                        size=len(photo),
                        data=photo,
                    )
                )
            return contact.id

    return add


@pytest.fixture
def issue(sessions: sessionmaker[Session]) -> Issue:
    """A new API token's value."""

    def issue(scope: Scope, channels: list[str] | None = None) -> str:
        with transaction(sessions) as session:
            token, _ = create_token(
                session,
                name=f"ui-{scope.value}",
                scope=scope,
                channels=channels,
                expires_in=timedelta(hours=1),
            )
        return token.value

    return issue


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    match = _CSRF.search(page.text)
    assert match, "no CSRF token on the page"
    return match.group(1)
