"""How right a card reading is, field by field: the card-set scoring rules, in process.

The rules of the card sets' labels (truth.jsonl / labels.jsonl, one object per card with
`file` or `id`, the contact's fields, and `alt` for accepted alternatives), so that the
benchmarks score the repository's own generated set, and any set given to them, without
a scorer from outside the repository:

  name      the same set of words as the printed name (or an accepted alternative)
  title     equal after normalisation (or an accepted alternative)
  company   equal after normalisation (or an accepted alternative)
  phones    F1 of the card's set of E.164 numbers (both empty: 1)
  emails    F1 of the card's set of addresses (both empty: 1)
  websites  F1 of the card's set of host[/path] (both empty: 1)
  fax       the same E.164 number (both none: right)
  address   F1 of the address's words (both none: 1)

`score` is the mean of those eight over the cards; `card_full` the share of cards with the
name, the company, every phone and every e-mail right. Normalisation: NFKC, casefold,
ё → е, one kind of dash, no quotes, single spaces; names, titles and companies also ignore
`.,;:` and spaces around hyphens.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import phonenumbers

HEADLINE = ("name", "title", "company", "phones", "emails", "websites", "fax", "address")
SET_FIELDS = ("phones", "emails", "websites")
EXTRA = ("name_exact", "first_name", "last_name", "middle_name", "qr", "lang")  # not in `score`
_QUOTES = str.maketrans("", "", "«»“”„‟\"'‘’‚‛`´‹›")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_GUESS_REGIONS = ("RU", "US")  # for numbers written without a country code


def card_key(path_or_id: str) -> str:
    """A card's id: its file name without the image suffix."""
    return re.sub(r"\.(jpe?g|png|webp)$", "", Path(path_or_id).name, flags=re.I)


# ------------------------------------------------------------------ normalisation


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value if v)
    text = unicodedata.normalize("NFKC", str(value)).casefold().replace("ё", "е")
    text = text.translate(_DASHES).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().strip(" ,;:")


def _loose(value: Any) -> str:
    text = re.sub(r"[.,;:]", " ", _text(value))
    text = re.sub(r"\s*-\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip()


def _words(value: Any) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", _loose(value)) if w]


def _email(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().lower()
    return text.removeprefix("mailto:").strip(" .,;:<>()[]")


def _website(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().lower().strip(" ,;<>()[]")
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    return re.sub(r"^www\d?\.", "", text).rstrip("/.")


def _phone(value: str | None, expected: Iterable[str] = ()) -> str | None:
    """E.164, or None for fewer than five digits. A number without "+" or "00" is tried as
    Russian, then American: one the truth expects wins, then a valid one, then a possible
    one."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) < 5:
        return None
    bare = text.lstrip("(").strip()
    international = bare.startswith(("+", "00"))
    if international:
        text = bare if bare.startswith("+") else "+" + bare[2:]
    candidates = []
    for region in (None,) if international else _GUESS_REGIONS:
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        candidates.append(
            (e164, phonenumbers.is_valid_number(number), phonenumbers.is_possible_number(number))
        )
    wanted = set(expected)
    for test in (lambda c: c[0] in wanted, lambda c: c[1], lambda c: c[2], lambda c: True):
        for candidate in candidates:
            if test(candidate):
                return str(candidate[0])
    return "+" + digits


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v not in (None, "")]
    if isinstance(value, str):
        return [v for v in re.split(r"\s*[,;\n]\s*", value) if v.strip()]
    return [value]


def _as_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value if v)
    return str(value) if str(value).strip() else None


# ------------------------------------------------------------------ one card


def _set_f1(predicted: set[str], expected: set[str]) -> tuple[float, int, int, int]:
    """F1, and (true positives, predicted, expected) for the micro figures."""
    if not predicted and not expected:
        return 1.0, 0, 0, 0
    hits = len(predicted & expected)
    return 2 * hits / (len(predicted) + len(expected)), hits, len(predicted), len(expected)


def _word_f1(predicted: str | None, expected: str | None) -> float:
    p, e = Counter(_words(predicted or "")), Counter(_words(expected or ""))
    if not p and not e:
        return 1.0
    hits = sum((p & e).values())
    if hits == 0:
        return 0.0
    precision, recall = hits / sum(p.values()), hits / sum(e.values())
    return 2 * precision * recall / (precision + recall)


def _matches(predicted: str | None, accepted: list[Any]) -> bool:
    accepted = [a for a in accepted if a] or [None]
    mine = _loose(predicted) if predicted else ""
    return any(mine == (_loose(a) if a else "") for a in accepted)


def score_card(truth: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
    """Each field's score for one card (0..1); `_<set field>_counts` for micro figures."""
    alt = truth.get("alt") or {}
    out: dict[str, Any] = {}
    names = [truth.get("name"), *alt.get("name", [])]
    name = _as_str(contact.get("name"))
    out["name_exact"] = float(_matches(name, names))
    printed = [n for n in names if n]
    words = set(_words(name or ""))
    out["name"] = float(any(words == set(_words(n)) for n in printed) if printed else not words)
    for part in ("first_name", "last_name", "middle_name"):
        out[part] = float(_matches(_as_str(contact.get(part)), [truth.get(part)]))
    for key in ("title", "company"):
        accepted = [truth.get(key), *alt.get(key, [])]
        out[key] = float(_matches(_as_str(contact.get(key)), accepted))
    phones_expected = set(truth.get("phones") or [])
    read_phones = (_phone(str(p), phones_expected) for p in _as_list(contact.get("phones")))
    phones = {x for x in read_phones if x}
    out["phones"], *out["_phones_counts"] = _set_f1(phones, phones_expected)
    fax_expected = truth.get("fax")
    fax = _phone(_as_str(contact.get("fax")), {fax_expected} if fax_expected else ())
    out["fax"] = float((fax or None) == (fax_expected or None))
    emails_expected = {_email(e) for e in truth.get("emails") or []}
    emails = {x for x in (_email(str(e)) for e in _as_list(contact.get("emails"))) if x}
    out["emails"], *out["_emails_counts"] = _set_f1(emails, emails_expected)
    sites_expected = {_website(w) for w in truth.get("websites") or []}
    sites = {x for x in (_website(str(w)) for w in _as_list(contact.get("websites"))) if x}
    out["websites"], *out["_websites_counts"] = _set_f1(sites, sites_expected)
    out["address"] = _word_f1(_as_str(contact.get("address")), truth.get("address"))
    qr = (_as_str(contact.get("qr")) or "").strip().replace("\r\n", "\n")
    out["qr"] = float(qr == (truth.get("qr") or "").strip().replace("\r\n", "\n"))
    out["lang"] = float(_text(_as_str(contact.get("lang"))) == _text(truth.get("lang")))
    full = out["name"] == 1 and out["company"] == 1
    out["card_full"] = float(full and phones == phones_expected and emails == emails_expected)
    return out


# ------------------------------------------------------------------ a set


def score(
    truth: list[dict[str, Any]], predicted: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the set's summary, each card's field scores by card id). `predicted` maps card ids
    to contacts; a card with none is scored as an empty contact."""
    per_card: dict[str, dict[str, Any]] = {}
    for row in truth:
        key = card_key(row.get("file") or row["id"])
        per_card[key] = score_card(row, predicted.get(key) or {})
    rows = list(per_card.values())
    if not rows:
        return {"n_cards": 0}, {}
    mean = {k: sum(r[k] for r in rows) / len(rows) for k in rows[0] if not k.startswith("_")}
    micro = {}
    for name in SET_FIELDS:
        hits, made, wanted = (sum(r[f"_{name}_counts"][i] for r in rows) for i in range(3))
        precision = hits / made if made else float(not wanted)
        recall = hits / wanted if wanted else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        micro[name] = {"precision": precision, "recall": recall, "f1": f1}
    summary = {
        "n_cards": len(rows),
        "n_predicted": sum(1 for key in per_card if key in predicted),
        "fields": {f: mean[f] for f in HEADLINE},
        "extra": {f: mean[f] for f in EXTRA},
        "micro": micro,
        "card_full": mean["card_full"],
        "score": sum(mean[f] for f in HEADLINE) / len(HEADLINE),
    }
    public = {k: {f: v for f, v in r.items() if not f.startswith("_")} for k, r in per_card.items()}
    return summary, public
