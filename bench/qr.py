"""QR decoding: zxing-cpp (what ocr_cluster/qr.py uses) against pyzbar, same images, one run.

    .venv/bin/python bench/qr.py [--n 60] [--seed 7] [--set DIR]...

What it measures, per image set and decoder, pinned to one CPU core:
  - decoded: images where the decoder returned any QR text; exact: where that text is the
    payload, byte for byte;
  - ms per image (median, p90), decoder call only, after one warm-up call;
  - the zxing/pyzbar ratios of exact decodes and of the two timings.

The images: `python -m tests.cardgen` gives realistic contacts (several countries and
scripts) but draws no QR codes, and neither `qrcode` nor `segno` is in the venv, so each
contact becomes a vCard 3.0 encoded by OpenCV's QR encoder (a third implementation, so
neither decoder reads its own writer's output), drawn on a plain card at 6 px per module.
Degraded copies follow a phone photo: every set but "clean" is scaled down to 2-3 px per
module first, then rotated 10-30 degrees, perspective-warped, blurred, saved as JPEG
quality 40, or given low contrast; "phone" does all of these at once. The QR cards of a
labelled set given with --set DIR (photos beside truth.jsonl or labels.jsonl, the payload
in `qr`) are read too, e.g. `--set ../shared/devset`.

zxing-cpp is called as ocr_cluster/qr.py calls it, but directly on the image, so this
compares decoders, not the reader's pipeline. pyzbar's text is `data.decode("utf-8")`, as
usually written; libzbar guesses a charset for QR bytes without an ECI marker, so accented
or CJK payloads can come back garbled: decoded, but not exact. pyzbar is not a project
dependency: install it (`apt-get install -y libzbar0`, `uv pip install pyzbar`) or the bench
exits with 2.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._cards import TRUTH_FILES, add_set_option, truth_file

ROOT = Path(__file__).resolve().parents[1]
MODULE_PX = 6
Decoder = Callable[[np.ndarray], list[str]]


def zxing_decode(gray: np.ndarray) -> list[str]:
    formats = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode)
    try:
        results = zxingcpp.read_barcodes(gray, formats=formats)
    except (ValueError, RuntimeError):
        return []
    return [r.text for r in results if r.valid and r.text]


def pyzbar_decoder() -> Decoder:
    from pyzbar import pyzbar  # raises ImportError when libzbar0 is missing

    def decode(gray: np.ndarray) -> list[str]:
        found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
        return [r.data.decode("utf-8", "replace") for r in found]

    return decode


def vcard(t: dict) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{t['last_name'] or ''};{t['first_name'] or ''}"]
    lines.append(f"FN:{t['name'] or t['company']}")
    lines += [f"ORG:{t['company']}"] if t["company"] else []
    lines += [f"TITLE:{t['title']}"] if t["title"] else []
    lines += [f"TEL;TYPE=CELL:{p}" for p in t["phones"]]
    lines += [f"EMAIL:{e}" for e in t["emails"]] + [f"URL:{w}" for w in t["websites"]]
    lines += [f"ADR:;;{t['address']}"] if t["address"] else []
    return "\n".join([*lines, "END:VCARD"])


def card(payload: str, t: dict) -> np.ndarray:
    """A plain 1050x600 card: a few lines of text on the left, the QR code on the right."""
    qr = cv2.QRCodeEncoder.create().encode(payload)
    qr = cv2.resize(qr, None, fx=MODULE_PX, fy=MODULE_PX, interpolation=cv2.INTER_NEAREST)
    img = np.full((max(600, qr.shape[0] + 60), 1050), 240, np.uint8)
    y0, x0 = (img.shape[0] - qr.shape[0]) // 2, img.shape[1] - qr.shape[1] - 30
    img[y0 : y0 + qr.shape[0], x0 : x0 + qr.shape[1]] = np.where(qr > 0, 240, 20)
    text = [t["name"], t["title"], t["company"], *t["phones"], *t["emails"]]
    for i, line in enumerate(s for s in text if s):
        ascii_line = line.encode("ascii", "replace").decode()[:34]
        cv2.putText(img, ascii_line, (40, 80 + 55 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 30, 2)
    return img


def shrink(img: np.ndarray, r: random.Random) -> np.ndarray:
    f = r.uniform(2.0, 3.0) / MODULE_PX
    return cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)


def rotate(img: np.ndarray, r: random.Random) -> np.ndarray:
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), r.choice((-1, 1)) * r.uniform(10, 30), 1.0)
    return cv2.warpAffine(img, m, (w, h), borderValue=90, flags=cv2.INTER_LINEAR)


def warp(img: np.ndarray, r: random.Random) -> np.ndarray:
    h, w = img.shape
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + np.float32([[r.uniform(-0.12, 0.12) * w, r.uniform(-0.12, 0.12) * h] for _ in src])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, m, (w, h), borderValue=90, flags=cv2.INTER_LINEAR)


def blur(img: np.ndarray, r: random.Random) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), r.uniform(0.6, 1.0))


def jpeg40(img: np.ndarray, r: random.Random) -> np.ndarray:
    _, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 40])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def low_contrast(img: np.ndarray, r: random.Random) -> np.ndarray:
    out = r.uniform(100, 140) + (img.astype(np.float32) - 128) * r.uniform(0.25, 0.35)
    return np.clip(out, 0, 255).astype(np.uint8)


STEPS = {
    "clean": [],
    "small": [shrink],
    "rotated": [shrink, rotate],
    "warped": [shrink, warp],
    "blurred": [shrink, blur],
    "jpeg40": [shrink, jpeg40],
    "lowcontrast": [shrink, low_contrast],
    "phone": [shrink, rotate, warp, blur, low_contrast, jpeg40],
}


def generated_sets(n: int, seed: int, tmp: Path) -> dict[str, list[tuple[np.ndarray, str]]]:
    cmd = [sys.executable, "-m", "tests.cardgen", str(tmp), "--n", str(n), "--seed", str(seed)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    truths = [json.loads(s) for s in (tmp / "truth.jsonl").read_text("utf-8").splitlines()]
    cards = [(card(vcard(t), t), vcard(t)) for t in truths]
    sets = {}
    for name, steps in STEPS.items():
        r = random.Random(f"{seed}-{name}")
        items = []
        for img, payload in cards:
            for step in steps:
                img = step(img, r)
            items.append((img, payload))
        sets[name] = items
    return sets


def labelled_set(directory: Path) -> list[tuple[np.ndarray, str]]:
    """The photos of a labelled set whose label has a QR payload."""
    truth = truth_file(directory)
    if truth is None:
        raise SystemExit(f"--set {directory}: neither {' nor '.join(TRUTH_FILES)} there")
    rows = [json.loads(s) for s in truth.read_text("utf-8").splitlines() if s.strip()]
    read = lambda t: cv2.imread(str(directory / t["file"]), cv2.IMREAD_GRAYSCALE)  # noqa: E731
    return [(read(t), t["qr"]) for t in rows if t.get("qr")]


def measure(decode: Decoder, items: list[tuple[np.ndarray, str]]) -> dict[str, float]:
    decode(items[0][0])  # warm-up: first-call allocations are not the decoder's speed
    decoded = exact = 0
    ms = []
    for img, payload in items:
        t0 = time.perf_counter()
        texts = decode(img)
        ms.append((time.perf_counter() - t0) * 1000)
        decoded += bool(texts)
        exact += payload in texts
    med, p90 = float(np.median(ms)), float(np.percentile(ms, 90))
    return {"decoded": decoded, "exact": exact, "med": med, "p90": p90}


def ratio(a: float, b: float) -> str:
    return f"{a / b:6.2f}" if b else ("   inf" if a else "     -")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=60, help="generated cards (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="cardgen seed (default 7)")
    add_set_option(parser, "a labelled set of photos to read too (repeatable)")
    args = parser.parse_args()
    try:
        pyzbar = pyzbar_decoder()
    except (ImportError, OSError) as exc:
        print(f"pyzbar unavailable ({exc}): apt-get install -y libzbar0 && uv pip install pyzbar")
        return 2
    os.sched_setaffinity(0, {0})
    cv2.setNumThreads(1)
    decoders = {"zxing": zxing_decode, "pyzbar": pyzbar}
    with tempfile.TemporaryDirectory() as tmp:
        sets = generated_sets(args.n, args.seed, Path(tmp))
    for directory in args.sets:
        sets[directory.name] = labelled_set(directory)
    print(
        f"{'set':<12}{'n':>4}  {'decoder':<7}{'decoded':>8}{'exact':>6}{'ms med':>8}"
        f"{'ms p90':>8}   zxing/pyzbar: exact  ms med  ms p90"
    )
    for name, items in sets.items():
        zx, pz = (measure(fn, items) for fn in decoders.values())
        for label, d, m in ((f"{name:<12}{len(items):>4}", "zxing", zx), ("", "pyzbar", pz)):
            line = f"{label:<16}  {d:<7}{m['decoded']:>8}{m['exact']:>6}"
            line += f"{m['med']:>8.2f}{m['p90']:>8.2f}"
            if m is pz:
                line += f"{'':>16}{ratio(zx['exact'], pz['exact'])} {ratio(zx['med'], pz['med'])}"
                line += f"  {ratio(zx['p90'], pz['p90'])}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
