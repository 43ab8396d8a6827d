"""Card photos for the benchmarks: the repository's own seeded set by default, or the
photos of a folder given on the command line (e.g. ../shared/devset)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
SEED = 7  # bench/cards.py's generated set: the same cards in every run and clone
TRUTH_FILES = ("truth.jsonl", "labels.jsonl")  # a labelled set's labels, by either name


def add_set_option(parser: argparse.ArgumentParser, help: str) -> None:
    """--set DIR, repeatable, into `args.sets`."""
    parser.add_argument(
        "--set", dest="sets", action="append", type=Path, default=[], metavar="DIR", help=help
    )


def truth_file(directory: Path) -> Path | None:
    """The labels of the set in `directory`, if it has any."""
    return next((directory / n for n in TRUTH_FILES if (directory / n).is_file()), None)


def card_photos(directory: Path | None, n: int) -> list[bytes]:
    """`n` photos: the first of `directory`, or cards made now by tests.cardgen."""
    if directory is not None:
        paths = sorted(p for p in directory.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not paths:
            sys.exit(f"no card photos in {directory}")
        return [p.read_bytes() for p in paths[:n]]
    sys.path.insert(0, str(ROOT))
    from tests.cardgen import generate

    return [card.jpeg for card in generate(n, SEED)]
