"""Card reading: ocr_cluster's reader against a typical baseline, on the same cards, same run.

    .venv/bin/python bench/cards.py [DIR] [--cores all|one|both]   (default: ../shared/devset)

The baseline is what a team usually writes first: pytesseract (the `tesseract` binary,
one process per photo) on the raw photo — no card outline, no deskew, no QR — and a
handful of regular expressions. Both predictions are scored with the dev set's own
score.py. Each engine is timed in its own child process: once free to use every core,
and once pinned to a single CPU (the goal is stated for one core), so OpenMP inside
tesseract sees the same limit in both engines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
FIELDS = ("name", "title", "company", "phones", "emails", "websites", "fax", "address")
ENGINES = ("baseline", "reader")

# Goals from issue 3.
GOAL_SCORE = 0.92
GOAL_CARD_FULL = 0.60
GOAL_MEDIAN_ONE_CORE_S = 0.5
GOAL_SPEEDUP = 2.0


class Baseline:
    """Raw photo → pytesseract → regexes. No geometry, no QR, no fax or address logic."""

    EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
    WEB = re.compile(r"(?i)(?:https?://)?(?:www\.)[\w-]+(?:\.[\w-]+)+")
    FORMS = re.compile(r"\b(ООО|АО|ПАО|ЗАО|ИП|LLC|Inc|Ltd|GmbH|AG|Corp|LLP)\b")
    TITLES = re.compile(r"(?i)(директор|менеджер|руководител|инженер|manager|director|engineer)")
    NAME = re.compile(r"^([A-ZА-ЯЁ][a-zа-яё]+\s+){1,2}[A-ZА-ЯЁ][a-zа-яё]+$")

    def __init__(self) -> None:
        import pytesseract  # a dev dependency: only the benchmark needs it

        self._ocr = pytesseract.image_to_string

    def read(self, path: Path) -> dict:
        import phonenumbers
        from PIL import Image

        with Image.open(path) as im:
            text = self._ocr(im, lang="rus+eng")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        text = "\n".join(lines)
        phones = [
            phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
            for m in phonenumbers.PhoneNumberMatcher(text, "RU")
        ]
        return {
            "phones": phones,
            "emails": [e.lower() for e in self.EMAIL.findall(text)],
            "websites": self.WEB.findall(text),
            "name": next((ln for ln in lines if self.NAME.match(ln)), None),
            "company": next((ln for ln in lines if self.FORMS.search(ln)), None),
            "title": next((ln for ln in lines if self.TITLES.search(ln)), None),
        }


def measure(engine: str, paths: list[Path]) -> dict:
    """Read every card with one engine: predictions, seconds per card, failures."""
    if engine == "reader":
        sys.path.insert(0, str(ROOT))
        from ocr_cluster.reader import CardReader, ImageError

        reader = CardReader()

        def read(path: Path) -> dict:
            return reader.read(path.read_bytes()).contact.to_dict()

        errors: tuple[type[Exception], ...] = (ImageError,)
    else:
        read = Baseline().read
        errors = (OSError, RuntimeError)
    predictions, seconds, failed = [], [], []
    for path in paths:
        t0 = time.perf_counter()
        try:
            contact = read(path)
        except errors as exc:
            failed.append(f"{path.name}: {exc}")
            contact = None
        seconds.append(time.perf_counter() - t0)
        if contact is not None:
            predictions.append({"file": path.name, "contact": contact})
    return {"predictions": predictions, "seconds": seconds, "failed": failed}


def measure_in_child(engine: str, directory: Path, cpu: int | None) -> dict:
    """Run `measure` in a fresh process, pinned to `cpu` when given (before any import)."""
    cmd = [sys.executable, __file__, str(directory), "--child", engine]

    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    env = dict(os.environ)
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, preexec_fn=pin, env=env, cwd=ROOT
    )
    return json.loads(out.stdout)


def score(truth: Path, predictions: list[dict]) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for p in predictions:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    try:
        scorer = truth.parent / "score.py"
        out = subprocess.run(
            [sys.executable, str(scorer), "--truth", str(truth), "--pred", f.name, "--json"],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        Path(f.name).unlink()
    return json.loads(out.stdout)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def table(rows: list[tuple[str, str, str, str]]) -> str:
    head = ("", "baseline", "reader", "reader vs baseline")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    fmt = f"{{:<{widths[0]}}}  {{:>{widths[1]}}}  {{:>{widths[2]}}}  {{:<{widths[3]}}}"
    lines = [fmt.format(*head), "-" * (sum(widths) + 6)]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=str(ROOT / ".." / "shared" / "devset"))
    parser.add_argument(
        "--cores",
        choices=("all", "one", "both"),
        default="both",
        help="time with every core, pinned to one CPU, or both (default)",
    )
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    directory = Path(args.directory).resolve()
    paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if args.child:
        print(json.dumps(measure(args.child, paths), ensure_ascii=False))
        return 0
    if not paths:
        print(f"no card images in {directory}", file=sys.stderr)
        return 2

    passes: list[tuple[str, int | None]] = []
    if args.cores in ("all", "both"):
        passes.append((f"all {os.cpu_count()} cores", None))
    if args.cores in ("one", "both"):
        passes.append(("1 core", sorted(os.sched_getaffinity(0))[0]))
    runs: dict[tuple[str, str], dict] = {}
    for label, cpu in passes:
        for engine in ENGINES:
            print(f"  {engine:<8} {label} ...", file=sys.stderr, flush=True)
            runs[engine, label] = measure_in_child(engine, directory, cpu)
            for failure in runs[engine, label]["failed"]:
                print(f"  {engine}: {failure}", file=sys.stderr)

    first = passes[0][0]
    truth = directory / "truth.jsonl"
    rows: list[tuple[str, str, str, str]] = []
    goals: list[str] = []
    if truth.exists():
        res = {e: score(truth, runs[e, first]["predictions"]) for e in ENGINES}
        b, r = res["baseline"], res["reader"]
        rows.append(
            (
                "score (mean of 8 fields)",
                f"{b['score']:.3f}",
                f"{r['score']:.3f}",
                f"x{r['score'] / max(b['score'], 1e-9):.2f}",
            )
        )
        for f in FIELDS:
            bf, rf = b["fields"][f], r["fields"][f]
            rows.append((f"  {f}", f"{bf:.3f}", f"{rf:.3f}", f"{rf - bf:+.3f}"))
        rows.append(
            (
                "cards fully correct",
                f"{b['card_full']:.1%}",
                f"{r['card_full']:.1%}",
                f"{(r['card_full'] - b['card_full']) * 100:+.1f} points",
            )
        )
        goals.append(_goal("score", r["score"] >= GOAL_SCORE, f"≥ {GOAL_SCORE}"))
        goals.append(_goal("cards fully correct", r["card_full"] >= GOAL_CARD_FULL, "≥ 60 %"))
    for label, _ in passes:
        sb, sr = runs["baseline", label]["seconds"], runs["reader", label]["seconds"]
        for stat, fn in (
            ("median", statistics.median),
            ("p90", lambda v: percentile(v, 0.90)),
            ("p95", lambda v: percentile(v, 0.95)),
        ):
            vb, vr = fn(sb), fn(sr)
            rows.append(_speed_row(f"s/card {stat}, {label}", vb, vr, 3))
        rows.append(_speed_row(f"s total, {label}", sum(sb), sum(sr), 1))
    if any(label == "1 core" for label, _ in passes):
        mb = statistics.median(runs["baseline", "1 core"]["seconds"])
        mr = statistics.median(runs["reader", "1 core"]["seconds"])
        goals.append(_goal("median on 1 core", mr <= GOAL_MEDIAN_ONE_CORE_S, "≤ 0.5 s"))
        goals.append(_goal("speed vs baseline, 1 core", mb / mr >= GOAL_SPEEDUP, "≥ 2x"))

    print(f"cards: {len(paths)} in {directory}   (engine start-up not counted)")
    print(table(rows))
    if goals:
        print("goals: " + "; ".join(goals))
    if not truth.exists():
        print("no truth.jsonl: timings only")
    return 0


def _speed_row(label: str, base: float, ours: float, digits: int) -> tuple[str, str, str, str]:
    return (
        label,
        f"{base:.{digits}f}",
        f"{ours:.{digits}f}",
        f"{base / max(ours, 1e-9):.1f}x faster",
    )


def _goal(what: str, met: bool, target: str) -> str:
    return f"{what} {target}: {'met' if met else 'NOT met'}"


if __name__ == "__main__":
    sys.exit(main())
