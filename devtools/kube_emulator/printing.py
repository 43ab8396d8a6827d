"""``kubectl get``-style tables from a CRD's ``additionalPrinterColumns``, for test transcripts.

The JSONPath subset is what printer columns use in practice: ``.a.b``, ``.a[0]``,
``.a['key.with.dots']`` (or ``.a.key\\.with\\.dots``) and equality filters such as
``.status.conditions[?(@.type=="Ready")].status``. Layout and the age format follow kubectl
(columns padded by three spaces; ``5s``, ``3m20s``, ``4h``, ``2d3h``), and a column whose path
finds nothing is left blank, as kubectl leaves it.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kube_emulator.resources import ResourceSpec

AGE_COLUMN = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
_FILTER = re.compile(r"""^\?\(@((?:\.[\w-]+)+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)'|(\S+))\)$""")


@dataclass(frozen=True)
class _Step:
    key: str | None = None
    index: int | None = None
    wildcard: bool = False
    filter_path: tuple[str, ...] = ()
    filter_op: str = ""
    filter_value: str = ""


def render_table(
    spec: ResourceSpec,
    objects: Sequence[Mapping[str, Any]],
    *,
    all_namespaces: bool,
    wide: bool = False,
    now: datetime.datetime | None = None,
) -> str:
    now = now or datetime.datetime.now(datetime.UTC)
    columns = [c for c in spec.printer_columns or (AGE_COLUMN,) if wide or not c.get("priority")]
    headers = (["NAMESPACE"] if all_namespaces else []) + ["NAME"]
    headers += [str(c["name"]).upper() for c in columns]
    rows = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        row = ([meta.get("namespace") or ""] if all_namespaces else []) + [meta.get("name", "")]
        row += [_cell(obj, c, now) for c in columns]
        rows.append(row)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def human_duration(seconds: float) -> str:
    """kubectl's age format (apimachinery's ``duration.HumanDuration``)."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m{whole % 60}s" if whole % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def evaluate(obj: Any, path: str) -> list[Any]:
    """Every value ``path`` selects in ``obj`` (an empty list when it selects nothing)."""
    values = [obj]
    for step in _parse(path):
        values = [found for value in values for found in _apply(step, value)]
    return values


def _cell(obj: Mapping[str, Any], column: Mapping[str, Any], now: datetime.datetime) -> str:
    found = evaluate(obj, column["jsonPath"])
    if not found:
        return ""
    if column.get("type") == "date":
        return _age(found[0], now)
    return ",".join(_format(value) for value in found)


def _age(value: Any, now: datetime.datetime) -> str:
    try:
        since = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return "<invalid>"
    return human_duration((now - since).total_seconds())


def _format(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _parse(path: str) -> list[_Step]:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    steps: list[_Step] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == ".":
            position += 1
            key, position = _read_key(text, position)
            if key:
                steps.append(_Step(key=key))
        elif char == "[":
            end = text.index("]", position)
            # A filter's quoted value may contain "]": extend to the bracket closing the "(".
            if text[position + 1] == "?":
                end = text.index(")]", position) + 1
            steps.append(_bracket(text[position + 1 : end]))
            position = end + 1
        else:
            key, position = _read_key(text, position)
            steps.append(_Step(key=key))
    return steps


def _read_key(text: str, position: int) -> tuple[str, int]:
    key: list[str] = []
    while position < len(text) and text[position] not in ".[":
        if text[position] == "\\" and position + 1 < len(text):
            position += 1
        key.append(text[position])
        position += 1
    return "".join(key), position


def _bracket(content: str) -> _Step:
    content = content.strip()
    if content == "*":
        return _Step(wildcard=True)
    if content.lstrip("-").isdigit():
        return _Step(index=int(content))
    if content[:1] in "'\"" and content[-1:] == content[:1]:
        return _Step(key=content[1:-1])
    match = _FILTER.match(content)
    if match is None:
        raise ValueError(f"unsupported JSONPath expression: [{content}]")
    path, operator, double, single, bare = match.groups()
    literal = double if double is not None else single if single is not None else bare
    return _Step(
        filter_path=tuple(path.strip(".").split(".")), filter_op=operator, filter_value=literal
    )


def _apply(step: _Step, value: Any) -> list[Any]:
    if step.key is not None:
        return [value[step.key]] if isinstance(value, Mapping) and step.key in value else []
    if step.index is not None:
        if isinstance(value, list) and -len(value) <= step.index < len(value):
            return [value[step.index]]
        return []
    items = list(value.values()) if isinstance(value, Mapping) else value
    if not isinstance(items, list):
        return []
    if step.wildcard:
        return items
    return [item for item in items if _passes(step, item)]


def _passes(step: _Step, item: Any) -> bool:
    found: Any = item
    for key in step.filter_path:
        if not isinstance(found, Mapping) or key not in found:
            return False
        found = found[key]
    equal = _format(found) == step.filter_value
    return equal if step.filter_op == "==" else not equal
