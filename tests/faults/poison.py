"""A card reader that fails on purpose, for the poison-message tests: the real reader,
except for photos that carry a marker after the end of their JPEG data.

``POISON:segv`` dies of a segmentation fault in native code (a real one, through ctypes),
``POISON:raise`` raises, ``POISON:hang`` never returns."""

from __future__ import annotations

import ctypes
import time
from collections.abc import Sequence
from typing import Any

from ocr_cluster.reader import CardReader

SEGV, RAISE, HANG = b"POISON:segv", b"POISON:raise", b"POISON:hang"


def poisoned(jpeg: bytes, marker: bytes) -> bytes:
    """The photo with ``marker`` appended: still a valid JPEG to every decoder."""
    return jpeg + marker


class PoisonReader:
    def __init__(self, **kwargs: Any):
        self._reader = CardReader(**kwargs)

    @property
    def ready(self) -> bool:
        return True

    def close(self) -> None:
        self._reader.close()

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> Any:
        tail = data[-16:]
        if tail.endswith(SEGV):
            ctypes.string_at(0)  # reads address 0: SIGSEGV, as a native crash does
        if tail.endswith(RAISE):
            raise RuntimeError("the reader blew up on this photo")
        if tail.endswith(HANG):
            time.sleep(3600)
        return self._reader.read(data, fallback_regions=fallback_regions)
