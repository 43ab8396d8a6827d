"""Finding contacts again: by text, phone, e-mail, owner and channel, always within the
channels the caller may see.

Text is compared case-insensitively as Python's ``casefold()`` does (``fold``), which no
database's ``lower()`` does everywhere. So each contact keeps its searchable form in columns
of its own (``gateway.contacts.folding``: folded name and company, e-mails, phone digits),
and a search is a substring match on them, run by the database on an index:

- PostgreSQL: ``LIKE '%…%'`` on ``pg_trgm`` GIN indexes (any length; under three
  characters there are no trigrams to look up, and the planner scans instead);
- SQLite: a ``MATCH`` on the FTS5 table ``contacts_fts`` (trigram tokenizer), kept in step
  with ``contacts`` by triggers; under three characters FTS5 cannot match, so such a
  criterion is ``instr()`` over the rows the other criteria leave.

Every criterion, the owner and the channel are one SQL statement: the page and the total
come from the database, never from a pass over rows in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, func, literal_column, or_, select, table, true
from sqlalchemy.orm import Session

from gateway.contacts.folding import SEPARATOR, digits, fold
from gateway.models import Contact

_PHONE_LIKE = re.compile(r"[\d\s()+\-.]+")

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


# The FTS5 table of SQLite (migration 0005): its rowid is the contact's id.
_FTS = table("contacts_fts", literal_column("rowid"))
# FTS5's trigram tokenizer matches nothing shorter.
TRIGRAM = 3

# One criterion: (search column, text) pairs, any of which may contain the text.
Criterion = list[tuple[str, str]]


def _text_criteria(filters: Filters) -> list[Criterion]:
    criteria: list[Criterion] = []
    if filters.q is not None:
        q = filters.q
        # ``q`` finds the name, the company, an e-mail (lower-cased, as e-mails are
        # stored), or, when it looks like one, a phone's digits.
        any_of = [("search_name", fold(q)), ("search_company", fold(q))]
        any_of.append(("search_emails", q.lower()))
        if _PHONE_LIKE.fullmatch(q) and digits(q):
            any_of.append(("search_phones", digits(q)))
        criteria.append(any_of)
    if filters.name is not None:
        criteria.append([("search_name", fold(filters.name))])
    if filters.company is not None:
        criteria.append([("search_company", fold(filters.company))])
    if filters.phone is not None:
        # E.164 is '+' and digits, so a digit substring finds any way the number was typed;
        # a query without digits finds nothing.
        criteria.append([("search_phones", digits(filters.phone))] if digits(filters.phone) else [])
    if filters.email is not None:
        criteria.append([("search_emails", filters.email.lower())])
    return criteria


def _possible(text: str) -> bool:
    # No stored text holds NUL (PostgreSQL would refuse it as a parameter), and no match
    # may span two e-mails (phones) of a contact: such a text matches nothing.
    return "\x00" not in text and SEPARATOR not in text


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _phrase(column: str, text: str) -> str:
    quoted = text.replace('"', '""')
    return f'{column} : "{quoted}"'


def _condition(criterion: Criterion, dialect: str) -> ColumnElement[bool]:
    """SQL that holds for the contacts with one of the criterion's texts in its column."""
    pairs = [(c, t) for c, t in criterion if _possible(t)]
    if not pairs:
        return false()
    columns = Contact.__table__.c
    if dialect != "sqlite":
        return or_(*(columns[c].like(_like(t), escape="\\") for c, t in pairs))
    if all(len(t) >= TRIGRAM for _, t in pairs):
        match = " OR ".join(_phrase(c, t) for c, t in pairs)
        found = select(_FTS.c.rowid).where(literal_column("contacts_fts").op("MATCH")(match))
        return Contact.id.in_(found)
    # Too short for trigrams: compared row by row, in SQL.
    return or_(*(func.instr(columns[c], t) > 0 for c, t in pairs))


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
    dialect = session.get_bind().dialect.name
    criteria = [_condition(c, dialect) for c in _text_criteria(filters)]
    stmt = (
        select(Contact.id)
        .where(*filters.scope(), *criteria)
        .order_by(Contact.created_at.desc(), Contact.id.desc())
    )
    if criteria:
        # A search's matches are found once: the page and their number in one statement.
        page = session.execute(stmt.add_columns(func.count().over()).limit(limit).offset(offset))
        rows = page.all()
        if rows:
            return [row[0] for row in rows], rows[0][1]
        ids: list[int] = []
    else:
        ids = list(session.scalars(stmt.limit(limit).offset(offset)))
    if limit is None or (len(ids) < limit and (ids or offset == 0)):
        return ids, offset + len(ids)  # the last page: no need to count them again
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return ids, total


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
