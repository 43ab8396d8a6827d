"""Finding contacts again: by text, phone, e-mail, owner and channel, always within the
channels the caller may see.

Case-insensitive text search is done in Python, not in SQL: SQLite's ``lower()``/``LIKE``
fold ASCII only, and PostgreSQL's ``lower()``/``ILIKE`` depend on the database's locale (a
``C`` locale folds ASCII only too), so neither gives «иванова» = «Иванова» everywhere. Name
and company searches therefore stream ``(id, name, company)`` in newest-first order and
compare ``casefold()``-ed text; e-mail, phone, owner and channel criteria stay in SQL
(e-mails are stored lower-case, phones as E.164 digits) and narrow that scan first. One
pass over two short columns is cheap at address-book sizes (tens of thousands of rows);
past that, a folded search column (a schema change) would be the next step.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true
from sqlalchemy.orm import Session

from gateway.models import Contact, ContactEmail, ContactPhone

_PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")
_SPACES = re.compile(r"\s+")

# Ids are 32-bit integers: PostgreSQL refuses to compare the column with a larger number.
MAX_ID = 2**31 - 1
# PostgreSQL bigint: an OFFSET beyond it is an error, and no table is that long anyway.
MAX_OFFSET = 2**63 - 1

# The channels a caller may see: a set of channel ids, or None for every channel.
Channels = frozenset[str] | None


def in_channels(channels: Channels) -> ColumnElement[bool]:
    return Contact.channel_id.in_(channels) if channels is not None else true()


def _clean(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


@dataclass(frozen=True)
class Filters:
    """What a search asks for: every given criterion must match. ``channels`` is not a
    criterion but the caller's reach, which no other criterion widens."""

    q: str | None = None
    name: str | None = None
    company: str | None = None
    phone: str | None = None
    email: str | None = None
    owner_id: int | None = None
    channel_id: str | None = None
    channels: Channels = None

    def __post_init__(self) -> None:
        for key in ("q", "name", "company", "phone", "email", "channel_id"):
            object.__setattr__(self, key, _clean(getattr(self, key)))

    def scope(self) -> list[ColumnElement[bool]]:
        """The SQL conditions of the caller's reach, the owner and the channel."""
        conditions = [in_channels(self.channels)]
        if self.channel_id is not None:
            # A channel out of reach finds nothing: never another channel's contacts. NUL
            # cannot be in any stored id, and PostgreSQL would refuse it as a parameter.
            reachable = self.channels is None or self.channel_id in self.channels
            ok = reachable and "\x00" not in self.channel_id
            conditions.append(Contact.channel_id == self.channel_id if ok else false())
        if self.owner_id is not None:
            ok = 0 < self.owner_id <= MAX_ID
            conditions.append(Contact.owner_id == self.owner_id if ok else false())
        return conditions


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
    owner_id: int | None = None,
    channel_id: str | None = None,
) -> tuple[list[Contact], int]:
    """Contacts matching every given criterion, newest first, and how many match in all.

    ``q`` matches a substring of the name, the company or an e-mail, or (when it looks like
    a phone number) the digits of a phone. Text comparison is case-insensitive everywhere.
    """
    filters = Filters(
        q=q,
        name=name,
        company=company,
        phone=phone,
        email=email,
        owner_id=owner_id,
        channel_id=channel_id,
        channels=channels,
    )
    ids, total = matching_ids(session, filters, limit=limit, offset=offset)
    return load_in_order(session, ids), total


def matching_ids(
    session: Session, filters: Filters, *, limit: int | None = None, offset: int = 0
) -> tuple[list[int], int]:
    """Ids of the matching contacts, newest first (a page of them when ``limit`` is given),
    and how many match in all."""
    offset = min(offset, MAX_OFFSET)
    stmt = (
        select(Contact.id, Contact.name, Contact.company)
        .where(*filters.scope())
        .order_by(Contact.created_at.desc(), Contact.id.desc())
    )
    if filters.phone is not None:
        stmt = stmt.where(_phone_matches(filters.phone))
    if filters.email is not None:
        stmt = stmt.where(_email_matches(filters.email))

    if filters.q is None and filters.name is None and filters.company is None:
        ids = list(session.scalars(stmt.with_only_columns(Contact.id).limit(limit).offset(offset)))
        if limit is None and offset == 0:
            return ids, len(ids)  # every match: no need to count them again
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        return ids, total
    matched = _scan_text(session, stmt, filters)
    end = None if limit is None else offset + limit
    return matched[offset:end], len(matched)


def _scan_text(
    session: Session, stmt: Select[int, str | None, str | None], filters: Filters
) -> list[int]:
    """Ids, in ``stmt``'s order, whose name/company contain the folded search text."""
    q = filters.q
    q_ids: set[int] = set()
    if q is not None:
        in_sql = _email_matches(q)
        if _PHONE_LIKE.fullmatch(q):
            in_sql = or_(in_sql, _phone_matches(q))
        q_ids = set(session.scalars(stmt.with_only_columns(Contact.id).where(in_sql)))
    f_q, f_name, f_company = (
        fold(v) if v is not None else None for v in (q, filters.name, filters.company)
    )
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


def load_in_order(session: Session, ids: Sequence[int]) -> list[Contact]:
    if not ids:
        return []
    by_id = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


# Ids per query when every match is loaded: well under any database's parameter limit.
BATCH = 500


def all_matching(session: Session, filters: Filters) -> Iterator[Contact]:
    """Every matching contact, newest first, loaded a batch at a time (an export)."""
    ids, _ = matching_ids(session, filters)
    for start in range(0, len(ids), BATCH):
        yield from load_in_order(session, ids[start : start + BATCH])
