"""The last step of every reading: whatever OCR or a QR code produced, the contact that
leaves the reader holds only values a CRM can store and trust.

A QR code can carry any text at all (control characters, NUL, kilobytes in one field), and
OCR of a noisy card can look like an address ("0@0.0"). Text is cleaned and cut to length;
phones, e-mails and websites that are not valid are dropped.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from business_card.contact import MAX_LENGTH, clean_text
from ocr_cluster.contacts import valid_email, valid_website

LANGS = ("ru", "en", "pt", "es", "fr", "de", "it", "vi", "ja", "zh", "ko", "mixed")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def valid_phone(number: Any) -> bool:
    if not isinstance(number, str) or not _E164.fullmatch(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False


def _unique(values: Any, keep: Any) -> list[str]:
    if not isinstance(values, list):
        return []
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and keep(v)))


def clean_values(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the contact ``values`` with every field valid (or absent)."""
    out = dict(values)
    for key, limit in MAX_LENGTH.items():
        out[key] = clean_text(values.get(key), limit)
    out["phones"] = _unique(values.get("phones"), valid_phone)
    fax = values.get("fax")
    out["fax"] = fax if valid_phone(fax) else None
    out["emails"] = _unique(
        [e.lower() for e in values.get("emails") or [] if isinstance(e, str)], valid_email
    )
    out["websites"] = _unique(
        [w.lower() for w in values.get("websites") or [] if isinstance(w, str)], valid_website
    )
    qr = values.get("qr")
    out["qr"] = qr.replace("\x00", "") or None if isinstance(qr, str) else None
    out["lang"] = values.get("lang") if values.get("lang") in LANGS else None
    return out
