"""A second look at lines the first OCR pass dropped or read badly.

Tesseract's layout analysis silently discards lines it finds too blurred, faint or glared
(often the small e-mail and website lines), and reads Latin contact lines with Cyrillic
look-alikes. Lines of ink that no recognised word covers are cut out, enlarged, sharpened
and read again one at a time; contact lines read with low confidence are read again by an
English-only engine, whose answer is kept when it is more confident.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from ocr_cluster import contacts, geometry
from ocr_cluster.ocr import Line, TesseractPool, Word

# A rescued line must be read at least this confidently to be believed.
MIN_RESCUE_CONF = 55.0
# Contact lines below this mean word confidence get an English-only second reading.
REREAD_BELOW_CONF = 80.0
MAX_RESCUES = 8
# A line that is, or is labelled as, an e-mail or a website (Cyrillic look-alikes included).
_CONTACT_HINT = re.compile(
    r"(?i)@|www|https?:|\.(com|ru|org|net|uk|de|io)\b|e-?mail|почта|сайт|site|web|url|"
    r"[a-zа-яё0-9]\.[a-zа-яё]{2,}\.[a-zа-яё]{2,}"
)
PSM_SINGLE_BLOCK = 6  # a crop may hold two lines merged into one blob


def missed_line_boxes(gray: np.ndarray, lines: list[Line]) -> list[tuple[int, int, int, int]]:
    """Boxes (x1, y1, x2, y2) of text-like ink that no recognised word covers."""
    h, w = gray.shape
    mask = geometry.text_mask(gray)
    covered = np.zeros_like(mask)
    for ln in lines:
        for word in ln.words:
            x1, y1, x2, y2 = word.box
            cv2.rectangle(covered, (x1 - 2, y1 - 2), (x2 + 2, y2 + 2), 255, -1)
    # Letters of one line merge into one blob; separate lines stay apart.
    joined = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, w // 50), 3))
    )
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh, _ = stats[i]
        if not (0.018 * h <= bh <= 0.14 * h) or bw < 2.5 * bh or bw > 0.98 * w:
            continue
        if x <= 1 or y <= 1 or x + bw >= w - 1 or y + bh >= h - 1:
            continue  # touching the border: the card's edge or the background
        ink = mask[y : y + bh, x : x + bw]
        ink_count = cv2.countNonZero(ink)
        if ink_count < 0.08 * bw * bh:
            continue
        seen = cv2.countNonZero(cv2.bitwise_and(ink, covered[y : y + bh, x : x + bw]))
        if seen < 0.3 * ink_count:
            boxes.append((int(x), int(y), int(x + bw), int(y + bh)))
    boxes.sort(key=lambda b: (b[1], b[0]))
    return boxes[:MAX_RESCUES]


def _pads(box: tuple[int, int, int, int]) -> tuple[int, int]:
    """Margins around a line box: a letter's width sideways, a little above and below."""
    height = box[3] - box[1]
    return max(6, height), max(3, height // 4)


def line_crop(gray: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, float]:
    """The box with a margin, sharpened (unsharp mask) and scaled to ~40 px letters.

    Sharpening before scaling undoes the blur of a shaky or defocused photo best; the
    mask's radius follows the letter size."""
    h, w = gray.shape
    x1, y1, x2, y2 = box
    px, py = _pads(box)
    crop = gray[max(0, y1 - py) : min(h, y2 + py), max(0, x1 - px) : min(w, x2 + px)]
    height = max(1, y2 - y1)
    soft = cv2.GaussianBlur(crop, (0, 0), float(np.clip(0.1 * height, 1.5, 4.0)))
    crop = cv2.addWeighted(crop, 2.5, soft, -1.5, 0)
    scale = float(np.clip(40.0 / height, 1.0, 3.0))
    if scale > 1.05:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return crop, scale


def _read_crop(
    pool: TesseractPool, gray: np.ndarray, box: tuple[int, int, int, int], block: int
) -> list[Line]:
    """The lines read in `box`, with word boxes in `gray` coordinates."""
    crop, scale = line_crop(gray, box)
    px, py = _pads(box)
    x0, y0 = max(0, box[0] - px), max(0, box[1] - py)

    def back(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (
            x0 + round(b[0] / scale),
            y0 + round(b[1] / scale),
            x0 + round(b[2] / scale),
            y0 + round(b[3] / scale),
        )

    return [
        Line(words=[Word(w.text, w.conf, back(w.box)) for w in ln.words], block=block)
        for ln in pool.read_lines(crop, PSM_SINGLE_BLOCK)
    ]


def rescue_missed(pool: TesseractPool, gray: np.ndarray, lines: list[Line]) -> list[Line]:
    """`lines` plus confidently read lines the first pass left out, in reading order."""
    boxes = missed_line_boxes(gray, lines)
    if not boxes:
        return lines
    block = max((ln.block for ln in lines), default=0) + 1
    extra = []
    for box in boxes:
        for line in _read_crop(pool, gray, box, block):
            if line.conf * 100 >= MIN_RESCUE_CONF and sum(ch.isalnum() for ch in line.text) >= 3:
                extra.append(line)
        block += 1
    out = list(lines)
    for line in extra:
        out.insert(_reading_position(out, line), line)
    return out


def _reading_position(lines: list[Line], new: Line) -> int:
    """After the last line above `new` in the same column (columns keep their order)."""
    nx1, ny1, nx2, ny2 = new.box
    centre = (ny1 + ny2) / 2
    above = below = None
    for i, ln in enumerate(lines):
        x1, y1, x2, y2 = ln.box
        if min(x2, nx2) - max(x1, nx1) <= 0:
            continue
        if (y1 + y2) / 2 < centre:
            above = i
        elif below is None:
            below = i
    if above is not None:
        return above + 1
    return below if below is not None else len(lines)


def reread_contacts(english: TesseractPool, gray: np.ndarray, lines: list[Line]) -> list[Line]:
    """Read weak e-mail and website lines again with English only; keep the surer reading."""
    out = []
    for ln in lines:
        if not _CONTACT_HINT.search(ln.text) or ln.conf * 100 >= REREAD_BELOW_CONF:
            out.append(ln)
            continue
        # Mean word confidence alone would favour a line broken into many short words.
        candidates = [ln, *_read_crop(english, gray, ln.box, ln.block)]
        out.append(max(candidates, key=lambda c: (_contacts_in(c.text), c.conf)))
    return out


def _contacts_in(text: str) -> int:
    return len(contacts.find_emails(text)) + len(contacts.find_websites(text))
