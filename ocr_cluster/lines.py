"""The card's text lines: found by the neural detector, each read by the engine that suits
its script.

1. The PP-OCR detector finds the lines on the upright card (white on dark, coloured panels
   and small text included); a card lying sideways or upside down is turned first.
2. The fast recogniser reads every line; lines it is unsure of are read again by the wide
   one (Vietnamese, Japanese kana, rarer CJK).
3. Neither knows Cyrillic: a Russian line comes out as Latin look-alikes and digits
   ("Ao6poBonbCKaa"). Lines that read weakly or look like that are read again by tesseract
   (Russian + English), line by line, and its reading is kept when it is surely Cyrillic.
"""

from __future__ import annotations

import difflib
import re
import time
import unicodedata
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ocr_cluster import patterns as pt
from ocr_cluster.fields import TextLine
from ocr_cluster.neural import NeuralOcr, Reading, TextBox, crop_line, sort_reading_order
from ocr_cluster.ocr import TesseractPool

# Below this the fast recogniser's reading is checked by the wide one.
WIDE_BELOW = 0.9
# The largest line (a logo word, the company, the name) is often set in a display font: the
# wide recogniser reads it too. Measured on devset, realdev and the generated set, the
# second and third largest gained nothing and cost 0.1 s a card (bench/cards.py).
LARGEST_LINES = 1
# The wide recogniser's reading wins unless it is this much less sure: it knows the
# characters the fast one approximates (Vietnamese "ễ" read as "ê", kana as kanji).
WIDE_MARGIN = 0.05
# A line the two recognisers read differently is this much less certain (what the contact's
# confidence then says).
DISAGREEMENT = 0.85
# Below this (or when it looks like misread Cyrillic) a line is checked by tesseract.
TESSERACT_BELOW = 0.8
# Tesseract's reading must be at least this confident (0..1) to replace the neural one.
TESSERACT_MIN_CONF = 0.6
MIN_LINE_CONF = 0.5  # lines read less surely than this are noise (logo strokes, icons)
ORIENTATION_SAMPLE = 8  # lines the 0/180° classifier looks at
# The check that the card outline holds all the text looks at a smaller copy of the photo;
# one line in ten outside the outline (at least one) means the outline is wrong.
CHECK_LONG_SIDE = 640
OUTSIDE_SHARE = 0.1
TESSERACT_LINE_HEIGHT = 40  # px: tesseract reads best at about this letter height
PSM_SINGLE_LINE = 7
# Two readings of a line spell the same thing when their bare letters agree this well.
SAME_TEXT = 0.75
# Letters and words only Vietnamese writes among Latin scripts: the card is Vietnamese.
_VIETNAMESE = re.compile(r"[ăơưđĂƠƯĐ]|\bTNHH\b|\.vn\b")

# Letters only Cyrillic has (no Latin twin): proof a tesseract reading is Russian text.
_CYRILLIC_ONLY = re.compile(r"[БГДЖЗИЙЛПФЦЧШЩЪЫЬЭЮЯбгджзийлпфцчшщъыьэюяёЁ]")
# What a Cyrillic word looks like after a Latin-only recogniser: Greek letters or maths
# signs for Г Ф П Л, digits for б з ч (6 3 4), and case flips inside a word ("BeKTop").
_GREEK = re.compile(r"[\u0370-\u03ff\u2200-\u22ff]")
_DIGIT_IN_WORD = re.compile(r"[A-Za-z][0-9][A-Za-z]|[a-z]{2}[0-9]\b")
_CASE_FLIP = re.compile(r"[a-z][A-Z]")
# Letters a Latin-only recogniser can make of Cyrillic capitals (ИЛЯ → N JI R…).
_CYRILLIC_LOOKALIKE_LINE = re.compile(r"^[\W\dA-Za-z]+$")
# A reading whose characters could not fill its box lost the letters the recogniser does
# not know (it reads "ул. Ленина, д. 13" as ". , . 13"). Letters are about half as wide as
# they are tall; a third leaves room for wide spacing.
MIN_CHAR_WIDTH_SHARE = 0.3


@dataclass
class CardText:
    lines: list[TextLine]
    timings: dict[str, float] = field(default_factory=dict)
    engines: dict[str, int] = field(default_factory=dict)  # lines kept per engine


def looks_like_misread_cyrillic(text: str, box: TextBox | None = None) -> bool:
    if _GREEK.search(text):
        return True
    if box is not None and len(text) * box.height * MIN_CHAR_WIDTH_SHARE < box.width * 0.5:
        return True
    words = re.findall(r"[A-Za-z0-9]{3,}", text)
    odd = sum(bool(_DIGIT_IN_WORD.search(w) or _CASE_FLIP.search(w)) for w in words)
    return odd >= 1 and odd >= 0.3 * len(words)


class LineReader:
    """Reads the text lines of an upright card image (RGB). Thread-safe."""

    def __init__(
        self,
        neural: NeuralOcr,
        cyrillic: TesseractPool | None = None,
        vietnamese: TesseractPool | None = None,
    ) -> None:
        self.neural = neural
        self.cyrillic = cyrillic
        self.vietnamese = vietnamese

    def read(self, rgb: np.ndarray) -> CardText:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        bgr, boxes = self._upright(bgr)
        t1 = time.perf_counter()
        crops = [crop_line(bgr, b.quad) for b in boxes]
        readings = self.neural.fast(crops)
        engines = ["fast"] * len(crops)
        largest = sorted(range(len(boxes)), key=lambda i: -boxes[i].height)[:LARGEST_LINES]
        unsure = [
            i
            for i, r in enumerate(readings)
            if r.conf < WIDE_BELOW or _beyond_ascii(r.text) or i in largest
        ]
        if unsure:
            for i, wide in zip(unsure, self.neural.wide([crops[i] for i in unsure]), strict=True):
                fast = readings[i]
                if wide.text and wide.conf >= fast.conf - WIDE_MARGIN:
                    readings[i], engines[i] = wide, "wide"
                if wide.text != fast.text:
                    # Two recognisers that read a line differently: neither is sure.
                    readings[i] = replace(readings[i], conf=readings[i].conf * DISAGREEMENT)
        t2 = time.perf_counter()
        if self.cyrillic is not None:
            self._cyrillic(boxes, crops, readings, engines)
        if self.vietnamese is not None and any(_VIETNAMESE.search(r.text) for r in readings):
            self._vietnamese(crops, readings, engines)
        t3 = time.perf_counter()
        lines = []
        kept: dict[str, int] = {}
        for box, reading, engine in zip(boxes, readings, engines, strict=True):
            text = unicodedata.normalize("NFC", reading.text).strip()
            if reading.conf < MIN_LINE_CONF or not any(ch.isalnum() for ch in text):
                continue
            kept[engine] = kept.get(engine, 0) + 1
            lines.append(
                TextLine(
                    text=text,
                    height=round(box.height, 1),
                    conf=round(reading.conf, 3),
                    block=0,
                    box=box.rect,
                )
            )
        timings.update(det=t1 - t0, rec=t2 - t1, tesseract=t3 - t2)
        return CardText(lines=lines, timings=timings, engines=kept)

    def text_beyond(
        self, rgb: np.ndarray, to_card: np.ndarray, card_shape: tuple[int, ...]
    ) -> bool:
        """Whether the photo `rgb` has text lines that fall outside the card found in it
        (`to_card` maps photo to card coordinates): the outline was wrong (a panel or a
        logo frame taken for the card) and warping it would cut text off."""
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        boxes = self.neural.detect(bgr, long_side=CHECK_LONG_SIDE)
        if not boxes:
            return False
        centres = np.array([b.quad.mean(axis=0) for b in boxes], np.float32).reshape(-1, 1, 2)
        inside = cv2.perspectiveTransform(centres, to_card.astype(np.float64)).reshape(-1, 2)
        h, w = card_shape[:2]
        out = sum(not (0 <= x < w and 0 <= y < h) for x, y in inside)
        return out >= 1 and out >= OUTSIDE_SHARE * len(boxes)

    # --- orientation ------------------------------------------------------------------

    def _upright(self, bgr: np.ndarray) -> tuple[np.ndarray, list[TextBox]]:
        """The card turned so its text reads left to right, and the lines found on it."""
        boxes = self.neural.detect(bgr)
        if _mostly_vertical(boxes):
            bgr = cv2.rotate(bgr, cv2.ROTATE_90_CLOCKWISE)
            boxes = self.neural.detect(bgr)
        sample = sorted(boxes, key=lambda b: -b.width)[:ORIENTATION_SAMPLE]
        crops = [crop_line(bgr, b.quad) for b in sample if b.width > 2 * b.height]
        if crops and self.neural.upside_down(crops) > 0.5:
            h, w = bgr.shape[:2]
            bgr = cv2.rotate(bgr, cv2.ROTATE_180)
            boxes = sort_reading_order([_turned_180(b, w, h) for b in boxes])
        return bgr, boxes

    # --- tesseract --------------------------------------------------------------------

    def _cyrillic(
        self,
        boxes: list[TextBox],
        crops: list[np.ndarray],
        readings: list[Reading],
        engines: list[str],
    ) -> None:
        """Replace, in place, the readings of Cyrillic lines by tesseract's.

        First the lines that read weakly or look misread; when any of them proves Cyrillic,
        the card is Russian and every other letter line is checked too (capitals such as
        "АННА" come out of the Latin recogniser as a confident "AHHA")."""
        tried: set[int] = set()

        assert self.cyrillic is not None
        pool = self.cyrillic

        def check(i: int, reading: Reading) -> bool:
            tried.add(i)
            other = _tesseract(pool, crops[i])
            # Only a sure Cyrillic reading replaces the neural one; a weak Latin-looking
            # reading beats a weaker Cyrillic one (a logo, a CJK word).
            if other is not None and (
                other.conf < TESSERACT_MIN_CONF
                or not _CYRILLIC_ONLY.search(other.text)
                or other.conf < min(reading.conf, TESSERACT_BELOW)
            ):
                other = None
            if other is not None:
                readings[i], engines[i] = other, "tesseract"
            return other is not None

        found = 0
        for i, (box, reading) in enumerate(zip(boxes, readings, strict=True)):
            if pt.has_cjk(reading.text):
                continue  # tesseract has no CJK here; the neural reading stands
            if reading.conf < TESSERACT_BELOW or looks_like_misread_cyrillic(reading.text, box):
                found += check(i, reading)
        if not found:
            return
        for i, reading in enumerate(readings):
            text = reading.text
            if i in tried or _is_address_or_link(text):
                continue
            if sum(ch.isalpha() for ch in text) >= 2 and _CYRILLIC_LOOKALIKE_LINE.match(text):
                check(i, reading)

    def _vietnamese(
        self, crops: list[np.ndarray], readings: list[Reading], engines: list[str]
    ) -> None:
        """On a Vietnamese card, tesseract's Vietnamese reading of each text line replaces the
        neural one when both spell the same letters without their marks: no PP-OCR alphabet
        has the stacked tone marks ("ễ", "ố"), which it drops or simplifies."""
        assert self.vietnamese is not None
        for i, reading in enumerate(readings):
            text = reading.text
            if engines[i] == "tesseract" or pt.has_cjk(text) or _is_address_or_link(text):
                continue
            if not any(ch.isalpha() for ch in text):
                continue
            other = _tesseract(self.vietnamese, crops[i])
            if other is None or other.conf < TESSERACT_MIN_CONF:
                continue
            same = difflib.SequenceMatcher(None, pt.latin(text), pt.latin(other.text)).ratio()
            if same >= SAME_TEXT:
                readings[i], engines[i] = other, "tesseract"


def _tesseract(pool: TesseractPool, crop: np.ndarray) -> Reading | None:
    """Tesseract's reading of one line crop."""
    gray = _for_tesseract(crop)
    words = [w for ln in pool.read_lines(gray, PSM_SINGLE_LINE) for w in ln.words]
    if not words:
        return None
    text = " ".join(w.text for w in words)
    return Reading(text=text, conf=float(np.mean([w.conf for w in words])) / 100, char_conf=())


def _is_address_or_link(text: str) -> bool:
    """An e-mail address or a website: Latin by definition, read best by the neural models."""
    return "@" in text or re.search(r"(?i)www|https?:|\.[a-z]{2,}\b", text) is not None


def _beyond_ascii(text: str) -> bool:
    """Letters with diacritics or CJK: the fast recogniser's alphabet may lack the exact one."""
    return any(ch.isalpha() and ord(ch) > 0x7F for ch in text)


def _mostly_vertical(boxes: list[TextBox]) -> bool:
    """A card photographed sideways: most text lines are taller than wide."""
    long = [b for b in boxes if max(b.width, b.height) > 3 * min(b.width, b.height)]
    if len(long) < 2:
        return False
    return sum(b.height > b.width for b in long) > 0.6 * len(long)


def _turned_180(box: TextBox, w: int, h: int) -> TextBox:
    tl, tr, br, bl = box.quad
    turned = np.array([br, bl, tl, tr], np.float32)
    turned = np.array([w - 1, h - 1], np.float32) - turned
    return TextBox(quad=turned, score=box.score)


def _for_tesseract(crop: np.ndarray) -> np.ndarray:
    """Grey, dark text on light, letters about TESSERACT_LINE_HEIGHT tall, a white margin."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if cv2.countNonZero(ink) < 0.5 * ink.size:  # the light pixels are the fewer: the text
        gray = 255 - gray
    scale = TESSERACT_LINE_HEIGHT / max(1, gray.shape[0] * 0.7)
    if abs(scale - 1) > 0.1:
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp)
    pad = max(8, gray.shape[0] // 4)
    return cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
