"""Cards that are not plain photos: a PDF (its first page) and a HEIC/HEIF photo.

Both are told by their bytes, never by the type the messenger claims. A PDF is rendered
with PDFium, bounded three ways: the file's size (checked by the caller), the pixels of
the one page rendered (the reader's pixel budget), and the time that rendering takes. A
HEIF photo is opened through pillow-heif's Pillow plugin, so it takes the same road as a
JPEG (size checks from the header, EXIF orientation, reduction).
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
from typing import Any

import numpy as np
import pillow_heif
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from business_card.reading import ImageError

# A card is drawn at about 300 dpi; 200 keeps 8-point print some 22 pixels high.
PDF_DPI = 200.0
# A page that only fits the pixel budget below one pixel a point is no card (a poster, or
# a page box made to be a bomb): refused rather than rendered illegibly small.
PDF_MIN_DPI = 72.0
# A card page renders in tens of milliseconds; a page of millions of drawing operators
# could take minutes. PDFium stops between operators when asked.
PDF_RENDER_SECONDS = 5.0

# ISO-BMFF brands of HEIF stills and sequences (HEVC-coded or the generic MIAF ones).
HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
)
# AVIF shares the generic brands; libheif here has no AV1 decoder, so it stays refused.
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_FTYP_MAX = 4096  # how much of an ftyp box's brand list is looked at

# PDFium keeps global state and is not thread-safe: one document at a time per process.
_PDFIUM_LOCK = threading.Lock()
_HEIF_LOCK = threading.Lock()
_heif_registered = False


def is_pdf(data: bytes) -> bool:
    return data[:5] == b"%PDF-"


def is_heif(data: bytes) -> bool:
    """An ISO-BMFF file whose ``ftyp`` box names a HEIF brand (and AVIF is not its own)."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    end = min(int.from_bytes(data[:4], "big"), len(data), _FTYP_MAX)
    major = data[8:12]
    brands = {major} | {data[i : i + 4] for i in range(16, end - 3, 4)}
    return major not in _AVIF_BRANDS and not brands.isdisjoint(HEIF_BRANDS)


def register_heif() -> None:
    """Make Pillow open HEIF, once per process (the opener and its options are global)."""
    global _heif_registered
    with _HEIF_LOCK:
        if not _heif_registered:
            # Only the primary image is wanted: no thumbnails, depth maps or aux images.
            pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
            _heif_registered = True


def render_pdf(
    data: bytes, long_side: int, max_pixels: int, max_side: int, min_side: int
) -> np.ndarray:
    """The first page of a PDF as RGB pixels (H, W, 3), at `PDF_DPI` or less: scaled down
    to fit `max_pixels` and `max_side`, and rendered no larger than `long_side` (what the
    reader works at), as a JPEG is decoded small. Only page 0 is ever loaded."""
    with _PDFIUM_LOCK:
        pdf = _open(data)
        try:
            if len(pdf) == 0:
                raise ImageError("PDF has no pages")
            page = _first_page(pdf)
            try:
                w_pt, h_pt = (float(v) for v in page.get_size())  # /Rotate applied
                scale = pdf_scale(w_pt, h_pt, long_side, max_pixels, max_side, min_side)
                size = (max(1, round(w_pt * scale)), max(1, round(h_pt * scale)))
                return _render(page.raw, size)
            finally:
                page.close()
        finally:
            pdf.close()


def pdf_scale(
    w_pt: float, h_pt: float, long_side: int, max_pixels: int, max_side: int, min_side: int
) -> float:
    """Pixels a point to render a `w_pt` x `h_pt` page at, or a clear ImageError."""
    if not (math.isfinite(w_pt) and math.isfinite(h_pt)) or min(w_pt, h_pt) <= 0:
        raise ImageError(f"PDF page has no usable size: {w_pt}x{h_pt} pt")
    full = PDF_DPI / 72
    fit = min(
        1.0, max_side / (max(w_pt, h_pt) * full), math.sqrt(max_pixels / (w_pt * h_pt)) / full
    )
    dpi = PDF_DPI * fit
    inches = f"{w_pt / 72:.1f}x{h_pt / 72:.1f} in"
    if dpi < PDF_MIN_DPI:
        raise ImageError(
            f"PDF page too large: {inches} fits {max_pixels} pixels only at {dpi:.0f} dpi "
            f"(at least {PDF_MIN_DPI:.0f} dpi needed)"
        )
    if min(w_pt, h_pt) * dpi / 72 < min_side:
        raise ImageError(f"PDF page too small: {inches}")
    return min(dpi / 72, long_side / max(w_pt, h_pt))


def _open(data: bytes) -> Any:
    # PDFium sets its last error only when it names why a load failed: a file with no page
    # tree fails without one, and would show the code an earlier file left (another
    # sender's password). Opening no file at all sets FILE, which a load from memory never
    # gives, so here it stands for "no reason given".
    pdfium_c.FPDF_LoadDocument(b"", None)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise ImageError(
                "PDF is password-protected; send it unprotected or as a photo"
            ) from exc
        if code == pdfium_c.FPDF_ERR_FILE:
            raise ImageError("PDF has no pages (no page tree PDFium can open)") from exc
        raise ImageError(f"corrupt or unreadable PDF: {exc}") from exc
    # An owner password alone opens without asking; still refused, as its author locked it.
    if pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
        pdf.close()
        raise ImageError("PDF is encrypted; send it unprotected or as a photo")
    return pdf


def _first_page(pdf: Any) -> Any:
    try:
        return pdf[0]
    except pdfium.PdfiumError as exc:
        raise ImageError(f"corrupt PDF: its first page cannot be loaded ({exc})") from exc


def _render(page: Any, size: tuple[int, int]) -> np.ndarray:
    """Render into a white RGB array, stopping after `PDF_RENDER_SECONDS`."""
    w, h = size
    pixels = np.full((h, w, 3), 255, dtype=np.uint8)
    bitmap = pdfium_c.FPDFBitmap_CreateEx(
        w, h, pdfium_c.FPDFBitmap_BGR, pixels.ctypes.data_as(ctypes.c_void_p), w * 3
    )
    if not bitmap:
        raise ImageError(f"cannot allocate a {w}x{h} bitmap for the PDF page")
    deadline = time.monotonic() + PDF_RENDER_SECONDS
    pause = pdfium_c.IFSDK_PAUSE(version=1)
    # Kept referenced until PDFium is done with it: ctypes frees a collected callback.
    callback = type(pause.NeedToPauseNow)(lambda _: int(time.monotonic() > deadline))
    pause.NeedToPauseNow = callback
    # RGB rather than BGR; annotations (stamps, signatures) drawn as a viewer shows them.
    flags = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_REVERSE_BYTE_ORDER
    try:
        status = pdfium_c.FPDF_RenderPageBitmap_Start(
            bitmap, page, 0, 0, w, h, 0, flags, ctypes.byref(pause)
        )
    finally:
        pdfium_c.FPDF_RenderPage_Close(page)
        pdfium_c.FPDFBitmap_Destroy(bitmap)
    if status == pdfium_c.FPDF_RENDER_TOBECONTINUED:
        raise ImageError(f"PDF page too complex: not rendered in {PDF_RENDER_SECONDS:.0f} s")
    if status != pdfium_c.FPDF_RENDER_DONE:
        raise ImageError("corrupt PDF: its first page cannot be rendered")
    return pixels
