"""Where lines sit on the card: which lines share a row, and which stack into one block (a
company name over two lines, a two-line address), from their boxes.

OCR splits text at wide gaps, so one printed line can arrive as several pieces, and a
photographed card is tilted, so boxes overlap. Everything here is relative to the text
height. Lines without a box (older callers, tests) only count as neighbours when they are
next to each other in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Centre-to-centre distance of two stacked lines, in text heights: one line pitch is
# about 1.0-1.5; 1.7 still joins loosely set lines but not a gap of a blank line.
BLOCK_PITCH = 1.7


class Boxed(Protocol):
    text: str
    height: float
    box: tuple[int, int, int, int] | None


@dataclass(frozen=True)
class Geo:
    x1: float
    y1: float
    x2: float
    y2: float
    h: float  # text height (the box of a tilted line is taller than its text)

    @property
    def cx(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def cy(self) -> float:
        return (self.y1 + self.y2) / 2


def _geo(line: Boxed) -> Geo | None:
    if line.box is None:
        return None
    x1, y1, x2, y2 = line.box
    box_h = max(1.0, float(y2 - y1))
    h = float(line.height) if 0 < line.height <= box_h * 1.5 else box_h
    return Geo(float(x1), float(y1), float(x2), float(y2), h)


def _union(geos: list[Geo]) -> Geo:
    return Geo(
        min(g.x1 for g in geos),
        min(g.y1 for g in geos),
        max(g.x2 for g in geos),
        max(g.y2 for g in geos),
        sum(g.h for g in geos) / len(geos),
    )


class Layout:
    def __init__(self, lines: Sequence[Boxed]) -> None:
        self.lines = lines
        self.geo = [_geo(ln) for ln in lines]

    def boxed(self, *idx: int) -> bool:
        return all(self.geo[i] is not None for i in idx)

    def same_row(self, i: int, j: int) -> bool:
        """Pieces of one printed line: level centres and a gap of at most a few letters."""
        a, b = self.geo[i], self.geo[j]
        if a is None or b is None:
            return False
        hm = (a.h + b.h) / 2
        gap = max(a.x1, b.x1) - min(a.x2, b.x2)
        overlap = -gap / max(1.0, min(a.x2 - a.x1, b.x2 - b.x1))
        # Similar size too: a big logo beside a small line is two things, and boxes that
        # overlap most of their width are two lines of a tilted photo, not one.
        same_size = min(a.h, b.h) >= 0.7 * max(a.h, b.h)
        return abs(a.cy - b.cy) <= 0.35 * hm and gap <= 1.0 * hm and overlap < 0.5 and same_size

    def rows(self, members: list[int]) -> list[list[int]]:
        """`members` grouped into printed lines, each left to right, in reading order."""
        groups: list[list[int]] = []
        for i in members:
            hits = [g for g in groups if any(self.same_row(i, j) for j in g)]
            merged = [i] + [j for g in hits for j in g]
            groups = [g for g in groups if g not in hits] + [merged]
        rows = [sorted(g, key=lambda k: self.x(k)) for g in groups]
        return sorted(rows, key=lambda r: (self.y(r[0]), self.x(r[0])))

    def x(self, i: int) -> float:
        g = self.geo[i]
        return g.x1 if g else 0.0

    def y(self, i: int) -> float:
        g = self.geo[i]
        return g.cy if g else float(i)

    def row_geo(self, row: list[int]) -> Geo | None:
        if len(row) == 1:
            return self.geo[row[0]]
        geos = [self.geo[i] for i in row]
        if any(g is None for g in geos):
            return None
        return _union([g for g in geos if g is not None])

    def stacked(self, upper: list[int], lower: list[int], pitch: float = BLOCK_PITCH) -> bool:
        """`lower` is the next line of `upper`'s block: right below it, lined up with it
        (left, centre or right edges, or overlapping)."""
        a, b = self.row_geo(upper), self.row_geo(lower)
        if a is None or b is None:
            return min(lower) == max(upper) + 1
        hm = max(a.h, b.h)
        dy = b.cy - a.cy
        overlap = min(a.x2, b.x2) - max(a.x1, b.x1)
        narrow = max(1.0, min(a.x2 - a.x1, b.x2 - b.x1))
        if 0 < dy < 0.5 * min(a.h, b.h):
            # Centres this close are one row, unless the boxes share most of their width:
            # then they are consecutive lines of a tilted photo, whose boxes overlap.
            return overlap >= 0.6 * narrow
        if not 0.5 * min(a.h, b.h) <= dy <= pitch * hm:
            return False
        tol = 0.8 * hm
        return (
            abs(a.x1 - b.x1) <= 1.5 * hm  # an icon before one of them shifts its left edge
            or abs(a.cx - b.cx) <= tol
            or abs(a.x2 - b.x2) <= tol
            or overlap >= 0.6 * narrow
        )

    def height_ratio(self, a: list[int], b: list[int]) -> float:
        ha = max(self.lines[i].height for i in a) or 1.0
        hb = max(self.lines[i].height for i in b) or 1.0
        return min(ha, hb) / max(ha, hb)

    def row_text(self, row: list[int]) -> str:
        """The pieces of one printed line joined; single letters of a spaced-out logo
        ("n O g") join without spaces."""
        out = ""
        prev = ""
        for i in row:
            t = self.lines[i].text.strip()
            if out and not (len(prev) == 1 and len(t) == 1):
                out += " "
            out += t
            prev = t
        return out
