"""End to end on real card photos from the dev set (skipped where it is absent)."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ocr_cluster.reader import CardReader, CardResult, ImageError

DEVSET = Path(__file__).resolve().parents[2] / ".." / "shared" / "devset"
CARDS = ["dev_0003", "dev_0012", "dev_0020", "dev_0024", "dev_0036"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DEVSET / "truth.jsonl").exists(), reason="dev set not present"),
]


@pytest.fixture(scope="module")
def reader() -> CardReader:
    return CardReader()


def _truth(card: str) -> dict:
    return json.loads((DEVSET / f"{card}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("card", CARDS)
def test_phones_and_emails_exact(reader, card):
    truth = _truth(card)
    result = reader.read((DEVSET / f"{card}.jpg").read_bytes())
    assert isinstance(result, CardResult)
    assert sorted(result.contact.phones) == sorted(truth["phones"])
    assert sorted(result.contact.emails) == sorted(truth["emails"])
    assert result.contact.fax == truth["fax"]
    assert result.found_anything()
    assert set(result.timings) >= {"decode", "geometry", "qr", "ocr", "fields", "total"}


def test_qr_card_merges_sources(reader):
    truth = _truth("dev_0020")
    result = reader.read((DEVSET / "dev_0020.jpg").read_bytes())
    assert result.contact.qr == truth["qr"]
    assert result.source["qr"] == "qr"
    assert result.source["company"] in ("qr", "qr+ocr")
    assert result.contact.last_name == "Макаров"
    d = result.to_dict()
    assert set(d) == {"contact", "confidence", "source", "timings"}
    assert all(0.0 <= v <= 1.0 for v in d["confidence"].values())


def test_read_qr_only(reader):
    result = reader.read_qr((DEVSET / "dev_0012.jpg").read_bytes())
    assert result.contact.qr == _truth("dev_0012")["qr"]
    assert result.contact.emails == ["sophie_foster@blue-partners.example.com"]


def test_threads_get_the_same_answers(reader):
    blobs = [(DEVSET / f"{c}.jpg").read_bytes() for c in CARDS[:4]]
    alone = [reader.read(b).contact for b in blobs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda b: reader.read(b).contact, blobs))
    assert together == alone


def test_garbage_raises_image_error(reader):
    with pytest.raises(ImageError):
        reader.read(b"not an image at all")


def test_scan_cli_json(tmp_path, capsys):
    from ocr_cluster.scan import main

    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 broken")
    rc = main([str(DEVSET / "dev_0003.jpg"), str(bad), str(tmp_path / "missing.jpg")], True)
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 1
    assert lines[0]["contact"]["phones"] == _truth("dev_0003")["phones"]
    assert set(lines[0]) == {"file", "contact", "confidence", "source"}
    assert "error" in lines[1] and "error" in lines[2]
