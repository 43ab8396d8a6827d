"""Contact values: what the card reader gives us (``ContactFields``) and what the API returns.

``ContactFields`` is canonical once built: e-mails lower-case, websites without scheme,
``www.`` or trailing slash, blank strings turned into ``None``, lists without duplicates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from business_card.contact import (
    CONTACT_FIELDS,
    EMAIL_LENGTH,
    LANG_LENGTH,
    LIST_FIELDS,
    MAX_LENGTH,
    PHONE_LENGTH,
    SCALAR_FIELDS,
    clean_text,
)
from gateway.models import CHANNEL_ID_LENGTH

log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_E164 = re.compile(r"\+[1-9]\d{6,14}")
_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:]+")
_WEBSITE = re.compile(r"[^\s<>\"]+\.[^\s<>\"]+")
MAX_WEBSITE = 2048


def text_limit(field: str) -> int:
    """The most characters a scalar text field keeps (its column's length)."""
    return MAX_LENGTH.get(field, PHONE_LENGTH if field == "fax" else LANG_LENGTH)


def normalise_email(value: str) -> str:
    value = value.strip().lower()
    return value.removeprefix("mailto:")


def normalise_website(value: str) -> str:
    value = value.strip().lower()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    return value.removeprefix("www.").rstrip("/")


def unique(values: Iterable[str]) -> list[str]:
    """Drop empty values and repeats, keeping the first occurrence's position."""
    return list(dict.fromkeys(v for v in values if v))


def _as_list(value: Any) -> list[str]:
    # The reader (and the dev-set format) may give a single string for a list field.
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Iterable):
        # PostgreSQL text cannot hold NUL: a shared contact or a QR code may carry one.
        return [" ".join(_CONTROL.sub(" ", v).split()) for v in value if isinstance(v, str)]
    return []


class ContactFields(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: list[str] = []
    fax: str | None = None
    emails: list[str] = []
    websites: list[str] = []
    address: str | None = None
    qr: str | None = None
    lang: str | None = None

    @field_validator(*SCALAR_FIELDS, mode="before")
    @classmethod
    def _one_clean_line(cls, value: Any, info: ValidationInfo) -> Any:
        """Whatever sent it (the reader, or anyone sharing a contact in chat), text is
        stored as the reader stores card text: one line, no control characters or escape
        sequences, cut to its column. The QR payload stays as it was read."""
        if not isinstance(value, str):
            return value
        if info.field_name == "qr":
            return value.replace("\x00", "").strip() or None
        if info.field_name == "fax":  # E.164, as the phones
            return value.strip() if _E164.fullmatch(value.strip()) else None
        return clean_text(value, text_limit(str(info.field_name)))

    @field_validator("phones", mode="before")
    @classmethod
    def _phones(cls, value: Any) -> list[str]:
        # E.164 only, whatever sent them: the reader and shared contacts both give E.164;
        # anything else (an OCR cluster gone wrong) is no number to store or dial.
        return unique(p for p in (p.strip() for p in _as_list(value)) if _E164.fullmatch(p))

    @field_validator("emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> list[str]:
        emails = (normalise_email(e) for e in _as_list(value))
        return unique(e for e in emails if len(e) <= EMAIL_LENGTH and _EMAIL.fullmatch(e))

    @field_validator("websites", mode="before")
    @classmethod
    def _websites(cls, value: Any) -> list[str]:
        sites = (normalise_website(w) for w in _as_list(value))
        return unique(w for w in sites if len(w) <= MAX_WEBSITE and _WEBSITE.fullmatch(w))

    @classmethod
    def from_reader(cls, contact: Mapping[str, Any]) -> ContactFields:
        """Build from the card reader's contact dict. Unknown keys are ignored (and logged);
        a scalar of the wrong type is dropped rather than failing the whole card."""
        known = set(SCALAR_FIELDS) | set(LIST_FIELDS)
        unknown = sorted(set(contact) - known)
        if unknown:
            log.debug("contact fields ignored: %s", unknown)
        data: dict[str, Any] = {k: contact[k] for k in LIST_FIELDS if k in contact}
        for key in SCALAR_FIELDS:
            value = contact.get(key)
            if value is not None and not isinstance(value, str):
                log.warning("contact field %s has type %s, dropped", key, type(value).__name__)
                value = None
            data[key] = value
        return cls.model_validate(data)


if tuple(ContactFields.model_fields) != CONTACT_FIELDS:  # the API's schema is the reader's
    raise RuntimeError("ContactFields must declare business_card.contact.CONTACT_FIELDS, in order")


class ContactOut(ContactFields):
    id: int
    source: str
    confidence: dict[str, float] = {}
    note: str | None = None
    confirmed_at: datetime | None = None
    # Fields the reader was unsure of that no person has corrected since: worth a look.
    uncertain: list[str] = []
    created_at: datetime
    updated_at: datetime
    has_image: bool = False

    @classmethod
    def from_contact(
        cls, contact: Any, *, has_image: bool, uncertain: Sequence[str] = ()
    ) -> ContactOut:
        """From a ``gateway.models.Contact`` (typed ``Any`` to keep schemas free of the ORM)."""
        data = {k: getattr(contact, k) for k in SCALAR_FIELDS}
        return cls(
            **data,
            id=contact.id,
            phones=[p.phone for p in contact.phones],
            emails=[e.email for e in contact.emails],
            websites=list(contact.websites or []),
            source=contact.source,
            confidence=dict(contact.confidence or {}),
            note=contact.note,
            confirmed_at=contact.confirmed_at,
            uncertain=list(uncertain),
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            has_image=has_image,
        )


class ContactEdit(BaseModel):
    """``PATCH /api/contacts/{id}``: the fields to change, and only those. ``null`` or ``""``
    clears a field; a list replaces the stored one. Values are checked by
    ``gateway.contacts.edit``, which names what is wrong."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: list[str] | None = None
    fax: str | None = None
    emails: list[str] | None = None
    websites: list[str] | None = None
    address: str | None = None
    lang: str | None = None
    note: str | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ContactPage(BaseModel):
    items: list[ContactOut]
    total: int
    limit: int
    offset: int


class ErasePerson(BaseModel):
    """A person to erase: their phone (E.164) and/or e-mail, in one channel or in every
    channel the token reaches."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(None, pattern=f"^{_E164.pattern}$", examples=["+441134960381"])
    email: str | None = Field(None, max_length=EMAIL_LENGTH, examples=["olivia@example.com"])
    # "default", or a WhatsAppChannel's "namespace.name" (DNS labels).
    channel: str | None = Field(
        None, max_length=CHANNEL_ID_LENGTH, pattern=r"^[a-z0-9]([a-z0-9.\-]*[a-z0-9])?$"
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        emails = ContactFields(emails=[value]).emails
        if not emails:
            raise ValueError("not an e-mail address")
        return emails[0]

    @model_validator(mode="after")
    def _someone(self) -> ErasePerson:
        if not (self.phone or self.email):
            raise ValueError("give the person's phone, e-mail or both")
        return self


class Erased(BaseModel):
    contacts: int
    photos: int
    messages: int
    senders: int
