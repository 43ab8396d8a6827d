"""python -m tests.cardgen OUT_DIR [--n 60] [--seed 7]: write gen_NNNN.jpg and truth.jsonl."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.cardgen import FontMissing, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cardgen", description=__doc__)
    parser.add_argument("out", type=Path, help="folder for the images and truth.jsonl")
    parser.add_argument("--n", type=int, default=60, help="how many cards (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="which set (default 7)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    lines = []
    try:
        for card in generate(args.n, args.seed):
            (args.out / f"{card.name}.jpg").write_bytes(card.jpeg)
            lines.append(json.dumps(card.truth, ensure_ascii=False))
    except FontMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    (args.out / "truth.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} cards and truth.jsonl to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
