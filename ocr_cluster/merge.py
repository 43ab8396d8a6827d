"""Fields from the QR payload and from OCR → one contact; the QR wins where it is explicit."""

from __future__ import annotations

import re
from typing import Any

from ocr_cluster import contacts, names, phones
from ocr_cluster import patterns as pt
from ocr_cluster.fields import Extracted
from ocr_cluster.lang import detect_text
from ocr_cluster.qr import QrFields

QR_CONFIDENCE = 0.99


def _words(text: str | None) -> set[str]:
    return {w for w in re.split(r"[\s.,]+", (text or "").lower().replace("ё", "е")) if w}


def _qr_phone(number: str, regions: tuple[str, ...]) -> str | None:
    return phones.to_e164(number, regions)


def merge(
    ocr: Extracted, qr: QrFields | None, regions: tuple[str, ...] = ("RU", "US")
) -> tuple[dict[str, Any], dict[str, float], dict[str, str]]:
    """(contact values, confidence, source) for the final contact."""
    values: dict[str, Any] = {
        "name": None, "first_name": None, "last_name": None, "middle_name": None,
        "title": None, "company": None, "phones": [], "fax": None, "emails": [],
        "websites": [], "address": None, "qr": None, "lang": None,
    }  # fmt: skip
    conf: dict[str, float] = {}
    source: dict[str, str] = {}
    for key, value in ocr.values.items():
        if value:
            values[key] = value
            conf[key] = ocr.confidence.get(key, 0.5)
            source[key] = "ocr"
    if qr is None:
        return values, conf, source
    values["qr"] = qr.payload
    conf["qr"], source["qr"] = QR_CONFIDENCE, "qr"

    def take(key: str, value: Any) -> None:
        if not value:
            return
        agree = values.get(key) and _words(str(values[key])) == _words(str(value))
        values[key] = value
        conf[key] = QR_CONFIDENCE
        source[key] = "qr+ocr" if agree else "qr"

    _merge_name(values, conf, source, qr)
    take("company", qr.company)
    title = qr.title
    if not title and qr.note and pt.TITLE_WORDS.search(qr.note) and not values["title"]:
        title = qr.note
    take("title", title)
    take("address", qr.address)

    qr_phones = [p for p in (_qr_phone(n, regions) for n in qr.phones) if p]
    qr_fax = [p for p in (_qr_phone(n, regions) for n in qr.fax) if p]
    # A "Tel/Fax" number the OCR read as both stays a phone.
    tel_fax = values["fax"] if values["fax"] in values["phones"] else None
    if qr_fax:
        take("fax", qr_fax[0])
    fax = values["fax"]
    _union(values, conf, source, "phones", [p for p in qr_phones if p != fax or p == tel_fax])
    values["phones"] = [p for p in values["phones"] if p != fax or p == tel_fax]
    _union(values, conf, source, "emails", [e.strip().lower() for e in qr.emails])
    sites = [contacts.normalize_website(w) for w in qr.websites]
    _union(values, conf, source, "websites", [w for w in sites if w])
    if not values["lang"]:
        text = " ".join(str(v) for v in (qr.name, qr.company, qr.title, qr.address) if v)
        values["lang"] = detect_text(text)
    return values, conf, source


def _union(
    values: dict[str, Any],
    conf: dict[str, float],
    source: dict[str, str],
    key: str,
    from_qr: list[str],
) -> None:
    if not from_qr:
        return
    from_ocr = list(values[key])
    values[key] = list(dict.fromkeys(from_qr + from_ocr))
    conf[key] = QR_CONFIDENCE if set(from_ocr) <= set(from_qr) else conf.get(key, 0.5)
    source[key] = "qr+ocr" if from_ocr else "qr"


def _merge_name(
    values: dict[str, Any], conf: dict[str, float], source: dict[str, str], qr: QrFields
) -> None:
    if not (qr.name or qr.first_name or qr.last_name):
        return
    qr_name = qr.name or " ".join(p for p in (qr.first_name, qr.last_name) if p)
    ocr_name = values["name"]
    # The printed name may carry a middle initial the QR left out: keep the fuller one.
    if ocr_name and _words(qr_name) < _words(ocr_name) and len(_words(ocr_name)) <= 4:
        full = ocr_name
        middle = qr.middle_name or values["middle_name"]
        src = "qr+ocr"
    else:
        full = qr_name
        middle = qr.middle_name
        src = "qr+ocr" if ocr_name and _words(ocr_name) == _words(qr_name) else "qr"
    first, last = qr.first_name, qr.last_name
    if not (first and last):
        parsed = names.parse_name(full)
        first, last, middle = parsed.first, parsed.last, middle or parsed.middle
    for key, value in (
        ("name", full),
        ("first_name", first),
        ("last_name", last),
        ("middle_name", middle),
    ):
        values[key] = value
        if value:
            conf[key] = QR_CONFIDENCE
            source[key] = src
