"""Bytes from a messenger → an upright 8-bit RGB image, or a clear ImageError.

A photo (JPEG, PNG, WebP…, HEIC/HEIF) or the first page of a PDF, told by its bytes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from business_card.reading import ImageError
from ocr_cluster import documents

# A phone photo is at most ~50 MP and a few tens of MB; anything beyond is refused
# before its pixels are decoded (decompression bombs declare huge sizes in tiny files).
MAX_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 60_000_000
MAX_SIDE = 20_000
MIN_SIDE = 16
# What the pixels may take once decoded, from the header's size, samples and bit depth:
# every 8-bit image the pixel limit lets through, alpha included (60 MP x 4 bytes), and no
# more. A 16-bit colour PNG or TIFF counts double: up to 40 MP (RGB) or 30 MP (RGBA).
MAX_DECODED_BYTES = 4 * MAX_PIXELS
# Big images are reduced and made 8-bit a strip at a time, never as a second full copy.
STRIP_PIXELS = 4_000_000
# Decoding a 12 MP JPEG at full size costs ~0.2 s; a long side of 2000 px is enough (the
# card is warped to at most that, the text detector looks at 960 px).
WORK_LONG_SIDE = 2000

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
_HEIF = ("HEIF",)  # only when the bytes say HEIF (pillow-heif's plugin, registered on first use)


def decode_image(data: bytes, max_long_side: int = WORK_LONG_SIDE) -> np.ndarray:
    """Decode `data` to an RGB uint8 array (H, W, 3) with EXIF orientation applied, its long
    side at most `max_long_side`. A PDF gives its first page (`documents.render_pdf`)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImageError(f"expected bytes, got {type(data).__name__}")
    size = len(data)
    if size == 0:
        raise ImageError("empty file")
    if size > MAX_BYTES:
        raise ImageError(f"file too large: {size} bytes (limit {MAX_BYTES})")
    data = bytes(data)
    if documents.is_pdf(data):
        return documents.render_pdf(data, max_long_side, MAX_PIXELS, MAX_SIDE, MIN_SIDE)
    heif = documents.is_heif(data)
    if heif:
        documents.register_heif()
    try:
        im: Image.Image = Image.open(io.BytesIO(data), formats=_HEIF if heif else ALLOWED_FORMATS)
    except UnidentifiedImageError as exc:
        if heif:
            raise ImageError("cannot read HEIC/HEIF header (corrupt or truncated?)") from exc
        raise ImageError(
            "not a recognised image format (JPEG, PNG, WebP, HEIC or PDF expected)"
        ) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image dimensions too large (decompression bomb?): {exc}") from exc
    except (OSError, SyntaxError, ValueError, RuntimeError) as exc:  # libheif: RuntimeError
        raise ImageError(f"cannot read image header: {exc}") from exc
    _check_size(im.size)
    _check_decoded_size(im, data[:32])
    try:
        if im.format == "JPEG" and max(im.size) >= 2 * max_long_side:
            # DCT scaling: decodes at 1/2, 1/4… directly, much faster than a resize.
            im.draft("RGB", (max_long_side, max_long_side))
        im.load()
        turn = _EXIF_TURNS.get(im.getexif().get(_ORIENTATION, 1))  # shrinking loses EXIF
        im = _shrink(_to_8bit(im), max_long_side)
        if turn is not None:
            im = im.transpose(turn)
        rgb = _to_rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image dimensions too large (decompression bomb?): {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as exc:
        raise ImageError(f"corrupt or truncated image data: {str(exc).strip()}") from exc
    if max(rgb.size) > max_long_side:
        rgb.thumbnail((max_long_side, max_long_side), Image.Resampling.LANCZOS)
    return np.asarray(rgb, dtype=np.uint8)


_ORIENTATION = 0x0112
_EXIF_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _shrink(im: Image.Image, long_side: int) -> Image.Image:
    """Reduce a big image by a whole factor, a strip at a time, before any conversion.

    JPEG is already decoded small (draft); PNG, WebP, TIFF… are not, and converting a 60 MP
    picture whole (palette to RGBA, RGBA to premultiplied for the averaging) would hold a
    second full copy, up to 1 GB with the alpha compositing. Strips cost a few MB each."""
    factor = max(im.size) // long_side
    if factor < 2:
        return im
    mode = _reduce_mode(im)
    w, h = im.size
    out = Image.new(mode, (-(-w // factor), -(-h // factor)))
    rows = max(1, STRIP_PIXELS // (w * factor)) * factor  # whole blocks: as one reduce()
    for top in range(0, h, rows):
        strip = im.crop((0, top, w, min(h, top + rows)))
        if strip.mode != mode:
            strip = strip.convert(mode)
        out.paste(strip.reduce(factor), (0, top // factor))
    return out


def _reduce_mode(im: Image.Image) -> str:
    """The mode a strip is averaged in: its own when that averages pixel values."""
    if im.mode == "1":
        return "L"  # 1 byte a pixel; averaging keeps thin strokes
    if im.mode in ("P", "PA"):  # averaging palette indices would mix unrelated colours
        return "RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB"
    return im.mode if im.mode in _REDUCIBLE else "RGB"


_REDUCIBLE = ("L", "LA", "La", "RGB", "RGBA", "RGBa", "CMYK", "YCbCr")
# Samples wider than a byte; made 8-bit (L) before anything else is done with them.
_DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
# PNG colour type -> samples a pixel (IHDR); Pillow widens or narrows some on decode.
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _check_decoded_size(im: Image.Image, head: bytes) -> None:
    """Refuse, from the header alone, an image whose pixels would take over the budget."""
    w, h = im.size
    per_pixel = max(_held_bytes_per_pixel(im.mode), _declared_bytes_per_pixel(im, head))
    decoded = w * h * per_pixel
    if decoded > MAX_DECODED_BYTES:
        raise ImageError(
            f"image too large to decode: {w}x{h} at {per_pixel} bytes a pixel is "
            f"{decoded // 1_000_000} MB decoded (limit {MAX_DECODED_BYTES // 1_000_000} MB)"
        )


def _held_bytes_per_pixel(mode: str) -> int:
    """What Pillow keeps a pixel in ``mode`` (its bands, 2 or 4 bytes for deep samples)."""
    depth = 2 if mode.startswith("I;16") else 4 if mode in ("I", "F") else 1
    return Image.getmodebands(mode) * depth


def _declared_bytes_per_pixel(im: Image.Image, head: bytes) -> int:
    """What the file itself declares: samples a pixel x bytes a sample (PNG, TIFF)."""
    if im.format == "PNG" and head[12:16] == b"IHDR" and len(head) >= 26:
        depth, colour = head[24], head[25]
        return _PNG_SAMPLES.get(colour, 4) * max(1, depth // 8)
    tags = getattr(im, "tag_v2", None)
    if im.format == "TIFF" and tags is not None:
        bits = tags.get(258, 8)  # BitsPerSample: one value, or one per sample
        widths = [int(b) for b in bits] if isinstance(bits, tuple) else [int(bits)]
        samples = int(tags.get(277, len(widths)) or 1)  # SamplesPerPixel
        return samples * max(1, -(-max(widths, default=8) // 8))
    return 0


def _check_size(wh: tuple[int, int]) -> None:
    w, h = wh
    if w < MIN_SIDE or h < MIN_SIDE:
        raise ImageError(f"image too small: {w}x{h}")
    if w > MAX_SIDE or h > MAX_SIDE or w * h > MAX_PIXELS:
        raise ImageError(f"image dimensions too large: {w}x{h} (limit {MAX_PIXELS} pixels)")


def _to_rgb(im: Image.Image) -> Image.Image:
    """Any mode (CMYK, 16-bit, palette, alpha…) → 8-bit RGB, alpha composited on white."""
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)
    im = _to_8bit(im)
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if mode != "RGB":
        return im.convert("RGB")
    return im


def _to_8bit(im: Image.Image) -> Image.Image:
    """16-bit and 32-bit grey (``I;16``, ``I``, ``F``) → 8-bit ``L``, a strip at a time.

    Scaled to the full range when the values need it (16-bit data), else kept (8-bit data
    stored wide); float images by their maximum. Whole, a 60 MP 16-bit image would pass
    through float32 and RGB copies at full size (about 0.8 GB)."""
    if im.mode not in _DEEP_MODES:
        return im
    high = im.getextrema()[1]  # one band: (min, max)
    peak = float(high) if isinstance(high, int | float) else 0.0
    top = max(peak, 1.0) if im.mode == "F" else 65535.0 if peak > 255 else 255.0
    w, h = im.size
    out = np.empty((h, w), dtype=np.uint8)
    rows = max(1, STRIP_PIXELS // w)
    for first in range(0, h, rows):
        last = min(h, first + rows)
        strip = np.asarray(im.crop((0, first, w, last))).astype(np.float32)
        out[first:last] = np.clip(strip * (255.0 / top), 0, 255).astype(np.uint8)
    return Image.fromarray(out)
