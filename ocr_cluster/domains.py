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
