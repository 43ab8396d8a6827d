"""Readers for the warm-start tests of the reader pool (built in its child processes)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class MarkingReader:
    """Writes `marker` when warmed up: the test sees whether that happened before the pool
    said it was ready."""

    def __init__(self, marker: str):
        self.marker = Path(marker)

    @property
    def ready(self) -> bool:
        return True

    def warm_up(self) -> float:
        self.marker.write_text("warm")
        return 0.0

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> Any:
        return self.marker.read_text()

    def close(self) -> None:
        pass


class BrokenWarmUp(MarkingReader):
    def warm_up(self) -> float:
        raise RuntimeError("the models did not load")
