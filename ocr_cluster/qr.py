"""QR codes on cards: decode with zxing-cpp and parse vCard, MeCard or a URL into fields."""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp


@dataclass
class QrFields:
    """What a QR payload says explicitly; empty where it says nothing."""

    payload: str
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    title: str | None = None
    note: str | None = None  # MeCard NOTE: often the title, but not explicitly
    company: str | None = None
    phones: list[str] = field(default_factory=list)  # as written; normalised later
    fax: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    address: str | None = None


@dataclass(frozen=True)
class QrHit:
    text: str
    corners: np.ndarray  # 4x2, in the coordinates of the image it was found in


def decode_qr(gray: np.ndarray) -> QrHit | None:
    """The first QR code found in `gray`, or None."""
    try:
        results = zxingcpp.read_barcodes(
            gray,
            formats=zxingcpp.BarcodeFormats(
                (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode)
            ),
        )
    except (ValueError, RuntimeError):
        return None
    for r in results:
        if r.valid and r.text:
            p = r.position
            corners = np.array(
                [[c.x, c.y] for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                dtype=np.float32,
            )
            return QrHit(r.text, corners)
    return None


def find_qr(gray: np.ndarray, card_gray: np.ndarray | None = None) -> tuple[QrHit | None, str]:
    """Try the photo, then the rectified card at 2x (dense Russian vCards need the pixels).

    Returns the hit and where it was found: "photo" or "card" (corners in card pixels)."""
    hit = decode_qr(gray)
    if hit is not None:
        return hit, "photo"
    if card_gray is not None:
        big = cv2.resize(card_gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
        hit = decode_qr(big)
        if hit is not None:
            return QrHit(hit.text, hit.corners / 2.0), "card"
    return None, ""


def parse_payload(payload: str) -> QrFields:
    text = payload.strip()
    upper = text.upper()
    if upper.startswith("BEGIN:VCARD"):
        return parse_vcard(payload)
    if upper.startswith("MECARD:"):
        return parse_mecard(payload)
    out = QrFields(payload=payload)
    if re.match(r"(?i)^(https?://|www\.)\S+$", text):
        out.websites.append(text)
    elif upper.startswith("TEL:"):
        out.phones.append(text[4:])
    elif upper.startswith("MAILTO:"):
        out.emails.append(text[7:].split("?")[0])
    return out


# --- vCard 2.1 / 3.0 / 4.0 -------------------------------------------------------------


def _unfold(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # vCard 2.1 quoted-printable soft line breaks: "=" at the end of a line.
    text = re.sub(r"=\n(?=[^\n])", "=\x00", text)
    text = re.sub(r"\n[ \t]", "", text)  # RFC 6350 folding
    return [ln.replace("=\x00", "=\n") for ln in text.split("\n") if ln.strip()]


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,:nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split(value: str, sep: str) -> list[str]:
    parts, cur, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append(_unescape("".join(cur)).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append(_unescape("".join(cur)).strip())
    return parts


def parse_vcard(payload: str) -> QrFields:
    out = QrFields(payload=payload)
    for raw in _unfold(payload):
        if ":" not in raw:
            continue
        head, value = raw.split(":", 1)
        parts = head.split(";")
        prop = parts[0].split(".")[-1].upper()  # "item1.TEL" → "TEL"
        params = [p.upper() for p in parts[1:]]
        joined = ";".join(params)
        if "QUOTED-PRINTABLE" in joined:
            charset = "utf-8"
            for p in params:
                if p.startswith("CHARSET="):
                    charset = p.split("=", 1)[1].lower()
            raw_bytes = quopri.decodestring(
                value.replace("=\n", "=\r\n").encode("latin-1", "replace")
            )
            try:
                value = raw_bytes.decode(charset, "replace")
            except LookupError:
                value = raw_bytes.decode("utf-8", "replace")
        types = set(re.findall(r"[A-Z]+", joined.replace("TYPE=", "")))
        if prop == "FN":
            out.name = _unescape(value).strip() or None
        elif prop == "N":
            n = _split(value, ";") + [""] * 5
            out.last_name = n[0] or None
            out.first_name = n[1] or None
            out.middle_name = n[2] or None
        elif prop == "ORG":
            org = [p for p in _split(value, ";") if p]
            out.company = org[0] if org else None
        elif prop == "TITLE":
            out.title = _unescape(value).strip() or None
        elif prop == "TEL":
            number = value.strip()
            if number.lower().startswith("tel:"):
                number = number[4:]
            (out.fax if "FAX" in types else out.phones).append(number)
        elif prop == "EMAIL":
            out.emails.append(value.strip())
        elif prop == "URL":
            out.websites.append(_unescape(value).strip())
        elif prop == "ADR":
            adr = [p for p in _split(value, ";") if p]
            out.address = ", ".join(adr) or None
    if out.name is None and (out.first_name or out.last_name):
        out.name = " ".join(p for p in (out.first_name, out.middle_name, out.last_name) if p)
    return out


# --- MeCard ----------------------------------------------------------------------------


def parse_mecard(payload: str) -> QrFields:
    out = QrFields(payload=payload)
    body = payload.strip()[len("MECARD:") :]
    for item in _split(body, ";"):
        if ":" not in item:
            continue
        key, value = item.split(":", 1)
        key, value = key.strip().upper(), value.strip()
        if not value:
            continue
        if key == "N":
            last, _, first = value.partition(",")
            out.last_name = last.strip() or None
            out.first_name = first.strip() or None
            out.name = " ".join(p for p in (out.first_name, out.last_name) if p) or None
        elif key == "TEL":
            out.phones.append(value)
        elif key == "EMAIL":
            out.emails.append(value)
        elif key == "URL":
            out.websites.append(value)
        elif key == "ORG":
            out.company = value
        elif key == "TITLE":
            out.title = value
        elif key == "NOTE":
            out.note = value
        elif key == "ADR":
            out.address = value
    return out
