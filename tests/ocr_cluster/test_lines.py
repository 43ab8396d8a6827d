"""The card's text lines (neural detector and recognisers, tesseract per line by script), on
cards rendered here: each case is one failure pattern of real cards, not one image."""

from __future__ import annotations

import re

import numpy as np
import pytest

from ocr_cluster import geometry
from ocr_cluster.decode import decode_image
from ocr_cluster.lines import LineReader, looks_like_misread_cyrillic
from ocr_cluster.neural import NeuralOcr, TextBox, crop_line
from ocr_cluster.reader import CardReader
from tests.ocr_cluster.card_images import Card, Photo, photograph, render

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def reader() -> CardReader:
    return CardReader(pool_size=1)


@pytest.fixture(scope="module")
def lines_of(reader):
    assert reader._lines is not None

    def read(card: Card, angle: float = 3.0, **photo) -> list[str]:
        jpeg, _ = photograph(render(card), Photo(angle=angle, seed=5, **photo))
        return [ln.text for ln in reader.read_lines(jpeg).lines]

    return read


def _has(texts: list[str], wanted: str) -> bool:
    squeeze = [re.sub(r"\s+", "", t) for t in texts]
    return any(re.sub(r"\s+", "", wanted) in t for t in squeeze)


def test_white_text_on_a_dark_card_is_read(lines_of):
    card = Card(
        lines=[
            ("Apex Trading Ltd", 40),
            ("Maria Souza", 56),
            ("Diretora Comercial", 34),
            ("maria.souza@apex.example.com.br", 26),
            ("www.apex.example.com.br", 26),
        ],
        paper=(28, 34, 62),
        ink=(238, 238, 238),
    )
    texts = lines_of(card)
    assert _has(texts, "maria.souza@apex.example.com.br")
    assert _has(texts, "www.apex.example.com.br")


def test_small_text_under_a_coloured_band_is_read(lines_of):
    card = Card(
        lines=[("Kenji Tanaka", 54), ("Sales Engineer", 30), ("k.tanaka@kaisha.example.jp", 20)],
        band=(200, 40, 40),
        bullets=True,
    )
    assert _has(lines_of(card), "k.tanaka@kaisha.example.jp")


def test_latin_lines_stay_latin_on_a_russian_card(lines_of):
    card = Card(
        lines=[
            ("APEX TRADING", 44),
            ("Иванов Пётр Сергеевич", 50),
            ("Менеджер по продажам", 34),
            ("Тел.: +7 (495) 123-45-67", 30),
        ]
    )
    texts = lines_of(card)
    latin = [t for t in texts if "APEX" in t]
    assert latin and not CYRILLIC.search(latin[0])  # not "АРЕХ ТRАDING"
    assert _has(texts, "Иванов Пётр Сергеевич")
    assert _has(texts, "Менеджер по продажам")
    # No word mixes the two scripts.
    for word in " ".join(texts).split():
        assert not (CYRILLIC.search(word) and LATIN.search(word)), word


def test_vietnamese_keeps_its_tone_marks(lines_of):
    card = Card(
        lines=[
            ("CÔNG TY TNHH Phát Triển", 40),
            ("Nguyễn Văn Hùng", 56),
            ("Giám đốc kinh doanh", 34),
            ("hung.nguyen@phattrien.example.vn", 28),
        ]
    )
    texts = lines_of(card)
    assert _has(texts, "Nguyễn Văn Hùng")
    assert _has(texts, "Giám đốc")


def test_japanese_is_read_as_printed(lines_of):
    card = Card(
        lines=[
            ("株式会社 山田商事", 44),
            ("山田 太郎", 56),
            ("営業部長", 34),
            ("TEL 03-1234-5678", 30),
        ],
        font=("wqy-microhei.ttc", "wqy-zenhei.ttc"),
    )
    texts = lines_of(card)
    assert _has(texts, "株式会社山田商事")
    assert _has(texts, "営業部長")


@pytest.mark.parametrize("angle", [90, 184, 272])
def test_a_card_lying_sideways_or_upside_down_is_turned(lines_of, angle):
    card = Card(lines=[("Robert Wood", 56), ("robert.wood@redwood.example.com", 30)])
    assert _has(lines_of(card, angle=angle), "robert.wood@redwood.example.com")


@pytest.mark.parametrize(
    ("text", "misread"),
    [
        ("Ao6poBonbCKaa ∏ioAMMna", True),  # Добровольская Людмила
        ("BeAyщий pa3pa6oT4nK", True),
        ("TenecpoH: 8 (3452) 44-09-26", True),
        ("ΓeHepanbHbIé AupekTop", True),
        ("Senior Sales Specialist", False),
        ("Av. Paulista, 1000 - São Paulo", False),
        ("daniel.silva@beltis.com.br", False),
        ("MP3 players", False),
    ],
)
def test_misread_cyrillic_is_recognised(text, misread):
    assert looks_like_misread_cyrillic(text) is misread


def test_a_reading_too_short_for_its_box_is_suspect():
    box = TextBox(quad=np.array([[0, 0], [600, 0], [600, 30], [0, 30]], np.float32), score=0.9)
    assert looks_like_misread_cyrillic(". -, ., . 13, 222", box)
    assert not looks_like_misread_cyrillic("Rua Pinhal, 283 Cid. Patriarca - São Paulo", box)


def test_an_outline_that_cuts_text_off_is_noticed(reader):
    card = Card(lines=[("Daniel Carlos", 56), ("(11) 2076 5555", 32), ("www.beltis.com.br", 32)])
    jpeg, corners = photograph(render(card), Photo(angle=2, seed=3))
    rgb = decode_image(jpeg)
    lines: LineReader = reader._lines
    tl, tr, br, bl = np.asarray(corners, np.float32)
    card, to_card = geometry.warp_quad(rgb, np.array([tl, tr, br, bl]))
    assert not lines.text_beyond(rgb, to_card, card.shape)
    # An outline around the top of the card only: the lines below it are outside.
    top = np.array([tl, tr, tr + (br - tr) * 0.4, tl + (bl - tl) * 0.4])
    card, to_card = geometry.warp_quad(rgb, top)
    assert lines.text_beyond(rgb, to_card, card.shape)


def test_recogniser_reads_a_clean_line():
    neural = NeuralOcr()
    card = render(Card(lines=[("daniel.foster@northwind.example.com", 40)], margin=40))
    bgr = np.ascontiguousarray(card[..., ::-1])
    boxes = neural.detect(bgr)
    assert len(boxes) == 1
    reading = neural.fast([crop_line(bgr, boxes[0].quad)])[0]
    assert reading.text == "daniel.foster@northwind.example.com"
    assert reading.conf > 0.9


def test_reader_reports_engine_stages(reader):
    jpeg, _ = photograph(render(Card(lines=[("Robert Wood", 56)])), Photo(seed=1))
    result = reader.read(jpeg)
    assert {"det", "rec", "tesseract", "decode", "geometry", "qr", "fields", "total"} <= set(
        result.timings
    )
    assert reader.device == "cpu (onnxruntime: CPUExecutionProvider)"
