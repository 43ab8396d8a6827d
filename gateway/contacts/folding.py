"""The searchable form of a contact, stored beside it so that a text search is an indexed
lookup (``gateway.contacts.search``) rather than a pass over every row.

Neither database folds case the way Python does: SQLite's ``lower()``/``LIKE`` fold ASCII
only, and PostgreSQL's depend on the database's locale. So the text is folded here, once,
when a contact is written, and a search compares folded text with plain substring matching,
which both databases can index (PostgreSQL: ``pg_trgm``; SQLite: FTS5's trigram tokenizer).

``search_values`` is the one function that computes the stored form; ``refresh_search``
applies it to a contact and is called by every function that writes one
(``gateway.contacts.service``); migration 0005 used it to fill the rows stored before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from gateway.models import Contact

_SPACES = re.compile(r"\s+")
_NOT_DIGITS = re.compile(r"\D")
# Between the e-mails (phones) of one contact: no query can hold it (a folded text's
# whitespace is a single space, e-mails have none, phone queries are digits), so no match
# spans two of them.
SEPARATOR = "\n"


def fold(text: str) -> str:
    """Case- and form-insensitive text for comparison: «ЁЛКИН  Пётр» -> «елкин петр».
    Diacritics stay (``José`` is not ``Jose``); ``ß`` is ``ss``, ``İ`` is ``i̇``."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


def digits(text: str) -> str:
    return _NOT_DIGITS.sub("", text)


def search_values(
    name: str | None, company: str | None, emails: Iterable[str], phones: Iterable[str]
) -> dict[str, str]:
    """The stored search columns of a contact with these values."""
    return {
        "search_name": fold(name or ""),
        "search_company": fold(company or ""),
        # Stored lower-case already; a query is compared lower-cased, as it always was.
        "search_emails": SEPARATOR.join(e.lower() for e in emails),
        # E.164 ('+' and digits): its digits are what a phone query is compared with.
        "search_phones": SEPARATOR.join(digits(p) for p in phones),
    }


def refresh_search(contact: Contact) -> None:
    """Bring the contact's search columns in step with its fields (before it is flushed)."""
    values = search_values(
        contact.name,
        contact.company,
        (e.email for e in contact.emails),
        (p.phone for p in contact.phones),
    )
    for key, value in values.items():
        if getattr(contact, key) != value:
            setattr(contact, key, value)
