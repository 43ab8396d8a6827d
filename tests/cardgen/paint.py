"""Putting text on a card: blocks of lines fitted into boxes, icons, logos and panels.

Every drawn line's ink box is recorded; `Canvas.check()` refuses a card where two lines touch
or a line leaves the card, so a layout bug shows up as an error instead of a wrong truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.cardgen import fonts, glyphs

RGB = tuple[int, int, int]
_Placed = tuple["Item", float, float]  # (line, width, baseline below the block's top)
Box = tuple[float, float, float, float]
MIN_SIZE = 15  # px on a ~1000 px wide card: below this the text is no longer printable


class LayoutError(RuntimeError):
    """A layout could not place its text legibly inside the card."""


@dataclass
class Item:
    text: str
    size: float
    color: RGB
    weight: str = "regular"  # regular | bold | light
    icon: str | None = None
    tracking: float = 0.0  # extra space between letters, as a fraction of the size
    upper: bool = False
    wrap: str | None = None  # "space" | "comma": where a line may break when the box is narrow
    min_size: float = MIN_SIZE
    keep: float = 0.8  # shrink a too-wide line down to this factor before breaking it


@dataclass
class Block:
    box: Box
    groups: list[list[Item]]
    align: str = "left"  # left | center | right
    valign: str = "top"  # top | center | bottom | spread
    icon_color: RGB | None = None
    icon_disc: RGB | None = None  # icons drawn in this colour on a disc of icon_color
    group_gap: float = 0.55  # extra space between groups, as a fraction of the body size


@dataclass
class Canvas:
    size: tuple[int, int]
    paper: RGB
    family: str
    inked: list[tuple[Box, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.im = Image.new("RGB", self.size, self.paper)
        self.draw = ImageDraw.Draw(self.im)

    # --- decoration ---------------------------------------------------------------------
    def rect(self, box: Box, color: RGB, radius: int = 0) -> None:
        if radius:
            self.draw.rounded_rectangle(box, radius, fill=color)
        else:
            self.draw.rectangle(box, fill=color)

    def line(self, a: tuple[float, float], b: tuple[float, float], color: RGB, width: int) -> None:
        self.draw.line((a, b), fill=color, width=width)

    def logo(self, box: Box, shape: str, text: str, fill: RGB, ink: RGB) -> None:
        glyphs.logo(self.draw, box, shape, fill)
        x0, y0, x1, y1 = box
        size = int((y1 - y0) * (0.42 if len(text) > 1 else 0.55))
        family = fonts.CJK_FAMILY if fonts.is_cjk(text) else self.family
        font = fonts.load(family, "bold", size)
        fonts.check_glyphs(family, "bold", text)
        self.draw.text(((x0 + x1) / 2, (y0 + y1) / 2), text, font=font, fill=ink, anchor="mm")
        self.inked.append((box, f"logo {text}"))

    # --- text ---------------------------------------------------------------------------
    def _font(self, item: Item, scale: float) -> tuple[str, str, ImageFont.FreeTypeFont]:
        family = fonts.CJK_FAMILY if fonts.is_cjk(item.text) else self.family
        weight = "regular" if family == fonts.CJK_FAMILY else item.weight
        size = max(1, round(item.size * scale))
        return family, weight, fonts.load(family, weight, size)

    def _measure(self, item: Item, scale: float) -> tuple[float, float, float]:
        """(width, ascent, descent) of one line at `scale`, icon included."""
        _, _, font = self._font(item, scale)
        text = item.text.upper() if item.upper else item.text
        size = item.size * scale
        if item.tracking:
            width = sum(font.getlength(c) for c in text) + item.tracking * size * (len(text) - 1)
        else:
            width = font.getlength(text)
        _, y0, _, y1 = font.getbbox(text, anchor="ls")
        if item.icon:
            width += size * 1.5
        return width, max(-y0, size * 0.72), max(y1, size * 0.2)

    def _layout(self, block: Block, scale: float) -> tuple[float, float, list[list[_Placed]]]:
        body = min((i.size for g in block.groups for i in g), default=20) * scale
        rows: list[list[_Placed]] = []
        height, width = 0.0, 0.0
        prev_desc = None
        for gi, group in enumerate(block.groups):
            row: list[_Placed] = []
            for item in group:
                w, asc, desc = self._measure(item, scale)
                if prev_desc is None:
                    pitch = asc
                else:
                    pitch = max(item.size * scale * 1.3, prev_desc + asc + 0.2 * body)
                    if row == [] and gi:
                        pitch += block.group_gap * body
                height += pitch
                row.append((item, w, height))  # height so far = this line's baseline
                width = max(width, w)
                prev_desc = desc
            rows.append(row)
        return width, height + (prev_desc or 0), rows

    def place(self, block: Block) -> None:
        block.groups = [g for g in block.groups if g]
        if not block.groups:
            return
        x0, y0, x1, y1 = block.box
        self._fit_width(block)
        scale = 1.0
        for _ in range(4):  # font sizes are whole pixels: converge in a few steps
            width, height, rows = self._layout(block, scale)
            if height <= y1 - y0:
                break
            scale *= (y1 - y0) / height * 0.995
        for item in (i for g in block.groups for i in g):
            if item.size * scale < item.min_size - 0.01:
                raise LayoutError(f"{item.text!r} would print at {item.size * scale:.1f} px")
        if width > x1 - x0 + 1 or height > y1 - y0 + 1:
            raise LayoutError(f"text does not fit in {block.box}: {block.groups[0][0].text!r}")
        spare = (y1 - y0) - height
        if block.valign == "spread" and len(rows) > 1:
            extra = [0.0] + [spare / (len(rows) - 1)] * (len(rows) - 1)
            top = y0
        else:
            extra = [0.0] * len(rows)
            top = {"top": y0, "center": y0 + spare / 2, "bottom": y1 - height}.get(block.valign, y0)
        shift = 0.0
        for row, ex in zip(rows, extra, strict=True):
            shift += ex
            for item, w, base in row:
                left = {"left": x0, "center": (x0 + x1 - w) / 2, "right": x1 - w}[block.align]
                self._draw_line(item, scale, left, top + shift + base, block)

    def natural_width(self, groups: list[list[Item]]) -> float:
        """The widest line of `groups` at full size: what a layout needs to split a card."""
        return max((self._measure(i, 1.0)[0] for g in groups for i in g), default=0.0)

    def _fit_width(self, block: Block) -> None:
        """Make every line fit the box's width: break it where allowed, else shrink it."""
        bw = block.box[2] - block.box[0]
        for group in block.groups:
            k = 0
            while k < len(group):
                item = group[k]
                w = self._measure(item, 1.0)[0]
                if w <= bw:
                    k += 1
                    continue
                f = bw / w * 0.99
                if (f < item.keep or item.size * f < item.min_size) and self._split(group, k):
                    continue  # measure the first half again
                # Lines of the same size shrink together (a contact block stays even); then
                # measure again, as sizes round to whole pixels.
                for other in group:
                    if other is not item and abs(other.size - item.size) < 0.01:
                        other.size *= f
                item.size *= f

    def _split(self, group: list[Item], k: int) -> bool:
        """Break line k in two at its most central allowed point; False where none is."""
        item = group[k]
        sep = {"space": " ", "comma": ", "}.get(item.wrap or "")
        if not sep or sep not in item.text.strip():
            return False
        parts = item.text.split(sep)
        cut = min(range(1, len(parts)), key=lambda j: abs(
            len(sep.join(parts[:j])) - len(sep.join(parts[j:]))))  # fmt: skip
        first = replace(item, text=sep.join(parts[:cut]))
        second = replace(item, text=sep.join(parts[cut:]), icon=None)
        group[k : k + 1] = [first, second]
        return True

    def _draw_line(self, item: Item, scale: float, x: float, base: float, block: Block) -> None:
        family, weight, font = self._font(item, scale)
        size = item.size * scale
        text = item.text.upper() if item.upper else item.text
        fonts.check_glyphs(family, weight, text)
        if item.icon:
            s = size * 0.95
            icon_box = (x, base - size * 0.36 - s / 2, x + s, base - size * 0.36 + s / 2)
            glyphs.icon(self.draw, item.icon, icon_box, block.icon_color or item.color,
                        block.icon_disc, self.paper)  # fmt: skip
            self.inked.append((icon_box, f"icon {item.icon}"))
            x += size * 1.5
        stroke = (
            max(1, round(size / 28)) if family == fonts.CJK_FAMILY and item.weight == "bold" else 0
        )
        start = x
        if item.tracking:
            for ch in text:
                self.draw.text((x, base), ch, font=font, fill=item.color, anchor="ls",
                               stroke_width=stroke, stroke_fill=item.color)  # fmt: skip
                x += font.getlength(ch) + item.tracking * size
            bx0, by0, _, by1 = self.draw.textbbox((start, base), text, font=font, anchor="ls")
            box = (bx0, by0, x - item.tracking * size, by1)
        else:
            self.draw.text((x, base), text, font=font, fill=item.color, anchor="ls",
                           stroke_width=stroke, stroke_fill=item.color)  # fmt: skip
            box = self.draw.textbbox((x, base), text, font=font, anchor="ls", stroke_width=stroke)
        self.inked.append((box, text))

    def check(self) -> None:
        w, h = self.size
        boxes = self.inked
        for i, (a, ta) in enumerate(boxes):
            if a[0] < 2 or a[1] < 2 or a[2] > w - 2 or a[3] > h - 2:
                raise LayoutError(f"{ta!r} leaves the card: {a}")
            for b, tb in boxes[i + 1 :]:
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    raise LayoutError(f"{ta!r} overlaps {tb!r}")

    def pixels(self) -> np.ndarray:
        return np.asarray(self.im)
