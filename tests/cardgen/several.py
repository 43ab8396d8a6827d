"""Several printed cards photographed together: laid apart on one background, each turned a
little its own way, developed (light, blur, noise, JPEG) as one photo."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from PIL import Image

from tests.cardgen import _plan_one, layouts, qr
from tests.cardgen.photo import Photo, _background, _develop, _develop_fast, place_card

CELL_FILL = 0.8  # a card's width as a fraction of its cell's, before turning


def photograph_several(cards: Sequence[np.ndarray], photo: Photo) -> tuple[bytes, list[np.ndarray]]:
    """(JPEG bytes, each card's corners as tl, tr, br, bl of the printed card). Two cards lie
    side by side, three or four on a 2x2 grid; card i is turned by ``photo.angle`` one way
    when i is even, the other way when odd. ``photo.fill`` is not used: the cells set the size."""
    rng = np.random.default_rng(photo.seed)
    cw, ch = photo.canvas
    canvas = _background(photo.background, (ch, cw), rng)
    cols = 2
    rows = math.ceil(len(cards) / cols)
    cell_w, cell_h = cw / cols, ch / rows
    warped = np.zeros((ch, cw, 3), np.float32)
    alpha = np.zeros((ch, cw), np.float32)
    quads = []
    for i, card in enumerate(cards):
        h, w = card.shape[:2]
        degrees = photo.angle if i % 2 == 0 else -photo.angle
        angle = math.radians(degrees)
        # The widest card whose turned outline still fits its cell.
        span_w = abs(math.cos(angle)) + abs(math.sin(angle)) * h / w
        span_h = abs(math.sin(angle)) + abs(math.cos(angle)) * h / w
        out_w = CELL_FILL * min(cell_w / span_w, cell_h / span_h)
        centre = ((i % cols + 0.5) * cell_w, (i // cols + 0.5) * cell_h)
        layer, layer_alpha, corners = place_card(card, (cw, ch), out_w, photo.tilt, degrees, centre)
        warped += layer.astype(np.float32)
        alpha += layer_alpha
        quads.append(corners)
    develop = _develop_fast if photo.fast else _develop
    layer = np.clip(warped, 0, 255).astype(np.uint8)
    rgb = develop(canvas, layer, np.clip(alpha, 0, 1).astype(np.float32), photo, rng)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=photo.jpeg)
    return buf.getvalue(), quads


def from_the_set(
    seed: int, indices: Sequence[int], photo: Photo, *, qr_code: str | None = None
) -> tuple[bytes, list[dict]]:
    """Cards `indices` of the generator's set `seed` photographed together: the JPEG and each
    card's truth, in the order they lie (left to right, then the next row). ``qr_code``
    ("mecard", "vcard") prints a contact QR code on the first card."""
    printed, truths = [], []
    for n, index in enumerate(indices):
        spec, pixels = _plan_one(seed, index)
        if qr_code and n == 0:
            spec = replace(spec, content=qr.add(spec.content, qr_code))
            pixels = layouts.render(spec.content, spec.style)
        printed.append(pixels)
        truths.append(spec.truth())
    jpeg, _ = photograph_several(printed, photo)
    return jpeg, truths
