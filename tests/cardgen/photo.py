"""Photographing a printed card badly: rotation, perspective, background, blur, light, JPEG."""

from __future__ import annotations

import io
import math
import random
from dataclasses import asdict, dataclass

import cv2
import numpy as np
from PIL import Image

BACKGROUNDS = ("desk", "dark", "busy", "paper")


@dataclass
class Photo:
    """How the card is photographed."""

    angle: float = 0.0  # degrees, counter-clockwise; 90/180/270 for cards lying sideways
    tilt: float = 0.0  # 0..0.3: how much the far edge shrinks (perspective)
    fill: float = 0.55  # card width as a fraction of the canvas width (before rotation)
    canvas: tuple[int, int] = (1600, 1200)
    background: str = "desk"  # desk | dark | busy | paper
    blur: float = 0.0  # Gaussian sigma in pixels
    motion: int = 0  # length of a horizontal motion blur in pixels
    shadow: float = 0.0  # 0..1 darkening of one side
    glare: float = 0.0  # 0..1 brightness of a glare spot
    noise: float = 2.0  # Gaussian noise sigma
    jpeg: int = 80
    seed: int = 0
    # The generator's pipeline: 8-bit throughout and luma noise from OpenCV, ~4x faster. The
    # default keeps the float pipeline bit for bit, so tests tuned on its images stay put.
    fast: bool = False


def photograph(card_rgb: np.ndarray, photo: Photo) -> tuple[bytes, np.ndarray]:
    """(JPEG bytes, corners of the card in the photo as tl, tr, br, bl of the printed card)."""
    rng = np.random.default_rng(photo.seed)
    cw, ch = photo.canvas
    canvas = _background(photo.background, (ch, cw), rng)
    out_w = photo.fill * cw
    warped, alpha, dst = place_card(
        card_rgb, (cw, ch), out_w, photo.tilt, photo.angle, (cw / 2, ch / 2)
    )
    develop = _develop_fast if photo.fast else _develop
    rgb = develop(canvas, warped, alpha, photo, rng)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=photo.jpeg)
    return buf.getvalue(), dst


def place_card(
    card_rgb: np.ndarray,
    canvas: tuple[int, int],
    out_w: float,
    tilt: float,
    angle: float,
    centre: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The card drawn `out_w` wide onto a `canvas` (w, h) sized layer: squeezed by `tilt` on
    its far (top) edge, turned `angle` degrees counter-clockwise about `centre`. Returns the
    layer, its alpha (0..1, the edge blended: a hard, jagged edge misleads edge detectors)
    and the card's corners (tl, tr, br, bl)."""
    h, w = card_rgb.shape[:2]
    out_h = out_w * h / w
    squeeze = tilt * out_w / 2
    pts = np.array(
        [
            [-out_w / 2 + squeeze, -out_h / 2],
            [out_w / 2 - squeeze, -out_h / 2],
            [out_w / 2, out_h / 2],
            [-out_w / 2, out_h / 2],
        ]
    )
    a = np.radians(angle)
    rot = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    dst = (pts @ rot.T + centre).astype(np.float32)
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(card_rgb, m, canvas, flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, canvas, flags=cv2.INTER_AREA)
    return warped, mask.astype(np.float32) / 255.0, dst


def _develop(
    canvas: np.ndarray,
    warped: np.ndarray,
    alpha: np.ndarray,
    photo: Photo,
    rng: np.random.Generator,
) -> np.ndarray:
    img = canvas * (1 - alpha[..., None]) + warped.astype(np.float32) * alpha[..., None]
    img = _light(img, photo, rng)
    if photo.blur:
        img = cv2.GaussianBlur(img, (0, 0), photo.blur)
    if photo.motion:
        img = cv2.filter2D(img, -1, _motion_kernel(photo.motion))
    img += rng.normal(0, photo.noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _develop_fast(
    canvas: np.ndarray,
    warped: np.ndarray,
    alpha: np.ndarray,
    photo: Photo,
    rng: np.random.Generator,
) -> np.ndarray:
    img = cv2.blendLinear(warped, cv2.convertScaleAbs(canvas), alpha, 1.0 - alpha)  # canvas >= 0
    if photo.shadow or photo.glare:
        img = cv2.convertScaleAbs(_light(img.astype(np.float32), photo, rng, np.float32))
    if photo.blur:
        img = cv2.GaussianBlur(img, (0, 0), photo.blur)
    if photo.motion:
        img = cv2.filter2D(img, -1, _motion_kernel(photo.motion))
    # The same noise on the three channels (luma noise, as phone cameras leave it).
    noise = np.empty(img.shape[:2], np.int16)
    cv2.setRNGSeed(photo.seed)
    cv2.randn(noise, np.zeros(1), np.full(1, float(photo.noise)))
    return cv2.add(img, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)


def _motion_kernel(length: int) -> np.ndarray:
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0 / length
    return k


def _background(kind: str, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    base: np.ndarray
    if kind == "dark":
        base = np.full((h, w, 3), (45, 42, 40), np.float32)
    elif kind == "busy":
        tiles = rng.integers(60, 200, (h // 40 + 1, w // 40 + 1, 3)).astype(np.float32)
        base = cv2.resize(tiles, (w, h), interpolation=cv2.INTER_NEAREST)
    elif kind == "paper":  # a light table or a sheet of paper, unevenly lit
        ramp = np.linspace(0, 1, w, dtype=np.float32) * rng.uniform(10, 40)
        row = (rng.uniform(175, 215) - ramp)[None, :, None]
        base = np.ascontiguousarray(np.broadcast_to(row, (h, w, 3)), dtype=np.float32)
    else:  # a wooden desk: brown with streaks
        streaks = np.sin(np.linspace(0, 40, h))[:, None] * 12 + rng.normal(0, 4, (h, 1))
        base = np.empty((h, w, 3), np.float32)
        for c, level in enumerate((150, 105, 70)):
            base[..., c] = level + streaks
    return base


def _light(
    img: np.ndarray, photo: Photo, rng: np.random.Generator, dtype: type = np.float64
) -> np.ndarray:
    """Shadow and glare; `dtype` is the precision of the light maps (float32 when fast)."""
    h, w = img.shape[:2]
    if photo.shadow:
        # A hard-edged shadow over the right part of the frame (a hand or a phone).
        x = np.arange(w)[None, :]
        edge = w * rng.uniform(0.45, 0.65)
        dark = 1.0 - photo.shadow / (1.0 + np.exp(-(x - edge) / 6.0))
        img = img * dark.astype(dtype)[..., None]
    if photo.glare:
        cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.35, 0.65)
        var = 2 * (0.08 * w) ** 2  # a Gaussian spot: separable, so two 1-D profiles
        gx = np.exp(-((np.arange(w) - cx) ** 2) / var)
        gy = np.exp(-((np.arange(h) - cy) ** 2) / var)
        img = img + (255.0 * photo.glare * np.outer(gy, gx)).astype(dtype)[..., None]
    return img


def sample(r: random.Random, card_size: tuple[int, int], seed: int) -> Photo:
    """Photo settings from a clean, flat shot to a hard one (strong angle, blur, glare)."""
    hard = r.random()
    angle = r.uniform(-1, 1) * (2 + 18 * hard)
    if hard > 0.55 and r.random() < 0.3:
        angle += r.choice([90, 180, 270, 180])
    canvas = r.choice([(1600, 1200), (1600, 1067), (1600, 1200), (1200, 1600)])
    w, h = card_size
    # How wide the card comes out, in pixels of a 1600 px long side, whatever the frame.
    fill = (r.uniform(0.55, 0.88) if hard < 0.8 else r.uniform(0.48, 0.7)) * 1600 / canvas[0]
    # Shrink the card until its rotated outline fits the frame.
    a = math.radians(angle)
    span_w = abs(math.cos(a)) + abs(math.sin(a)) * h / w
    span_h = (abs(math.sin(a)) + abs(math.cos(a)) * h / w) * canvas[0] / canvas[1]
    fill = min(fill, 0.94 / span_w, 0.94 / span_h)
    return Photo(
        angle=round(angle, 2),
        tilt=round(r.uniform(0, 0.05 + 0.22 * hard), 3),
        fill=round(fill, 3),
        canvas=canvas,
        background=r.choice(BACKGROUNDS),
        blur=round(r.uniform(0, 0.4 + 1.6 * hard), 2) if r.random() < 0.7 else 0.0,
        motion=r.choice([0, 0, 3, 5, 7, 9]) if hard > 0.6 else 0,
        shadow=round(r.uniform(0.15, 0.5), 2) if hard > 0.4 and r.random() < 0.35 else 0.0,
        glare=round(r.uniform(0.15, 0.45), 2) if hard > 0.4 and r.random() < 0.3 else 0.0,
        noise=round(1.0 + 6 * hard * r.random(), 2),
        jpeg=int(92 - 45 * hard * r.uniform(0.5, 1.0)),
        seed=seed,
        fast=True,
    )


def meta(photo: Photo, quad: np.ndarray) -> dict:
    out = asdict(photo)
    out["canvas"] = list(photo.canvas)
    out["card_quad"] = [[round(float(x), 1), round(float(y), 1)] for x, y in quad]
    return out
