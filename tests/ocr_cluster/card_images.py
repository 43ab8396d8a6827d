"""Business-card photos made on the fly: render text on a card, then photograph it badly.

The tests (and anyone probing the reader) build their own images here instead of relying
on the dev set: rotation, perspective, dark cards, bands, letter spacing, blur, shadow,
glare and JPEG quality are all parameters.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"))


def font_path(*names: str) -> str | None:
    """The first installed font file whose name is in `names` (or any DejaVu Sans)."""
    for wanted in (*names, "DejaVuSans.ttf"):
        for d in FONT_DIRS:
            hits = sorted(d.rglob(wanted)) if d.exists() else []
            if hits:
                return str(hits[0])
    return None


def load_font(size: int, *names: str) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path(*names)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)


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
    for text, size in card.lines:
        font = load_font(size, *card.font)
        x = x0
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


@dataclass
class Photo:
    """How the card is photographed."""

    angle: float = 0.0  # degrees, counter-clockwise; 90/180/270 for cards lying sideways
    tilt: float = 0.0  # 0..0.3: how much the far edge shrinks (perspective)
    fill: float = 0.55  # card width as a fraction of the canvas width (before rotation)
    canvas: tuple[int, int] = (1600, 1200)
    background: str = "desk"  # desk | dark | busy
    blur: float = 0.0  # Gaussian sigma in pixels
    motion: int = 0  # length of a horizontal motion blur in pixels
    shadow: float = 0.0  # 0..1 darkening of one side
    glare: float = 0.0  # 0..1 brightness of a glare spot
    noise: float = 2.0  # Gaussian noise sigma
    jpeg: int = 80
    seed: int = 0


def photograph(card_rgb: np.ndarray, photo: Photo) -> tuple[bytes, np.ndarray]:
    """(JPEG bytes, corners of the card in the photo as tl, tr, br, bl of the printed card)."""
    rng = np.random.default_rng(photo.seed)
    cw, ch = photo.canvas
    canvas = _background(photo.background, (ch, cw), rng)
    h, w = card_rgb.shape[:2]
    out_w = photo.fill * cw
    out_h = out_w * h / w
    # Card corners centred at the origin, squeezed on the far (top) edge, then rotated.
    squeeze = photo.tilt * out_w / 2
    pts = np.array(
        [
            [-out_w / 2 + squeeze, -out_h / 2],
            [out_w / 2 - squeeze, -out_h / 2],
            [out_w / 2, out_h / 2],
            [-out_w / 2, out_h / 2],
        ]
    )
    a = np.radians(photo.angle)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])  # counter-clockwise
    dst = (pts @ rot.T + [cw / 2, ch / 2]).astype(np.float32)
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(card_rgb, m, (cw, ch), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (cw, ch), flags=cv2.INTER_AREA)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    img = canvas.astype(np.float32) * (1 - alpha) + warped.astype(np.float32) * alpha
    img = _light(img, photo, rng)
    if photo.blur:
        img = cv2.GaussianBlur(img, (0, 0), photo.blur)
    if photo.motion:
        k = np.zeros((photo.motion, photo.motion), np.float32)
        k[photo.motion // 2, :] = 1.0 / photo.motion
        img = cv2.filter2D(img, -1, k)
    img += rng.normal(0, photo.noise, img.shape)
    rgb = np.clip(img, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=photo.jpeg)
    return buf.getvalue(), dst


def _background(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    if kind == "dark":
        base = np.full((h, w, 3), (45, 42, 40), np.float32)
    elif kind == "busy":
        base = rng.integers(60, 200, (h // 40 + 1, w // 40 + 1, 3)).astype(np.float32)
        base = cv2.resize(base, (w, h), interpolation=cv2.INTER_NEAREST)
    else:  # a wooden desk: brown with streaks
        streaks = np.sin(np.linspace(0, 40, h))[:, None] * 12 + rng.normal(0, 4, (h, 1))
        base = np.empty((h, w, 3), np.float32)
        for c, level in enumerate((150, 105, 70)):
            base[..., c] = level + streaks
    return base


def _light(img: np.ndarray, photo: Photo, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    if photo.shadow:
        # A hard-edged shadow over the right part of the frame (a hand or a phone).
        x = np.arange(w)[None, :]
        edge = w * rng.uniform(0.45, 0.65)
        dark = 1.0 - photo.shadow / (1.0 + np.exp(-(x - edge) / 6.0))
        img = img * dark[..., None]
    if photo.glare:
        yy, xx = np.mgrid[0:h, 0:w]
        cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.35, 0.65)
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.08 * w) ** 2))
        img = img + 255.0 * photo.glare * spot[..., None]
    return img


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
