"""The values a card read produces: a frozen Contact and the CardResult around it."""

from __future__ import annotations

import re
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


# Terminal escape sequences (colours, cursor moves) first, then any other control character.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean_text(value: Any, limit: int) -> str | None:
    """One line of storable text, wherever it came from (OCR, a QR code, a contact shared in
    chat): escape sequences dropped, control characters and runs of spaces made one space,
    cut at the last word that fits in ``limit``; None when nothing is left."""
    if not isinstance(value, str):
        return None
    text = " ".join(_CONTROL.sub(" ", _ANSI.sub("", value)).split())
    if len(text) > limit:
        head = text[: limit + 1]
        cut = head.rsplit(" ", 1)[0] if " " in head else ""
        text = (cut if len(cut) >= limit // 2 else text[:limit]).rstrip()
    return text or None


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
    # The other cards of a photo showing several, each read on its own; this one is the first.
    others: tuple[CardResult, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The reading as JSON; "others" only for a photo of several cards, so that a
        one-card reading keeps its shape."""
        out: dict[str, Any] = {
            "contact": self.contact.to_dict(),
            "confidence": dict(self.confidence),
            "source": dict(self.source),
            "timings": dict(self.timings),
        }
        if self.others:
            out["others"] = [other.to_dict() for other in self.others]
        return out

    def found_anything(self) -> bool:
        return self.contact.has_data()
