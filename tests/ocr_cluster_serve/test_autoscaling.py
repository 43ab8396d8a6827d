"""Load raises the OCR replica count; it falls back after. Watched through serve.status()."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.ocr_cluster_serve.conftest import OCR_CARD, RayCluster, post_card

pytestmark = pytest.mark.ray

TIMELINE = Path(__file__).resolve().parents[2] / ".run" / "ocr_cluster_autoscaling.txt"


def test_load_scales_ocr_up_and_back_down(ocr: RayCluster) -> None:
    data = OCR_CARD.read_bytes()
    stop = threading.Event()
    statuses: list[int] = []

    def client() -> None:
        while not stop.is_set():
            statuses.append(post_card(ocr.url, data).status_code)

    t0 = time.monotonic()
    timeline: list[tuple[float, str, int, int]] = []

    def sample(phase: str) -> int:
        n = ocr.counts()["OcrReader"]
        timeline.append((time.monotonic() - t0, phase, n, len(statuses)))
        return n

    clients = [threading.Thread(target=client) for _ in range(4)]
    for c in clients:
        c.start()
    try:
        peak = 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and peak < 2:
            peak = max(peak, sample("load"))
            time.sleep(0.5)
        for _ in range(4):  # a little longer under load at the peak
            sample("load")
            time.sleep(0.5)
    finally:
        stop.set()
        for c in clients:
            c.join()
    settled = 2
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and settled > 1:
        settled = sample("idle")
        time.sleep(0.5)

    lines = [
        f"{t:6.1f}s  {phase:<5} OcrReader replicas={n}  answered={k}" for t, phase, n, k in timeline
    ]
    TIMELINE.parent.mkdir(exist_ok=True)
    TIMELINE.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    assert peak == 2, lines
    assert settled == 1, lines
    assert statuses and set(statuses) == {200}
