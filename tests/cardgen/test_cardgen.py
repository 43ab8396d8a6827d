"""The generated card set: deterministic, in the dev set's truth format, true to what it prints,
and as mixed as promised (every country, every layout family, ~15 % company-only cards)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import phonenumbers
import pytest
import zxingcpp
from PIL import Image

from tests.cardgen import (
    COUNTRIES,
    LAYOUTS,
    CardSpec,
    fonts,
    generate,
    known,
    layouts,
    plan,
    qr,
    render,
)
from tests.cardgen.__main__ import main
from tests.cardgen.paint import Block, Canvas, Item, LayoutError
from tests.cardgen.phones import CALLING_CODE

REPO = Path(__file__).resolve().parents[2]
# The truth's keys, in order: the benchmark's scorer (bench/cards.py) reads this format.
TRUTH_KEYS = (
    "id file name first_name last_name middle_name title company phones fax emails websites "
    "address qr lang alt meta"
).split()
LANGS = {"pt", "ja", "vi", "ru", "en", "de", "fr", "mixed"}
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Fictional ranges that phonenumbers does not call valid: UK drama mobiles, French fiction mobiles.
FICTION = ("+447700900", "+3363998")
FAX_WORDS = ("fax", "факс", "ф.", "传真", "f.", "f:", "f ")


@pytest.fixture(scope="module")
def specs() -> list[CardSpec]:
    return plan(60, 7)


def _printed(spec: CardSpec) -> list[str]:
    return [line.text for line in spec.content.lines()]


def test_a_seed_always_gives_the_same_cards():
    first, again = list(generate(3, 11)), list(generate(3, 11))
    assert [c.jpeg for c in first] == [c.jpeg for c in again]
    assert [c.truth for c in first] == [c.truth for c in again]
    other = list(generate(3, 12))
    assert [c.truth["name"] for c in other] != [c.truth["name"] for c in first]


def test_card_i_does_not_depend_on_how_many_are_made():
    assert [s.truth() for s in plan(4, 5)] == [s.truth() for s in plan(9, 5)[:4]]


def test_truth_has_the_devset_format(specs):
    for spec in specs:
        t = spec.truth()
        assert list(t) == TRUTH_KEYS
        assert t["id"] == spec.name and t["file"] == f"{spec.name}.jpg"
        for key in ("name", "first_name", "last_name", "middle_name", "title", "address"):
            assert t[key] is None or (isinstance(t[key], str) and t[key].strip() == t[key])
        assert isinstance(t["company"], str) and t["company"]
        assert t["qr"] is None and t["lang"] in LANGS
        assert set(t["alt"]) <= {"name", "title", "company"}
        assert all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in t["alt"].values()
        )
        for number in [*t["phones"], *([t["fax"]] if t["fax"] else [])]:
            assert E164.match(number), number
            parsed = phonenumbers.parse(number)
            assert str(parsed.country_code) == CALLING_CODE[t["meta"]["country"]], (number, t["id"])
            assert phonenumbers.is_valid_number(parsed) or number.startswith(FICTION), number
        assert t["fax"] not in t["phones"]
        assert len(set(t["phones"])) == len(t["phones"])
        for email in t["emails"]:
            assert email == email.lower() and re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+", email)
            assert ".example." in email.split("@")[1]
        for site in t["websites"]:
            assert site == site.lower() and not re.match(r"https?://|www\.", site)
            assert not site.endswith("/") and ".example." in site
        meta = t["meta"]
        assert meta["layout"] in LAYOUTS and meta["country"] in COUNTRIES and meta["font"]
        if meta["company_only"]:
            assert t["name"] is t["first_name"] is t["last_name"] is t["title"] is None
        else:
            assert t["first_name"] and t["last_name"]


def test_truth_is_what_the_card_prints(specs):
    for spec in specs:
        t, lines = spec.truth(), _printed(spec)
        text = "\n".join(lines).casefold()
        for key in ("name", "title", "company"):
            if t[key]:
                assert t[key].casefold() in text or t["alt"].get(key), (key, t[key], lines)
        for email in t["emails"]:
            assert email in text
        for site in t["websites"]:
            assert site in text
        address = [x.text for x in spec.content.address]
        assert t["address"] == (", ".join(address) or None)
        digits = [re.sub(r"\D", "", line) for line in lines]
        for number in t["phones"]:
            assert any(_shows(number, d) for d in digits), (number, lines)
        if t["fax"]:
            fax_lines = [ln for ln in lines if _shows(t["fax"], re.sub(r"\D", "", ln))]
            assert any(w in ln.casefold() for ln in fax_lines for w in FAX_WORDS), fax_lines


def _shows(number: str, digits: str) -> bool:
    """Whether a line's digits print `number`, with or without its area code (Brazil)."""
    national = str(phonenumbers.parse(number).national_number)
    return national in digits or (number.startswith("+55") and national[2:] in digits)


def test_a_60_card_set_mixes_every_country_and_layout(specs):
    countries = Counter(s.content.country for s in specs)
    layouts = Counter(s.style.layout for s in specs)
    assert set(countries) == set(COUNTRIES) and min(countries.values()) >= 6
    assert set(layouts) == set(LAYOUTS) and min(layouts.values()) >= 5
    company_only = sum(s.company_only for s in specs)
    assert 6 <= company_only <= 12  # ~15 %
    truths = [s.truth() for s in specs]
    assert any(t["lang"] == "mixed" and t["alt"] for t in truths)
    assert sum(t["fax"] is not None for t in truths) >= 10
    assert any(len(s.content.address) >= 3 for s in specs)
    assert any(s.style.icons for s in specs) and any(s.style.logo for s in specs)
    assert {s.style.name_pos for s in specs} == {"top", "bottom"}
    printed = "\n".join(line for s in specs for line in _printed(s))
    for marker in ("CNPJ", "株式会社", "〒", "CÔNG TY", "ООО", "ИНН", "Pte", "GmbH", "Ltd"):
        assert marker in printed, marker
    # Fax labelled before, with one letter, after the number, in Russian and in Chinese.
    for fax in (r"Fax:? \+?\d", r"(^|\s)[Ff][.:]? \+?\(?\d", r"\d \(?(fax|FAX|Fax|факс)\)?$",
                "Факс", "传真"):  # fmt: skip
        assert re.search(fax, printed, re.M), fax


def test_photos_range_from_mild_to_hard(specs):
    photos = [s.photo for s in specs]
    assert any(abs(p.angle) < 3 and p.blur < 0.5 for p in photos)
    assert any(70 < abs(p.angle) % 360 < 290 for p in photos)  # sideways or upside down
    assert any(p.blur > 1.0 for p in photos) and any(p.motion for p in photos)
    assert any(p.glare for p in photos) and any(p.shadow for p in photos)
    assert min(p.jpeg for p in photos) < 60 < max(p.jpeg for p in photos)


def test_a_rendered_card_is_a_photo_with_its_truth(specs):
    card = render(specs[0])
    image = Image.open(io.BytesIO(card.jpeg))
    assert image.format == "JPEG"
    assert list(image.size) == card.truth["meta"]["image_size"]
    assert len(card.truth["meta"]["photo"]["card_quad"]) == 4


def test_the_cli_writes_n_images_and_truth_jsonl(tmp_path):
    assert main([str(tmp_path), "--n", "3", "--seed", "2"]) == 0
    truths = [json.loads(x) for x in (tmp_path / "truth.jsonl").read_text().splitlines()]
    assert [t["file"] for t in truths] == ["gen_0000.jpg", "gen_0001.jpg", "gen_0002.jpg"]
    assert sorted(p.name for p in tmp_path.glob("*.jpg")) == [t["file"] for t in truths]


def test_the_cli_runs_as_a_module(tmp_path):
    cmd = [sys.executable, "-m", "tests.cardgen", str(tmp_path), "--n", "1", "--seed", "3"]
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=120)
    assert (tmp_path / "gen_0000.jpg").is_file() and (tmp_path / "truth.jsonl").is_file()


def test_a_missing_font_names_its_package(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "FONT_ROOT", tmp_path)
    with pytest.raises(fonts.FontMissing, match="fonts-wqy-microhei"):
        fonts.font_file(fonts.CJK_FAMILY)


def test_text_without_glyphs_in_the_font_is_refused():
    with pytest.raises(fonts.FontMissing, match="no glyph"):
        fonts.check_glyphs("DejaVu Sans", "regular", "株式会社")


def test_overlapping_text_is_a_layout_error():
    canvas = Canvas((600, 300), (255, 255, 255), "DejaVu Sans")
    item = Item("Overlapping line", 30, (0, 0, 0))
    canvas.place(Block((20, 20, 580, 120), [[item]]))
    canvas.place(Block((20, 30, 580, 130), [[Item("Another line", 30, (0, 0, 0))]]))
    with pytest.raises(LayoutError, match="overlaps"):
        canvas.check()


@pytest.mark.parametrize("kind", qr.KINDS)
def test_a_qr_code_prints_beside_the_text_and_carries_the_truth(specs, kind):
    for spec in (specs[2], specs[15], specs[4]):  # dark Japanese, Russian, portrait (SG)
        card = qr.add(spec.content, kind)
        assert card.truth["qr"] == card.qr and spec.content.truth["qr"] is None
        pixels = layouts.render(card, spec.style)
        w, h = layouts.card_size(spec.content.country, spec.style.layout)
        assert pixels.shape == (h, w, 3)
        (code,) = zxingcpp.read_barcodes(pixels)
        assert code.text == card.qr
        assert card.qr.startswith({"mecard": "MECARD:", "vcard": "BEGIN:VCARD"}[kind])
        for value in (*card.truth["phones"], *card.truth["emails"]):
            assert value in card.qr


def test_known_cards_are_fixed_and_have_the_truth_format():
    for card in known.ALL.values():
        assert list(card.truth) == TRUTH_KEYS and card.truth["id"] == card.name
        assert Image.open(io.BytesIO(card.jpeg)).format == "JPEG"
    assert known.QR_CARD.make().jpeg == known.QR_CARD.jpeg  # made again: the same bytes
    assert known.QR_CARD.truth["qr"].startswith("MECARD:N:Hartley,Olivia;")
    assert known.VCARD_CARD.truth["qr"].startswith("BEGIN:VCARD")
    assert known.OCR_CARD.truth["qr"] is None
    assert len({c.truth["name"] for c in known.VARIED}) == len(known.VARIED)  # ten people
