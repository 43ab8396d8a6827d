"""The card bench's tables: accuracy and speed per set, the reader's stages, its calibration.

Pure functions from the measured results (see bench/cards.py) to text and to the JSON
document; nothing here reads a card or runs an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

FIELDS = ("name", "title", "company", "phones", "emails", "websites", "fax", "address")
ENGINES = ("baseline", "reader")
# Stages in pipeline order; any other key the reader reports is shown after these.
STAGE_ORDER = ("decode", "geometry", "qr", "det", "rec", "ocr", "fields", "total")
# Confidence bands for the calibration table: (label, lowest confidence in the band).
BANDS = (("conf ≥ 0.9", 0.9), ("0.6–0.9", 0.6), ("< 0.6", float("-inf")))

# The targets for the reader.
TARGET_SCORE = {"realdev": 0.85, "devset": 0.95}
TARGET_REAL_FULL = 0.50
TARGET_MEDIAN_S = 0.5
TARGET_P90_S = 1.0


def report(results: dict[str, dict], passes: list[str], limit: int | None) -> dict[str, Any]:
    """Print every table; return the machine-readable document (results included)."""
    found = {name: r for name, r in results.items() if not r.get("missing")}
    timed = "1 core" if "1 core" in passes else passes[0]
    scope = f"first {limit} cards of each set (--limit)" if limit else "every card"
    print(f"Card reading, baseline | reader, {scope}; engine start-up not counted.\n")
    print(main_table(found, passes))
    for name, r in results.items():
        if r.get("missing"):
            print(f"{name}: missing ({r['missing']})")
    targets = check_targets(found, "1 core" in passes)
    print("\ntargets" + (f" (on a --limit {limit} subset)" if limit else "") + ":")
    for t in targets:
        print(f"  {t['target']:<42} {t['value']:<12} {t['verdict']}")
    stages = stage_stats(found)
    print(f"\nReader stages, {timed} (s/card; share = stage seconds / total seconds):")
    print(stage_table(stages))
    calibration = calibrate(found)
    for scope_name, fields in calibration.items():
        print(f"\nReader calibration, {scope_name} (n fields, share right = field score 1.0):")
        print(calibration_table(fields))
    return {
        "passes": passes,
        "limit": limit,
        "targets": targets,
        "stages": stages,
        "calibration": calibration,
        "sets": results,
    }


# ---------------------------------------------------------------- statistics


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def seconds(cards: Iterable[dict], label: str) -> list[float]:
    return [c["seconds_by_pass"][label] for c in cards]


def reader_cards(found: dict[str, dict]) -> list[dict]:
    return [c for r in found.values() for c in r["engines"]["reader"]["cards"]]


# ---------------------------------------------------------------- 1. main table


def main_table(found: dict[str, dict], passes: list[str]) -> str:
    groups = [(name, len(ENGINES)) for name in found]
    rows: list[list[str]] = []

    def row(label: str, cell: Callable[[dict], str]) -> None:
        rows.append([label] + [cell(r["engines"][e]) for r in found.values() for e in ENGINES])

    row("cards", lambda e: str(len(e["cards"])))
    row("score (mean of 8 fields)", lambda e: f"{e['score']['score']:.3f}")
    for f in FIELDS:
        row(f"  {f}", _field_cell(f))
    row("cards fully correct", lambda e: f"{e['score']['card_full']:.1%}")
    for label in passes:
        for stat, q in (("median", 0.5), ("p90", 0.9)):
            row(f"s/card {stat}, {label}", _seconds_cell(label, q))
    if any(
        c.get("error") for r in found.values() for e in r["engines"].values() for c in e["cards"]
    ):
        row("cards not read (error)", lambda e: str(sum(bool(c.get("error")) for c in e["cards"])))
    return format_table(groups, ["", *ENGINES * len(found)], rows)


def _field_cell(name: str) -> Callable[[dict], str]:
    return lambda engine: f"{engine['score']['fields'][name]:.3f}"


def _seconds_cell(label: str, q: float) -> Callable[[dict], str]:
    return lambda engine: f"{percentile(seconds(engine['cards'], label), q):.3f}"


def check_targets(found: dict[str, dict], one_core: bool) -> list[dict[str, Any]]:
    """The issue's targets for the reader, each with its measured value and verdict."""
    targets = []
    for name, goal in TARGET_SCORE.items():
        value = found[name]["engines"]["reader"]["score"]["score"] if name in found else None
        what = f"{name} score ≥ {goal}"
        targets.append(_target(what, value, goal, higher=True, fmt=".3f", why=f"no {name}"))
    full = (
        found["realdev"]["engines"]["reader"]["score"]["card_full"] if "realdev" in found else None
    )
    label = f"real cards fully correct ≥ {TARGET_REAL_FULL:.0%}"
    targets.append(_target(label, full, TARGET_REAL_FULL, higher=True, fmt=".1%", why="no realdev"))
    times = seconds(reader_cards(found), "1 core") if one_core else []
    for stat, q, goal in (("median", 0.5, TARGET_MEDIAN_S), ("p90", 0.9, TARGET_P90_S)):
        value = percentile(times, q) if times else None
        what = f"s/card {stat} ≤ {goal} s, 1 core, all sets"
        why = "no 1-core pass" if not one_core else "no cards"
        targets.append(_target(what, value, goal, higher=False, fmt=".3f", why=why))
    return targets


def _target(
    what: str, value: float | None, goal: float, *, higher: bool, fmt: str, why: str
) -> dict:
    if value is None:
        return {"target": what, "value": "-", "verdict": f"not measured ({why})", "met": None}
    met = value >= goal if higher else value <= goal
    verdict = "met" if met else "NOT met"
    return {"target": what, "value": format(value, fmt), "verdict": verdict, "met": met}


# ---------------------------------------------------------------- 2. stage timings


def stage_stats(found: dict[str, dict]) -> dict[str, dict[str, dict[str, float]]]:
    """{set: {stage: {median, p90, share}}} from the reader's own per-card timings."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, r in found.items():
        cards = [c for c in r["engines"]["reader"]["cards"] if c.get("timings")]
        keys = {k for c in cards for k in c["timings"]}
        ordered = [k for k in STAGE_ORDER if k in keys] + sorted(keys - set(STAGE_ORDER))
        total = sum(c["timings"].get("total", c["seconds"]) for c in cards)
        out[name] = {}
        for key in ordered:
            values = [c["timings"][key] for c in cards if key in c["timings"]]
            out[name][key] = {
                "median": percentile(values, 0.5),
                "p90": percentile(values, 0.9),
                "share": sum(values) / total if total else float("nan"),
            }
        clock = [c["seconds"] for c in cards]
        out[name]["(bench clock)"] = {
            "median": percentile(clock, 0.5),
            "p90": percentile(clock, 0.9),
            "share": sum(clock) / total if total else float("nan"),
        }
    return out


def stage_table(stages: dict[str, dict[str, dict[str, float]]]) -> str:
    keys: list[str] = []
    for per_set in stages.values():
        keys += [k for k in per_set if k not in keys]
    rows = []
    for key in keys:
        row = [key]
        for per_set in stages.values():
            s = per_set.get(key)
            row += (
                [f"{s['median']:.3f}", f"{s['p90']:.3f}", f"{s['share']:.0%}"] if s else ["-"] * 3
            )
        rows.append(row)
    groups = [(name, 3) for name in stages]
    return format_table(groups, ["stage", *("median", "p90", "share") * len(stages)], rows)


# ---------------------------------------------------------------- 3. calibration


def calibrate(found: dict[str, dict]) -> dict[str, dict[str, dict[str, list[int]]]]:
    """{scope: {field: {band: [n, right]}}}: scope "all sets" and then each set (when
    more than one). A card the reader could not read at all is left out."""
    scopes = {name: r["engines"]["reader"]["cards"] for name, r in found.items()}
    if len(scopes) > 1:
        scopes = {"all sets": [c for cards in scopes.values() for c in cards], **scopes}
    return {scope: _calibrate(cards) for scope, cards in scopes.items()}


def _calibrate(cards: list[dict]) -> dict[str, dict[str, list[int]]]:
    counts = {f: {band: [0, 0] for band in _band_names()} for f in (*FIELDS, "all fields")}
    for card in cards:
        if card.get("contact") is None or not card.get("scores"):
            continue
        for f in FIELDS:
            band = _band(card["contact"].get(f), card.get("confidence", {}).get(f))
            right = int(card["scores"][f] == 1.0)
            for key in (f, "all fields"):
                counts[key][band][0] += 1
                counts[key][band][1] += right
    return counts


def _band_names() -> list[str]:
    return [label for label, _ in BANDS] + ["empty", "no confidence"]


def _band(value: Any, confidence: float | None) -> str:
    if value in (None, "", []):
        return "empty"
    if confidence is None:
        return "no confidence"
    return next(label for label, low in BANDS if confidence >= low)


def calibration_table(fields: dict[str, dict[str, list[int]]]) -> str:
    bands = _band_names()
    if not any(fields[f]["no confidence"][0] for f in fields):
        bands.remove("no confidence")  # the reader gives one for every value it reports
    rows = []
    for f, per_band in fields.items():
        row = [f]
        for band in bands:
            n, right = per_band[band]
            row += [str(n), f"{right / n:.0%}" if n else "-"]
        rows.append(row)
    groups = [(band, 2) for band in bands]
    return format_table(groups, ["field", *("n", "right") * len(bands)], rows)


# ---------------------------------------------------------------- text tables


def format_table(groups: list[tuple[str, int]], header: list[str], rows: list[list[str]]) -> str:
    """First column left-aligned, the rest right-aligned in groups of columns, each group
    titled on a line above the header and set off by " | "."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    spans, start = [], 1
    for title, span in groups:
        spans.append(range(start, start + span))
        inner = sum(widths[i] for i in spans[-1]) + 2 * (span - 1)
        widths[start + span - 1] += max(0, len(title) - inner)  # room for a long title
        start += span

    def group_width(cols: range) -> int:
        return sum(widths[i] for i in cols) + 2 * (len(cols) - 1)

    def render(cells: list[str]) -> str:
        parts = [cells[0].ljust(widths[0])]
        parts += ["  ".join(cells[i].rjust(widths[i]) for i in cols) for cols in spans]
        return " | ".join(parts)

    top = " | ".join(
        [" " * widths[0]]
        + [t.center(group_width(c)) for (t, _), c in zip(groups, spans, strict=True)]
    )
    head = render(header)
    return "\n".join([top.rstrip(), head, "-" * len(head), *(render(r) for r in rows)])
