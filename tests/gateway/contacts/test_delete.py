"""Deleting a contact takes its phones, e-mails and photos with it, and leaves nothing
pointing at it: the messages that carried it, a user fixing it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.contacts.service import contact_photos, delete_contact, newest_photo
from gateway.db import Base, transaction
from gateway.models import CardImage, Contact, ContactEmail, ContactPhone, InboundMessage, User

AddContact = Callable[..., int]


def _count(session: Session, model: type[Base], *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_photos_newest_first(
    sessions: sessionmaker[Session], add_contact: AddContact, add_photo: Callable[..., int]
) -> None:
    contact_id = add_contact(name="Olivia Hartley", phones=["+441134960000"])
    old = add_photo(contact_id, b"front", age=timedelta(minutes=5))
    new = add_photo(contact_id, b"back")
    other = add_contact(name="Boris", phones=["+441134960001"])
    add_photo(other, b"boris")
    with sessions() as session:
        assert [p.id for p in contact_photos(session, contact_id)] == [new, old]
        photo = newest_photo(session, contact_id)
        assert photo is not None and photo.data == b"back"
        assert contact_photos(session, 2**31) == [] and newest_photo(session, -1) is None


def test_delete_removes_photos_and_unlinks(
    sessions: sessionmaker[Session],
    add_contact: AddContact,
    add_photo: Callable[..., int],
    add_user: Callable[..., int],
    add_message: Callable[..., int],
) -> None:
    doomed = add_contact(
        name="Olivia Hartley", phones=["+441134960000"], emails=["olivia@example.com"]
    )
    kept = add_contact(name="Boris", phones=["+441134960001"], emails=["boris@example.com"])
    add_photo(doomed, b"front")
    add_photo(doomed, b"back")
    add_photo(kept, b"boris")
    fixer = add_user("447700900001", fixing_contact_id=doomed, fixing_field="phones")
    other_fixer = add_user("447700900002", fixing_contact_id=kept, fixing_field="name")
    card_message = add_message("wamid.card.1", contact_id=doomed, user_id=fixer)
    kept_message = add_message("wamid.card.2", contact_id=kept, user_id=other_fixer)

    with transaction(sessions) as session:
        contact = session.get(Contact, doomed)
        assert contact is not None
        assert delete_contact(session, contact) == 2

    with sessions() as session:
        assert session.get(Contact, doomed) is None
        assert _count(session, CardImage, CardImage.contact_id == doomed) == 0
        assert _count(session, ContactPhone, ContactPhone.contact_id == doomed) == 0
        assert _count(session, ContactEmail, ContactEmail.contact_id == doomed) == 0
        message = session.get(InboundMessage, card_message)
        assert message is not None and message.contact_id is None  # the message stays
        user = session.get(User, fixer)
        assert user is not None and (user.fixing_contact_id, user.fixing_field) == (None, None)
        # Nothing of the other contact was touched.
        assert session.get(Contact, kept) is not None
        assert _count(session, CardImage, CardImage.contact_id == kept) == 1
        other_message = session.get(InboundMessage, kept_message)
        assert other_message is not None and other_message.contact_id == kept
        other = session.get(User, other_fixer)
        assert other is not None and other.fixing_contact_id == kept


def test_delete_without_photos(sessions: sessionmaker[Session], add_contact: AddContact) -> None:
    contact_id = add_contact(name="Olivia Hartley")
    with transaction(sessions) as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        assert delete_contact(session, contact) == 0
    with sessions() as session:
        assert session.get(Contact, contact_id) is None
