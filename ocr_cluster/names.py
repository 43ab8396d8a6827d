"""Person names: is a line shaped like a name, what speaks for it, and which word is the
first, middle and last name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import permutations

from ocr_cluster.name_tables import (
    CJK_SURNAMES,
    GENERIC_LOCALS,
    HONORIFICS,
    LATIN_FIRST,
    PARTICLES,
    RU_FIRST,
    SUFFIXES,
    SURNAMES,
    TRANSLIT_FIRST,
    VI_SURNAMES,
)
from ocr_cluster.patterns import (
    COMPANY_FORMS,
    DEPARTMENT,
    TITLE_WORDS,
    fold,
    has_cjk,
    has_cyrillic,
    latin,
)

_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_INITIAL = re.compile(r"^(?:[^\W\d_]\.){1,2}$")
_PATRONYMIC = re.compile(r"(?i)(вич|вна|ична|инична|ьич|оглы|кызы)$")
_RU_SURNAME = re.compile(
    r"(?i)(ов|ова|ев|ева|ёв|ёва|ин|ина|ын|ына|ский|ская|цкий|цкая|ой|ая|ых|их|ко|ук|юк|"
    r"ян|дзе|швили|ич|ман|ер)$"
)
_CJK_NAME = re.compile(
    r"[\u4e00-\u9fff\uac00-\ud7af][\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]{1,4}"
)
# Vietnamese letters no other language uses: they mark family-name-first order.
_VIETNAMESE = re.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@dataclass(frozen=True)
class PersonName:
    full: str
    first: str | None
    middle: str | None
    last: str | None


def strip_honorific(text: str) -> str:
    """ "Dr. Avery Smith" → "Avery Smith": a courtesy title is not part of the name."""
    words = text.split()
    while len(words) > 2 and words[0].lower() in HONORIFICS:
        words = words[1:]
    return " ".join(words)


def _is_name_word(word: str) -> bool:
    if not _NAME_WORD.fullmatch(word):
        return False
    if has_cjk(word):
        return True
    if len(word) < 2:
        return False
    if word.isupper():
        return True
    # Capitalised; a second capital only after a prefix or joint: McDonald, D'Auria, Jean-Pierre.
    return word[0].isupper() and sum(c.isupper() for c in word) <= 2 and not word[1:].isupper()


def _role(word: str, i: int, n: int, capitals: bool = False) -> str | None:
    if _INITIAL.match(word) and word[0].isupper():
        return "initial"
    if 0 < i < n - 1 and (word if not capitals else word.lower()) in PARTICLES:
        return "particle"
    if i == n - 1 and i >= 2 and word.lower() in SUFFIXES:
        return "suffix"
    return "word" if _is_name_word(word) else None


_GLUED_INITIAL = re.compile(r"\b([A-ZА-ЯЁ]\.)(?=[A-ZА-ЯЁ][a-zа-яё])")


def name_words(text: str) -> list[str] | None:
    """The words of `text` if it is shaped like a person's name, else None.

    Latin or Cyrillic: two to five capitalised (or all-capital) words, initials, particles
    ("de", "van") and suffixes ("Jr."), one alphabet. CJK: a family name and a given name,
    two to five characters."""
    text = strip_honorific(text.replace(",", " ").strip())
    text = _GLUED_INITIAL.sub(r"\1 ", text)  # "M.Righetti": OCR lost the space
    if has_cjk(text):
        return cjk_name_words(text)
    words = text.split()
    if not 2 <= len(words) <= 5:
        return None
    capitals = text.isupper()  # "ANA DE SOUZA": particles in capitals too
    roles = [_role(w, i, len(words), capitals) for i, w in enumerate(words)]
    if None in roles or roles.count("word") == 0:
        return None
    if roles.count("word") < 2 and roles.count("initial") == 0:
        return None
    if len({"cyr" if has_cyrillic(w) else "lat" for w in words}) > 1:
        return None
    return words


def cjk_name_words(text: str) -> list[str] | None:
    """田中 太郎 / 王小明 → [family, given]; None if the text is not a short CJK name."""
    parts = text.replace("\u3000", " ").split()
    joined = "".join(parts)
    if len(parts) > 2 or not _CJK_NAME.fullmatch(joined) or len(joined) > 5:
        return None
    if TITLE_WORDS.search(joined) or COMPANY_FORMS.search(joined) or DEPARTMENT.search(parts[0]):
        return None  # 営業部 部長, 株式会社: a title, a company, a department
    if len(parts) == 2:
        return parts if all(len(p) <= 3 for p in parts) else None
    for size in (2, 1):
        if joined[:size] in CJK_SURNAMES and len(joined) > size:
            return [joined[:size], joined[size:]]
    return None


def full_words(words: list[str]) -> int:
    """How many words of a name are whole names (not initials, particles or suffixes)."""
    capitals = " ".join(words).isupper()
    return sum(_role(w, i, len(words), capitals) == "word" for i, w in enumerate(words))


def is_first_name(word: str) -> bool:
    w = fold(word)
    return word.lower() in RU_FIRST or w in LATIN_FIRST or w in TRANSLIT_FIRST


def is_surname(word: str) -> bool:
    return fold(word) in SURNAMES or word in CJK_SURNAMES


def name_likelihood(words: list[str]) -> float:
    """0..0.6: what the word lists and name endings say for `words` being a person."""
    score = 0.0
    if any(is_first_name(w) for w in words):
        score += 0.35
    if any(is_surname(w) for w in words):
        score += 0.2
    if any(_PATRONYMIC.search(w) for w in words):
        score += 0.3
    if any(_RU_SURNAME.search(w) for w in words if has_cyrillic(w)):
        score += 0.1
    if any(_INITIAL.match(w) for w in words):
        score += 0.1
    return min(score, 0.6)


def _latin(word: str) -> str:
    return re.sub(r"\d", "", latin(word))


def email_supports(words: list[str], locals_: list[str]) -> bool:
    """Does an e-mail local part spell this name? `k.tanaka`, `chris.smith`, `rbeato`,
    `ldobrovolskaya` (Cyrillic names are compared transliterated)."""
    names = [_latin(w) for w in words if len(_latin(w)) >= 2]
    for local in locals_:
        local = fold(local)
        if local in GENERIC_LOCALS:
            continue
        tokens = [t for t in re.split(r"[._\-+\d]+", local) if t]
        joined = "".join(tokens)
        for tok in tokens:
            for n in names:
                if tok == n and len(tok) >= 3:
                    return True
                if len(tok) >= 5 and SequenceMatcher(None, tok, n).ratio() >= 0.85:
                    return True
        for a, b in permutations(names, 2):
            if joined in (a + b, a[0] + b, a + b[0], a[0] + b[0]) and len(joined) >= 4:
                return True
    return False


def _cased(word: str) -> str:
    """ALL-CAPS words become Title-case; initials and mixed-case words stay as printed."""
    if word.isupper() and len(word) > 1 and not _INITIAL.match(word):
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), word)
    return word


def parse_name(text: str) -> PersonName:
    text = strip_honorific(text.replace(",", " ").strip())
    text = _GLUED_INITIAL.sub(r"\1 ", text)  # "M.Righetti": OCR lost the space
    if has_cjk(text):
        full = " ".join(text.replace("\u3000", " ").split())  # as printed: 王小明, 田中 太郎
        parts = cjk_name_words(full)
        if parts:  # family name first
            return PersonName(full, parts[1], None, parts[0])
        return PersonName(full, full, None, None)
    printed = text.split()
    words = [_cased(w) for w in printed]
    full = " ".join(words)
    if words and words[-1].lower() in SUFFIXES and len(words) > 2:
        words = words[:-1]  # "Jr." stays in the full name, the surname is the word before
    if len(words) == 1:
        return PersonName(full, words[0], None, None)
    cyr = has_cyrillic(full)
    patronymic = [i for i, w in enumerate(words) if cyr and _PATRONYMIC.search(w)]
    if len(words) == 3 and patronymic:
        if patronymic[-1] == 2:  # Фамилия Имя Отчество
            return PersonName(full, words[1], words[2], words[0])
        if patronymic[-1] == 1:  # Имя Отчество Фамилия
            return PersonName(full, words[0], words[1], words[2])
    # Family name first: Vietnamese ("Nguyễn Văn An") and a surname printed in capitals
    # before mixed-case given names ("TANAKA Kenji", "DUPONT Jean").
    capital = [i for i, w in enumerate(printed[: len(words)]) if w.isupper() and len(w) > 1]
    vietnamese = bool(_VIETNAMESE.search(full)) or (
        fold(words[0]) in VI_SURNAMES and len(words) >= 3
    )
    if vietnamese or (capital == [0] and len(capital) < len(words) and not cyr):
        return PersonName(full, words[-1], " ".join(words[1:-1]) or None, words[0])
    if len(words) == 2:
        a, b = words
        if is_first_name(b) and not is_first_name(a):
            return PersonName(full, b, None, a)
        if is_first_name(a):
            return PersonName(full, a, None, b)
        if cyr and _RU_SURNAME.search(a) and not _RU_SURNAME.search(b):
            return PersonName(full, b, None, a)
        return PersonName(full, a, None, b)
    # English order: First [Middle…] Last, particles kept with the surname ("Ana de Souza").
    if is_first_name(words[-1]) and not is_first_name(words[0]) and cyr:
        return PersonName(full, words[-1], " ".join(words[1:-1]) or None, words[0])
    last = len(words) - 1
    while last > 1 and words[last - 1] in PARTICLES:
        last -= 1
    middle = " ".join(words[1:last]) or None
    return PersonName(full, words[0], middle, " ".join(words[last:]))
