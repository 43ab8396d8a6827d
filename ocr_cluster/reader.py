"""The card reader: image bytes → contact, QR first, then OCR on the rectified card.

Plain Python (no Ray): the Serve deployments and the in-process default both wrap it.

Engines (`engine=`): `auto` finds the lines with the neural detector, reads them with the
neural recognisers and hands Cyrillic lines to tesseract (see `lines.py`); `neural` never
calls tesseract (no Cyrillic); `tesseract` is the older whole-page tesseract reading.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np

from business_card.contact import CONTACT_FIELDS, CardResult, Contact
from business_card.reading import ImageError
from ocr_cluster import geometry, warmup
from ocr_cluster.country import card_regions
from ocr_cluster.decode import decode_image
from ocr_cluster.fields import TextLine, extract_fields
from ocr_cluster.lines import LineReader
from ocr_cluster.merge import merge
from ocr_cluster.neural import NeuralOcr
from ocr_cluster.ocr import Line, TesseractPool, Word, resolve_tessdata
from ocr_cluster.qr import find_qr, parse_payload
from ocr_cluster.rescue import reread_contacts, rescue_missed
from ocr_cluster.runtime import Device, gpu_problem, select_device
from ocr_cluster.sanity import clean_values

__all__ = ["ENGINES", "CardReader", "CardResult", "Contact", "ImageError", "read_text"]

ENGINES = ("auto", "neural", "tesseract")
# Tesseract language for the lines PP-OCR's alphabets cannot spell (stacked tone marks).
VIETNAMESE = "vie"

# Below this much confidently read text the first pass is "weak" and orientation is checked.
WEAK_TEXT_SCORE = 60.0


@dataclass(frozen=True)
class CardLines:
    """The text lines of a card photo and its QR payload, before any field logic."""

    lines: list[TextLine]
    qr_payload: str | None
    timings: dict[str, float]
    # The other cards of a photo showing several, each read on its own.
    others: tuple[CardLines, ...] = ()


class CardReader:
    """Loads tesseract once; `read()` may be called from several threads at once."""

    def __init__(
        self,
        tessdata: str | None = None,
        langs: str = "rus+eng",
        pool_size: int = 4,
        engine: str = "auto",
        threads: int = 1,
        device: str = "auto",
    ) -> None:
        """``device``: where the neural stages run (``ocr_cluster.runtime``): ``auto`` takes
        a usable GPU, ``gpu`` raises ``DeviceUnavailable`` without one, ``cpu``."""
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        self.engine = engine
        self._device: Device | None = None
        # Photos decoded and QR scans made, for the replicas' health: a read scans once.
        self.stats = {"decodes": 0, "qr_scans": 0}
        tessdata = resolve_tessdata(tessdata)
        self._pool = TesseractPool(tessdata, langs, size=pool_size) if engine != "neural" else None
        # Latin-only second readings of e-mails and websites (no Cyrillic look-alikes).
        self._english = (
            TesseractPool(tessdata, "eng", size=pool_size) if engine == "tesseract" else None
        )
        self._vietnamese = (
            TesseractPool(tessdata, VIETNAMESE, size=pool_size) if engine == "auto" else None
        )
        self._lines = None
        if engine != "tesseract":
            neural = NeuralOcr(threads=threads, device=select_device(device))
            self._device = neural.device
            self._lines = LineReader(neural, self._pool, self._vietnamese)

    @property
    def ready(self) -> bool:
        return self._lines is not None or self._pool is not None

    @property
    def device(self) -> str:
        """Where the neural stages run, e.g. ``cpu (onnxruntime: CPUExecutionProvider)``;
        "cpu (tesseract)" for the tesseract engine."""
        return self._lines.neural.provider if self._lines is not None else "cpu (tesseract)"

    def device_problem(self) -> str | None:
        """Why the neural stages can no longer run where they were loaded (a GPU lost)."""
        if self._device is not None and self._device.kind == "gpu":
            return gpu_problem()
        return None

    def warm_up(self) -> float:
        """Read a sample card now (ocr_cluster/warmup.py), so the first real one is not
        slower than the rest; the seconds it took."""
        return warmup.warm_up(self.read)

    def close(self) -> None:
        for pool in (self._pool, self._english, self._vietnamese):
            if pool is not None:
                pool.close()

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> CardResult:
        """The contact on the card photo `data` (with ``others``: the other cards of a photo
        showing several, those with nothing read left out). `fallback_regions` (ISO codes:
        the sender's own country, the channel's) are used for numbers printed without a
        country code only when the card itself shows no country."""
        text = self.read_lines(data)
        result = _read_fields(text, fallback_regions)
        others = (_read_fields(other, fallback_regions) for other in text.others)
        return replace(result, others=tuple(r for r in others if r.found_anything()))

    def read_lines(self, data: bytes) -> CardLines:
        """Everything the reader sees on the photo `data`: text lines and the QR payload, of
        the first card and (``others``) of the other cards when it shows several."""
        t0 = time.perf_counter()
        rgb = decode_image(data)
        self.stats["decodes"] += 1
        t1 = time.perf_counter()
        quads = geometry.find_card_quads(rgb)
        if len(quads) > 1:
            t2 = time.perf_counter()
            # Each card on its own, its QR code too: the photo's would be one card's.
            cards = [self._card_lines(None, geometry.warped(rgb, quad)) for quad in quads]
            t3 = time.perf_counter()
            first, others = cards[0], tuple(cards[1:])
            timings = {
                **first.timings,
                "decode": t1 - t0,
                "geometry": t2 - t1,
                "qr": sum(c.timings["qr"] for c in cards),
                "ocr": sum(c.timings["ocr"] for c in cards),
                "total": t3 - t0,
            }
            return replace(first, timings=timings, others=others)
        rect = geometry.warped(rgb, quads[0]) if quads else geometry.deskew(rgb)
        if rect.method == "warp" and self._lines is not None:
            if self._lines.text_beyond(rgb, rect.matrix, rect.image.shape):
                rect = geometry.deskew(rgb)
        t2 = time.perf_counter()
        text = self._card_lines(rgb, rect)
        t3 = time.perf_counter()
        timings = {**text.timings, "decode": t1 - t0, "geometry": t2 - t1, "total": t3 - t0}
        return replace(text, timings=timings)

    def _card_lines(self, photo: np.ndarray | None, rect: geometry.Rectified) -> CardLines:
        """The QR code and text lines of one rectified card; the QR code is looked for on the
        whole `photo` first when it shows only this card (None: it shows several)."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        card = rect.image
        card_gray = geometry.to_gray(card)
        hit, where = find_qr(card_gray if photo is None else geometry.to_gray(photo), card_gray)
        self.stats["qr_scans"] += 1
        if hit is not None:
            # The detector may take the code's modules for text, tesseract for a picture
            # that swallows a line next to it: paint it out.
            corners = hit.corners if where == "card" or photo is None else rect.to_card(hit.corners)
            card = blank_region(card, corners)
        t1 = time.perf_counter()
        if self._lines is not None:
            card_text = self._lines.read(card)
            lines = card_text.lines
            timings.update(card_text.timings)
        else:
            lines = to_text_lines(self._ocr(geometry.to_gray(card)))
        t2 = time.perf_counter()
        timings.update(qr=t1 - t0, ocr=t2 - t1, total=t2 - t0)
        return CardLines(lines=lines, qr_payload=hit.text if hit else None, timings=timings)

    def read_qr(self, data: bytes) -> CardResult:
        """Only the QR code: fast, and empty when the card has none."""
        t0 = time.perf_counter()
        rgb = decode_image(data)
        self.stats["decodes"] += 1
        self.stats["qr_scans"] += 1
        gray = geometry.to_gray(rgb)
        hit, _ = find_qr(gray)
        if hit is None:
            rect = geometry.rectify(rgb)
            hit, _ = find_qr(gray, geometry.to_gray(rect.image))
        qr = parse_payload(hit.text) if hit else None
        values, conf, source = merge(extract_fields([]), qr)
        return _result(values, conf, source, {"total": time.perf_counter() - t0})

    def _ocr(self, gray: np.ndarray) -> list[Line]:
        """The whole-page tesseract reading (engine="tesseract")."""
        assert self._pool is not None and self._english is not None
        gray = prepare_for_ocr(gray)
        lines, gray = self._upright_lines(gray)
        lines = rescue_missed(self._pool, gray, lines)
        return reread_contacts(self._english, gray, lines)

    def _upright_lines(self, gray: np.ndarray) -> tuple[list[Line], np.ndarray]:
        """Lines read from the card turned upright, and the upright image they came from."""
        assert self._pool is not None
        lines = self._pool.read_lines(gray)
        score = text_score(lines)
        if score >= WEAK_TEXT_SCORE and gray.shape[0] < gray.shape[1] * 1.2:
            return lines, gray
        # Weak first pass or a portrait crop: the card may lie at 90/180/270 degrees.
        osd = self._pool.orientation(gray)
        angles = [osd[0]] if osd and osd[0] else []
        if not angles and score < WEAK_TEXT_SCORE:
            angles = [90, 270, 180]
        best = gray
        for angle in angles:
            turned = geometry.rotate_quarter(gray, angle)
            other = self._pool.read_lines(turned)
            other_score = text_score(other)
            if other_score > score * 1.2:
                lines, score, best = other, other_score, turned
            if score >= WEAK_TEXT_SCORE:
                break
        return lines, best


def read_text(
    lines: list[TextLine], qr_payload: str | None = None, *, fallback_regions: Sequence[str] = ()
) -> CardResult:
    """The card's text (OCR lines) and its QR payload → the contact: everything the reader
    does after the pixels, usable on text alone. ``fallback_regions`` (the sender's or the
    channel's country) are for numbers without a country code on a card that names none."""
    extracted = extract_fields(lines, fallback_regions=fallback_regions)
    qr = parse_payload(qr_payload) if qr_payload else None
    values, conf, source = merge(extracted, qr, card_regions(lines, fallback_regions))
    return _result(values, conf, source, {})


def _read_fields(text: CardLines, fallback_regions: Sequence[str]) -> CardResult:
    """`read_text` on one card's lines, its time added to the card's timings."""
    t0 = time.perf_counter()
    result = read_text(text.lines, text.qr_payload, fallback_regions=fallback_regions)
    fields = time.perf_counter() - t0
    timings = {**text.timings, "fields": fields, "total": text.timings["total"] + fields}
    return replace(result, timings={k: round(v, 4) for k, v in timings.items()})


def blank_region(image: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Paint the QR code (grown by a quiet zone) in the card's background colour."""
    c = corners.mean(axis=0)
    grown = (c + (corners - c) * 1.15).astype(np.int32)
    out = image.copy()
    paper = np.median(image.reshape(-1, image.shape[-1]) if image.ndim == 3 else image, axis=0)
    cv2.fillConvexPoly(out, grown, np.atleast_1d(paper).astype(int).tolist())
    return out


def prepare_for_ocr(gray: np.ndarray) -> np.ndarray:
    """Light text on a dark card is inverted; uneven lighting is flattened."""
    h, w = gray.shape
    core = gray[h // 8 : h - h // 8, w // 8 : w - w // 8]
    if float(np.median(core)) < 100:
        gray = 255 - gray
    return flatten_lighting(gray)


def flatten_lighting(gray: np.ndarray) -> np.ndarray:
    """Divide by the paper's brightness so shadows and glare gradients vanish.

    Only when the lighting is uneven: on an evenly lit card this changes nothing useful."""
    h, w = gray.shape
    scale = 400 / max(h, w)
    small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))))
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
    paper = cv2.medianBlur(cv2.morphologyEx(small, cv2.MORPH_CLOSE, k), 9)
    lo, hi = np.percentile(paper, (5, 95))
    if hi < 1 or lo / hi > 0.8:
        return gray
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    flat = gray.astype(np.float32) / np.maximum(paper, 1.0) * 235.0
    return np.clip(flat, 0, 255).astype(np.uint8)


def text_score(lines: list[Line]) -> float:
    """Confident alphanumeric characters read: a cheap measure of how well OCR went."""
    total = 0.0
    for ln in lines:
        for w in ln.words:
            if w.conf >= 60:
                total += (w.conf / 100) ** 2 * sum(ch.isalnum() for ch in w.text)
    return total


def to_text_lines(lines: list[Line]) -> list[TextLine]:
    """OCR lines → extractor lines: stray marks dropped, lines split at wide gaps."""
    out: list[TextLine] = []
    for ln in lines:
        words = [w for w in ln.words if _keep_word(w.text, w.conf)]
        if not words:
            continue
        height = float(np.median([w.box[3] - w.box[1] for w in words]))
        segment = [words[0]]
        for prev, cur in itertools.pairwise(words):
            if cur.box[0] - prev.box[2] > 3.0 * max(height, 8):
                out.append(_text_line(segment, ln.block))
                segment = []
            segment.append(cur)
        out.append(_text_line(segment, ln.block))
    return out


def _keep_word(text: str, conf: float) -> bool:
    alnum = sum(ch.isalnum() for ch in text)
    if alnum == 0:
        return text in ("&", "+", "«", "»", "—", "–", "-") and conf >= 50
    if len(text) == 1 and conf < 50:
        return False
    return not (alnum <= 2 and conf < 25)


def _text_line(words: list[Word], block: int) -> TextLine:
    text = re.sub(r"\s+", " ", " ".join(w.text for w in words)).strip()
    height = float(np.median([w.box[3] - w.box[1] for w in words]))
    conf = float(np.mean([w.conf for w in words])) / 100
    box = (
        min(w.box[0] for w in words),
        min(w.box[1] for w in words),
        max(w.box[2] for w in words),
        max(w.box[3] for w in words),
    )
    return TextLine(text=text, height=height, conf=round(conf, 3), block=block, box=box)


def _result(
    values: dict[str, Any],
    conf: dict[str, float],
    source: dict[str, str],
    timings: dict[str, float],
) -> CardResult:
    values = clean_values(values)
    contact = Contact(**{k: values[k] for k in CONTACT_FIELDS if k in values})
    present = {k for k in CONTACT_FIELDS if getattr(contact, k)}
    return CardResult(
        contact=contact,
        confidence={k: round(float(v), 3) for k, v in conf.items() if k in present},
        source={k: v for k, v in source.items() if k in present},
        timings={k: round(v, 4) for k, v in timings.items()},
    )
