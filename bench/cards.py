"""Card reading: ocr_cluster's reader against a typical baseline, on the same cards, same run.

    .venv/bin/python bench/card_reading.py [DIR]   (default: ../shared/devset)

The baseline is what a team usually writes first: tesseract on the raw photo (no card
outline, no deskew, no QR) and a handful of regular expressions. It uses tesserocr with
a reused API object rather than pytesseract (so it is, if anything, faster than usual).
Both predictions are scored with the dev set's own score.py.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import phonenumbers
import tesserocr
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ocr_cluster.ocr import resolve_tessdata  # noqa: E402
from ocr_cluster.reader import CardReader, ImageError  # noqa: E402

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


class Baseline:
    """Raw photo → tesseract → regexes. No geometry, no QR."""

    EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
    WEB = re.compile(r"(?i)(?:https?://)?(?:www\.)[\w-]+(?:\.[\w-]+)+")
    FORMS = re.compile(r"\b(ООО|АО|ПАО|ЗАО|ИП|LLC|Inc|Ltd|GmbH|AG|Corp|LLP)\b")
    TITLES = re.compile(r"(?i)(директор|менеджер|руководител|инженер|manager|director|engineer)")
    NAME = re.compile(r"^([A-ZА-ЯЁ][a-zа-яё]+\s+){1,2}[A-ZА-ЯЁ][a-zа-яё]+$")

    def __init__(self, tessdata: str) -> None:
        self.api = tesserocr.PyTessBaseAPI(path=tessdata, lang="rus+eng")

    def read(self, path: Path) -> dict:
        self.api.SetImage(Image.open(path).convert("L"))
        lines = [ln.strip() for ln in self.api.GetUTF8Text().splitlines() if ln.strip()]
        text = "\n".join(lines)
        phones = []
        for m in phonenumbers.PhoneNumberMatcher(text, "RU"):
            phones.append(phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
        contact: dict = {
            "phones": phones,
            "emails": [e.lower() for e in self.EMAIL.findall(text)],
            "websites": self.WEB.findall(text),
            "name": next((ln for ln in lines if self.NAME.match(ln)), None),
            "company": next((ln for ln in lines if self.FORMS.search(ln)), None),
            "title": next((ln for ln in lines if self.TITLES.search(ln)), None),
        }
        return contact


def score(truth: Path, predictions: list[dict]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for p in predictions:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    scorer = truth.parent / "score.py"
    out = subprocess.run(
        [sys.executable, str(scorer), "--truth", str(truth), "--pred", f.name, "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    Path(f.name).unlink()
    return float(json.loads(out.stdout)["score"])


def run(name: str, read, paths: list[Path]) -> tuple[list[dict], float]:
    predictions = []
    start = time.perf_counter()
    for path in paths:
        try:
            contact = read(path)
        except ImageError as exc:
            print(f"  {name}: {path.name}: {exc}", file=sys.stderr)
            continue
        predictions.append({"file": path.name, "contact": contact})
    return predictions, (time.perf_counter() - start) / max(1, len(paths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=str(ROOT / ".." / "shared" / "devset"))
    parser.add_argument("--tessdata", default=None)
    args = parser.parse_args()
    directory = Path(args.directory).resolve()
    paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    truth = directory / "truth.jsonl"
    if not paths:
        print(f"no card images in {directory}", file=sys.stderr)
        return 2
    tessdata = resolve_tessdata(args.tessdata)

    t0 = time.perf_counter()
    reader = CardReader(tessdata=tessdata)
    init_s = time.perf_counter() - t0
    ours, ours_s = run("reader", lambda p: reader.read(p.read_bytes()).contact.to_dict(), paths)
    baseline = Baseline(tessdata)
    base, base_s = run("baseline", baseline.read, paths)

    print(f"cards: {len(paths)} in {directory}   (reader init {init_s:.2f} s, not counted)")
    if truth.exists():
        ours_score, base_score = score(truth, ours), score(truth, base)
        print(f"{'':<10} {'score':>7} {'s/card':>8}")
        print(f"{'baseline':<10} {base_score:>7.3f} {base_s:>8.3f}")
        print(f"{'reader':<10} {ours_score:>7.3f} {ours_s:>8.3f}")
        print(
            f"ratio      score x{ours_score / max(base_score, 1e-9):.2f}, "
            f"speed x{base_s / max(ours_s, 1e-9):.2f} (baseline s/card ÷ reader s/card)"
        )
    else:
        print(f"no truth.jsonl: timings only. baseline {base_s:.3f} s/card, reader {ours_s:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
