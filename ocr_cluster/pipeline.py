"""QR first, OCR only when the QR code leaves something out: the cluster's reading policy.

Plain Python (no Ray): the Serve ingress applies the same policy across two deployments,
and `CardPipeline` applies it in one process (the bench's baseline, and a reference).
It uses only the reader's public methods, so the reader's internals can change freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ocr_cluster.reader import CardReader
from ocr_cluster.result import CardResult


def qr_complete(result: CardResult) -> bool:
    """The QR code alone gave a name, a way to reach the person and the company."""
    c = result.contact
    return bool(c.qr and c.name and (c.phones or c.emails) and c.company)


def mark_qr_only(result: CardResult) -> CardResult:
    """Say in the timings that OCR was skipped (the worker logs timings as they come)."""
    return replace(result, timings={**result.timings, "ocr_skipped": 1.0})


class CardPipeline:
    """`read()` with the cluster's policy, on one in-process reader."""

    def __init__(self, reader: CardReader, skip_ocr_when_qr_complete: bool = True) -> None:
        self.reader = reader
        self.skip_ocr_when_qr_complete = skip_ocr_when_qr_complete

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> CardResult:
        if self.skip_ocr_when_qr_complete:
            qr = self.reader.read_qr(data)
            if qr_complete(qr):
                return mark_qr_only(qr)
        return self.reader.read(data, fallback_regions=fallback_regions)
