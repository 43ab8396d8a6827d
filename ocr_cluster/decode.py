"""Bytes from a messenger → an upright 8-bit RGB image, or a clear ImageError."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from business_card.reading import ImageError

# A phone photo is at most ~50 MP and a few tens of MB; anything beyond is refused
# before its pixels are decoded (decompression bombs declare huge sizes in tiny files).
MAX_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 60_000_000
MAX_SIDE = 20_000
MIN_SIDE = 16
# Decoding a 12 MP JPEG at full size costs ~0.2 s; a long side of 2000 px is enough (the
# card is warped to at most that, the text detector looks at 960 px).
WORK_LONG_SIDE = 2000

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")


def decode_image(data: bytes, max_long_side: int = WORK_LONG_SIDE) -> np.ndarray:
    """Decode `data` to an RGB uint8 array (H, W, 3) with EXIF orientation applied."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImageError(f"expected bytes, got {type(data).__name__}")
    size = len(data)
    if size == 0:
        raise ImageError("empty file")
    if size > MAX_BYTES:
        raise ImageError(f"file too large: {size} bytes (limit {MAX_BYTES})")
    try:
        im: Image.Image = Image.open(io.BytesIO(bytes(data)), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError as exc:
        raise ImageError("not a recognised image format (JPEG, PNG, WebP expected)") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image dimensions too large (decompression bomb?): {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"cannot read image header: {exc}") from exc
    _check_size(im.size)
    try:
        if im.format == "JPEG" and max(im.size) >= 2 * max_long_side:
            # DCT scaling: decodes at 1/2, 1/4… directly, much faster than a resize.
            im.draft("RGB", (max_long_side, max_long_side))
        im.load()
        turn = _EXIF_TURNS.get(im.getexif().get(_ORIENTATION, 1))  # shrinking loses EXIF
        im = _shrink(im, max_long_side)
        if turn is not None:
            im = im.transpose(turn)
        rgb = _to_rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"image dimensions too large (decompression bomb?): {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError(f"corrupt or truncated image data: {exc}") from exc
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
    """Reduce a big image by a whole factor in its own mode, before any conversion.

    JPEG is already decoded small (draft); PNG, WebP, TIFF… are not, and converting a 50 MP
    RGBA picture to RGB first would hold about 1 GB (a tiny PNG can declare that much)."""
    factor = max(im.size) // long_side
    if factor < 2:
        return im
    if im.mode == "1":
        im = im.convert("L")  # 1 byte a pixel; averaging keeps thin strokes
    elif im.mode not in _REDUCIBLE:
        im = _to_rgb(im)
    return im.reduce(factor)


_REDUCIBLE = ("L", "LA", "La", "RGB", "RGBA", "RGBa", "I", "F", "CMYK", "YCbCr", "PA")


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
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.uint32 if mode == "I" else np.uint16).astype(np.float32)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        arr8 = np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, "L").convert("RGB")
    if mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        top = float(arr.max(initial=1.0)) or 1.0
        arr8 = np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, "L").convert("RGB")
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
