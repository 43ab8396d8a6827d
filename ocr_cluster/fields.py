"""OCR lines → contact fields: each line is classified, then the best candidates are picked."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from ocr_cluster import contacts, names
from ocr_cluster import patterns as pt


@dataclass
class TextLine:
    """One line of card text as the extractor sees it."""

    text: str
    height: float = 20.0
    conf: float = 1.0
    block: int = 0
    kind: str = "text"  # contact | address | skip | text
    emails: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)


@dataclass
class Extracted:
    values: dict[str, Any] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)


LIST_FIELDS = ("phones", "emails", "websites")


def extract_fields(lines: list[TextLine]) -> Extracted:
    out = Extracted()
    lines = [ln for ln in lines if ln.text.strip()]
    for ln in lines:
        _classify(ln)
    # "United Kingdom" or "Leeds LS1 8JP" alone on the line after the street continues it.
    for prev, ln in itertools.pairwise(lines):
        if prev.kind == "address" and ln.kind == "text" and pt.ADDRESS_TAIL.search(ln.text):
            ln.kind = "address"
    text_lines = [i for i, ln in enumerate(lines) if ln.kind == "text"]
    _pick_contacts(lines, out)
    name_i = _pick_name(lines, text_lines, out)
    title_i = _pick_title(lines, text_lines, name_i, out)
    _pick_company(lines, text_lines, {name_i, *title_i}, out)
    _pick_address(lines, out)
    out.values["lang"] = detect_lang(lines)
    return out


def _classify(ln: TextLine) -> None:
    ln.text = pt.fix_scripts(ln.text)
    text = ln.text
    ln.emails = contacts.find_emails(text)
    ln.websites = [] if pt.SOCIAL_LINE.search(text) else contacts.find_websites(text)
    digits = sum(ch.isdigit() for ch in text)
    if pt.TAX_LINE.search(text) or (pt.SOCIAL_LINE.search(text) and not ln.emails):
        ln.kind = "skip"
    elif not ln.emails and pt.ADDRESS_LABEL.match(text):
        ln.kind = "address"
    elif ln.emails or ln.websites or pt.ANY_LABEL.match(text):
        ln.kind = "contact"
    elif digits >= 7 and digits >= 0.5 * len(re.sub(r"\W", "", text)):
        ln.kind = "contact"
    elif pt.is_address(text):
        ln.kind = "address"
    elif pt.HOURS_LINE.search(text):
        ln.kind = "skip"


def phone_regions(lines: list[TextLine]) -> tuple[str, ...]:
    """Regions to try for numbers printed without a country code, most likely first."""
    hints: list[str] = []
    tld_region = {
        "ru": "RU",
        "рф": "RU",
        "su": "RU",
        "uk": "GB",
        "de": "DE",
        "at": "AT",
        "ch": "CH",
        "fr": "FR",
        "us": "US",
        "by": "BY",
        "kz": "KZ",
        "ua": "UA",
    }
    for ln in lines:
        if ln.kind != "address":
            continue
        t = ln.text
        if pt.UK_POSTCODE.search(t) or re.search(r"(?i)united kingdom|england|scotland", t):
            hints.append("GB")
        elif re.search(r"(?i)germany|deutschland", t) or pt.DE_POSTCODE.search(t):
            hints.append("DE")
        elif pt.US_STATE_ZIP.search(t) or re.search(r"(?i)\busa\b|united states", t):
            hints.append("US")
        elif pt.has_cyrillic(t):
            hints.append("RU")
    for ln in lines:
        for host in [e.split("@")[1] for e in ln.emails] + [w.split("/")[0] for w in ln.websites]:
            tld = host.rsplit(".", 1)[-1]
            if tld in tld_region:
                hints.append(tld_region[tld])
    plus = " ".join(ln.text for ln in lines)
    if re.search(r"\+\s*7\b", plus):
        hints.append("RU")
    lang = detect_lang(lines)
    hints.append("US" if lang == "en" else "RU")
    return tuple(dict.fromkeys([*hints, "RU", "US", "GB", "DE"]))


def _pick_contacts(lines: list[TextLine], out: Extracted) -> None:
    regions = phone_regions(lines)
    phones: list[str] = []
    faxes: list[str] = []
    confs: dict[str, list[float]] = {"phones": [], "emails": [], "websites": [], "fax": []}
    emails: list[str] = []
    websites: list[str] = []
    for ln in lines:
        if ln.kind == "skip":
            continue
        emails += ln.emails
        websites += ln.websites
        confs["emails"] += [ln.conf] * len(ln.emails)
        confs["websites"] += [ln.conf] * len(ln.websites)
        if ln.kind in ("contact", "text"):
            p, f = contacts.find_phones(ln.text, regions)
            phones += p
            faxes += f
            confs["phones"] += [ln.conf] * len(p)
            confs["fax"] += [ln.conf] * len(f)
            if (p or f) and ln.kind == "text":
                ln.kind = "contact"
    faxes = list(dict.fromkeys(faxes))
    out.values["phones"] = [p for p in dict.fromkeys(phones) if p not in faxes]
    out.values["fax"] = faxes[0] if faxes else None
    out.values["emails"] = list(dict.fromkeys(emails))
    out.values["websites"] = list(dict.fromkeys(websites))
    for key, vals in confs.items():
        if vals:
            out.confidence[key] = round(sum(vals) / len(vals), 3)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip(" \t|·•—–-_,;:")).strip()


def _pick_name(lines: list[TextLine], candidates: list[int], out: Extracted) -> int | None:
    tallest = max((lines[i].height for i in candidates), default=1.0) or 1.0
    best: tuple[float, int, list[str]] | None = None
    for i in candidates:
        text = _clean(lines[i].text)
        words = names.name_words(text)
        if not words or pt.STRONG_COMPANY_FORMS.search(text) or pt.QUOTED.search(text):
            continue
        if pt.TITLE_WORDS.search(text) or pt.is_address(text):
            continue
        score = names.name_likelihood(words) + 0.5 * lines[i].height / tallest
        nxt = lines[i + 1].text if i + 1 < len(lines) else ""
        if pt.TITLE_WORDS.search(nxt):
            score += 0.3
        if pt.COMPANY_FORMS.search(text):
            score -= 0.4
        if best is None or score > best[0]:
            best = (score, i, words)
    if best is None or best[0] < 0.6:
        return None
    person = names.parse_name(" ".join(best[2]))
    conf = lines[best[1]].conf
    for key, value in (
        ("name", person.full),
        ("first_name", person.first),
        ("middle_name", person.middle),
        ("last_name", person.last),
    ):
        out.values[key] = value
        out.confidence[key] = conf
    return best[1]


def _pick_title(
    lines: list[TextLine], candidates: list[int], name_i: int | None, out: Extracted
) -> list[int]:
    best: tuple[float, int] | None = None
    for i in candidates:
        text = lines[i].text
        if i == name_i or not pt.TITLE_WORDS.search(text) or pt.STRONG_COMPANY_FORMS.search(text):
            continue
        if pt.QUOTED.search(text) or re.search(r"\d|@", text):
            continue
        distance = abs(i - name_i) if name_i is not None else 3
        score = 1.0 / (1 + distance) + (0.2 if name_i is not None and i > name_i else 0.0)
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return []
    used = [best[1]]
    text = _clean(lines[best[1]].text)
    nxt = best[1] + 1
    # A long title wraps: the next line continues it in lower case.
    if nxt in candidates and nxt != name_i and re.match(r"^[a-zа-яё]", lines[nxt].text.strip()):
        text = f"{text} {_clean(lines[nxt].text)}"
        used.append(nxt)
    out.values["title"] = text
    out.confidence["title"] = lines[best[1]].conf
    return used


def _is_title_case_phrase(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 5 or sum(ch.isalpha() for ch in text) < 4:
        return False
    small = {"&", "and", "of", "the", "и", "for", "de", "von", "+"}
    if re.search(r"[.!?]\s+\S", text) or text.endswith(("!", "?")):
        return False  # "Design. Build. Deliver." is a slogan
    return all(w[:1].isupper() or w[:1] in '«"“' or w.lower() in small for w in words)


def _pick_company(
    lines: list[TextLine], candidates: list[int], used: set[int | None], out: Extracted
) -> None:
    tallest = max((lines[i].height for i in candidates), default=1.0) or 1.0
    best: tuple[float, int] | None = None
    for i in candidates:
        if i in used:
            continue
        text = _clean(lines[i].text)
        if re.search(r"@|\d{3,}", text) or len(text) < 2:
            continue
        if pt.STRONG_COMPANY_FORMS.search(text) or pt.QUOTED.search(text):
            score = 2.0
        elif pt.COMPANY_FORMS.search(text) and not pt.TITLE_WORDS.search(text):
            score = 1.5
        elif _is_title_case_phrase(text) and not pt.TITLE_WORDS.search(text):
            if names.name_words(text) and names.name_likelihood(names.name_words(text) or []) > 0.6:
                continue
            score = 1.0
        else:
            continue
        score += 0.5 * lines[i].height / tallest
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return
    company = _clean(lines[best[1]].text)
    # A logo letter OCR'd in front of the name: "С «Софтинжиниринг»".
    company = re.sub(r"^[A-ZА-ЯЁ]\s+(?=[«\"“])", "", company)
    out.values["company"] = company
    out.confidence["company"] = round(lines[best[1]].conf * (1.0 if best[0] >= 1.5 else 0.6), 3)


def _pick_address(lines: list[TextLine], out: Extracted) -> None:
    groups: list[list[int]] = []
    for i, ln in enumerate(lines):
        if ln.kind != "address":
            continue
        if groups and groups[-1][-1] == i - 1:
            groups[-1].append(i)
        else:
            groups.append([i])
    if not groups:
        return
    group = max(groups, key=lambda g: sum(len(lines[i].text) for i in g))
    parts = [_clean(pt.ADDRESS_LABEL.sub("", lines[i].text)) for i in group]
    out.values["address"] = ", ".join(p for p in parts if p)
    out.confidence["address"] = round(sum(lines[i].conf for i in group) / len(group), 3)


def detect_lang(lines: list[TextLine]) -> str:
    cyr = lat = 0
    for ln in lines:
        if ln.kind in ("contact", "skip"):
            continue
        for w in re.findall(r"[A-Za-zА-Яа-яЁё]{2,}", ln.text):
            if pt.has_cyrillic(w):
                cyr += len(w)
            else:
                lat += len(w)
    total = cyr + lat
    if total == 0:
        return "ru" if any(pt.has_cyrillic(ln.text) for ln in lines) else "en"
    if lat <= 0.12 * total:
        return "ru"
    if cyr <= 0.12 * total:
        return "en"
    return "mixed"
