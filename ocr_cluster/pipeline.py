"""QR first, OCR only when the QR code leaves something out: the cluster's reading policy.

Plain Python (no Ray): the Serve ingress applies it across the QR and OCR deployments.
"""

from __future__ import annotations

from dataclasses import replace

from business_card.contact import CardResult


def qr_complete(result: CardResult) -> bool:
    """The QR code alone gave a name, a way to reach the person and the company."""
    c = result.contact
    return bool(c.qr and c.name and (c.phones or c.emails) and c.company)


def mark_qr_only(result: CardResult) -> CardResult:
    """Say in the timings that OCR was skipped (the worker logs timings as they come)."""
    return replace(result, timings={**result.timings, "ocr_skipped": 1.0})
