"""Business-card photos made on the fly: render text on a card, then photograph it badly.

The tests (and anyone probing the reader) build their own images here instead of relying
on the dev set: rotation, perspective, dark cards, bands, letter spacing, blur, shadow,
glare and JPEG quality are all parameters. This is the simple one-column renderer; whole
generated card sets with truth come from `tests.cardgen`, whose photographer this re-exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.cardgen import fonts
from tests.cardgen.photo import Photo, photograph

__all__ = [
    "ENGLISH_CARD",
    "RUSSIAN_CARD",
    "Card",
    "Photo",
    "font_path",
    "load_font",
    "photograph",
    "render",
]


def font_path(*names: str) -> str:
    """The first installed font file whose name is in `names` (DejaVu Sans when none is asked).

    A font that is asked for and missing is an error naming its Debian package, never a
    silent fallback: the card would print other glyphs than the test expects.
    """
    return str(fonts.file_for(*(names or ("DejaVuSans.ttf",))))


def load_font(size: int, *names: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(*names), size)


@dataclass
class Card:
    """What is printed and how. Sizes are in pixels of a 1050x600 card (≈ 300 dpi)."""

    lines: list[tuple[str, int]]  # (text, font size)
    size: tuple[int, int] = (1050, 600)
    paper: tuple[int, int, int] = (250, 249, 245)
    ink: tuple[int, int, int] = (25, 25, 30)
    band: tuple[int, int, int] | None = None  # a coloured band along the left edge
    letter_spacing: int = 0
    bullets: bool = False  # a small filled icon before each line
    font: tuple[str, ...] = field(default_factory=tuple)
    margin: int = 70


def render(card: Card) -> np.ndarray:
    w, h = card.size
    im = Image.new("RGB", (w, h), card.paper)
    draw = ImageDraw.Draw(im)
    x0 = card.margin
    if card.band:
        band_w = w // 8
        draw.rectangle((0, 0, band_w, h), fill=card.band)
        x0 += band_w
    total = sum(int(s * 1.45) for _, s in card.lines)
    y = max(card.margin // 2, (h - total) // 2)
    path = font_path(*card.font)
    for text, size in card.lines:
        fonts.check_file_glyphs(path, text)
        font = ImageFont.truetype(path, size)
        x: float = x0
        if card.bullets:
            r = size // 3
            cy = y + size // 2 + 2
            draw.ellipse((x, cy - r, x + 2 * r, cy + r), fill=card.band or card.ink)
            x += 3 * r
        if card.letter_spacing:
            for ch in text:
                draw.text((x, y), ch, font=font, fill=card.ink)
                x += draw.textlength(ch, font=font) + card.letter_spacing
        else:
            draw.text((x, y), text, font=font, fill=card.ink)
        y += int(size * 1.45)
    return np.asarray(im)


ENGLISH_CARD = [
    ("Northwind Labs LLC", 40),
    ("Daniel K. Foster", 58),
    ("Sales Director", 34),
    ("Phone: +1 410 555 0142", 32),
    ("daniel.foster@northwind.example.com", 32),
    ("www.northwind.example.com", 32),
]
RUSSIAN_CARD = [
    ("ООО «Северный ветер»", 40),
    ("Соколова Анна Игоревна", 54),
    ("Менеджер по продажам", 34),
    ("Тел.: +7 (812) 555-12-34", 32),
    ("a.sokolova@sever.example.ru", 32),
]
