import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from ocr_cluster.decode import ImageError, decode_image


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(width: int, height: int) -> bytes:
    """A 1-bit PNG declaring width x height pixels in a few hundred kilobytes."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(("w", "h"), [(20_000, 20_000), (12_000, 6_000)])
def test_decompression_bomb_refused(w, h):
    data = _bomb_png(w, h)
    assert len(data) < 2_000_000
    with pytest.raises(ImageError, match="too large"):
        decode_image(data)


def test_truncated_jpeg_refused():
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 255, (400, 600, 3), dtype=np.uint8))
    data = _save(noise, "JPEG", quality=90)
    with pytest.raises(ImageError, match=r"truncated|corrupt"):
        decode_image(data[: len(data) // 2])


@pytest.mark.parametrize("data", [b"", b"hello, this is not an image", b"%PDF-1.4\n" + b"0" * 100])
def test_not_an_image_refused(data):
    with pytest.raises(ImageError):
        decode_image(data)


def test_huge_byte_count_refused():
    with pytest.raises(ImageError, match="too large"):
        decode_image(b"\xff\xd8" + b"\x00" * (41 * 1024 * 1024))


def test_cmyk_jpeg():
    im = Image.new("CMYK", (120, 80), (0, 255, 255, 0))  # pure red in CMYK
    rgb = decode_image(_save(im, "JPEG", quality=95))
    assert rgb.shape == (80, 120, 3) and rgb.dtype == np.uint8
    r, g, b = rgb[40, 60].astype(int)
    assert r > 200 and g < 60 and b < 60


def test_progressive_jpeg():
    im = Image.new("RGB", (300, 200), (10, 200, 30))
    rgb = decode_image(_save(im, "JPEG", progressive=True, quality=90))
    assert rgb.shape == (200, 300, 3)
    assert abs(int(rgb[100, 150, 1]) - 200) < 10


def test_16bit_png():
    arr = np.full((50, 70), 40000, dtype=np.uint16)
    arr[:, :35] = 1000
    rgb = decode_image(_save(Image.fromarray(arr), "PNG"))
    assert rgb.shape == (50, 70, 3)
    assert abs(int(rgb[10, 60, 0]) - 40000 * 255 // 65535) <= 1
    assert rgb[10, 10, 0] < 10


def test_png_with_alpha_goes_on_white():
    im = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    im.paste((0, 0, 255, 255), (0, 0, 20, 30))
    rgb = decode_image(_save(im, "PNG"))
    assert tuple(rgb[15, 30]) == (255, 255, 255)
    assert tuple(rgb[15, 5]) == (0, 0, 255)


def test_webp():
    im = Image.new("RGB", (64, 48), (200, 20, 20))
    rgb = decode_image(_save(im, "WEBP", quality=90))
    assert rgb.shape == (48, 64, 3) and rgb[24, 32, 0] > 150


def test_exif_orientation_applied():
    im = Image.new("RGB", (200, 100), (255, 255, 255))
    im.paste((255, 0, 0), (0, 0, 100, 100))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise
    rgb = decode_image(_save(im, "JPEG", quality=95, exif=exif.tobytes()))
    assert rgb.shape == (200, 100, 3)  # portrait once upright
    assert rgb[20, 50, 0] > 200 and rgb[20, 50, 1] < 60  # the red half is now on top
    assert rgb[180, 50, 1] > 200


def test_large_jpeg_is_scaled_down():
    im = Image.new("RGB", (6000, 4000), (255, 255, 255))
    rgb = decode_image(_save(im, "JPEG", quality=50))
    assert max(rgb.shape[:2]) <= 2000
