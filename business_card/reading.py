"""The card reader's interface, as the worker uses it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from business_card.contact import CardResult


class ImageError(ValueError):
    """The bytes are not an image this reader can (or should) decode."""


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
