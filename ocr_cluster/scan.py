"""`ibbase scan`: read card images from files and print what was found."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TextIO

from business_card.reading import ImageError
from ocr_cluster.reader import CardReader, CardResult
from ocr_cluster.runtime import DeviceUnavailable

log = logging.getLogger(__name__)

_LABELS = (
    ("name", "Name"), ("title", "Title"), ("company", "Company"), ("phones", "Phones"),
    ("fax", "Fax"), ("emails", "E-mails"), ("websites", "Websites"), ("address", "Address"),
    ("qr", "QR"), ("lang", "Language"),
)  # fmt: skip


def main(
    paths: list[str],
    as_json: bool,
    out: TextIO | None = None,
    engine: str = "auto",
    region: list[str] | None = None,
    device: str = "auto",
) -> int:
    """Read each image; one JSON line (or a short block) per file. 1 if any file failed,
    2 if the device asked for cannot be used."""
    out = out or sys.stdout
    try:
        reader = CardReader(engine=engine, device=device)
    except DeviceUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    log.info("neural stages on %s", reader.device)
    regions = tuple(r.upper() for r in region or ())
    failed = False
    for path in paths:
        try:
            result = reader.read(Path(path).read_bytes(), fallback_regions=regions)
        except (OSError, ImageError) as exc:
            failed = True
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if as_json:
                print(json.dumps({"file": path, "error": reason}, ensure_ascii=False), file=out)
            else:
                print(f"{path}\n  error: {reason}\n", file=out)
            continue
        if as_json:
            line = {"file": path, **{k: v for k, v in result.to_dict().items() if k != "timings"}}
            print(json.dumps(line, ensure_ascii=False), file=out)
        else:
            print(_human(path, result), file=out)
    return 1 if failed else 0


def _human(path: str, result: CardResult) -> str:
    rows = [path]
    contact = result.contact.to_dict()
    for key, label in _LABELS:
        value = contact.get(key)
        if not value:
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        if key == "qr":
            value = value.replace("\n", " ⏎ ")
            value = value if len(value) <= 80 else value[:77] + "..."
        source = result.source.get(key, "")
        rows.append(f"  {label + ':':<10} {value}" + (f"  [{source}]" if source else ""))
    if not result.found_anything():
        rows.append("  (nothing could be read)")
    rows.append(f"  {'time:':<10} {result.timings.get('total', 0.0):.2f} s")
    return "\n".join(rows) + "\n"
