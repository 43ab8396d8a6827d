"""A card reader that reads nothing and answers with the fallback regions it was given, for
the tests that follow the regions from the event to the reader: in the worker's process and
through the reader pool's pipe. Photos ending in a poison marker crash it or hang it."""

from __future__ import annotations

import ctypes
import time
from collections.abc import Sequence
from typing import Any

from business_card.contact import CardResult, Contact
from tests.faults.poison import HANG, SEGV


class RegionsEcho:
    def __init__(self, **kwargs: Any):
        self.kwargs = kwargs

    @property
    def ready(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def read(self, data: bytes, fallback_regions: Sequence[str] = ()) -> CardResult:
        if data.endswith(SEGV):
            ctypes.string_at(0)  # a real segmentation fault, as a native crash
        if data.endswith(HANG):
            time.sleep(3600)
        return echo(data, fallback_regions)


def echo(data: bytes, fallback_regions: Sequence[str]) -> CardResult:
    """The "contact" the echo reader answers: the regions as the company, in order."""
    contact = Contact(
        name="Regions Echo",
        company=",".join(fallback_regions) or "none",
        title=f"{len(data)} bytes, {type(fallback_regions).__name__}",
    )
    return CardResult(contact=contact, source={"company": "ocr"})
