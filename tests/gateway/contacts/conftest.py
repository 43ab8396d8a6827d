"""Fixtures of the contacts tests: a way to add contacts through the real upsert path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import upsert_contact
from gateway.db import transaction

AddContact = Callable[..., int]


@pytest.fixture
def add_contact(sessions: sessionmaker[Session]) -> AddContact:
    """Upsert one card in its own transaction; returns the contact id."""

    def add(**fields: Any) -> int:
        with transaction(sessions) as session:
            contact, _ = upsert_contact(
                session, ContactFields(**fields), owner_id=None, source="card"
            )
            return contact.id

    return add
