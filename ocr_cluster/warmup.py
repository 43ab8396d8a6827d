"""A first read before the first card, so that the first card is answered as fast as the
hundredth.

A reader's first read pays for what its engines set up lazily: ONNX Runtime's memory
arenas and kernel choices for the detector's and the recognisers' input shapes,
tesseract's processes and language data, the phone and name tables. Reading a small card
drawn here (text, a phone, an e-mail; no file, no randomness) at start-up moves that cost
to the start, where `ibbase up`, the worker's readiness and a Serve replica's health wait
for it, instead of onto a person's first photo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

LINES = (
    "Anna Petrova",
    "Sales Director",
    "ACME Trading Ltd",
    "+1 212 555 0147",
    "anna@acme.example",
)


def sample_card() -> bytes:
    """A plain 1000x600 card with five lines of dark text, as JPEG."""
    card = np.full((600, 1000, 3), 250, np.uint8)
    cv2.rectangle(card, (6, 6), (993, 593), (200, 200, 200), 2)
    for i, line in enumerate(LINES):
        scale = 1.6 if i == 0 else 1.1
        cv2.putText(
            card, line, (70, 120 + i * 95), cv2.FONT_HERSHEY_SIMPLEX, scale, (30, 30, 30), 3
        )
    ok, jpeg = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:  # pragma: no cover - OpenCV always encodes a plain array
        raise RuntimeError("could not encode the warm-up card")
    return jpeg.tobytes()


def warm_up(read: Callable[[bytes], Any]) -> float:
    """Seconds the first read of the sample card took with `read`."""
    started = time.perf_counter()
    read(sample_card())
    return time.perf_counter() - started
