"""Files that are not card photos: the reader says why, and nothing crashes."""

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from ocr_cluster.reader import CardReader, ImageError
from ocr_cluster.scan import main as scan
from tests.ocr_cluster.test_decode import _bomb_png


@pytest.fixture(scope="module")
def reader() -> CardReader:
    return CardReader()


def _jpeg() -> bytes:
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (600, 900, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


BAD = {
    "truncated.jpg": (_jpeg()[:5000], r"truncated|corrupt"),
    "zero.jpg": (b"", r"empty"),
    "notes.jpg": (b"Meeting notes: call Ivan at 10:00\n", r"not a recognised image"),
    "huge.png": (_bomb_png(20_000, 20_000), r"too large"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_reader_refuses_with_a_reason(reader, name):
    data, reason = BAD[name]
    with pytest.raises(ImageError, match=reason):
        reader.read(data)
    # The reader is still usable afterwards.
    assert reader.ready


def test_scan_reports_each_bad_file_and_goes_on(tmp_path, capsys):
    paths = []
    for name, (data, _) in sorted(BAD.items()):
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    good = tmp_path / "blank.png"
    Image.new("RGB", (600, 350), "white").save(good)
    rc = scan([*paths, str(good), str(tmp_path / "missing.jpg")], as_json=True)
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 1
    assert [r["file"] for r in rows] == [*paths, str(good), str(tmp_path / "missing.jpg")]
    for row, name in zip(rows, sorted(BAD), strict=False):
        assert re.search(BAD[name][1], row["error"]), row
    assert "error" not in rows[len(paths)] and rows[len(paths)]["contact"]["phones"] == []
    assert "error" in rows[-1]
