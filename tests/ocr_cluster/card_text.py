"""Card text as the OCR hands it over, laid out by hand: lines with their boxes and sizes.

`card(*rows)` stacks rows top to bottom the way a printed card sets them (about 1.4 text
heights apart); a row may start at another x (a second column) or continue the previous
row to its right (a logo in pieces). No image is involved: the field logic is tested on
the shapes it sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocr_cluster.fields import TextLine

RIGHT = "right"  # x of a row: continue the previous row to its right


@dataclass(frozen=True)
class Row:
    text: str
    height: float = 18.0
    x: int | str | None = None  # None: the card's left margin
    gap: float = 0.4  # empty space above the row, in text heights


def card(*rows: Row | tuple, x: int = 60, top: int = 40) -> list[TextLine]:
    out: list[TextLine] = []
    y = top
    for raw in rows:
        row = raw if isinstance(raw, Row) else Row(*raw)
        h = row.height
        width = int(len(row.text) * 0.55 * h)
        if row.x == RIGHT and out:
            prev = out[-1].box
            assert prev is not None
            x1, y1 = prev[2] + int(0.5 * h), prev[1]
        else:
            x1 = x if row.x is None else int(row.x)
            y1 = y + int(row.gap * h) if out else y
            y = y1 + int(h)
        out.append(
            TextLine(text=row.text, height=h, conf=0.95, box=(x1, y1, x1 + width, y1 + int(h)))
        )
    return out


def unboxed(*rows: tuple[str, float]) -> list[TextLine]:
    """Lines without boxes, as older callers send them."""
    return [TextLine(text=t, height=h) for t, h in rows]
