"""A contact as the edit form shows it, and the changes a submitted form asks for."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from gateway.contacts.service import field_values, uncertain_fields
from gateway.models import Contact

# The form's fields, in its order; lists are typed comma-separated.
FIELDS = ("name", "title", "company", "phones", "emails", "websites", "address", "note")
LISTS = frozenset({"phones", "emails", "websites"})
LABELS = {
    "name": "Name",
    "title": "Title",
    "company": "Company",
    "phones": "Phones",
    "emails": "E-mails",
    "websites": "Websites",
    "address": "Address",
    "note": "Note",
}


class ContactForm(BaseModel):
    """What the edit form posts: text as typed."""

    name: str = ""
    title: str = ""
    company: str = ""
    phones: str = ""
    emails: str = ""
    websites: str = ""
    address: str = ""
    note: str = ""

    def texts(self) -> dict[str, str]:
        return {key: getattr(self, key) for key in FIELDS}

    def changes(self, contact: Contact) -> dict[str, Any]:
        """The fields that differ from what is stored: only those count as a person's edit,
        so that saving one fix does not mark every other reading as checked."""
        stored = values(contact)
        changes: dict[str, Any] = {}
        for key, text in self.texts().items():
            if key in LISTS:
                items = [item.strip() for item in text.split(",") if item.strip()]
                if items != stored[key]:
                    changes[key] = items
            elif (text.strip() or None) != stored[key]:
                changes[key] = text.strip() or None
        return changes


def values(contact: Contact) -> dict[str, Any]:
    """The contact's editable fields: strings or None, lists of strings."""
    return field_values(contact, FIELDS)


def texts(contact: Contact) -> dict[str, str]:
    """The contact's fields as the form shows them."""
    return {
        key: ", ".join(value) if isinstance(value, list) else value or ""
        for key, value in values(contact).items()
    }


def uncertain(contact: Contact) -> frozenset[str]:
    """Fields read with low confidence that nobody has edited since: highlighted."""
    return frozenset(uncertain_fields(contact))
