"""What a card's e-mail addresses and websites say about its other lines: the domain names
the company (`contoso.com` → a line `CONTOSO`), the local part names the person
(`k.tanaka@` → `Kenji Tanaka`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from ocr_cluster.name_tables import FREE_MAIL, GENERIC_LOCALS, PAGE_HOSTS
from ocr_cluster.patterns import fold, latin

# Labels that are part of a suffix or say nothing about the owner ("example" is the
# reserved documentation domain).
_GENERIC_LABELS = frozenset(
    "www mail email web site com co net org gov edu ac or ne go gob nom ltd plc biz info "
    "example shop store online not adv eng ind inf med art".split()
)


@dataclass
class Clues:
    """E-mail local parts (people) and domain labels (companies) found on one card.
    `owned`: the labels of domains the card's owner holds (not a mail service's user name
    or a page path), which name the company when any line does."""

    locals: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    owned: list[str] = field(default_factory=list)


def clues(emails: list[str], websites: list[str]) -> Clues:
    out = Clues()
    for email in emails:
        local, _, host = email.lower().partition("@")
        names = _host_labels(host)
        if names is None:  # a mail service: the local part may be the firm ("brunau@r7.com")
            if fold(local) not in GENERIC_LOCALS:
                out.labels.append(re.sub(r"\d+$", "", local))
        else:
            out.labels += names
            out.owned += names
        out.locals.append(local)
    for site in websites:
        host, _, path = site.lower().partition("/")
        names = _host_labels(host)
        if names is None:  # "cargocollective.com/studio": the page is the owner's name
            first = path.split("/")[0]
            if first:
                out.labels.append(first)
        else:
            out.labels += names
            out.owned += names
    out.labels = [lb for lb in dict.fromkeys(out.labels) if len(_letters(lb)) >= 3]
    out.owned = [lb for lb in dict.fromkeys(out.owned) if len(_letters(lb)) >= 3]
    return out


def _host_labels(host: str) -> list[str] | None:
    """The owner's labels of a host, or None when the host is a mail service or page host
    (whose name is not the owner's)."""
    labels = [lb for lb in host.split(".") if lb]
    if len(labels) < 2:
        return []
    body = labels[:-1]  # the top-level domain never names anyone
    while body and body[-1] in _GENERIC_LABELS:
        body = body[:-1]
    if body and body[-1] in FREE_MAIL | PAGE_HOSTS:
        sub = [lb for lb in body[:-1] if lb not in _GENERIC_LABELS]
        return sub or None
    return [lb for lb in body if lb not in _GENERIC_LABELS]


def _letters(text: str) -> str:
    return latin(text)


def label_match(text: str, labels: list[str], whole: bool = False) -> float:
    """How well the letters of `text` spell one of the domain labels: 1.0 the same or one
    starting the other ("Alerta Security Solutions" ~ alertasecurity), 0.7 one inside the
    other or a near miss, 0 none. `whole`: only the label spelled out in full counts.
    German umlauts are tried both ways ("Hofstädt" ~ hofstaedt, hofstadt)."""
    spellings = {latin(text), latin(text, umlauts=True)}
    return max((_match(t, labels, whole) for t in spellings), default=0.0)


def _match(t: str, labels: list[str], whole: bool) -> float:
    if len(t) < 3:
        return 0.0
    best = 0.0
    for label in labels:
        lb = _letters(label)
        if whole:
            best = max(best, 1.0 if t == lb else 0.0)
            continue
        if t == lb or (len(lb) >= 4 and t.startswith(lb)) or (len(t) >= 4 and lb.startswith(t)):
            # A short line that is only the start of a long label is weaker: "AUTO" ~ autopecas.
            best = max(best, 1.0 if len(t) >= 0.6 * len(lb) else 0.7)
        elif min(len(t), len(lb)) >= 5 and (t in lb or lb in t):
            best = max(best, 0.7)
        elif len(t) >= 5 and SequenceMatcher(None, t, lb).ratio() >= 0.85:
            best = max(best, 0.7)
    return best


# A logo or display font read a letter or two wrong ("Die Lario" for a card at
# dimariorestaurante@…, "ng design" at nogdesign.…): the domain has the spelling.
RESPELL_RATIO = 0.8  # how alike the line's letters and the label must be
RESPELL_EDITS = 0.3  # at most this share of the label's letters changed


def respell(texts: list[str], labels: list[str]) -> list[str] | None:
    """``texts`` (consecutive lines, letters and spaces only) with their letters corrected to
    the domain label, or the start of one, that they nearly spell; word breaks, letter case
    and accents of the letters kept as printed. None when no label is near enough or the
    lines spell one already."""
    joined = "\n".join(texts)
    if not re.fullmatch(r"[^\W\d_]+(?:[ \n][^\W\d_]+)*", joined):
        return None
    spots = [k for k, ch in enumerate(joined) if ch.isalpha()]
    letters = "".join(fold(joined[k])[:1] for k in spots)
    if len(letters) < 5 or not letters.isascii() or label_match(joined, labels) >= 1.0:
        return None
    tried: list[tuple[float, int, str, bool]] = []
    for label in labels:
        lb = latin(label)
        if len(lb) < 5 or not lb.isalpha():
            continue
        starts = {lb[:k] for k in range(len(letters) - 2, len(letters) + 3) if 5 <= k < len(lb)}
        for target in {lb, *starts}:
            ratio = SequenceMatcher(None, letters, target, autojunk=False).ratio()
            if ratio >= RESPELL_RATIO:
                tried.append((ratio, len(target), target, target != lb))
    for _, _, target, start in sorted(tried, reverse=True):
        fixed = _respelled(texts, joined, spots, letters, target, start)
        if fixed:
            return fixed
    return None


def _respelled(
    texts: list[str], joined: str, spots: list[int], letters: str, target: str, start: bool
) -> list[str] | None:
    """``start``: ``target`` is the start of a label, which the lines must end with."""
    ops = SequenceMatcher(None, letters, target, autojunk=False).get_opcodes()
    if start and ops[-1][0] != "equal":
        return None
    changed = sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")
    # OCR misreads a letter or loses one; a printed letter the domain lacks is the domain's
    # abbreviation ("Optica" at oticadajo@, "Nossa" at floresnsfatima@), not a misreading.
    dropped = any(op == "delete" or (i2 - i1) > (j2 - j1) + 1 for op, i1, i2, j1, j2 in ops)
    if not changed or dropped or changed > max(1, RESPELL_EDITS * len(target)):
        return None
    # What each printed letter becomes (itself, another letter, nothing, more letters) and
    # what the print lost in front of it.
    becomes = [""] * len(letters)
    lost = [""] * len(letters)
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            for i in range(i1, i2):
                becomes[i] = joined[spots[i]]
        elif i1 == i2:  # a lower-case word lost its capital, or letters inside a word
            if i1 < len(letters) and _lost_capital(joined, spots[i1]):
                lost[i1] = target[j1:j2].upper()
            elif i1:
                becomes[i1 - 1] += target[j1:j2]
            else:
                lost[0] = target[j1:j2]
        else:
            share = [target[j1 + (j2 - j1) * n // (i2 - i1) : j1 + (j2 - j1) * (n + 1) // (i2 - i1)]
                     for n in range(i2 - i1)]  # fmt: skip
            for n, part in enumerate(share):
                becomes[i1 + n] = part
    out = list(joined)
    for i, k in enumerate(spots):
        word = lost[i] + becomes[i]
        if word != joined[k] and not word[:1].isupper():
            word = word.upper() if joined[k].isupper() else word.lower()
        out[k] = word
    fixed = "".join(out).split("\n")
    # Words are only respelled, never dropped: "Orion Software LLC" is not "orionsoftware".
    if any(len(a.split()) != len(b.split()) for a, b in zip(texts, fixed, strict=True)):
        return None
    return fixed


def _lost_capital(text: str, k: int) -> bool:
    """The word at ``k`` starts in lower case where the one before it has a capital:
    "Esteves sthetiCar"."""
    if k == 0 or text[k - 1] not in " \n" or not text[k].islower():
        return False
    before = text[:k].split()
    return bool(before) and before[-1][0].isupper()
