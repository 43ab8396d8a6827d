"""Every accepted send and read receipt, for tests and the demo to look at."""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

Kind = Literal["message", "read"]


class Outbox:
    def __init__(self, maxlen: int = 100_000) -> None:
        # Bounded so that a benchmark hammering the sandbox does not grow it forever.
        self._records: deque[dict[str, Any]] = deque(maxlen=maxlen)

    def record(self, record: dict[str, Any]) -> None:
        self._records.append(record)

    def list(self, *, to: str | None = None, kind: Kind | None = None) -> list[dict[str, Any]]:
        return [
            r
            for r in self._records
            if (to is None or r.get("to") == to) and (kind is None or r["kind"] == kind)
        ]

    def clear(self) -> None:
        self._records.clear()
