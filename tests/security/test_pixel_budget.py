"""The decoded-pixel budget (security issue 15): an image is refused from its header when
its pixels would take more than ``MAX_DECODED_BYTES`` once decoded (size × samples × bit
depth), before a pixel is decoded; 16-bit images within the budget are made 8-bit a strip
at a time. Each decode runs in a fresh process, whose peak RSS is measured."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from ocr_cluster.decode import MAX_DECODED_BYTES, MAX_PIXELS

REPO = Path(__file__).resolve().parents[2]

# 10000 x 6000: 60 MP, exactly the pixel limit, so only the bit depth can refuse it.
WIDTH, HEIGHT = 10_000, 6_000

DECODE = """
import json, resource, sys, time
from ocr_cluster.decode import ImageError, decode_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    shape, error = list(decode_image(data).shape), None
except ImageError as exc:
    shape, error = None, str(exc)
print(json.dumps({
    "shape": shape,
    "error": error,
    "seconds": time.monotonic() - start,
    "peak_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
}))
"""


def flat_png(path: Path, width: int, height: int, *, bit_depth: int, color_type: int) -> Path:
    """A PNG of ``width`` x ``height`` zero pixels, written row by row: a few hundred KB."""
    samples = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\x00" * (1 + width * samples * bit_depth // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def decode_in_a_process(path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", DECODE, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("color_type", "name"), [(2, "RGB"), (6, "RGBA")], ids=["16-bit RGB", "16-bit RGBA"]
)
def test_16_bit_60_megapixel_png_is_refused_from_its_header(
    tmp_path: Path, color_type: int, name: str
) -> None:
    path = flat_png(tmp_path / "bomb.png", WIDTH, HEIGHT, bit_depth=16, color_type=color_type)
    assert path.stat().st_size < 600_000  # 360 or 480 MB of samples in a small file
    assert WIDTH * HEIGHT <= MAX_PIXELS  # the pixel count alone lets it through
    result = decode_in_a_process(path)
    assert result["shape"] is None, f"a 60 MP 16-bit {name} PNG was decoded: {result}"
    assert "too large to decode" in str(result["error"]), result
    assert f"limit {MAX_DECODED_BYTES // 1_000_000} MB" in str(result["error"]), result
    # Refused from the header: no pixel decoded, no memory taken (decoded: 240+ MB).
    assert float(str(result["seconds"])) < 2.0, result
    assert float(str(result["peak_mb"])) < 40, result


def test_16_bit_grey_within_the_budget_is_made_8_bit_in_strips(tmp_path: Path) -> None:
    """60 MP of 16-bit grey (120 MB) is allowed; it costs about what its pixels hold, not
    the 0.8 GB of a whole-image float32 and RGB conversion."""
    path = flat_png(tmp_path / "grey16.png", WIDTH, HEIGHT, bit_depth=16, color_type=0)
    result = decode_in_a_process(path)
    assert result["error"] is None, result
    assert result["shape"] == [1200, 2000, 3], result
    assert float(str(result["peak_mb"])) < 320, result


def test_8_bit_rgba_at_the_pixel_limit_is_reduced_without_a_second_copy(tmp_path: Path) -> None:
    """The largest 8-bit image allowed (60 MP RGBA, 240 MB): decoded and reduced a strip at a
    time, without the full premultiplied copy a whole-image reduce makes (0.47 GB before)."""
    path = flat_png(tmp_path / "rgba.png", WIDTH, HEIGHT, bit_depth=8, color_type=6)
    result = decode_in_a_process(path)
    assert result["error"] is None, result
    assert result["shape"] == [1200, 2000, 3], result
    assert float(str(result["peak_mb"])) < 360, result
