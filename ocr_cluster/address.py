"""The postal address: the lines that carry street, house number, postal code, city or
country, grouped by where they sit, joined with ", ".

A line may hold a phone after the address ("São Paulo - SP - Tel: 3241-0322"): the
address is the part before it. Landmarks ("próximo ao metrô", "(near the station)") are
directions, not the address. A card that lists several shops gives the first one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from ocr_cluster import patterns as pt
from ocr_cluster.layout import Layout

# Address lines sit closer than other blocks; a slightly looser pitch keeps a postal-code
# line printed a little apart.
ADDRESS_PITCH = 2.0

STREET_START = re.compile(
    r"(?i)^\W*(?:av\.?|avenida|rua|r\.|al\.|alameda|travessa|tv\.|rod\.|rodovia|estrada|"
    r"praça|calle|c/|avda\.?|carrera|rue|via|viale|piazza|đường|ул\.|улица|пр-т|проспект)\s"
)
_PHONE_RUN = re.compile(r"(?<![\w])[+(]?\d[\d\s().\-]{6,}\d(?![\w])")
_LEADING_LABEL = re.compile(r"^\W*[^\W\d]{2,15}\s*:\s*")  # "Lojas: Av. ...", "Matriz: Rua ..."

EXTRA_LINE = 0.93  # confidence kept per address line beyond the first


class Line(Protocol):
    text: str
    conf: float
    kind: str
    emails: list[str]
    websites: list[str]


def _phone_start(text: str) -> int | None:
    """Where a phone number starts in the line (postal codes are not phone numbers)."""
    label = pt.PHONE_INSIDE.search(text)
    starts = [label.start()] if label else []
    for m in _PHONE_RUN.finditer(text):
        run = m.group(0)
        if sum(ch.isdigit() for ch in run) < 8 or re.fullmatch(r"\s*\d{5}-\d{3}\s*", run):
            continue
        if re.search(r"(?i)(cep|zip|c\.p\.)\s*[:.]?\s*$", text[: m.start()]):
            continue
        starts.append(m.start())
    return min(starts) if starts else None


def address_part(line: Line) -> str | None:
    """The address text of one line, with labels, phones and landmarks taken off."""
    if line.kind == "skip" or line.emails or line.websites:
        return None
    text = line.text
    cut = _phone_start(text)
    if cut is not None:
        text = text[:cut]
    text = pt.ADDRESS_LABEL.sub("", text)
    if pt.LANDMARK.search(text):
        return None
    text = pt.PARENTHESES.sub(" ", text)
    rest = _LEADING_LABEL.sub("", text)
    label = text[: len(text) - len(rest)]
    if rest != text and pt.is_address(rest) and not pt.address_score(label):
        text = rest
    text = re.sub(r"\s*[|•·]\s*", ", ", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"(\s*,\s*)+", ", ", text)
    text = re.sub(r"^[^\w#〒(]+|[^\w.)]+$", "", text)  # bullets and icons at the ends
    return text or None


def _city_line(
    lines: Sequence[Line], layout: Layout, group: list[int], parts: dict[int, str]
) -> int | None:
    """A short line set right under the address in its size and nothing else: the city
    ("São Paulo", "Paddington, London"), printed without a marker or a postal code."""
    last = group[-1]
    for j, ln in enumerate(lines):
        text = ln.text.strip()
        if j in parts or ln.kind != "text" or not layout.boxed(last, j):
            continue
        if not layout.stacked([last], [j]) or layout.height_ratio([last], [j]) < 0.8:
            continue
        if len(text.split()) > 4 or not text[:1].isupper() or pt.is_prose(text):
            continue
        if pt.TITLE_WORDS.search(text) or pt.COMPANY_FORMS.search(text):
            continue
        if pt.BUSINESS_WORDS.search(text) or pt.DEPARTMENT.search(text):
            continue
        return j
    return None


def pick_address(lines: Sequence[Line], layout: Layout) -> tuple[str, float, list[int]] | None:
    """(address, confidence, line indices) or None."""
    parts: dict[int, str] = {}
    for i, ln in enumerate(lines):
        part = address_part(ln)
        if part and (pt.address_score(part) or pt.ADDRESS_TAIL.search(part)):
            parts[i] = part
    if not parts:
        return None
    groups: list[list[int]] = []
    for i in sorted(parts, key=lambda k: (layout.y(k), layout.x(k))):
        # The group it continues: right under its last line (another column's lines may
        # come between in reading order). A second street is another shop's address.
        group = next(
            (g for g in reversed(groups) if layout.stacked([g[-1]], [i], ADDRESS_PITCH)), None
        )
        new_street = (
            group
            and STREET_START.match(parts[i])
            and any(STREET_START.match(parts[j]) for j in group)
        )
        if group and not new_street:
            group.append(i)
        else:
            groups.append([i])
    scored = [
        (sum(pt.address_score(parts[i]) for i in g), -n, g)
        for n, g in enumerate(groups)
        if any(pt.is_address(parts[i]) for i in g)
    ]
    if not scored:
        return None
    group = max(scored)[2]
    tail = _city_line(lines, layout, group, parts)
    if tail is not None:
        parts[tail] = lines[tail].text.strip(" ,;-")
        group.append(tail)
    text = ", ".join(parts[i] for i in group)
    # Each further line is one more chance that the block took a line too many or too few.
    conf = sum(lines[i].conf for i in group) / len(group) * EXTRA_LINE ** (len(group) - 1)
    conf = round(conf, 3)
    return text, conf, group
