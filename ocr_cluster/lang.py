"""The card's language: the script of its words, then, for Latin script, the letters and
small words each language has of its own. Contact lines (numbers, e-mails) do not count.

Codes: ``ru en pt es fr de it vi ja zh ko``, and ``mixed`` for a card printed in two
scripts (a Russian card with English lines).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

LANGS = ("ru", "en", "pt", "es", "fr", "de", "it", "vi", "ja", "zh", "ko", "mixed")

# A card is in one script when the other has at most this share of its letters.
MINORITY = 0.12
# One CJK character carries about as much as two Latin letters.
CJK_WEIGHT = 2

_VIETNAMESE = re.compile(r"[ơưđăạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
# What speaks for one Latin-script language: its own letters (a point each), spellings
# (half a point: "lh", "ção"), and small or common card words (a point). Words shared by
# several ("de", "la") are left out: they do not tell them apart.
_MARKS = {
    "pt": (
        "ãõç",
        "lh nh ção ções",
        """rua av avenida em para com são cep não sala andar bairro jardim vila nº ao
        aos às você cel fone comércio serviços peças informática eletrônica diretor gerente
        vendas técnica assistência é e os das dos do da um uma""",
    ),
    "es": (
        "ñ¿¡",
        "ll ción",
        """calle del el los las y con avda piso colonia móvil teléfono servicios gerente
        director ventas""",
    ),
    "fr": ("èêùœë", "eau", "rue le les et du pour avec cedex bd tél portable société"),
    "de": ("äöüß", "sch ung", "straße str und für der die das mit von weg platz handy"),
    "it": ("ì", "zione gli zz", "via di della per piazza il viale telefono cellulare"),
    "en": (
        "",
        "th wh ght ing",
        """the and of for street road suite avenue floor with our your phone mobile office
        fax manager director sales chief officer engineer software project senior""",
    ),
}
_MARK_WORDS = {lang: frozenset(words.split()) for lang, (_, _, words) in _MARKS.items()}
_JAPANESE = re.compile(r"株式会社|有限会社|〒|丁目|都|県|様")


class Line(Protocol):
    text: str
    kind: str


_ADDRESSES = re.compile(r"\S+@\S+|(?i:https?://|www\.)\S+|\S+\.(?:com|net|org|[a-z]{2})\b\S*")


def detect_lang(lines: Sequence[Line]) -> str:
    text = " ".join(ln.text for ln in lines if ln.kind not in ("contact", "skip"))
    if not re.search(r"[^\W\d_]", text):
        # Only contact lines: their labels may still tell ("Тел.", "Fone"); e-mail
        # addresses and domains do not ("com" is a Portuguese word).
        text = _ADDRESSES.sub(" ", " ".join(ln.text for ln in lines))
    return detect_text(text)


def detect_text(text: str) -> str:
    cyr = len(re.findall(r"[А-Яа-яЁё]", text))
    lat = len(re.findall(r"[A-Za-zÀ-ÖØ-öø-ÿĀ-ɏḀ-ỿ]", text))
    kana = len(re.findall(r"[\u3040-\u30ff]", text))
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    hangul = len(re.findall(r"[\uac00-\ud7af]", text))
    cjk = CJK_WEIGHT * (kana + han + hangul)
    total = cyr + lat + cjk
    if total == 0:
        return "en"
    shares = {"cyr": cyr / total, "lat": lat / total, "cjk": cjk / total}
    main = max(shares, key=lambda k: shares[k])
    if sum(share > MINORITY for share in shares.values()) > 1:
        return "mixed"
    if main == "cyr":
        return "ru"
    if main == "cjk":
        if kana or _JAPANESE.search(text):
            return "ja"
        return "ko" if hangul > han else "zh"
    return _latin_lang(text)


def _latin_lang(text: str) -> str:
    if len(_VIETNAMESE.findall(text)) >= 2:
        return "vi"
    best, score, english = _latin_scores(text)
    # English is the default: another language needs evidence, and more than English has.
    if best != "en" and score >= 1 and score > 1.5 * english:
        return best
    return "en"


def clear_language(text: str) -> str | None:
    """A Latin-script language other than English that the words leave no doubt about
    (three marks or more, twice English's), for the card's country."""
    best, score, english = _latin_scores(text)
    return best if best != "en" and score >= 3 and score > 2 * english else None


def _latin_scores(text: str) -> tuple[str, float, float]:
    """The best-marked language, its score and English's."""
    lower = text.lower()
    words = re.findall(r"[^\W\d_]+", lower)
    scores = {}
    for lang, (letters, spellings, _) in _MARKS.items():
        scores[lang] = (
            sum(lower.count(ch) for ch in letters)
            + 0.5 * sum(lower.count(s) for s in spellings.split())
            + sum(w in _MARK_WORDS[lang] for w in words)
        )
    best = max(scores, key=lambda k: scores[k])
    return best, scores[best], scores["en"]
