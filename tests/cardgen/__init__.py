"""A seeded generator of hard business-card photos with exact ground truth.

`generate(n, seed)` yields cards from nine countries (Brazil, Japan, Vietnam, Russia,
Singapore, Germany, US, UK, France) in eleven layout families, photographed from mild to
hard, each with its truth: the fields as printed (name, title, company, phones and fax in
E.164, e-mails, websites, address), the QR payload, the language, accepted alternatives of
bilingual cards, and how the card was made (test_cardgen.TRUTH_KEYS). The same seed always
gives the same cards, and card i does not depend on n.

A card can also carry a contact QR code, MeCard or vCard 3.0 (`qr.add`); the generated set
has none. `known` holds the cards the pipeline's tests send, fixed and cleanly photographed.

    python -m tests.cardgen OUT_DIR --n 60 --seed 7
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from tests.cardgen import content, layouts, photo
from tests.cardgen.content import COUNTRIES, Content
from tests.cardgen.fonts import FontMissing
from tests.cardgen.layouts import LAYOUTS, Style
from tests.cardgen.paint import LayoutError
from tests.cardgen.photo import Photo, photograph

__all__ = [
    "COUNTRIES",
    "LAYOUTS",
    "CardSpec",
    "FontMissing",
    "GeneratedCard",
    "LayoutError",
    "Photo",
    "generate",
    "photograph",
    "plan",
    "render",
]

GENERATOR = "cardgen 1"
COMPANY_ONLY_PER_20 = 3  # ~15 % of cards carry no person


@dataclass(frozen=True)
class GeneratedCard:
    name: str  # gen_0000
    jpeg: bytes
    truth: dict


@dataclass
class CardSpec:
    """Everything about one card except its pixels: cheap to make, enough for the truth."""

    index: int
    seed: int
    content: Content
    style: Style
    photo: Photo
    company_only: bool

    @property
    def name(self) -> str:
        return f"gen_{self.index:04d}"

    def truth(self) -> dict:
        meta = {
            **self.style.meta(),
            "country": self.content.country,
            "company_only": self.company_only,
            "card_size": list(layouts.card_size(self.content.country, self.style.layout)),
            "seed": self.seed,
            "index": self.index,
            "generator": GENERATOR,
        }
        return {"id": self.name, "file": f"{self.name}.jpg", **self.content.truth, "meta": meta}


def _shuffled(items: tuple[str, ...], seed: int, what: str, i: int) -> str:
    block, pos = divmod(i, len(items))
    order = list(items)
    random.Random(f"cardgen:{seed}:{what}:{block}").shuffle(order)
    return order[pos]


def plan(n: int, seed: int) -> list[CardSpec]:
    """The first n cards of `seed`: countries and layouts dealt evenly, ~15 % company-only."""
    return [_plan_one(seed, i)[0] for i in range(n)]


def _plan_one(seed: int, i: int) -> tuple[CardSpec, np.ndarray]:
    """Card i of `seed` and its printed pixels (planning has to print it to know it fits)."""
    r = random.Random(f"cardgen:{seed}:{i}")
    country = _shuffled(COUNTRIES, seed, "country", i)
    layout = _shuffled(LAYOUTS, seed, "layout", i)
    block = random.Random(f"cardgen:{seed}:company-only:{i // 20}")
    company_only = i % 20 in block.sample(range(20), COMPANY_ONLY_PER_20)
    style = layouts.sample_style(layout, r)
    card, pixels = _printable(country, style, r, company_only)
    shot = photo.sample(r, layouts.card_size(country, layout), seed=r.randrange(2**31))
    return CardSpec(i, seed, card, style, shot, company_only), pixels


def _printable(
    country: str, style: Style, r: random.Random, company_only: bool
) -> tuple[Content, np.ndarray]:
    """Content that fits the design: when there is too much text, first drop what is no field
    (hours, tax numbers, slogans, departments), then draw the content again."""
    for _ in range(8):
        card = content.build(country, r, company_only, style.icons)
        lean = replace(card, extras=[], person=[x for x in card.person if x.role != "dept"],
                       company=[x for x in card.company if x.role != "slogan"])  # fmt: skip
        for candidate in (card, lean):
            try:
                return candidate, layouts.render(candidate, style)
            except LayoutError:
                continue
    raise LayoutError(f"no {country} content fits the {style.layout} layout")


def render(spec: CardSpec, pixels: np.ndarray | None = None) -> GeneratedCard:
    """Photograph one planned card (printing it first unless its pixels are given)."""
    if pixels is None:
        pixels = layouts.render(spec.content, spec.style)
    jpeg, quad = photograph(pixels, spec.photo)
    truth = spec.truth()
    truth["meta"]["photo"] = photo.meta(spec.photo, quad)
    truth["meta"]["image_size"] = list(spec.photo.canvas)
    return GeneratedCard(spec.name, jpeg, truth)


def generate(n: int, seed: int) -> Iterator[GeneratedCard]:
    """n cards for `seed`, deterministic: the same bytes and truth every time."""
    for i in range(n):
        yield render(*_plan_one(seed, i))
