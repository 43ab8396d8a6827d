"""Geometry on generated photos: rotated, tilted, sideways and upside-down cards."""

import io

import numpy as np
import pytest
from PIL import Image

from ocr_cluster import geometry
from ocr_cluster.decode import decode_image
from ocr_cluster.reader import CardReader
from tests.ocr_cluster.card_images import (
    ENGLISH_CARD,
    RUSSIAN_CARD,
    Card,
    Photo,
    photograph,
    render,
)

EN_EMAIL, EN_PHONE = "daniel.foster@northwind.example.com", "+14105550142"
RU_EMAIL, RU_PHONE = "a.sokolova@sever.example.ru", "+78125551234"


@pytest.fixture(scope="module")
def reader() -> CardReader:
    return CardReader()


@pytest.fixture(scope="module")
def english() -> np.ndarray:
    return render(Card(ENGLISH_CARD))


@pytest.fixture(scope="module")
def russian() -> np.ndarray:
    return render(Card(RUSSIAN_CARD, band=(30, 90, 160), bullets=True))


@pytest.mark.parametrize("angle", [-20, -9, 14, 20])
def test_outline_found_on_rotated_photo(english, angle):
    data, corners = photograph(english, Photo(angle=angle, seed=angle + 100))
    quad = geometry.find_card_quad(decode_image(data))
    assert quad is not None
    # Same corners up to their order (the card's own top-left may be any image corner).
    err = max(np.min(np.linalg.norm(corners - q, axis=1)) for q in quad)
    assert err < 12, f"corners off by {err:.1f} px"


@pytest.mark.parametrize(
    "photo",
    [
        Photo(angle=-20, seed=1),
        Photo(angle=17, tilt=0.2, seed=2),
        Photo(angle=90, seed=3),
        Photo(angle=180, seed=4),
        Photo(angle=270, seed=5),
        Photo(angle=6, tilt=0.3, fill=0.45, background="busy", seed=6),
    ],
    ids=["rot-20", "rot17+tilt", "rot90", "rot180", "rot270", "strong-perspective-busy"],
)
def test_reader_reads_turned_and_warped_english_card(reader, english, photo):
    data, _ = photograph(english, photo)
    contact = reader.read(data).contact
    assert contact.emails == [EN_EMAIL]
    assert contact.phones == [EN_PHONE]


@pytest.mark.parametrize(
    "photo",
    [Photo(angle=-13, tilt=0.15, seed=7), Photo(angle=270, background="dark", seed=8)],
    ids=["tilted", "rot270-dark-desk"],
)
def test_reader_reads_turned_russian_card(reader, russian, photo):
    data, _ = photograph(russian, photo)
    contact = reader.read(data).contact
    assert contact.emails == [RU_EMAIL]
    assert contact.phones == [RU_PHONE]
    assert contact.last_name == "Соколова"


def test_blurred_lines_are_read_again(reader, english):
    # Tesseract drops the small blurred e-mail line on the first pass; the rescue reads it.
    data, _ = photograph(english, Photo(blur=2.2, jpeg=45, seed=9))
    contact = reader.read(data).contact
    assert contact.emails == [EN_EMAIL]
    assert contact.websites == ["northwind.example.com"]


def test_flat_scan_passes_through_untouched(english):
    buf = io.BytesIO()
    Image.fromarray(english).save(buf, "PNG")
    rgb = decode_image(buf.getvalue())
    rect = geometry.rectify(rgb)
    assert rect.method == "none"
    assert rect.image is rgb


def test_deskew_angle_of_a_slightly_turned_scan(english):
    turned, _ = geometry.rotate(english, 4.0)
    assert geometry.text_skew_angle(geometry.to_gray(turned)) == pytest.approx(-4.0, abs=0.6)
