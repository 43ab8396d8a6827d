"""Contacts: merge a new card into the address book, and find contacts again.

Every function takes a ``Session`` and never commits: the caller owns the transaction
(``gateway.db.transaction``). Writes are flushed so that the caller sees ids.

Case-insensitive text search is done in Python, not in SQL: SQLite's ``lower()``/``LIKE``
fold ASCII only, and PostgreSQL's ``lower()``/``ILIKE`` depend on the database's locale (a
``C`` locale folds ASCII only too), so neither gives «иванова» = «Иванова» everywhere. Name
and company searches therefore stream ``(id, name, company)`` in newest-first order and
compare ``casefold()``-ed text; e-mail and phone criteria stay in SQL (e-mails are stored
lower-case, phones as E.164 digits) and narrow that scan first. One pass over two short
columns is cheap at address-book sizes (tens of thousands of rows); past that, a folded
search column (a schema change) would be the next step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from business_card.contact import SCALAR_FIELDS
from gateway.contacts.schemas import ContactFields, unique
from gateway.db import utcnow
from gateway.models import DEFAULT_CHANNEL, CardImage, Contact, ContactEmail, ContactPhone

_PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")
_SPACES = re.compile(r"\s+")


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
    strengths = {
        key: strength(source, (field_sources or {}).get(key), (confidence or {}).get(key))
        for key in SCALAR_FIELDS
        if values[key]
    }
    owner = None if across_owners else owner_id
    contact = _find_match(session, values["emails"], values["phones"], channel_id, owner)
    if contact is None:
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
        session.add(contact)
        session.flush()
        return contact, True
    _merge(contact, values, strengths, owner_id=owner_id, confidence=confidence)
    session.flush()
    return contact, False


def _find_match(
    session: Session, emails: list[str], phones: list[str], channel_id: str, owner_id: int | None
) -> Contact | None:
    conditions: list[ColumnElement[bool]] = []
    if emails:
        conditions.append(Contact.emails.any(ContactEmail.email.in_(emails)))
    if phones:
        conditions.append(Contact.phones.any(ContactPhone.phone.in_(phones)))
    if not conditions:
        return None
    stmt = select(Contact).where(Contact.channel_id == channel_id, or_(*conditions))
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
    are unioned in order (a number more is never a number overwritten)."""
    stored = dict(contact.strengths or {})
    kept_confidence = dict(contact.confidence or {})
    for key in SCALAR_FIELDS:
        if values[key] and strengths[key] >= stored.get(key, 0.0):
            setattr(contact, key, values[key])
            stored[key] = strengths[key]
            if confidence and key in confidence:
                kept_confidence[key] = confidence[key]
    known_phones = {p.phone for p in contact.phones}
    contact.phones.extend(ContactPhone(phone=p) for p in values["phones"] if p not in known_phones)
    known_emails = {e.email for e in contact.emails}
    contact.emails.extend(ContactEmail(email=e) for e in values["emails"] if e not in known_emails)
    # JSON columns are only saved when reassigned, never when mutated in place.
    contact.websites = unique([*(contact.websites or []), *values["websites"]])
    contact.strengths = stored
    contact.confidence = kept_confidence
    if contact.owner_id is None and owner_id is not None:
        contact.owner_id = owner_id
    contact.updated_at = utcnow()  # list-only changes would not touch the row otherwise


# Ids are 32-bit integers: PostgreSQL refuses to compare the column with a larger number.
MAX_ID = 2**31 - 1
# PostgreSQL bigint: an OFFSET beyond it is an error, and no table is that long anyway.
MAX_OFFSET = 2**63 - 1


# The channels a caller may see: a set of channel ids, or None for every channel.
Channels = frozenset[str] | None


def _in_channels(channels: Channels) -> ColumnElement[bool]:
    return Contact.channel_id.in_(channels) if channels is not None else true()


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


def fold(text: str) -> str:
    """Case- and form-insensitive text for comparison: «ЁЛКИН  Пётр» -> «елкин петр»."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def _phone_matches(query: str) -> ColumnElement[bool]:
    digits = re.sub(r"\D", "", query)
    if not digits:
        return false()
    # E.164 is '+' and digits, so a digit substring finds any way the number was typed.
    return Contact.phones.any(ContactPhone.phone.contains(digits, autoescape=True))


def _email_matches(query: str) -> ColumnElement[bool]:
    if "\x00" in query:
        return false()  # PostgreSQL text cannot hold NUL, so no stored e-mail does either
    return Contact.emails.any(ContactEmail.email.contains(query.lower(), autoescape=True))


def _clean(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def search_contacts(
    session: Session,
    *,
    q: str | None = None,
    name: str | None = None,
    company: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    limit: int = 50,
    offset: int = 0,
    channels: Channels = None,
) -> tuple[list[Contact], int]:
    """Contacts matching every given criterion, newest first, and how many match in all.

    ``q`` matches a substring of the name, the company or an e-mail, or (when it looks like
    a phone number) the digits of a phone. Text comparison is case-insensitive everywhere.
    """
    q, name, company, phone, email = map(_clean, (q, name, company, phone, email))
    offset = min(offset, MAX_OFFSET)
    stmt = (
        select(Contact.id, Contact.name, Contact.company)
        .where(_in_channels(channels))
        .order_by(Contact.created_at.desc(), Contact.id.desc())
    )
    if phone is not None:
        stmt = stmt.where(_phone_matches(phone))
    if email is not None:
        stmt = stmt.where(_email_matches(email))

    if q is None and name is None and company is None:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        ids = list(session.scalars(stmt.with_only_columns(Contact.id).limit(limit).offset(offset)))
    else:
        matched = _scan_text(session, stmt, q=q, name=name, company=company)
        total, ids = len(matched), matched[offset : offset + limit]
    return _load_in_order(session, ids), total


def _scan_text(
    session: Session,
    stmt: Select[int, str | None, str | None],
    *,
    q: str | None,
    name: str | None,
    company: str | None,
) -> list[int]:
    """Ids, in ``stmt``'s order, whose name/company contain the folded search text."""
    q_ids: set[int] = set()
    if q is not None:
        in_sql = _email_matches(q)
        if _PHONE_LIKE.fullmatch(q):
            in_sql = or_(in_sql, _phone_matches(q))
        q_ids = set(session.scalars(stmt.with_only_columns(Contact.id).where(in_sql)))
    f_q, f_name, f_company = (fold(v) if v is not None else None for v in (q, name, company))
    matched: list[int] = []
    for row_id, row_name, row_company in session.execute(stmt.execution_options(yield_per=1000)):
        n, c = fold(row_name or ""), fold(row_company or "")
        if f_name is not None and f_name not in n:
            continue
        if f_company is not None and f_company not in c:
            continue
        if f_q is not None and f_q not in n and f_q not in c and row_id not in q_ids:
            continue
        matched.append(row_id)
    return matched


def _load_in_order(session: Session, ids: list[int]) -> list[Contact]:
    if not ids:
        return []
    by_id = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]
