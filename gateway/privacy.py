"""Deleting a person's data: a sender's own request (``/forget``), and an admin's erasure
of a person wherever the CRM holds them (as a contact read from cards, and as a sender).

Message rows stay, emptied: a row is how a redelivered webhook is known as handled (so
nothing is stored again), and outbound rows carry delivery statuses; their content goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from gateway.contacts.service import delete_contact
from gateway.models import (
    CardImage,
    Contact,
    ContactEmail,
    ContactPhone,
    InboundMessage,
    OutboundMessage,
    User,
)


@dataclass(frozen=True)
class Erased:
    contacts: int = 0
    photos: int = 0
    messages: int = 0
    senders: int = 0

    def __add__(self, other: Erased) -> Erased:
        return Erased(
            contacts=self.contacts + other.contacts,
            photos=self.photos + other.photos,
            messages=self.messages + other.messages,
            senders=self.senders + other.senders,
        )


def forget_sender(session: Session, user: User) -> Erased:
    """Everything this sender sent their channel: the contacts they added, the photos,
    the content of their messages and of the replies to them, their profile name."""
    mine = (Contact.channel_id == user.channel_id, Contact.owner_id == user.id)
    owned = session.scalars(select(Contact).where(*mine)).all()
    photos = sum(delete_contact(session, contact) for contact in owned)
    sent = select(InboundMessage.message_id).where(InboundMessage.user_id == user.id)
    photos += _rows(session.execute(delete(CardImage).where(CardImage.message_id.in_(sent))))
    messages = _rows(
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.user_id == user.id)
            .values(payload={}, contact_id=None)
        )
    )
    if user.wa_id:
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.channel_id == user.channel_id,
                OutboundMessage.to_wa_id == user.wa_id,
            )
            .values(body=None, payload=None)
        )
    user.profile_name = None
    user.fixing_contact_id = user.fixing_field = None
    session.flush()
    return Erased(contacts=len(owned), photos=photos, messages=messages, senders=1)


def erase_person(
    session: Session,
    channels: Sequence[str],
    *,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
) -> Erased:
    """A person, by phone (E.164) and/or e-mail, in these channels: every contact that
    carries one of them (with its photos and the messages that brought it), and, where
    the phone is a sender's WhatsApp number, everything that sender sent."""
    matches = []
    if phones:
        matches.append(Contact.phones.any(ContactPhone.phone.in_(phones)))
    if emails:
        matches.append(Contact.emails.any(ContactEmail.email.in_([e.lower() for e in emails])))
    if not matches:
        return Erased()
    found = session.scalars(
        select(Contact).where(Contact.channel_id.in_(channels), or_(*matches))
    ).all()
    carried = select(InboundMessage.id).where(InboundMessage.contact_id.in_([c.id for c in found]))
    messages = _rows(
        session.execute(
            update(InboundMessage).where(InboundMessage.id.in_(carried)).values(payload={})
        )
    )
    photos = sum(delete_contact(session, contact) for contact in found)
    total = Erased(contacts=len(found), photos=photos, messages=messages)
    wa_ids = [p.removeprefix("+") for p in phones]
    senders = session.scalars(
        select(User).where(User.channel_id.in_(channels), User.wa_id.in_(wa_ids))
    ).all()
    for user in senders:
        total += forget_sender(session, user)
    return total


def _rows(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
