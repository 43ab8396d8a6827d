"""A contact shared in WhatsApp (message type ``contacts``) as contact fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.contacts.schemas import ContactFields
from gateway.whatsapp.phone_regions import to_e164


def _e164(raw: str, wa_id: str | None, regions: Sequence[str]) -> str | None:
    number = to_e164(raw, regions, strict=True) if raw.strip() else None
    if number is None and wa_id and wa_id.isdigit():
        return "+" + wa_id  # WhatsApp's own id of the contact is their number
    return number


def fields_of_shared_contact(shared: dict[str, Any], regions: Sequence[str]) -> ContactFields:
    """``regions``: where numbers written without a country code are from (the sender's
    country, the channel's: ``phone_regions.fallback_regions``)."""
    raw_name, raw_org = shared.get("name"), shared.get("org")
    name: dict[str, Any] = raw_name if isinstance(raw_name, dict) else {}
    org: dict[str, Any] = raw_org if isinstance(raw_org, dict) else {}
    phones, fax = [], None
    for p in shared.get("phones") or []:
        if not isinstance(p, dict):
            continue
        number = _e164(str(p.get("phone") or p.get("wa_id") or ""), p.get("wa_id"), regions)
        if number is None:
            continue
        if "FAX" in str(p.get("type", "")).upper():
            fax = fax or number
        elif number not in phones:
            phones.append(number)
    emails = [
        str(e["email"]).strip().lower()
        for e in shared.get("emails") or []
        if isinstance(e, dict) and e.get("email")
    ]
    websites = [
        str(u["url"]) for u in shared.get("urls") or [] if isinstance(u, dict) and u.get("url")
    ]
    address = None
    for a in shared.get("addresses") or []:
        if isinstance(a, dict):
            parts = [a.get(k) for k in ("street", "city", "state", "zip", "country")]
            address = ", ".join(str(p) for p in parts if p) or None
            break
    return ContactFields(
        name=name.get("formatted_name")
        or " ".join(
            p for p in (name.get("first_name"), name.get("middle_name"), name.get("last_name")) if p
        )
        or None,
        first_name=name.get("first_name"),
        last_name=name.get("last_name"),
        middle_name=name.get("middle_name"),
        title=org.get("title"),
        company=org.get("company"),
        phones=phones,
        fax=fax,
        emails=emails,
        websites=websites,
        address=address,
    )
