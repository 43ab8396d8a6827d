"""Which printed line(s) are the company's name.

Evidence, strongest first: a legal form of any country ("Ltda.", "GmbH", "株式会社") or
quotes (Russian names), the e-mail or website domain spelling the line (`contoso.com` →
`CONTOSO`), then a short capitalised line printed large (a logo). A name may run over
two or three stacked lines of about the same size ("Flores Nossa" / "Senhora de Fatima");
a slogan, a department, a product list or a trade line printed smaller is not part of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from ocr_cluster import names
from ocr_cluster import patterns as pt
from ocr_cluster.address import STREET_START
from ocr_cluster.domains import Clues, label_match
from ocr_cluster.layout import Layout
from ocr_cluster.person import clean

# Rows of one name are set in one size; this much smaller and it is a subtitle.
SAME_SIZE = 0.75
MAX_WORDS = 12  # Vietnamese names run long in one-syllable words


class Line(Protocol):
    text: str
    height: float
    conf: float


def _title_case_phrase(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 5 or sum(ch.isalpha() for ch in text) < 4:
        return False
    small = {"&", "and", "of", "the", "и", "for", "de", "da", "do", "dos", "das", "e", "von", "+"}
    return all(w[:1].isupper() or w[:1] in '«"“' or w.lower() in small for w in words)


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _own_letters(text: str) -> int:
    """Letters besides legal forms and quotes: "BV", "AO «»" alone name nothing."""
    return _letters(pt.STRONG_COMPANY_FORMS.sub("", text))


def _form_only(text: str) -> bool:
    """A row that is only a legal form: "GmbH & Co. KG", "CÔNG TY" (the rest wrapped)."""
    return bool(pt.STRONG_COMPANY_FORMS.search(text)) and _own_letters(text) < 2


def _drop_initials(text: str) -> str:
    """A logo's initials before the name they abbreviate: "RD Redwood Dynamics"."""
    words = text.split()
    if len(words) >= 3 and words[0].isupper() and 2 <= len(words[0]) <= 4:
        initials = "".join(w[0] for w in words[1 : 1 + len(words[0])]).upper()
        if initials == words[0]:
            return " ".join(words[1:])
    return text


def _unusable(text: str) -> bool:
    """Lines that never name a company: contact data, sentences, departments, titles."""
    digits = sum(ch.isdigit() for ch in text)
    if "@" in text or re.search(r"\d{5,}", text) or digits > _letters(text):
        return True
    if pt.is_prose(text) or pt.DEPARTMENT.search(text) or pt.LANDMARK.search(text):
        return True
    if pt.TITLE_WORDS.search(text) and not pt.COMPANY_FORMS.search(text):
        return True
    if re.fullmatch(r"\(.*\)", text):  # "(Guina)": a nickname or a note
        return True
    return pt.is_address(text) or bool(STREET_START.match(text))


def _person_like(text: str, clues: Clues) -> bool:
    words = names.name_words(text)
    if not words:
        return False
    return names.name_likelihood(words) >= 0.35 or names.email_supports(words, clues.locals)


def _label_match(text: str, clues: Clues) -> float:
    match = label_match(text, clues.labels)
    if match < 1.0:
        # The domain leaves out the legal form ("SAS AVEX" ~ avex.fr), and a trade word
        # inside a domain ("restaurante" in dimariorestaurante) is no sign.
        bare = pt.BUSINESS_WORDS.sub("", pt.STRONG_COMPANY_FORMS.sub("", text))
        match = label_match(bare, clues.labels)
    return match


def row_score(text: str, height: float, tallest: float, clues: Clues) -> float | None:
    """How much one printed line looks like the company name, None if it cannot be one."""
    if _own_letters(text) < 2 or _unusable(text):
        return None
    match = _label_match(text, clues)
    if pt.STRONG_COMPANY_FORMS.search(text) or pt.QUOTED.search(text):
        score = 2.0
    elif pt.COMPANY_FORMS.search(text):
        score = 1.5
    elif match:
        score = 0.0
    elif _person_like(text, clues):
        return None
    elif _title_case_phrase(text) or (height >= 0.85 * tallest and _letters(text) >= 3):
        score = 1.0  # capitalised like a name, or the largest print on the card
    else:
        return None
    score = max(score, 2.0 * match) + (0.3 if score >= 1.5 and match else 0.0)
    if pt.is_list(text):
        score -= 1.0
    if pt.BUSINESS_WORDS.search(text) and score < 1.5:
        score += 0.2  # a trade word backs a capitalised line, adds nothing to a legal form
    return score + 0.5 * height / tallest


def _case(text: str) -> str | None:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or not any(ch.isupper() or ch.islower() for ch in letters):
        return None  # digits, CJK
    return "upper" if all(not ch.islower() for ch in letters) else "mixed"


def _connector(text: str) -> bool:
    return text.lower() in ("&", "+", "and", "und", "et", "e", "y", "и")


def _fragment(text: str) -> bool:
    """Can this row continue a company name printed over several rows?"""
    words = text.split()
    return (
        0 < len(words) <= 5
        and (_own_letters(text) >= 2 or text.isdigit() or _form_only(text) or _connector(text))
        and not pt.is_list(text)
        and not pt.is_prose(text)
        and not pt.DEPARTMENT.search(text)
        and not pt.TITLE_WORDS.search(text)
        and "@" not in text
        and not re.search(r"\d{5,}", text)
    )


def _script(text: str) -> str:
    return "cyr" if pt.has_cyrillic(text) else "cjk" if pt.has_cjk(text) else "lat"


class _Rows:
    """The candidate rows of one card and how they stack."""

    def __init__(self, lines: Sequence[Line], members: list[int], layout: Layout) -> None:
        self.layout = layout
        self.rows = layout.rows(members)
        self.texts = [clean(layout.row_text(row)) for row in self.rows]
        self.heights = [max(lines[i].height for i in row) for row in self.rows]

    # Names set over several rows leave room between them: a looser pitch than for blocks.
    PITCH = 2.0

    def below(self, r: int) -> int | None:
        """The row right under row `r` in its column (another column may come between in
        reading order)."""
        if not self.layout.boxed(*self.rows[r]):
            return None
        for k in range(r + 1, len(self.rows)):
            if self.layout.boxed(*self.rows[k]) and self.layout.stacked(
                self.rows[r], self.rows[k], self.PITCH
            ):
                return k
        return None

    def above(self, r: int) -> int | None:
        if not self.layout.boxed(*self.rows[r]):
            return None
        for k in range(r - 1, -1, -1):
            if self.layout.boxed(*self.rows[k]) and self.layout.stacked(
                self.rows[k], self.rows[r], self.PITCH
            ):
                return k
        return None

    def ratio(self, a: int, b: int) -> float:
        return min(self.heights[a], self.heights[b]) / max(self.heights[a], self.heights[b], 1.0)

    def stack_size(self, r: int) -> int:
        """How many rows of one size are stacked with row `r` (a paragraph, a list)."""
        size = 1
        for step in (self.below, self.above):
            k = r
            while True:
                n = step(k)
                if n is None or self.ratio(k, n) < 0.8:
                    break
                size, k = size + 1, n
        return size


def pick_company(
    lines: Sequence[Line], members: list[int], clues: Clues, layout: Layout, tallest: float
) -> tuple[str, float] | None:
    """(company, confidence) from the unused text lines `members`, or None."""
    rows = _Rows(lines, members, layout)
    texts, heights = rows.texts, rows.heights
    # The card's own domain names its company: when no line spells it, the name is in
    # the logo, and a merely capitalised small line is a guess not worth making.
    unspelled = bool(clues.owned) and not any(_label_match(t, clues) for t in texts)
    best: tuple[float, list[int]] | None = None  # score, rows top to bottom
    for r, text in enumerate(texts):
        score = row_score(text, heights[r], tallest, clues)
        if score is None and not _form_only(text):
            continue
        # The name may go on over the rows around this one: judge the whole of it.
        chain = _grow(rows, r, clues)
        if len(chain) > 1:
            joined = " ".join(texts[k] for k in chain)
            whole = row_score(joined, max(heights[k] for k in chain), tallest, clues)
            if whole is not None and (score is None or whole >= score):
                score = whole
            else:
                chain = [r]
        if score is None:
            continue
        if unspelled and score < 1.5 + 0.5 * heights[r] / tallest and heights[r] < 0.85 * tallest:
            continue
        if score < 1.5 and len(chain) == 1 and rows.stack_size(r) >= 3:
            score -= 0.3  # one line of a paragraph or a product list
        if best is None or score > best[0]:
            best = (score, chain)
    # The domain spelled over stacked rows: "Brunau" / "Buffet", "n O g" / "design".
    for r in range(len(texts)):
        chain, joined = [r], texts[r]
        while len(chain) < 3 and (k := rows.below(chain[-1])) is not None:
            if not (_fragment(texts[k]) and _fragment(texts[r])) or _script(texts[k]) != _script(
                texts[r]
            ):
                break  # a translation under the name is not its second line
            chain, joined = [*chain, k], f"{joined} {texts[k]}"
            if label_match(joined, clues.labels, whole=True) >= 1.0:
                score = 2.2 + 0.5 * max(heights[i] for i in chain) / tallest
                if best is None or score > best[0]:
                    best = (score, list(chain))
    if best is None:
        return None
    score, chosen = best
    company = _tidy(" ".join(texts[r] for r in chosen))
    conf = min(lines[i].conf for r in chosen for i in rows.rows[r])
    # A legal form or the card's domain (≥ 2) is evidence; a large capitalised line a guess.
    return company, round(conf * (1.0 if score >= 2.0 else 0.8 if score >= 1.5 else 0.6), 3)


def _tidy(company: str) -> str:
    company = _drop_initials(company)
    # Words OCR'd without their space: "EletrônicaADACHI".
    company = re.sub(r"(?<=[a-zà-ÿа-яё]{3})(?=[A-ZÀ-ÝА-ЯЁ]{2,})", " ", company)
    # ... and its legal form: "ADACHILtda.", "AcmeGmbH" (no word ends so).
    company = re.sub(r"(?<=[^\W\d_]{2})(?=(?:Ltda|LTDA|Ltd|GmbH|EIRELI)\b)", " ", company)
    # A logo mark OCR'd as letters in front: "С «Софтинжиниринг»", "fey ACME CORP.".
    return re.sub(
        r"^[A-ZА-ЯЁ]\s+(?=[«\"“])|^[a-zа-яё]{1,3}\s+(?=[A-ZА-ЯЁ]{2,}(?:\s|$))", "", company
    )


def _firm_part(text: str) -> bool:
    """A row that only says what kind of firm: "Cabinet", "& Associés", "Group, Inc.",
    "de Construção"."""
    rest = pt.BUSINESS_WORDS.sub("", pt.COMPANY_FORMS.sub("", text))
    return all(w.lower() in pt.FUNCTION_WORDS for w in re.findall(r"[^\W\d_]+", rest))


def _whole_label(text: str, clues: Clues) -> bool:
    return label_match(text, clues.labels, whole=True) >= 1.0


def _grow(rows: _Rows, seed: int, clues: Clues) -> list[int]:
    """The seed row and the rows above and below it that continue the name: stacked, about
    the same size, short, in the same script. A legal form ends a name (nothing below it
    is added, no other form above it), and a name the domain already spells is complete."""
    texts = rows.texts
    # The domain spells exactly this row: the name is complete, unless it breaks off ("KENTON &").
    spelled = label_match(texts[seed], clues.labels, whole=True) > 0
    spelled = spelled and not re.search(r"[&+,]\s*$", texts[seed])
    chain = [seed]

    def joins(near: int, new: int | None, joined: list[int]) -> bool:
        if new is None:
            return False
        text = " ".join(texts[r] for r in joined)
        # Two names each with its own legal form are two names (one a translation), and so
        # is a smaller line in other letter case ("KIM AN" / "Kim An Foods Co., Ltd.").
        forms = [r for r in joined if pt.STRONG_COMPANY_FORMS.search(texts[r])]
        if len(forms) > 1 and sum(_own_letters(texts[r]) >= 2 for r in forms) > 1:
            return False
        cases = {_case(texts[near]), _case(texts[new])} - {None}
        if len(cases) > 1 and rows.ratio(near, new) < 0.9:
            return False
        return (
            rows.ratio(near, new) >= SAME_SIZE
            and rows.ratio(seed, new) >= 0.55
            and _fragment(texts[new])
            and _script(texts[new]) == _script(texts[seed])
            and len(text.split()) <= MAX_WORDS
            and (not spelled or _firm_part(texts[new]) or _whole_label(text, clues))
        )

    def complete(part: list[int]) -> bool:  # a name, then its legal form
        return pt.ends_name(" ".join(texts[r] for r in part))

    while True:
        up = rows.above(chain[0])
        if up is None or complete([up]) or not joins(chain[0], up, [up, *chain]):
            break
        chain.insert(0, up)
    while not complete(chain):
        down = rows.below(chain[-1])
        if down is None or not joins(chain[-1], down, [*chain, down]):
            break
        chain.append(down)
    return chain
