"""Photos of several cards (tests/cardgen/several.py): each card read on its own, QR code
included, in the order the cards lie; and photos of one card, hard ones too, stay one card."""

from collections.abc import Iterator
from dataclasses import replace

import pytest

from gateway.ocr_client import result_from_dict
from ocr_cluster import geometry
from ocr_cluster.decode import decode_image
from ocr_cluster.reader import CardReader, CardResult
from tests.cardgen import _plan_one, render
from tests.cardgen.photo import Photo
from tests.cardgen.several import from_the_set

pytestmark = pytest.mark.slow

# (cards of the generator's set 7, how they are photographed, a QR code on the first card)
SEVERAL = [
    ((1, 0), Photo(angle=4, tilt=0.03, background="desk", seed=1, fast=True), "mecard"),
    ((2, 3), Photo(angle=-3, tilt=0.02, background="paper", seed=2, fast=True), None),
    ((6, 7), Photo(angle=6, tilt=0.04, background="busy", seed=3, fast=True), None),
    ((9, 10, 12), Photo(angle=3, tilt=0.02, background="desk", seed=4, fast=True), None),
    ((10, 13, 0), Photo(angle=-4, tilt=0.03, background="dark", seed=5, fast=True), "vcard"),
]


@pytest.fixture(scope="module")
def reader() -> Iterator[CardReader]:
    reader = CardReader()
    yield reader
    reader.close()


def _cards(result: CardResult) -> list[CardResult]:
    return [result, *result.others]


@pytest.mark.parametrize(
    ("indices", "photo", "qr_code"),
    SEVERAL,
    ids=[f"{len(s[0])}-cards-{s[1].background}" for s in SEVERAL],
)
def test_each_card_of_the_photo_is_read_on_its_own(reader, indices, photo, qr_code):
    jpeg, truths = from_the_set(7, indices, photo, qr_code=qr_code)
    result = reader.read(jpeg)
    # The gateway's HTTP client rebuilds the same reading from its JSON.
    assert result_from_dict(result.to_dict()) == result
    cards = _cards(result)
    assert len(cards) == len(truths)
    for card, truth in zip(cards, truths, strict=True):
        assert sorted(card.contact.phones) == sorted(truth["phones"])
        if truth["last_name"]:  # small print loses a middle initial or a name's capitals
            assert truth["last_name"].lower() in (card.contact.name or "").lower()
        # Each card's own QR code, and no other card's.
        assert card.contact.qr == truth["qr"]
    assert set(cards[0].timings) >= {"decode", "geometry", "qr", "ocr", "fields", "total"}


# One card, photographed hard: a busy background, a big logo block (card 0 of set 7), two
# panels (card 9), two columns (card 6), strong angles and perspective; and a dozen of the
# generator's own photos (set 11), mild to hard. (set, card, photo: None for the set's own)
SINGLES = [
    (7, 0, Photo(angle=-12, tilt=0.15, fill=0.6, background="busy", seed=31, fast=True)),
    (7, 9, Photo(angle=8, tilt=0.2, fill=0.7, background="busy", seed=32, fast=True)),
    (7, 9, Photo(angle=3, fill=0.5, background="paper", glare=0.3, seed=33, fast=True)),
    (7, 6, Photo(angle=-18, tilt=0.1, fill=0.55, background="desk", seed=34, fast=True)),
    *((11, index, None) for index in range(12)),
]


@pytest.mark.parametrize(
    ("seed", "index", "photo"), SINGLES, ids=[f"{s}-{i}" for s, i, _ in SINGLES]
)
def test_a_photo_of_one_card_stays_one_card(reader, seed, index, photo):
    spec, pixels = _plan_one(seed, index)
    jpeg = render(replace(spec, photo=photo or spec.photo), pixels).jpeg
    rgb = decode_image(jpeg)
    # The one-card outline as it always was, or none as before.
    one = geometry.find_card_quad(rgb)
    quads = geometry.find_card_quads(rgb)
    assert [q.tolist() for q in quads] == ([] if one is None else [one.tolist()])
    assert reader.read(jpeg).others == ()
