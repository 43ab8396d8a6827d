"""The card reader's interface, as the worker uses it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from business_card.contact import CardResult


class ImageError(ValueError):
    """The bytes are not an image this reader can (or should) decode."""


# Documents the reader opens besides images: a PDF's first page; HEIC/HEIF photos are
# image/* but named here as the types phones send them as.
CARD_DOCUMENT_TYPES = frozenset({"application/pdf", "image/heic", "image/heif"})


def is_card_mime(mime_type: str) -> bool:
    """Whether a file sent as `mime_type` is worth reading as a card: any image, or a PDF.

    Only a first filter for documents: the reader tells the format by the bytes themselves
    and refuses, with an ``ImageError``, whatever it cannot open."""
    kind = mime_type.split(";", 1)[0].strip().lower()  # "image/jpeg; charset=…" as sent
    return kind in CARD_DOCUMENT_TYPES or (kind.startswith("image/") and kind != "image/")


class CardReading(Protocol):
    """Reads one card photo. ``fallback_regions``: where numbers printed without a country
    code are from when the card does not tell (the sender's country, the channel's). Raises
    ``ImageError`` for bytes that are no usable photo; a blocking call."""

    @property
    def ready(self) -> bool:
        """Able to read now (models loaded, processes up, the cluster's client open)."""
        ...

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> CardResult: ...

    def close(self) -> None: ...
