"""Which line is the person's name, and which their job title.

Most names are in no dictionary, so a line wins on several signals together: it is
shaped like a name, the e-mail spells it, a title sits right under or over it, it is
printed large, and it is none of the things a card also prints in capitals (a company,
a trade, a street, a slogan). Company-only cards have no name line at all: below the
threshold nothing is reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ocr_cluster import names
from ocr_cluster import patterns as pt
from ocr_cluster.domains import Clues, label_match
from ocr_cluster.layout import Layout

NAME_THRESHOLD = 0.6


class Line(Protocol):
    text: str
    height: float
    conf: float


@dataclass(frozen=True)
class NamePick:
    index: int
    person: names.PersonName
    score: float
    lines: tuple[int, ...]  # every line of the name: a wrapped part, its twin in kanji


def clean(text: str) -> str:
    """Spaces collapsed; separators and icon marks (bullets, ©, ☎) at either end dropped
    ("&" stays: "Kesselstädt &" / "Sanddorf GmbH" is one name over two lines)."""
    text = re.sub(r"^[^\w«\"“„(#+&]+|[^\w.»\"”)&+]+$", "", text.strip())
    return re.sub(r"\s+", " ", text).strip()


def is_title_line(text: str) -> bool:
    return bool(pt.TITLE_WORDS.search(text)) and not pt.STRONG_COMPANY_FORMS.search(text)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


class _Card:
    """What the name scores look at, worked out once per card."""

    def __init__(
        self, lines: Sequence[Line], members: list[int], clues: Clues, layout: Layout
    ) -> None:
        self.lines, self.members, self.clues, self.layout = lines, members, clues, layout
        self.text = {i: clean(lines[i].text) for i in members}
        # Initials and marks in a logo are no text: the tallest line with some letters.
        sized = [lines[i].height for i in members if _letters(self.text[i]) >= 4]
        self.tallest = max(sized, default=1.0) or 1.0
        self.firmlike = {i for i, t in self.text.items() if self._firmlike(t)}
        self._near: dict[int, list[int]] = {}
        self.company_elsewhere = bool(self.firmlike)

    def _firmlike(self, text: str) -> bool:
        return bool(
            pt.COMPANY_FORMS.search(text)
            or pt.QUOTED.search(text)
            or pt.BUSINESS_WORDS.search(text)
            or label_match(text, self.clues.labels) >= 1.0
        )

    def near(self, i: int) -> list[int]:
        """The lines right over and under line `i`."""
        if i not in self._near:
            stacked = self.layout.stacked
            self._near[i] = [
                j for j in self.members if j != i and (stacked([i], [j]) or stacked([j], [i]))
            ]
        return self._near[i]

    def below(self, i: int) -> int | None:
        return next((j for j in self.members if self.layout.stacked([i], [j])), None)

    def candidates(self) -> list[tuple[list[int], str]]:
        """Name-shaped texts of one line, or of two or three stacked lines of one size and
        letter case ("СЕРАФИМА" / "ЯРОСЛАВОВНА" / "СВИРИВИНА")."""
        out = []
        # A line the OCR cut at a wide gap ("Kayric" "Ashham") counts whole as well.
        for row in self.layout.rows(self.members):
            if len(row) > 1 and len({self.text[i].isupper() for i in row}) == 1:
                text = clean(self.layout.row_text(row))
                if names.name_words(text):
                    out.append((row, text))
        for i in self.members:
            rows, text = [i], self.text[i]
            while True:
                if names.name_words(text):
                    out.append((list(rows), text))
                j = self.below(rows[-1])
                if j is None or len(rows) == 3 or not self._continues(rows[0], j):
                    break
                rows, text = [*rows, j], f"{text} {self.text[j]}"
        return out

    def _continues(self, first: int, j: int) -> bool:
        part = self.text[j]
        return (
            len(part.split()) <= 2
            and self.layout.height_ratio([first], [j]) >= 0.85
            and part.isupper() == self.text[first].isupper()
            and j not in self.firmlike
            and not pt.TITLE_WORDS.search(part)
        )

    def under_trade(self, i: int) -> bool:
        """Set in one size with a trade line ("MECÂNICA E PINTURA" / "FLÁVIO E VALDEQUE"):
        more likely a trade name than a person."""
        return any(
            self.layout.height_ratio([i], [j]) >= 0.85 and pt.BUSINESS_WORDS.search(self.text[j])
            for j in self.near(i)
        )

    def in_firm_name(self, i: int) -> bool:
        """Part of a firm's name set in one size with it: its legal form alone on the next
        line ("Hofstädt" / "Haustechnik" / "GmbH"), or a form that has no name yet on the
        line above ("CÔNG TY TNHH THIẾT" / "BỊ Y TẾ PHÁT KIM")."""
        for j in self.near(i):
            text = self.text[j]
            if self.layout.height_ratio([i], [j]) < 0.85 or not pt.STRONG_COMPANY_FORMS.search(
                text
            ):
                continue
            if _letters(pt.STRONG_COMPANY_FORMS.sub("", text)) < 2:
                return True
            if self.layout.stacked([j], [i]) and not pt.ends_name(text):
                return True
        return False

    def score(self, rows: list[int], text: str) -> tuple[float, list[int]] | None:
        words = names.name_words(text) or []
        if pt.STRONG_COMPANY_FORMS.search(text) or pt.QUOTED.search(text):
            return None
        if pt.TITLE_WORDS.search(text) or pt.is_address(text):
            return None
        if pt.DEPARTMENT.search(text) or pt.is_prose(text):
            return None
        if any(self.in_firm_name(i) for i in rows):
            return None
        near = [j for i in rows for j in self.near(i) if j not in rows]
        spelled = names.email_supports(words, self.clues.locals)
        titled = any(is_title_line(self.text[j]) for j in near)
        # A name printed twice, in kanji and in Latin letters ("森橋 香穂" / "MORIHASHI KANAHO").
        twins = [
            j
            for j in near
            if pt.has_cjk(text) != pt.has_cjk(self.text[j]) and names.name_words(self.text[j])
        ]
        # An initial and one word ("R. OLIVEIRA") is as often a firm's name: it needs a witness.
        if names.full_words(words) < 2 and not (spelled or titled or twins):
            return None
        height = max(self.lines[i].height for i in rows)
        score = 0.25 + names.name_likelihood(words) + 0.25 * min(1.0, height / self.tallest)
        score += 0.5 * spelled + 0.35 * titled + 0.35 * bool(twins)
        if self.company_elsewhere and self._prominent(rows, words):
            score += 0.15  # the company is another line; this is the largest name-like print
        if pt.COMPANY_FORMS.search(text):
            score -= 0.4
        if pt.BUSINESS_WORDS.search(text):
            score -= 0.35
        if not spelled and label_match(text, self.clues.labels) >= 0.7:
            score -= 0.5  # the domain spells it: the company
        if any(self.under_trade(i) for i in rows):
            score -= 0.4
        elif not (spelled or titled or twins) and self._in_header(rows, near):
            score -= 0.3
        return score, twins

    def _in_header(self, rows: list[int], near: list[int]) -> bool:
        """Set in one size with the next line, which is no title: a logo or header over
        two lines ("Flores Nossa" / "Senhora de Fatima"), not a person's name."""
        return any(
            self.layout.height_ratio(rows, [j]) >= 0.8 and _letters(self.text[j]) >= 3 for j in near
        )

    def _prominent(self, rows: list[int], words: list[str]) -> bool:
        """The largest print of a name shape, firms aside."""
        height = max(self.lines[i].height for i in rows)
        if height < 0.75 * self.tallest or names.full_words(words) < 2:
            return False
        return all(
            self.lines[j].height <= height
            for j in self.members
            if j not in rows and j not in self.firmlike and names.name_words(self.text[j])
        )


def pick_name(
    lines: Sequence[Line], members: list[int], clues: Clues, layout: Layout
) -> NamePick | None:
    card = _Card(lines, members, clues, layout)
    best: NamePick | None = None
    for rows, text in card.candidates():
        scored = card.score(rows, text)
        if scored is None:
            continue
        score, twins = scored
        if best is None or score > best.score:
            best = NamePick(rows[0], names.parse_name(text), score, (*rows, *twins))
    if best is None or best.score < NAME_THRESHOLD:
        return None
    return best


def _distance(layout: Layout, i: int, name_i: int | None) -> float:
    """How far a title line is from the name, in lines; a title is right under or over it."""
    if name_i is None:
        return 3.0
    if layout.stacked([name_i], [i]):
        return 0.0
    if layout.stacked([i], [name_i]):
        return 0.5
    a, b = layout.geo[i], layout.geo[name_i]
    if a is None or b is None:
        return float(abs(i - name_i))
    return 1.0 + abs(a.cy - b.cy) / max(b.h, 1.0)


def pick_title(
    lines: Sequence[Line], members: list[int], name_i: int | None, layout: Layout
) -> tuple[str, list[int]] | None:
    best: tuple[float, int] | None = None
    for i in members:
        text = clean(lines[i].text)
        if i == name_i or not is_title_line(text) or pt.QUOTED.search(text):
            continue
        if re.search(r"\d|@", text) or len(text.split()) > 8 or pt.DEPARTMENT.search(text):
            continue
        if pt.is_sentence(text) or pt.speaks_to_reader(text):
            continue  # "Ihr Partner vor Ort" is a slogan
        if len(text) <= 2 and text.isascii():
            continue  # "GM", "MD" alone: a logo's initials
        # Without a person a title word is more likely a trade ("Assistência Técnica") or a
        # slogan ("Ihr Partner vor Ort").
        if name_i is None and (len(text.split()) > 3 or pt.BUSINESS_WORDS.search(text)):
            continue
        distance = _distance(layout, i, name_i)
        below = name_i is not None and (layout.y(i) > layout.y(name_i))
        score = 1.0 / (1 + distance) + (0.2 if below else 0.0)
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        return None
    # The whole printed line, if the OCR cut it at a gap ("Regional Sales" "Director").
    row = next(r for r in layout.rows([j for j in members if j != name_i]) if best[1] in r)
    used = row
    # A period OCR'd after the last word; an abbreviation ("Eng.") keeps its own.
    text = re.sub(r"(?<=[^\W\d_]{4})\.$", "", clean(layout.row_text(row)))
    # A long title wraps: the next line continues it in lower case, or the line breaks
    # after "&", "and", "de" ("Head of Sales &" / "Business Development").
    nxt = [j for j in members if j not in (*row, name_i) and layout.stacked(row, [j])]
    if nxt:
        follow = lines[nxt[0]].text.strip()
        if re.match(r"^[a-zа-яё]", follow) or _WRAPS.search(layout.row_text(row)):
            text = f"{text} {clean(follow)}"
            used.append(nxt[0])
    return text, used


_WRAPS = re.compile(r"(?i)(?:\s(?:&|and|of|e|y|et|und|и|de|da|do|for)|[,/&+])$")
# Where a name and a title share a line: "Kenji Tanaka | Sales Manager", "Ana Lima, CEO".
_SEPARATOR = re.compile(r"\s*[|,•·/]\s*|\s+[-–—]\s+")


def split_name_title(text: str) -> tuple[str, str] | None:
    """(name, title) when one line holds both, else None."""
    cuts = [(m.start(), m.end()) for m in _SEPARATOR.finditer(text)]
    if pt.has_cjk(text):  # 王小明 总经理, 田中 太郎 部長
        cuts += [(m.start(), m.end()) for m in re.finditer(r"\s+", text)]
    for start, end in cuts:
        left, right = clean(text[:start]), clean(text[end:])
        if not right or is_title_line(left) or not is_title_line(right):
            continue
        if names.name_words(left) and not pt.STRONG_COMPANY_FORMS.search(left):
            return left, right
    return None
