"""The cards the pipeline's tests send: fixed content or a fixed seed, photographed cleanly.

Those tests test the pipeline (webhook, JetStream, worker, reader processes, the OCR cluster),
not how well a card is read (bench/cards.py measures that), so every card here is large,
flat, sharp and well lit, and the reader reads each field the tests assert. A card is made
on first use (about a second) and kept for the process; no photo is stored in the repository.

    QR_CARD    a British card with a MeCard QR code: name, company, phone, e-mail, title
    OCR_CARD   an American card with no QR code: its fields need OCR; numbers printed with +1
    VCARD_CARD a Russian card with a vCard 3.0 QR code in Cyrillic
    VARIED     cards of the generator's own set (seed 7), from several countries, reshot cleanly
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from tests.cardgen import CardSpec, GeneratedCard, _plan_one, qr, render
from tests.cardgen.content import Content, Line
from tests.cardgen.layouts import Style, card_size
from tests.cardgen.photo import Photo

PLAIN = Style(
    layout="left", family="DejaVu Sans", paper=(255, 255, 255), ink=(25, 25, 30),
    accent=(0, 84, 147), on_accent=(255, 255, 255), scale=1.0, name_upper=False,
    company_upper=False, logo=None, name_pos="top", icons=False, icon_disc=False, join=False,
)  # fmt: skip


def clean_photo(size: tuple[int, int], seed: int) -> Photo:
    """A phone photo at its best: straight, the card filling most of the frame, sharp, even
    light, little noise, high JPEG quality."""
    w, h = size
    canvas = (1600, 1200) if w >= h else (1200, 1600)
    fill = 0.8 if w >= h else 0.62
    return Photo(angle=1.5, tilt=0.02, fill=fill, canvas=canvas, background="desk", blur=0.0,
                 noise=1.5, jpeg=92, seed=seed, fast=True)  # fmt: skip


@dataclass(frozen=True)
class KnownCard:
    """One card: its name (also the truth's id), how it is made, and, once made, its JPEG."""

    name: str
    make: Callable[[], GeneratedCard]

    @cached_property
    def generated(self) -> GeneratedCard:
        card = self.make()
        truth = {**card.truth, "id": self.name, "file": f"{self.name}.jpg"}
        return GeneratedCard(self.name, card.jpeg, truth)

    @property
    def jpeg(self) -> bytes:
        return self.generated.jpeg

    @property
    def truth(self) -> dict:
        return self.generated.truth

    def read_bytes(self) -> bytes:
        """The JPEG, as a photo's Path gives it: tests written for card files take a card."""
        return self.jpeg

    def write(self, folder: Path) -> Path:
        """`folder/NAME.jpg`, with its truth beside it as `NAME.json`; the photo's path."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.name}.json").write_text(
            json.dumps(self.truth, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        path = folder / f"{self.name}.jpg"
        path.write_bytes(self.jpeg)
        return path


def _spec(content: Content, style: Style, seed: int) -> CardSpec:
    size = card_size(content.country, style.layout)
    return CardSpec(0, seed, content, style, clean_photo(size, seed), company_only=False)


def _printed(
    country: str,
    *,
    company: str,
    name: str,
    parts: tuple[str, str, str | None],  # first, last, middle
    title: str,
    phones: list[tuple[str, str]],  # (printed line, E.164)
    emails: list[str],
    address: list[str],
    lang: str,
) -> Content:
    """A card that prints exactly these lines, with the truth that follows from them."""
    first, last, middle = parts
    truth = {
        "name": name, "first_name": first, "last_name": last, "middle_name": middle,
        "title": title, "company": company, "phones": [e for _, e in phones], "fax": None,
        "emails": emails, "websites": [], "address": ", ".join(address) or None, "qr": None,
        "lang": lang, "alt": {},
    }  # fmt: skip
    return Content(
        country,
        company=[Line(company, "company")],
        person=[Line(name, "name"), Line(title, "title")],
        contacts=[Line(p, "phone") for p, _ in phones] + [Line(f"E: {m}", "email") for m in emails],
        address=[Line(a, "address") for a in address],
        extras=[],
        initials="".join(w[0] for w in company.split()[:2]),
        truth=truth,
    )


def _qr_card() -> GeneratedCard:
    content = _printed(
        "GB",
        company="Harbourside Analytics Ltd",
        name="Olivia Hartley",
        parts=("Olivia", "Hartley", None),
        title="Head of Partnerships",
        phones=[("T: +44 113 496 0381", "+441134960381")],
        emails=["olivia.hartley@harbourside.example.co.uk"],
        address=["14 Wellington Street", "Leeds LS1 4DL"],
        lang="en",
    )
    return render(_spec(qr.add(content, "mecard"), PLAIN, seed=101))


def _ocr_card() -> GeneratedCard:
    content = _printed(
        "US",
        company="Bright Ventures Corp.",
        name="Daniel Carter",
        parts=("Daniel", "Carter", None),
        title="Product Manager",
        phones=[
            ("Office +1 (312) 555-0147", "+13125550147"),
            ("Mobile +1 (312) 555-0183", "+13125550183"),
        ],
        emails=["daniel.carter@brightventures.example.com"],
        address=[],
        lang="en",
    )
    return render(_spec(content, PLAIN, seed=102))


def _vcard_card() -> GeneratedCard:
    content = _printed(
        "RU",
        company="ООО «Северный Ветер»",
        name="Макаров Андрей Петрович",
        parts=("Андрей", "Макаров", "Петрович"),
        title="Коммерческий директор",
        phones=[("Тел.: +7 (812) 345-67-89", "+78123456789")],
        emails=["a.makarov@severny-veter.example.ru"],
        address=["г. Санкт-Петербург, Невский пр., д. 28"],
        lang="ru",
    )
    return render(_spec(qr.add(content, "vcard"), replace(PLAIN, family="Liberation Sans"), 103))


def _from_the_set(seed: int, index: int) -> Callable[[], GeneratedCard]:
    """Card `index` of the generator's set `seed`, as printed, photographed cleanly."""

    def make() -> GeneratedCard:
        spec, pixels = _plan_one(seed, index)
        size = card_size(spec.content.country, spec.style.layout)
        return render(replace(spec, photo=clean_photo(size, spec.photo.seed)), pixels)

    return make


QR_CARD = KnownCard("qr_card", _qr_card)
OCR_CARD = KnownCard("ocr_card", _ocr_card)
VCARD_CARD = KnownCard("vcard_card", _vcard_card)
# Ten cards of the generator's set 7 (the set bench/cards.py reads), ten people, whose phones,
# e-mails and fax the reader reads exactly when they are photographed cleanly (as
# tests/ocr_cluster/test_reader_cards.py checks): Germany, UK (icons), Japan (two scripts,
# dark), France (small print), Russia, US, Germany (panel), France, US, UK (band).
VARIED_FROM_SET_7 = (0, 1, 2, 3, 6, 7, 9, 10, 12, 13)
VARIED = [KnownCard(f"set7_{i:04d}", _from_the_set(7, i)) for i in VARIED_FROM_SET_7]
ALL = {c.name: c for c in (QR_CARD, OCR_CARD, VCARD_CARD, *VARIED)}


def card(name: str) -> KnownCard:
    """A known card by name: `qr_card`, `set7_0006`…"""
    return ALL[name]
