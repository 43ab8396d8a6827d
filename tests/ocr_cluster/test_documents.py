"""Cards sent as a PDF or a HEIC photo: read like a JPEG, and refused with a reason when they
are locked, broken, empty, huge or too costly to draw. Every file is made here."""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from ocr_cluster import decode, documents
from ocr_cluster.decode import ImageError, decode_image
from ocr_cluster.reader import CardReader
from tests.cardgen.known import OCR_CARD, QR_CARD, KnownCard

# -- files made for the tests -------------------------------------------------------------


def _pdf(*objects: bytes, trailer: bytes = b"") -> bytes:
    """A PDF of these objects (1 is the catalogue), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


def _one_page(page: bytes, *more: bytes, trailer: bytes = b"") -> bytes:
    """A one-page PDF; `page` is what the page dictionary adds (a /MediaBox at least)."""
    return _pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R " + page + b" >>",
        *more,
        trailer=trailer,
    )


def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)


# The standard security handler (PDF 1.7, 7.6.3), revision 2: the padding, and RC4 with a
# 40-bit key, enough to make a PDF that opens without a password yet is encrypted.
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
_FILE_ID = bytes(range(16))


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _encrypted_pdf(user_password_empty: bool) -> bytes:
    """A card-sized page under the standard handler: openable as is (an owner password only)
    or asking for a user password (its /U matches no empty password)."""
    owner, permissions = bytes(range(32, 64)), -4
    key = hashlib.md5(_PAD + owner + struct.pack("<i", permissions) + _FILE_ID).digest()[:5]
    user = _rc4(key, _PAD) if user_password_empty else bytes(32)
    handler = b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P %d /O <%s> /U <%s> >>" % (
        permissions,
        owner.hex().encode(),
        user.hex().encode(),
    )
    file_id = _FILE_ID.hex().encode()
    trailer = b"/Encrypt 4 0 R /ID [<%s> <%s>] " % (file_id, file_id)
    return _one_page(b"/MediaBox [0 0 252 144]", handler, trailer=trailer)


def _saved(im: Image.Image, fmt: str, **kw: object) -> bytes:
    if fmt == "HEIF":
        documents.register_heif()
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _marked(size: tuple[int, int]) -> Image.Image:
    """Light grey with a red block in the top-left corner, to see which way is up."""
    im = Image.new("RGB", size, (235, 235, 235))
    im.paste((200, 20, 20), (0, 0, size[0] // 4, size[1] // 4))
    return im


def _red_corner(rgb: np.ndarray) -> tuple[int, int]:
    """(row, column) of the red block's centre, in quarters of the image."""
    rows, cols = np.nonzero((rgb[:, :, 0] > 150) & (rgb[:, :, 1] < 90))
    h, w = rgb.shape[:2]
    return int(4 * rows.mean() // h), int(4 * cols.mean() // w)


# -- PDF --------------------------------------------------------------------------------


def test_a_pdf_page_is_rendered_at_200_dpi():
    pdf = _saved(_marked((700, 400)), "PDF", resolution=200)  # a 3.5 x 2 in card
    rgb = decode_image(pdf)
    assert rgb.shape == (400, 700, 3) and rgb.dtype == np.uint8
    assert _red_corner(rgb) == (0, 0)
    assert abs(int(rgb[350, 600, 0]) - 235) < 4


def test_a_rotated_page_is_rendered_as_a_viewer_shows_it():
    rgb = decode_image(_one_page(b"/MediaBox [0 0 252 144] /Rotate 90"))
    assert rgb.shape == (700, 400, 3)
    assert rgb.min() == 255  # nothing drawn: the page's white


def test_only_the_first_page_is_read():
    first = _saved(_marked((700, 400)), "PDF", resolution=200)
    pages = [_marked((700, 400)).rotate(180), Image.new("RGB", (700, 400), (0, 0, 255))]
    both = _saved(pages[0], "PDF", resolution=200, save_all=True, append_images=pages[1:])
    assert _red_corner(decode_image(both)) == (3, 3)
    assert _red_corner(decode_image(first)) == (0, 0)


def test_a_page_is_rendered_no_larger_than_the_reader_works_at():
    letter = _one_page(b"/MediaBox [0 0 612 792]")  # 1700 x 2200 pixels at 200 dpi
    assert decode_image(letter).shape == (2000, 1545, 3)
    assert decode_image(letter, max_long_side=4000).shape == (2200, 1700, 3)


def test_a_big_page_is_scaled_to_the_pixel_budget_not_refused():
    # A 4000 x 3000 photo placed at 72 dpi: 92 MP at 200 dpi, so about 161 dpi instead.
    scale = documents.pdf_scale(4000, 3000, 10**6, decode.MAX_PIXELS, decode.MAX_SIDE, 16)
    assert 160 < scale * 72 < 162
    assert round(4000 * scale) * round(3000 * scale) <= decode.MAX_PIXELS
    photo_page = _one_page(b"/MediaBox [0 0 4000 3000]")
    assert decode_image(photo_page).shape == (1500, 2000, 3)


@pytest.mark.parametrize(
    ("box", "message"),
    [
        (b"[0 0 14400 14400]", r"PDF page too large: 200\.0x200\.0 in"),  # PDF's largest page
        (b"[0 0 3 3]", r"PDF page too small"),
        (b"[0 0 2000 4]", r"PDF page too small: 27\.8x0\.1 in"),  # a strip
    ],
)
def test_unusable_page_sizes_are_refused(box, message):
    with pytest.raises(ImageError, match=message):
        decode_image(_one_page(b"/MediaBox " + box))


def test_a_password_protected_pdf_is_refused():
    with pytest.raises(ImageError, match="PDF is password-protected"):
        decode_image(_encrypted_pdf(user_password_empty=False))


def test_an_encrypted_pdf_that_opens_without_a_password_is_refused_too():
    with pytest.raises(ImageError, match="PDF is encrypted"):
        decode_image(_encrypted_pdf(user_password_empty=True))


@pytest.mark.parametrize(
    "pages",
    [b"<< /Type /Pages /Kids [] /Count 0 >>", b"42"],
    ids=["no-kids", "not-a-page-tree"],
)
def test_a_pdf_without_pages_is_refused(pages):
    with pytest.raises(ImageError, match="PDF has no pages"):
        decode_image(_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", pages))


def test_the_reason_an_earlier_pdf_failed_is_not_this_ones():
    """PDFium keeps its last error between files: a broken PDF read after a locked one
    must not be called password-protected."""
    with pytest.raises(ImageError, match="password-protected"):
        decode_image(_encrypted_pdf(user_password_empty=False))
    no_tree = _pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"42")
    with pytest.raises(ImageError, match="PDF has no pages"):
        decode_image(no_tree)


def test_a_pdf_whose_first_page_is_missing_is_refused():
    pages = b"<< /Type /Pages /Kids [9 0 R] /Count 1 >>"
    with pytest.raises(ImageError, match="corrupt PDF: its first page cannot be loaded"):
        decode_image(_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", pages))


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-",
        b"%PDF-1.7\n" + bytes(range(256)) * 8,
        _saved(_marked((700, 400)), "PDF", resolution=200)[:60],
    ],
    ids=["header-only", "garbage", "truncated"],
)
def test_a_corrupt_pdf_is_refused(data):
    with pytest.raises(ImageError, match=r"corrupt or unreadable PDF"):
        decode_image(data)


def test_a_page_too_costly_to_draw_is_stopped(monkeypatch):
    ops = b"0 0 1 rg\n" + b"10 10 100 100 re f\n" * 20_000
    busy = _one_page(b"/MediaBox [0 0 252 144] /Contents 4 0 R", _stream(ops))
    assert decode_image(busy)[200, 100].tolist() == [0, 0, 255]  # drawn in time
    monkeypatch.setattr(documents, "PDF_RENDER_SECONDS", 0.0)
    with pytest.raises(ImageError, match="PDF page too complex"):
        decode_image(busy)


def test_pdfs_read_from_several_threads_at_once():
    """PDFium is not thread-safe: reads of PDFs in parallel threads take turns."""
    pdfs = [_saved(_marked((700, 400)).rotate(90 * i, expand=True), "PDF", resolution=200)
            for i in range(4)]  # fmt: skip
    alone = [decode_image(pdf) for pdf in pdfs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(decode_image, pdfs * 4))
    assert all(np.array_equal(a, b) for a, b in zip(together, alone * 4, strict=True))


def test_a_pdf_over_the_byte_limit_is_refused_unopened():
    with pytest.raises(ImageError, match="file too large"):
        decode_image(b"%PDF-1.4\n" + b" " * decode.MAX_BYTES)


# -- HEIC/HEIF ----------------------------------------------------------------------------


def test_a_heic_photo_is_decoded():
    rgb = decode_image(_saved(_marked((600, 400)), "HEIF", quality=90))
    assert rgb.shape == (400, 600, 3)
    assert _red_corner(rgb) == (0, 0)


def test_heic_orientation_is_applied_as_for_a_jpeg():
    # A phone stores the sensor's pixels and says how to turn them: 6 is a quarter turn.
    stored = _marked((600, 400)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    jpeg = decode_image(_saved(stored, "JPEG", exif=exif.tobytes()))
    heic = decode_image(_saved(stored, "HEIF", quality=90, exif=exif.tobytes()))
    assert heic.shape == jpeg.shape == (400, 600, 3)
    assert _red_corner(heic) == _red_corner(jpeg) == (0, 0)


def test_a_heic_over_the_pixel_budget_is_refused_before_decoding():
    heic = _saved(_marked((600, 400)), "HEIF", quality=50)
    at = heic.index(b"ispe") + 8  # the image's declared size: version, width, height
    huge = heic[:at] + struct.pack(">II", 9_000, 7_000) + heic[at + 8 :]
    with pytest.raises(ImageError, match=r"image dimensions too large: 9000x7000"):
        decode_image(huge)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.97])
def test_a_truncated_heic_is_refused(keep):
    heic = _saved(_marked((600, 400)), "HEIF", quality=90)
    with pytest.raises(ImageError, match=r"HEIC/HEIF header|corrupt or truncated"):
        decode_image(heic[: int(len(heic) * keep)])


def test_the_heif_opener_is_registered_once(monkeypatch):
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(documents, "_heif_registered", False)
    monkeypatch.setattr(
        documents.pillow_heif, "register_heif_opener", lambda **kw: calls.append(kw)
    )
    documents.register_heif()
    documents.register_heif()
    assert len(calls) == 1


# -- telling formats by their bytes ---------------------------------------------------------


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    brands = major + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands + b"\0\0\0\x08free"


@pytest.mark.parametrize(
    ("head", "heif"),
    [
        (_ftyp(b"heic", b"mif1", b"heic"), True),
        (_ftyp(b"mif1", b"heix"), True),
        (_ftyp(b"msf1", b"hevc"), True),
        (_ftyp(b"avif", b"mif1", b"miaf"), False),  # AVIF: no decoder here
        (_ftyp(b"isom", b"mp41"), False),  # an MP4 video
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, False),
    ],
)
def test_heif_is_told_by_its_ftyp_brands(head, heif):
    assert documents.is_heif(head) is heif


def test_the_claimed_type_does_not_matter():
    """The decoder has no mime type to go by: a PDF named .jpg is a PDF, a JPEG is a JPEG."""
    assert documents.is_pdf(_saved(_marked((300, 200)), "PDF")) is True
    assert documents.is_pdf(_saved(_marked((300, 200)), "JPEG")) is False
    heic = _saved(_marked((300, 200)), "HEIF", quality=80)
    assert not documents.is_pdf(heic) and documents.is_heif(heic)


def test_other_files_keep_their_message():
    with pytest.raises(ImageError, match="not a recognised image format"):
        decode_image(_ftyp(b"isom", b"mp41") + b"\0" * 64)


# -- through the real reader -------------------------------------------------------------


@pytest.fixture(scope="module")
def reader() -> Iterator[CardReader]:
    reader = CardReader()
    yield reader
    reader.close()


def _as_pdf(card: KnownCard) -> bytes:
    """The card's photo on a PDF page at 200 dpi, as a scanning app saves it."""
    with Image.open(io.BytesIO(card.jpeg)) as photo:
        return _saved(photo, "PDF", resolution=200, quality=95)


def _as_heic(card: KnownCard) -> bytes:
    with Image.open(io.BytesIO(card.jpeg)) as photo:
        return _saved(photo, "HEIF", quality=92)


@pytest.mark.slow
@pytest.mark.parametrize("card", [OCR_CARD, QR_CARD], ids=lambda c: c.name)
@pytest.mark.parametrize("wrap", [_as_pdf, _as_heic], ids=["pdf", "heic"])
def test_a_card_reads_the_same_as_its_jpeg(reader, card, wrap):
    data = wrap(card)
    assert data[:5] == b"%PDF-" or data[4:8] == b"ftyp"
    jpeg = reader.read(card.jpeg).contact
    assert reader.read(data).contact == jpeg
    assert sorted(jpeg.phones) == sorted(card.truth["phones"])
    assert jpeg.name == card.truth["name"]
