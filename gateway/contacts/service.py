"""Contacts: merge a card reading into the address book, and a person's edits, confirmation
and deletion of a contact. Finding contacts is ``gateway.contacts.search``.

Every function takes a ``Session`` and never commits: the caller owns the transaction
(``gateway.db.transaction``). Writes are flushed so that the caller sees ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import CursorResult, Select, delete, func, select, union_all, update
from sqlalchemy.orm import Session

from business_card.contact import CONTACT_FIELDS, SCALAR_FIELDS
from gateway.contacts.edit import clean_edit
from gateway.contacts.folding import refresh_search
from gateway.contacts.schemas import ContactFields, unique
from gateway.contacts.search import MAX_ID, Channels
from gateway.contacts.search import search_contacts as search_contacts
from gateway.db import utcnow
from gateway.metrics import FIELDS_CORRECTED
from gateway.models import (
    DEFAULT_CHANNEL,
    CardImage,
    Contact,
    ContactEmail,
    ContactPhone,
    InboundMessage,
    User,
)


def _column_length(table: Any, column: str) -> int | None:
    length = getattr(table.c[column].type, "length", None)
    return length if isinstance(length, int) else None


def _fitted(fields: ContactFields) -> dict[str, Any]:
    """Field values that fit their columns: PostgreSQL rejects an over-long string where
    SQLite would keep it, so a garbled reading is clipped rather than failing the card."""
    values: dict[str, Any] = {}
    for key in SCALAR_FIELDS:
        value, length = getattr(fields, key), _column_length(Contact.__table__, key)
        values[key] = value[:length] if value and length else value
    phone_max = _column_length(ContactPhone.__table__, "phone") or 32
    email_max = _column_length(ContactEmail.__table__, "email") or 320
    values["phones"] = [p for p in fields.phones if len(p) <= phone_max]
    values["emails"] = [e for e in fields.emails if len(e) <= email_max]
    values["websites"] = list(fields.websites)
    return values


# How much a stored field is believed, by where it came from: a human's edit, the card's
# QR code (what its owner typed), OCR (more at high confidence), a contact shared in chat
# (whatever the sender's address book says). A reading never overwrites a stronger one.
EDIT, QR, OCR, SHARED = 4.0, 3.0, 1.0, 0.5


def strength(source: str, field_source: str | None, confidence: float | None) -> float:
    """``source``: the contact's ("card", "shared_contact", "edit"); ``field_source``: the
    reader's for this field ("qr", "ocr", "qr+ocr"); ``confidence``: the reader's, 0-1."""
    if source == "edit":
        return EDIT
    if source != "card":
        return SHARED
    if field_source and "qr" in field_source:
        return QR
    return OCR + max(0.0, min(1.0, confidence or 0.0))


def _strengths(
    values: dict[str, Any],
    source: str,
    confidence: dict[str, float] | None,
    field_sources: dict[str, str] | None,
) -> dict[str, float]:
    return {
        key: strength(source, (field_sources or {}).get(key), (confidence or {}).get(key))
        for key in SCALAR_FIELDS
        if values[key]
    }


def upsert_contact(
    session: Session,
    fields: ContactFields,
    *,
    owner_id: int | None,
    source: str,
    confidence: dict[str, float] | None = None,
    field_sources: dict[str, str] | None = None,
    channel_id: str = DEFAULT_CHANNEL,
    across_owners: bool = False,
) -> tuple[Contact, bool]:
    """Create a contact, or merge into one of this channel that shares an e-mail or a phone:
    the owner's own contacts only, unless the channel merges ``across_owners``.

    When the card matches several contacts it is merged into the oldest; the others are
    left as they are (merging contacts together is a separate, deliberate operation).
    """
    values = _fitted(fields)
    strengths = _strengths(values, source, confidence, field_sources)
    owner = None if across_owners else owner_id
    contact = find_match(session, values["emails"], values["phones"], channel_id, owner)
    if contact is not None:
        _merge(contact, values, strengths, owner_id=owner_id, confidence=confidence)
        session.flush()
        return contact, False
    contact = Contact(
        channel_id=channel_id,
        owner_id=owner_id,
        source=source,
        confidence=dict(confidence or {}),
        strengths=strengths,
        websites=values["websites"],
        phones=[ContactPhone(phone=p) for p in values["phones"]],
        emails=[ContactEmail(email=e) for e in values["emails"]],
        **{k: values[k] for k in SCALAR_FIELDS},
    )
    refresh_search(contact)
    session.add(contact)
    session.flush()
    return contact, True


def merge_into(
    session: Session,
    contact: Contact,
    fields: ContactFields,
    *,
    source: str,
    confidence: dict[str, float] | None = None,
    field_sources: dict[str, str] | None = None,
) -> Contact:
    """Merge a reading into this contact (the other side of the same card), by the same
    rules as ``upsert_contact``'s merge."""
    values = _fitted(fields)
    strengths = _strengths(values, source, confidence, field_sources)
    _merge(contact, values, strengths, owner_id=None, confidence=confidence)
    session.flush()
    return contact


def find_match(
    session: Session, emails: list[str], phones: list[str], channel_id: str, owner_id: int | None
) -> Contact | None:
    """The oldest contact of the channel (of the owner, when given) that carries one of
    these e-mails or phones: the one a new reading of them is merged into."""
    # Ids from the e-mail and phone indexes first, then those contacts: an OR of two
    # EXISTS would make the database test every contact of the channel.
    carriers: list[Select[int]] = []
    if emails:
        carriers.append(select(ContactEmail.contact_id).where(ContactEmail.email.in_(emails)))
    if phones:
        carriers.append(select(ContactPhone.contact_id).where(ContactPhone.phone.in_(phones)))
    if not carriers:
        return None
    ids = union_all(*carriers) if len(carriers) > 1 else carriers[0]
    stmt = select(Contact).where(Contact.id.in_(ids), Contact.channel_id == channel_id)
    if owner_id is not None:
        stmt = stmt.where(Contact.owner_id == owner_id)
    stmt = stmt.order_by(Contact.created_at, Contact.id)
    return session.scalars(stmt.limit(1)).first()


def _merge(
    contact: Contact,
    values: dict[str, Any],
    strengths: dict[str, float],
    *,
    owner_id: int | None,
    confidence: dict[str, float] | None,
) -> None:
    """A new value replaces a stored one at least as strong; empty ones never erase; lists
    are unioned in order (a number more is never a number overwritten), except a list a
    person edited: it is what they said it is, and a reading adds nothing back to it."""
    stored = dict(contact.strengths or {})
    kept_confidence = dict(contact.confidence or {})
    for key in SCALAR_FIELDS:
        if values[key] and strengths[key] >= stored.get(key, 0.0):
            setattr(contact, key, values[key])
            stored[key] = strengths[key]
            if confidence and key in confidence:
                kept_confidence[key] = confidence[key]
    if stored.get("phones", 0.0) < EDIT:
        known_phones = {p.phone for p in contact.phones}
        contact.phones.extend(
            ContactPhone(phone=p) for p in values["phones"] if p not in known_phones
        )
    if stored.get("emails", 0.0) < EDIT:
        known_emails = {e.email for e in contact.emails}
        contact.emails.extend(
            ContactEmail(email=e) for e in values["emails"] if e not in known_emails
        )
    if stored.get("websites", 0.0) < EDIT:
        # JSON columns are only saved when reassigned, never when mutated in place.
        contact.websites = unique([*(contact.websites or []), *values["websites"]])
    contact.strengths = stored
    contact.confidence = kept_confidence
    if contact.owner_id is None and owner_id is not None:
        contact.owner_id = owner_id
    refresh_search(contact)
    contact.updated_at = utcnow()  # list-only changes would not touch the row otherwise


def get_contact(session: Session, contact_id: int, channels: Channels) -> Contact | None:
    """The contact, if it exists in one of ``channels``: another channel's is not found."""
    if not 0 < contact_id <= MAX_ID:
        return None  # cannot exist
    contact = session.get(Contact, contact_id)
    if contact is None or (channels is not None and contact.channel_id not in channels):
        return None
    return contact


def count_contacts(
    session: Session, channel_id: str = DEFAULT_CHANNEL, owner_id: int | None = None
) -> int:
    """Contacts of a channel; of one owner when ``owner_id`` is given."""
    stmt = select(func.count()).select_from(Contact).where(Contact.channel_id == channel_id)
    if owner_id is not None:
        stmt = stmt.where(Contact.owner_id == owner_id)
    return session.scalar(stmt) or 0


def contact_ids_with_image(session: Session, contact_ids: Sequence[int]) -> set[int]:
    if not contact_ids:
        return set()
    stmt = select(CardImage.contact_id).where(CardImage.contact_id.in_(contact_ids)).distinct()
    return {cid for cid in session.scalars(stmt) if cid is not None}


# Below this reader confidence (0-1) a field is worth a person's look, until one edits it.
UNCERTAIN_BELOW = 0.6


def uncertain_fields(contact: Contact) -> list[str]:
    """Fields the reader was unsure of that no person has corrected since, in field order."""
    confidence, strengths = contact.confidence or {}, contact.strengths or {}
    return [
        key
        for key in CONTACT_FIELDS
        if key in confidence
        and confidence[key] < UNCERTAIN_BELOW
        and strengths.get(key, 0.0) < EDIT
    ]


# -- a person's changes ------------------------------------------------------------------


def _stored(contact: Contact, key: str) -> Any:
    if key == "phones":
        return [p.phone for p in contact.phones]
    if key == "emails":
        return [e.email for e in contact.emails]
    if key == "websites":
        return list(contact.websites or [])
    return getattr(contact, key)


def field_values(contact: Contact, keys: Iterable[str]) -> dict[str, Any]:
    """The contact's stored values of these fields: text or None, lists as lists."""
    return {key: _stored(contact, key) for key in keys}


def _store(session: Session, contact: Contact, key: str, value: Any) -> None:
    if key == "phones":
        # Old rows go first: a kept number re-inserted before its old row is deleted would
        # break the (contact, phone) unique constraint. Re-inserting keeps the new order.
        contact.phones.clear()
        session.flush()
        contact.phones.extend(ContactPhone(phone=p) for p in value)
    elif key == "emails":
        contact.emails.clear()
        session.flush()
        contact.emails.extend(ContactEmail(email=e) for e in value)
    else:
        setattr(contact, key, value)  # websites: reassigned, so the JSON column is saved


def edit_contact(
    session: Session, contact: Contact, changes: Mapping[str, Any], *, by: str
) -> list[str]:
    """A person's edit (``by``: "chat", "api" or "ui"): ``changes`` maps field names to new
    values (None or "" clears a field; a list replaces the stored one). Returns the fields
    whose value changed; each is then held at ``EDIT`` strength, which no reading
    overwrites. ``ValueError``, with a message for that person, if any value is refused:
    then nothing is changed."""
    cleaned = clean_edit(changes)
    changed = [key for key, value in cleaned.items() if value != _stored(contact, key)]
    if not changed:
        return []
    strengths = dict(contact.strengths or {})
    for key in changed:
        _store(session, contact, key, cleaned[key])
        strengths[key] = EDIT
    contact.strengths = strengths  # reassigned: JSON columns are not saved when mutated
    refresh_search(contact)
    contact.updated_at = utcnow()
    session.flush()
    for key in changed:
        if key != "note":  # a note is the person's own text, not a correction of the reader
            FIELDS_CORRECTED.labels(field=key, by=by).inc()
    return changed


def confirm_contact(session: Session, contact: Contact) -> None:
    """The sender says the contact was read right; the first confirmation's time is kept."""
    if contact.confirmed_at is None:
        contact.confirmed_at = utcnow()
        session.flush()


def _photos(contact_id: int) -> Select[CardImage]:
    return (
        select(CardImage)
        .where(CardImage.contact_id == contact_id)
        .order_by(CardImage.created_at.desc(), CardImage.id.desc())
    )


def contact_photos(session: Session, contact_id: int) -> list[CardImage]:
    """The contact's card photos, newest first."""
    if not 0 < contact_id <= MAX_ID:
        return []
    return list(session.scalars(_photos(contact_id)))


def newest_photo(session: Session, contact_id: int) -> CardImage | None:
    """The contact's newest card photo, without loading the others' bytes."""
    if not 0 < contact_id <= MAX_ID:
        return None
    return session.scalars(_photos(contact_id).limit(1)).first()


def delete_contact(session: Session, contact: Contact) -> int:
    """Delete the contact with its phones, e-mails and card photos; the messages that
    carried it stay, pointing nowhere, and nobody is left fixing it. Returns how many
    photos were deleted."""
    photos: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(CardImage).where(CardImage.contact_id == contact.id)
    )
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.contact_id == contact.id)
        .values(contact_id=None)
    )
    session.execute(
        update(User)
        .where(User.fixing_contact_id == contact.id)
        .values(fixing_contact_id=None, fixing_field=None)
    )
    session.delete(contact)
    session.flush()
    return photos.rowcount or 0
