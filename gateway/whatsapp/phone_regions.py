"""The countries a card's phone numbers belong to when the card itself does not say.

A card that prints "2294-9484" and nothing else about its country is most likely from the
sender's own country (their WhatsApp number), else from the business number's country (the
number that received the photo). The reader uses these only as a last resort.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import phonenumbers

# How Meta writes numbers: "5511987654321" (wa_id) or "+1 555-000-0000" (display number).
_SEPARATORS = re.compile(r"[\s().\-]")
# Not a country: "001" is a non-geographic code (+800, +882…), "ZZ" an unknown one.
_NO_REGION = frozenset({"001", "ZZ"})


def region_of_number(number: str | None) -> str | None:
    """The ISO region of an international number written without or with "+", or None.

    A valid number gives its own region (+1 416… is CA, +44 7911… may be GG); a number
    phonenumbers finds invalid but of a possible length gives its country code's main region
    (+1 555… is US); anything else (too short, letters, a user id) gives None.
    """
    digits = _SEPARATORS.sub("", number or "").removeprefix("+")
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(parsed):
        region = phonenumbers.region_code_for_number(parsed)
    elif phonenumbers.is_possible_number(parsed) and parsed.country_code:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    else:
        return None
    return region if region and region not in _NO_REGION else None


def fallback_regions(sender_wa_id: str | None, channel_number: str | None) -> tuple[str, ...]:
    """The sender's region, then the receiving business number's; unknowns and repeats out."""
    regions: list[str] = []
    for number in (sender_wa_id, channel_number):
        region = region_of_number(number)
        if region is not None and region not in regions:
            regions.append(region)
    return tuple(regions)


def to_e164(text: str, regions: Sequence[str], *, strict: bool) -> str | None:
    """A number as a person or a phone book wrote it, in E.164, or None.

    Read in each of ``regions`` in turn (a number written without its country code is
    most likely from there), then as international digits ("+" optional). ``strict``:
    libphonenumber must call the number valid; else a number of a possible length will do
    (a person's fix is taken as they typed it)."""
    written = text.strip()
    tries: list[tuple[str, str | None]] = [(written, region) for region in regions]
    tries.append((written if written.startswith("+") else "+" + written, None))
    for candidate, region in tries:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        ok = phonenumbers.is_valid_number if strict else phonenumbers.is_possible_number
        if ok(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None
