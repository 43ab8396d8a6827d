"""The values a card read produces: a frozen Contact and the CardResult around it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CONTACT_FIELDS = (
    "name", "first_name", "last_name", "middle_name", "title", "company",
    "phones", "fax", "emails", "websites", "address", "qr", "lang",
)  # fmt: skip
LIST_FIELDS = ("phones", "emails", "websites")
SCALAR_FIELDS = tuple(f for f in CONTACT_FIELDS if f not in LIST_FIELDS)


# The longest value each text field may hold: what the CRM's columns store
# (gateway/models.py) and what the reader cuts to (ocr_cluster/sanity.py).
MAX_LENGTH = {
    "name": 256,
    "first_name": 128,
    "last_name": 128,
    "middle_name": 128,
    "title": 256,
    "company": 256,
    "address": 1024,
}
PHONE_LENGTH = 32  # E.164 with room for an extension
EMAIL_LENGTH = 320  # RFC 5321: 64 + "@" + 255
LANG_LENGTH = 8


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    title: str | None = None
    company: str | None = None
    phones: list[str] = field(default_factory=list)
    fax: str | None = None
    emails: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    address: str | None = None
    qr: str | None = None
    lang: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The devset prediction "contact" object (lists copied, None for absent fields)."""
        d = asdict(self)
        for key in ("phones", "emails", "websites"):
            d[key] = list(d[key])
        return d

    def has_data(self) -> bool:
        return any(
            getattr(self, key)
            for key in CONTACT_FIELDS
            if key not in ("lang", "first_name", "last_name", "middle_name")
        )


@dataclass(frozen=True)
class CardResult:
    contact: Contact
    confidence: dict[str, float] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "contact": self.contact.to_dict(),
            "confidence": dict(self.confidence),
            "source": dict(self.source),
            "timings": dict(self.timings),
        }

    def found_anything(self) -> bool:
        return self.contact.has_data()
