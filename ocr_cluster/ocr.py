"""Tesseract through tesserocr: API objects made once and lent to one thread at a time."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import tesserocr
from PIL import Image

DEFAULT_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata/"


class OcrUnavailable(RuntimeError):
    """Tesseract or its language data cannot be loaded."""


@dataclass(frozen=True)
class Word:
    text: str
    conf: float  # 0..100
    box: tuple[int, int, int, int]  # x1, y1, x2, y2


@dataclass
class Line:
    words: list[Word] = field(default_factory=list)
    block: int = 0

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def conf(self) -> float:
        return float(np.mean([w.conf for w in self.words])) / 100 if self.words else 0.0

    @property
    def box(self) -> tuple[int, int, int, int]:
        xs1, ys1, xs2, ys2 = zip(*(w.box for w in self.words), strict=True)
        return min(xs1), min(ys1), max(xs2), max(ys2)

    @property
    def height(self) -> int:
        """Median word height: the font size, robust to a stray tall glyph."""
        return int(np.median([w.box[3] - w.box[1] for w in self.words])) if self.words else 0


def resolve_tessdata(path: str | None) -> str:
    if path:
        return path
    return os.environ.get("TESSDATA_PREFIX") or DEFAULT_TESSDATA


class TesseractPool:
    """A few PyTessBaseAPI objects; each call borrows one, so threads never share one."""

    def __init__(self, tessdata: str, langs: str, size: int = 2) -> None:
        self.tessdata = tessdata
        self.langs = langs
        self._size = max(1, size)
        self._free: queue.LifoQueue[tesserocr.PyTessBaseAPI] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._osd: tesserocr.PyTessBaseAPI | None = None
        self._osd_lock = threading.Lock()
        self._free.put(self._make())  # fail at start-up, not on the first card

    def _make(self) -> tesserocr.PyTessBaseAPI:
        try:
            api = tesserocr.PyTessBaseAPI(
                path=self.tessdata, lang=self.langs, psm=tesserocr.PSM.AUTO, init=True
            )
        except RuntimeError as exc:
            raise OcrUnavailable(
                f"cannot load tesseract languages {self.langs!r} from {self.tessdata!r}: {exc}"
            ) from exc
        # Dictionaries pull e-mails, domains and phone digits towards words: off.
        api.SetVariable("load_system_dawg", "0")
        api.SetVariable("load_freq_dawg", "0")
        self._made += 1
        return api

    @contextlib.contextmanager
    def api(self) -> Iterator[tesserocr.PyTessBaseAPI]:
        try:
            api = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                grow = self._made < self._size
                api = self._make() if grow else None
            if api is None:
                api = self._free.get()
        try:
            yield api
        finally:
            self._free.put(api)

    def read_lines(self, gray: np.ndarray, psm: int = tesserocr.PSM.AUTO) -> list[Line]:
        """OCR a grayscale image into lines of words with confidences."""
        img = Image.fromarray(gray)
        with self.api() as api:
            api.SetPageSegMode(psm)
            api.SetImage(img)
            api.Recognize()
            return _collect_lines(api)

    def orientation(self, gray: np.ndarray) -> tuple[int, float] | None:
        """(degrees to rotate counter-clockwise to make the text upright, confidence)."""
        with self._osd_lock:
            if self._osd is None:
                try:
                    self._osd = tesserocr.PyTessBaseAPI(
                        path=self.tessdata, lang="osd", psm=tesserocr.PSM.OSD_ONLY
                    )
                except RuntimeError:
                    return None
            api = self._osd
            api.SetImage(Image.fromarray(gray))
            try:
                osd = api.DetectOrientationScript()
            except RuntimeError:
                return None
        if not osd:
            return None
        # `orient_deg` is the clockwise angle the page is rotated by.
        return int(osd["orient_deg"]) % 360, float(osd.get("orient_conf", 0.0))

    def close(self) -> None:
        while True:
            try:
                self._free.get_nowait().End()
            except queue.Empty:
                break
        if self._osd is not None:
            self._osd.End()
            self._osd = None


def _collect_lines(api: tesserocr.PyTessBaseAPI) -> list[Line]:
    ril = tesserocr.RIL
    lines: list[Line] = []
    it = api.GetIterator()
    if it is None:
        return lines
    current: Line | None = None
    block = 0
    for w in tesserocr.iterate_level(it, ril.WORD):
        if w.IsAtBeginningOf(ril.BLOCK):
            block += 1
        if current is None or w.IsAtBeginningOf(ril.TEXTLINE):
            current = Line(block=block)
            lines.append(current)
        try:
            text = w.GetUTF8Text(ril.WORD)
        except RuntimeError:
            continue  # tesserocr raises "No text returned" for an empty word box
        box = w.BoundingBox(ril.WORD)
        if text and text.strip() and box:
            current.words.append(Word(text.strip(), float(w.Confidence(ril.WORD)), box))
    return [ln for ln in lines if ln.words]
