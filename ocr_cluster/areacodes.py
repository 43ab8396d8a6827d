"""The area code of the city a card is from, out of libphonenumber's geocoding data.

A card printing "2294-9484" above an address in "São Paulo - SP" means +55 11 2294-9484.
libphonenumber knows the place every number prefix serves ("551120" → "São Paulo - SP",
"813" → "Tokyo"/"東京"); read backwards, that gives each city's prefixes, for any country.
The data is large (about 150 MB, seconds to load), so it is read only when a card has a
number without its area code and no other number to borrow one from, and each country's
index is built once.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import phonenumbers

from ocr_cluster import patterns as pt

# A place with fewer prefixes than this share of the country's largest is a small town:
# only trusted when the card also prints its state ("Penha" is a town in Santa Catarina
# and a district of São Paulo).
SMALL_PLACE = 0.01
# Prefixes are kept up to this many national digits: area codes are shorter.
PREFIX_DIGITS = 5


@dataclass
class _Place:
    description: str  # as libphonenumber writes it in English: "São Paulo - SP"
    state: str | None  # "SP", "WA": the short state code printed on addresses
    prefixes: set[str] = field(default_factory=set)
    coverage: float = 0.0  # share of the country's numbers: a big city covers more


@dataclass
class _Index:
    places: dict[str, _Place]  # folded name (any language) → place
    unspaced: list[str]  # names in scripts written without spaces (東京), found anywhere
    by_state: dict[str, _Place]  # state code → its largest place
    largest: float


def _fold(text: str) -> str:
    """Lower-case words without accents: "São Paulo - SP" → "sao paulo sp"."""
    return " ".join(re.findall(r"\w+", pt.fold(text)))


# Words around a city's name that cards leave out: "Thành phố Hồ Chí Minh" is printed
# "TP. Hồ Chí Minh", "Hanoi City" just "Hanoi".
_GENERIC = re.compile(r"^(?:thanh pho|tinh|thu do|city of) | (?:city|province|prefecture)$")


def _split(description: str) -> tuple[str, str | None]:
    """Description → (city, state code): "São Paulo - SP" → ("São Paulo", "SP")."""
    m = re.fullmatch(r"(.+?)\s*(?: - |, )([A-Z]{2,3})", description)
    if m:
        return m.group(1), m.group(2)
    return re.split(r" - |, ", description)[0], None


@functools.lru_cache(maxsize=8)
def _index(region: str) -> _Index:
    from phonenumbers.geodata import GEOCODE_DATA  # the large import, on first need only

    code = str(phonenumbers.country_code_for_region(region))
    by_description: dict[str, _Place] = {}
    names_of: dict[str, set[str]] = {}
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith(code):
            continue
        english = names.get("en") or next(iter(names.values()))
        place = by_description.get(english)
        if place is None:
            place = by_description[english] = _Place(english, _split(english)[1])
            names_of[english] = set()
        national = prefix[len(code) :]
        place.prefixes.add(national[:PREFIX_DIGITS])
        place.coverage += 10.0 ** -len(national)
        for name in names.values():
            key = _fold(_split(name)[0])
            names_of[english] |= {key, _GENERIC.sub("", key)} - {""}
    places: dict[str, _Place] = {}
    for english, place in by_description.items():
        for key in names_of[english]:
            other = places.get(key)
            if other is None:
                places[key] = place
                continue
            # "São Paulo" (the whole area) and "São Paulo - SP" (the city) are one place:
            # the one with a state keeps the other's prefixes.
            keep, drop = (other, place) if other.state else (place, other)
            if keep.state and not drop.state:
                keep.prefixes |= drop.prefixes
                keep.coverage += drop.coverage
            elif drop.coverage > keep.coverage:
                keep = drop
            places[key] = keep
    by_state: dict[str, _Place] = {}
    for place in places.values():
        best = by_state.get(place.state or "")
        if place.state and (best is None or best.coverage < place.coverage):
            by_state[place.state] = place
    unspaced = [k for k in places if " " not in k and not re.search(r"[a-zа-я]", k)]
    largest = max((p.coverage for p in places.values()), default=1.0)
    return _Index(places, unspaced, by_state, largest)


def _place(index: _Index, texts: Sequence[str]) -> _Place | None:
    """The card's city: one whose state the card prints, else the largest one named, else
    the largest place of the state the card prints."""
    joined = "\n".join(texts)
    # A state code stands after a dash, a comma or a slash: "Penha - SP", "Seattle, WA".
    states = {s for s in re.findall(r"[-–,/]\s*([A-Z]{2,3})\b", joined) if s in index.by_state}
    found: list[_Place] = []
    for text in texts:
        words = _fold(text).split()
        for n in range(1, 5):
            for i in range(len(words) - n + 1):
                place = index.places.get(" ".join(words[i : i + n]))
                if place:
                    found.append(place)
        folded = _fold(text)
        found += [index.places[k] for k in index.unspaced if k in folded]
    confirmed = [p for p in found if p.state in states]
    unconfirmed = [
        p
        for p in found
        if (not states or p.state is None) and p.coverage >= SMALL_PLACE * index.largest
    ]
    for group in (confirmed, unconfirmed):
        if group:
            return max(group, key=lambda p: p.coverage)
    in_state = [index.by_state[s] for s in states]
    return max(in_state, key=lambda p: p.coverage) if in_state else None


def has_area_code(number: phonenumbers.PhoneNumber, area: str) -> bool:
    """Whether ``number`` is valid with ``area`` as its whole area code: "1" + "970388110"
    makes a valid number, but in area 19, not 1."""
    if not phonenumbers.is_valid_number(number):
        return False
    length = phonenumbers.length_of_geographical_area_code(number)
    return phonenumbers.national_significant_number(number)[:length] == area and length > 0


def complete(national: str, region: str, texts: Sequence[str]) -> str | None:
    """E.164 for ``national`` (digits printed without an area code) with the area code of the
    city the card's ``texts`` name, or None."""
    from phonenumbers import geocoder  # loads the data _index has loaded

    index = _index(region)
    place = _place(index, texts)
    if place is None:
        return None
    code = phonenumbers.country_code_for_region(region)
    # The area code is a leading part of the place's prefixes: the shortest first, and of
    # those the one most of its prefixes start with.
    starts = Counter(p[:k] for p in place.prefixes for k in range(1, len(p) + 1))
    candidates = sorted(starts, key=lambda area: (len(area), -starts[area], area))
    fallback = None
    for area in candidates:
        number = phonenumbers.parse(f"+{code}{area}{national}")
        if not has_area_code(number, area):
            continue
        here = geocoder.description_for_number(number, "en")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if here == place.description:
            return e164
        fallback = fallback or e164
    return fallback
