"""A contact QR code on a card: its payload (MeCard or vCard 3.0) from the card's truth, and
its pixels from zxing-cpp (already the reader's QR decoder, so no new dependency)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import zxingcpp

from tests.cardgen.content import Content
from tests.cardgen.paint import RGB

KINDS = ("mecard", "vcard")


def _mecard_escape(value: str) -> str:
    return "".join("\\" + c if c in '\\;,:"' else c for c in value)


def _vcard_escape(value: str) -> str:
    return "".join("\\" + c if c in "\\;," else c for c in value)


def mecard(truth: dict) -> str:
    """MECARD:N:Last,First;ORG:…;TEL:…;EMAIL:…;URL:…;NOTE:title;; from a card's truth."""
    e = _mecard_escape
    parts = []
    if truth["last_name"] or truth["first_name"]:
        parts.append(f"N:{e(truth['last_name'] or '')},{e(truth['first_name'] or '')}")
    if truth["company"]:
        parts.append(f"ORG:{e(truth['company'])}")
    parts += [f"TEL:{p}" for p in truth["phones"]]
    parts += [f"EMAIL:{e(m)}" for m in truth["emails"]]
    parts += [f"URL:{e(w)}" for w in truth["websites"]]
    if truth["title"]:
        parts.append(f"NOTE:{e(truth['title'])}")
    return "MECARD:" + "".join(p + ";" for p in parts) + ";"


def vcard(truth: dict) -> str:
    """A vCard 3.0 (CRLF line ends, UTF-8) with every field of a card's truth."""
    e = _vcard_escape
    lines = ["BEGIN:VCARD", "VERSION:3.0"]
    if truth["name"]:
        lines.append(f"N:{e(truth['last_name'] or '')};{e(truth['first_name'] or '')};"
                     f"{e(truth['middle_name'] or '')};;")  # fmt: skip
        lines.append(f"FN:{e(truth['name'])}")
    else:
        lines.append(f"FN:{e(truth['company'])}")
    if truth["company"]:
        lines.append(f"ORG:{e(truth['company'])}")
    if truth["title"]:
        lines.append(f"TITLE:{e(truth['title'])}")
    lines += [f"TEL;TYPE=WORK,VOICE:{p}" for p in truth["phones"]]
    if truth["fax"]:
        lines.append(f"TEL;TYPE=WORK,FAX:{truth['fax']}")
    lines += [f"EMAIL;TYPE=INTERNET:{m}" for m in truth["emails"]]
    lines += [f"URL:{w}" for w in truth["websites"]]
    if truth["address"]:
        lines.append(f"ADR;TYPE=WORK:;;{e(truth['address'])};;;;")
    lines.append("END:VCARD")
    return "\r\n".join(lines)


def payload(kind: str, truth: dict) -> str:
    if kind not in KINDS:
        raise ValueError(f"QR kind {kind!r} is none of {KINDS}")
    return mecard(truth) if kind == "mecard" else vcard(truth)


def add(content: Content, kind: str = "mecard") -> Content:
    """The same card with a code that carries its truth; the truth's `qr` is the payload."""
    text = payload(kind, content.truth)
    return replace(content, qr=text, truth={**content.truth, "qr": text})


def matrix(text: str) -> np.ndarray:
    """The code's modules, one pixel each, with its 4-module quiet zone: 0 dark, 255 light."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return np.asarray(code.to_image(scale=1, add_quiet_zones=True))


def strip(card_size: tuple[int, int]) -> int:
    """How much of the card the code takes: a strip on the right of a landscape card, at the
    bottom of a portrait one, this many pixels wide (or high)."""
    return round(min(card_size) * 0.5)


def text_area(card_size: tuple[int, int]) -> tuple[int, int]:
    """What is left of the card for the text beside the code's strip."""
    w, h = card_size
    return (w - strip(card_size), h) if w >= h else (w, h - strip(card_size))


def attach(text: np.ndarray, code_text: str, card_size: tuple[int, int], paper: RGB) -> np.ndarray:
    """The whole card: the printed text area and the strip with the code, black on white
    whatever the paper (on a dark card the quiet zone makes the white square printers use)."""
    w, h = card_size
    side = strip(card_size)
    modules = matrix(code_text)
    cell = max(1, round(side * 0.88) // modules.shape[0])
    code = np.repeat(np.repeat(modules, cell, axis=0), cell, axis=1)
    n = code.shape[0]
    band = np.empty((h, side, 3) if w >= h else (side, w, 3), np.uint8)
    band[:] = paper
    y, x = (band.shape[0] - n) // 2, (band.shape[1] - n) // 2
    band[y : y + n, x : x + n] = code[..., None]
    return np.concatenate([text, band], axis=1 if w >= h else 0)
