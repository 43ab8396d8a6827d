"""Many contacts as one file: CSV for spreadsheets, vCard for phones and address books."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime

from gateway.contacts.vcard import to_vcard
from gateway.models import Contact

# The columns, in order. The QR payload is left out, as in the vCard: it is what the
# fields were read from, not a field.
COLUMNS = (
    "id", "name", "first_name", "last_name", "middle_name", "title", "company",
    "phones", "fax", "emails", "websites", "address", "lang", "note",
    "source", "owner_id", "channel_id", "confirmed_at", "created_at", "updated_at",
)  # fmt: skip
LIST_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV
# injection"); a leading apostrophe makes it text. Tab and CR start formulas in some too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One CSV cell: lists joined, times in ISO 8601, and never a formula."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        text = LIST_SEPARATOR.join(str(v) for v in value)
    elif isinstance(value, datetime):
        # SQLite hands timezone-aware columns back naive; they were written in UTC.
        text = (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _row(contact: Contact) -> list[str]:
    values: dict[str, object] = {
        "phones": [p.phone for p in contact.phones],
        "emails": [e.email for e in contact.emails],
        "websites": list(contact.websites or []),
    }
    return [cell(values[c] if c in values else getattr(contact, c)) for c in COLUMNS]


def to_csv(contacts: Iterable[Contact]) -> str:
    """A header row, then one row per contact. It starts with a byte-order mark: without
    one, Excel reads UTF-8 as the system's code page and Cyrillic names come out garbled."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_row(contact) for contact in contacts)
    return out.getvalue()


def to_vcards(contacts: Iterable[Contact]) -> str:
    """One vCard file of many contacts: the single vCards one after another (RFC 2426)."""
    return "".join(to_vcard(contact) for contact in contacts)
