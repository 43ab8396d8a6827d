"""What a person's edit of a contact may hold, checked before anything is stored.

An edit goes through the same rules as a card reading (``ContactFields``: E.164 phones,
e-mail and website shapes, ``clean_text``), but where a reading quietly drops a value that
breaks them, an edit is refused with a message naming the field: the person is there to
correct it, and a silently dropped number would be a number lost.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from business_card.contact import LIST_FIELDS, SCALAR_FIELDS, clean_text
from gateway.contacts.schemas import ContactEdit, ContactFields, text_limit, unique
from gateway.models import NOTE_LENGTH

# The QR code's payload is the record of what the card said, not a field anyone corrects.
EDITABLE_SCALARS = tuple(f for f in SCALAR_FIELDS if f != "qr")
EDITABLE = (*EDITABLE_SCALARS, *LIST_FIELDS, "note")
# More than anyone prints on a card; a bound on what one request can make us store.
MAX_ITEMS = 20
_SHOWN = 60  # how much of a refused value a message repeats
_SEPARATORS = re.compile(r"[\s().\-]")

_EXPECTED = {
    "phones": "a phone number in international format: + and the country code, e.g. +442071234567",
    "fax": "a phone number in international format: + and the country code, e.g. +442071234567",
    "emails": "an e-mail address such as name@example.com",
    "websites": "a website address such as example.com",
}


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "…")


def clean_edit(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The edit's values as they will be stored (None or [] for a cleared field), or
    ``ValueError`` with a message for the person who made it."""
    unknown = [key for key in changes if key not in EDITABLE]
    if unknown:
        raise ValueError(
            f"there is no contact field {str(unknown[0])!r}; fields: {', '.join(EDITABLE)}"
        )
    return {key: _clean(key, value) for key, value in changes.items()}


def _clean(key: str, value: Any) -> Any:
    if key in LIST_FIELDS:
        return _clean_list(key, value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected text, not {type(value).__name__}")
    if key == "note":
        return _clean_note(value)
    if key == "fax":
        fax = ContactFields(fax=_digits_of(value)).fax
        if fax is None:
            raise ValueError(f"fax: {_shown(value)} is not {_EXPECTED['fax']}")
        return fax
    whole, limit = clean_text(value, sys.maxsize), text_limit(key)
    if whole is not None and len(whole) > limit:
        raise ValueError(f"{key}: at most {limit} characters, not {len(whole)}")
    return getattr(ContactFields.model_validate({key: value}), key)


def _clean_list(key: str, value: Any) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{key}: expected a list of text values")
    items = [i for i in items if i.strip()]
    if len(items) > MAX_ITEMS:
        raise ValueError(f"{key}: at most {MAX_ITEMS} values, not {len(items)}")
    kept: list[str] = []
    for item in items:
        value = _digits_of(item) if key == "phones" else item
        cleaned: list[str] = getattr(ContactFields.model_validate({key: [value]}), key)
        if not cleaned:
            raise ValueError(f"{key}: {_shown(item)} is not {_EXPECTED[key]}")
        kept += cleaned
    return unique(kept)


def _digits_of(number: str) -> str:
    """``+7 (916) 123-45-67`` → ``+79161234567``: people write numbers with separators;
    one without a country code stays as it is, for E.164's check to refuse."""
    stripped = number.strip()
    return _SEPARATORS.sub("", stripped) if stripped.startswith("+") else stripped


def _clean_note(value: str) -> str | None:
    # A note keeps its line breaks (captions are joined one per line); each line is
    # cleaned as any stored text is.
    lines = (clean_text(line, sys.maxsize) for line in value.splitlines())
    note = "\n".join(line for line in lines if line)
    if len(note) > NOTE_LENGTH:
        raise ValueError(f"note: at most {NOTE_LENGTH} characters, not {len(note)}")
    return note or None


if set(ContactEdit.model_fields) != set(EDITABLE):  # the API's body is exactly the edit
    raise RuntimeError("ContactEdit must declare gateway.contacts.edit.EDITABLE")
