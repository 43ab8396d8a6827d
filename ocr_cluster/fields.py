"""OCR lines → contact fields: each line is classified, then the best candidates are picked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ocr_cluster import address, company, contacts, country, domains, person, phones
from ocr_cluster import patterns as pt
from ocr_cluster.lang import detect_lang
from ocr_cluster.layout import Layout


@dataclass
class TextLine:
    """One line of card text as the extractor sees it."""

    text: str
    height: float = 20.0
    conf: float = 1.0
    block: int = 0
    box: tuple[int, int, int, int] | None = None  # x1, y1, x2, y2 on the upright card
    kind: str = "text"  # contact | address | skip | text
    emails: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)


@dataclass
class Extracted:
    values: dict[str, Any] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)


def extract_fields(lines: list[TextLine], *, fallback_regions: Sequence[str] = ()) -> Extracted:
    """``fallback_regions``: where numbers printed without a country code are from when the
    card does not tell (the sender's own country, the channel's)."""
    out = Extracted()
    lines = [ln for ln in lines if ln.text.strip()]
    script = _card_script(lines)
    for ln in lines:
        _classify(ln, script)
    _pick_contacts(lines, out, fallback_regions)
    lines = _split_name_title(lines)
    layout = Layout(lines)
    in_address = _pick_address(lines, layout, out)
    text_lines = [i for i, ln in enumerate(lines) if ln.kind == "text" and i not in in_address]
    clues = domains.clues(
        [e for ln in lines for e in ln.emails], [w for ln in lines for w in ln.websites]
    )
    _respell(lines, text_lines, clues)
    name_lines = _pick_name(lines, text_lines, clues, layout, out)
    name_i = name_lines[0] if name_lines else None
    title_lines = _pick_title(
        lines, [i for i in text_lines if i not in name_lines[1:]], name_i, layout, out
    )
    rest = [i for i in text_lines if i not in name_lines and i not in title_lines]
    _pick_company(lines, rest, clues, layout, out)
    out.values["lang"] = detect_lang(lines)
    return out


def _respell(lines: list[TextLine], text_lines: list[int], clues: domains.Clues) -> None:
    """Lines in a row (up to three) that nearly spell a domain label take its spelling."""
    done: set[int] = set()
    for size in (3, 2, 1):
        for k in range(len(text_lines) - size + 1):
            group = text_lines[k : k + size]
            if done & set(group) or group[-1] - group[0] != size - 1:
                continue
            fixed = domains.respell([lines[i].text for i in group], clues.labels)
            if fixed:
                for i, text in zip(group, fixed, strict=True):
                    lines[i].text = text
                done |= set(group)


def _split_name_title(lines: list[TextLine]) -> list[TextLine]:
    """A line holding both ("Kenji Tanaka | Sales Manager") becomes a name line and a title
    line, the box cut where the text is."""
    out: list[TextLine] = []
    for ln in lines:
        parts = person.split_name_title(ln.text) if ln.kind == "text" else None
        if parts is None:
            out.append(ln)
            continue
        name, title = parts
        name_box = title_box = ln.box
        if ln.box is not None:
            x1, y1, x2, y2 = ln.box
            cut = x1 + round((x2 - x1) * len(name) / max(1, len(ln.text)))
            name_box, title_box = (x1, y1, cut, y2), (cut, y1, x2, y2)
        for text, box in ((name, name_box), (title, title_box)):
            out.append(replace(ln, text=text, box=box, emails=[], websites=[]))
    return out


def _card_script(lines: list[TextLine]) -> str | None:
    """The alphabet most of the card is printed in, by the letters only one alphabet has:
    it decides lines made only of look-alikes ("АРЕХ" on a Latin card)."""
    lat = cyr = 0
    for ln in lines:
        if "@" not in ln.text and not re.search(r"(?i)www|https?:", ln.text):
            a, b = pt.script_votes(ln.text)
            lat, cyr = lat + a, cyr + b
    if max(lat, cyr) < 3:
        return None
    return "lat" if lat > 2 * cyr else "cyr" if cyr > 2 * lat else None


def _classify(ln: TextLine, script: str | None = None) -> None:
    ln.text = pt.collapse_spacing(pt.fix_scripts(ln.text, script))
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
    elif pt.LANDMARK.search(text):
        ln.kind = "skip"  # "próximo ao metrô": directions, not the address
    elif pt.is_address(text):
        ln.kind = "address"
    elif pt.HOURS_LINE.search(text):
        ln.kind = "skip"


def _pick_contacts(lines: list[TextLine], out: Extracted, fallback_regions: Sequence[str]) -> None:
    regions = country.card_regions(lines, fallback_regions)
    # Every line is read for numbers, address and skipped lines too: phones.py tells
    # postcodes, ids and hours from numbers, and "São Paulo - SP - Tel: …" is both.
    numbers = phones.card_phones([ln.text for ln in lines], regions)
    found: list[str] = []
    fax_only: list[str] = []
    tel_fax: list[str] = []
    confs: dict[str, list[float]] = {"phones": [], "emails": [], "websites": [], "fax": []}
    emails: list[str] = []
    websites: list[str] = []
    for ln, (p, f) in zip(lines, numbers, strict=True):
        found += p
        fax_only += [x for x in f if x not in p]
        tel_fax += [x for x in f if x in p]
        confs["phones"] += [ln.conf] * len(p)
        confs["fax"] += [ln.conf] * len(f)
        if (p or f) and ln.kind == "text":
            ln.kind = "contact"
        if ln.kind == "skip":
            continue
        emails += ln.emails
        websites += ln.websites
        confs["emails"] += [ln.conf] * len(ln.emails)
        confs["websites"] += [ln.conf] * len(ln.websites)
    # A number labelled fax alone is the fax and no phone. One labelled "Tel/Fax" is a
    # phone, and the fax as well when no number is labelled fax alone.
    faxes = list(dict.fromkeys(fax_only + tel_fax))
    out.values["phones"] = [p for p in dict.fromkeys(found) if p not in fax_only]
    out.values["fax"] = faxes[0] if faxes else None
    out.values["emails"] = list(dict.fromkeys(emails))
    out.values["websites"] = list(dict.fromkeys(websites))
    for key, vals in confs.items():
        if vals:
            out.confidence[key] = round(sum(vals) / len(vals), 3)


def _set_name(out: Extracted, pick: person.NamePick, conf: float) -> None:
    for key, value in (
        ("name", pick.person.full),
        ("first_name", pick.person.first),
        ("middle_name", pick.person.middle),
        ("last_name", pick.person.last),
    ):
        out.values[key] = value
        out.confidence[key] = conf


def _pick_name(
    lines: list[TextLine],
    candidates: list[int],
    clues: domains.Clues,
    layout: Layout,
    out: Extracted,
) -> tuple[int, ...]:
    """The name's lines, the main one first (none when the card names no person)."""
    pick = person.pick_name(lines, candidates, clues, layout)
    if pick is None:
        return ()
    _set_name(out, pick, lines[pick.index].conf)
    return pick.lines


def _pick_title(
    lines: list[TextLine], candidates: list[int], name_i: int | None, layout: Layout, out: Extracted
) -> list[int]:
    found = person.pick_title(lines, candidates, name_i, layout)
    if found is None:
        return []
    out.values["title"], used = found
    out.confidence["title"] = lines[used[0]].conf
    return used


def _pick_company(
    lines: list[TextLine],
    candidates: list[int],
    clues: domains.Clues,
    layout: Layout,
    out: Extracted,
) -> None:
    # Initials and marks in a logo are no text: the tallest line with some letters.
    worded = [
        ln.height for ln in lines if ln.kind == "text" and sum(map(str.isalpha, ln.text)) >= 4
    ]
    tallest = max(worded, default=1.0) or 1.0
    found = company.pick_company(lines, candidates, clues, layout, tallest)
    if found is not None:
        out.values["company"], out.confidence["company"] = found


def _pick_address(lines: list[TextLine], layout: Layout, out: Extracted) -> set[int]:
    found = address.pick_address(lines, layout)
    if found is None:
        return set()
    out.values["address"], out.confidence["address"], used = found
    return set(used)
