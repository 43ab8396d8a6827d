"""Card reading: ocr_cluster's reader against a typical baseline, on three card sets, one run.

    .venv/bin/python bench/cards.py [--set DIR]... [--no-generated] [--cores one|all|both]
                                    [--limit N] [--generated DIR] [--json FILE]

What it measures, for each set side by side, baseline | reader:
  - accuracy: bench/card_score.py (mean of 8 fields, each field, cards fully correct);
  - speed: seconds per card (median, p90), engine start-up not counted;
  - where the reader's time goes: its per-stage timings (median, p90, share of the total);
  - whether the reader's confidence means something: per field, how often a value reported
    at confidence >= 0.9, 0.6-0.9 and < 0.6 was right, and how often an empty field was.
Then the issue's targets, each "met" or "NOT met".

The sets: `generated`, the repository's own, made at the start of the run by
`python -m tests.cardgen DIR --n 60 --seed 7` (or an existing DIR given by --generated),
and any labelled set given with --set DIR (photos beside a truth.jsonl or labels.jsonl;
named after the folder), e.g. `--set ../shared/devset --set ../shared/realdev`. A set that
cannot be found is reported as missing and the others still run; with no set at all the
run fails. --limit N reads the first N cards of each set (and generates only N), for
quick looks while developing.

The baseline is what a team usually writes first: pytesseract (the `tesseract` binary,
one process per photo) on the raw photo, no card outline, no deskew, no QR, and a handful
of regular expressions. Each engine reads every card in its own child process. For the
one-core timings (the issue's goal is stated for one core) the child is pinned to one CPU
before anything is imported, with OMP_NUM_THREADS=1 and OMP_THREAD_LIMIT=1, so OpenMP
inside tesseract sees the same limit in both engines.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
ENGINES = ("baseline", "reader")
GENERATED_N, GENERATED_SEED = 60, 7
ONE_CORE_ENV = {"OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1"}

sys.path.insert(0, str(ROOT))
from bench import card_score  # noqa: E402
from bench._cards import TRUTH_FILES, add_set_option, truth_file  # noqa: E402
from bench.card_score import card_key  # noqa: E402
from bench.cards_report import report  # noqa: E402


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


@dataclass
class CardSet:
    name: str
    directory: Path
    truth: Path
    images: list[Path] = field(default_factory=list)
    missing: str | None = None  # why the set cannot be run


# ---------------------------------------------------------------- the child: one engine


def engine_reader(engine: str) -> tuple[Any, tuple[type[Exception], ...]]:
    """(read: path → {contact, confidence, timings}, the errors that mean "bad image")."""
    if engine == "baseline":
        baseline = Baseline()
        return (lambda p: {"contact": baseline.read(p)}), (OSError, RuntimeError)
    from ocr_cluster.reader import CardReader, ImageError

    reader = CardReader()

    def read(path: Path) -> dict:
        result = reader.read(path.read_bytes())
        return {
            "contact": result.contact.to_dict(),
            "confidence": dict(result.confidence),
            "timings": dict(result.timings),
        }

    return read, (ImageError,)


def measure(engine: str, paths: list[Path]) -> list[dict]:
    """Read every card with one engine: one record per card (start-up not timed)."""
    read, errors = engine_reader(engine)
    records = []
    for path in paths:
        t0 = time.perf_counter()
        try:
            record: dict[str, Any] = read(path)
        except errors as exc:
            record = {"contact": None, "error": str(exc)}
        record["seconds"] = time.perf_counter() - t0
        records.append({"path": str(path), **record})
    return records


def measure_in_child(engine: str, paths: list[Path], cpu: int | None, work: Path) -> list[dict]:
    """Run `measure` in a fresh process; pinned to `cpu` (before any import) when given."""
    listing, out = work / f"{engine}-in.json", work / f"{engine}-out.json"
    listing.write_text(json.dumps([str(p) for p in paths]), encoding="utf-8")
    cmd = [sys.executable, __file__, "--child", engine, str(listing), str(out)]
    env = dict(os.environ, **(ONE_CORE_ENV if cpu is not None else {}))

    def pin() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pin, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{engine} child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def child_main(engine: str, listing: Path, out: Path) -> int:
    paths = [Path(p) for p in json.loads(listing.read_text(encoding="utf-8"))]
    out.write_text(json.dumps(measure(engine, paths), ensure_ascii=False), encoding="utf-8")
    return 0


# ---------------------------------------------------------------- the sets


def find_set(directory: Path, limit: int | None) -> CardSet:
    """A labelled set in `directory`: its photos and truth.jsonl (or labels.jsonl)."""
    truth = truth_file(directory) or directory / TRUTH_FILES[0]
    card_set = CardSet(directory.name, directory, truth)
    if not directory.is_dir():
        card_set.missing = f"no directory {directory}"
    elif not truth.is_file():
        card_set.missing = f"neither {' nor '.join(TRUTH_FILES)} in {directory}"
    else:
        images = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        card_set.images = images[:limit] if limit else images
        if not card_set.images:
            card_set.missing = f"no card images in {directory}"
    return card_set


def generate_set(out: Path, limit: int | None) -> CardSet:
    """Our seeded set, made now by tests.cardgen (fewer cards when --limit asks for fewer)."""
    n = min(limit, GENERATED_N) if limit else GENERATED_N
    cmd = [sys.executable, "-m", "tests.cardgen", str(out), "--n", str(n)]
    cmd += ["--seed", str(GENERATED_SEED)]
    print(f"  generating {n} cards: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["(no message)"]
        card_set = CardSet("generated", out, out / "truth.jsonl")
        card_set.missing = f"tests.cardgen failed ({proc.returncode}): {tail[0]}"
        return card_set
    card_set = find_set(out, limit)
    card_set.name = "generated"
    return card_set


# ---------------------------------------------------------------- scoring


def score(card_set: CardSet, records: list[dict]) -> tuple[dict, dict[str, dict]]:
    """The set's summary and each card's field scores (bench/card_score.py), for the cards
    read: the truth is cut to them, so a --limit run is not scored as empty cards."""
    keys = {card_key(str(p)) for p in card_set.images}
    rows = [json.loads(ln) for ln in card_set.truth.read_text(encoding="utf-8").splitlines()]
    truth = [t for t in rows if card_key(t.get("file") or t["id"]) in keys]
    predicted = {card_key(r["path"]): r["contact"] for r in records if r["contact"] is not None}
    return card_score.score(truth, predicted)


# ---------------------------------------------------------------- the run


def run_engines(sets: list[CardSet], passes: list[tuple[str, int | None]], work: Path) -> dict:
    """{pass label: {engine: {path: record}}}: one child per engine and pass, all sets."""
    paths = [p for s in sets for p in s.images]
    runs: dict[str, dict[str, dict[str, dict]]] = {}
    for label, cpu in passes:
        runs[label] = {}
        for engine in ENGINES:
            print(f"  {engine:<8} {label}, {len(paths)} cards ...", file=sys.stderr, flush=True)
            records = measure_in_child(engine, paths, cpu, work)
            for r in records:
                if r.get("error"):
                    print(f"  {engine}: {Path(r['path']).name}: {r['error']}", file=sys.stderr)
            runs[label][engine] = {r["path"]: r for r in records}
    return runs


def collect(sets: list[CardSet], runs: dict, passes: list[str]) -> dict:
    """Everything the report needs, per set and engine: cards with their scores and times."""
    scored_pass = "1 core" if "1 core" in passes else passes[0]
    results: dict[str, dict] = {}
    for s in sets:
        if s.missing:
            results[s.name] = {"path": str(s.directory), "missing": s.missing}
            continue
        engines = {}
        for engine in ENGINES:
            records = [runs[scored_pass][engine][str(p)] for p in s.images]
            summary, per_card = score(s, records)
            for r in records:
                r["scores"] = per_card.get(card_key(r["path"]))
                r["file"] = Path(r["path"]).name
                r["seconds_by_pass"] = {
                    label: runs[label][engine][r["path"]]["seconds"] for label in passes
                }
            engines[engine] = {"score": summary, "cards": records}
        results[s.name] = {"path": str(s.directory), "n_cards": len(s.images), "engines": engines}
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add_set_option(parser, "a labelled set to read besides the generated one (repeatable)")
    parser.add_argument(
        "--no-generated", action="store_true", help="only the sets given with --set"
    )
    parser.add_argument(
        "--cores",
        choices=("all", "one", "both"),
        default="one",
        help="time pinned to one CPU (default), free on every core, or both",
    )
    parser.add_argument("--limit", type=int, help="read only the first N cards of each set")
    parser.add_argument("--generated", type=Path, help="an existing generated set to reuse")
    parser.add_argument("--json", type=Path, help="also write everything to this JSON file")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "IN", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def timing_passes(cores: str) -> list[tuple[str, int | None]]:
    passes: list[tuple[str, int | None]] = []
    if cores in ("one", "both"):
        passes.append(("1 core", sorted(os.sched_getaffinity(0))[0]))
    if cores in ("all", "both"):
        passes.append((f"all {os.cpu_count()} cores", None))
    return passes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        engine, listing, out = args.child
        return child_main(engine, Path(listing), Path(out))
    work = Path(tempfile.mkdtemp(prefix="ibbase-cards-"))
    try:
        sets = [find_set(d.resolve(), args.limit) for d in args.sets]
        if args.generated:
            sets.insert(0, find_set(args.generated.resolve(), args.limit))
        elif not args.no_generated:
            sets.insert(0, generate_set(work / "generated", args.limit))
        for s in sets:
            if s.missing:
                print(f"  {s.name}: missing ({s.missing})", file=sys.stderr)
        found = [s for s in sets if not s.missing]
        if not found:
            print("no card set found: nothing to measure", file=sys.stderr)
            return 2
        passes = timing_passes(args.cores)
        try:
            runs = run_engines(found, passes, work)
        except RuntimeError as exc:  # an engine crashed: its stderr says why
            print(exc, file=sys.stderr)
            return 1
        results = collect(sets, runs, [label for label, _ in passes])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    document = report(results, [label for label, _ in passes], limit=args.limit)
    if args.json:
        args.json.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
