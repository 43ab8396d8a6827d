"""Small drawn pictures: contact icons (handset, phone, fax, envelope, globe, pin) and logos."""

from __future__ import annotations

import math

from PIL import ImageDraw

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]

ICONS = ("phone", "mobile", "fax", "mail", "web", "pin")
LOGOS = ("circle", "square", "rounded", "diamond", "hexagon", "ring", "bars")


def icon(
    draw: ImageDraw.ImageDraw, kind: str, box: Box, color: RGB, disc: RGB | None, paper: RGB
) -> None:
    """Draw `kind` in `box`; with `disc`, a filled circle of `color` holds the glyph in `disc`."""
    x0, y0, x1, y1 = box
    if disc is not None:
        draw.ellipse(box, fill=color)
        pad = (x1 - x0) * 0.22
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 - pad, y1 - pad
        color, paper = disc, color
    s = x1 - x0
    w = max(1, round(s * 0.11))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if kind == "phone":  # a handset: a thick arc with an ear and a mouth piece
        draw.arc((x0, y0, x1 + s * 0.35, y1 + s * 0.35), 180, 270, fill=color, width=round(s * 0.2))
        draw.rounded_rectangle(
            (x0 + s * 0.5, y0, x0 + s * 0.85, y0 + s * 0.3), s * 0.06, fill=color
        )
        draw.rounded_rectangle(
            (x0, y0 + s * 0.5, x0 + s * 0.3, y0 + s * 0.85), s * 0.06, fill=color
        )
    elif kind == "mobile":
        draw.rounded_rectangle(
            (cx - s * 0.3, y0, cx + s * 0.3, y1), s * 0.1, outline=color, width=w
        )
        draw.rectangle((cx - s * 0.18, y0 + s * 0.14, cx + s * 0.18, y1 - s * 0.24), fill=color)
        draw.ellipse((cx - s * 0.06, y1 - s * 0.17, cx + s * 0.06, y1 - s * 0.05), fill=color)
    elif kind == "fax":
        draw.rectangle((x0 + s * 0.22, y0, x1 - s * 0.22, y0 + s * 0.45), outline=color, width=w)
        draw.rounded_rectangle((x0, y0 + s * 0.35, x1, y1 - s * 0.1), s * 0.08, fill=color)
        draw.rectangle(
            (x0 + s * 0.25, y1 - s * 0.35, x1 - s * 0.25, y1), fill=paper, outline=color, width=w
        )
    elif kind == "mail":
        top, bot = cy - s * 0.34, cy + s * 0.34
        draw.rectangle((x0, top, x1, bot), outline=color, width=w)
        draw.line(((x0, top), (cx, cy + s * 0.05), (x1, top)), fill=color, width=w)
    elif kind == "web":
        draw.ellipse((x0, y0, x1, y1), outline=color, width=w)
        draw.ellipse((cx - s * 0.22, y0, cx + s * 0.22, y1), outline=color, width=w)
        draw.line(((x0, cy), (x1, cy)), fill=color, width=w)
        for dy in (-0.27, 0.27):
            half = s / 2 * math.sqrt(1 - (2 * dy) ** 2)
            draw.line(((cx - half, cy + dy * s), (cx + half, cy + dy * s)), fill=color, width=w)
    elif kind == "pin":
        r = s * 0.32
        draw.polygon(
            ((cx - r * 0.9, cy - s * 0.05), (cx + r * 0.9, cy - s * 0.05), (cx, y1)), fill=color
        )
        draw.ellipse((cx - r, y0, cx + r, y0 + 2 * r), fill=color)
        draw.ellipse((cx - r * 0.4, y0 + r * 0.6, cx + r * 0.4, y0 + r * 1.4), fill=paper)
    else:
        raise ValueError(f"no icon {kind!r}")


def logo(draw: ImageDraw.ImageDraw, box: Box, shape: str, fill: RGB) -> None:
    """A logo's shape; the initials are drawn on top by the caller."""
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "rounded":
        draw.rounded_rectangle(box, r * 0.35, fill=fill)
    elif shape == "diamond":
        draw.polygon(((cx, y0), (x1, cy), (cx, y1), (x0, cy)), fill=fill)
    elif shape == "hexagon":
        pts = [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
               for a in range(30, 390, 60)]  # fmt: skip
        draw.polygon(pts, fill=fill)
    elif shape == "ring":
        draw.ellipse(box, fill=fill)
        t = r * 0.12
        draw.ellipse(
            (x0 + t, y0 + t, x1 - t, y1 - t), outline=(255, 255, 255), width=max(2, round(t * 0.5))
        )
    elif shape == "bars":  # a square with a stripe cut out, like many trade logos
        draw.rectangle(box, fill=fill)
        draw.rectangle((x0, y1 - r * 0.28, x1, y1 - r * 0.18), fill=(255, 255, 255))
    else:
        raise ValueError(f"no logo shape {shape!r}")
