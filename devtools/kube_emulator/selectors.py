"""Label and field selectors, with the apiserver's grammar and its edge cases.

The edge cases matter to operators: ``k!=v`` and ``k notin (...)`` also match objects that do
not carry the label at all, and a field selector on an unsupported field is an error (400),
not an empty result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

BASE_FIELDS = ("metadata.name", "metadata.namespace")

_SET_REQUIREMENT = re.compile(r"^(\S+)\s+(in|notin)\s+\((.*)\)$")
_KEY = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_./]*)?[A-Za-z0-9]$")


class SelectorError(ValueError):
    """A selector that cannot be parsed; the API answers 400 BadRequest with this message."""


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "exists":
                return present
            case "!":
                return not present
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                return not present or value not in self.values
        raise AssertionError(self.operator)


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    value: str
    negated: bool

    def matches(self, obj: Mapping[str, Any]) -> bool:
        found = _lookup(obj, self.path)
        actual = "" if found is None else _as_field_string(found)
        return (actual == self.value) != self.negated


@dataclass(frozen=True)
class Selection:
    """Which objects a list or a watch wants: an optional name plus label and field selectors."""

    labels: tuple[LabelRequirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()

    def matches(self, obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(r.matches(labels) for r in self.labels) and all(
            r.matches(obj) for r in self.fields
        )


def parse_selection(
    label_selector: str | None,
    field_selector: str | None,
    selectable_fields: Iterable[str] = (),
) -> Selection:
    allowed = {*BASE_FIELDS, *selectable_fields}
    return Selection(
        labels=parse_label_selector(label_selector or ""),
        fields=parse_field_selector(field_selector or "", allowed),
    )


def parse_label_selector(text: str) -> tuple[LabelRequirement, ...]:
    return tuple(_parse_label_requirement(part) for part in _split_top_level(text))


def parse_field_selector(text: str, allowed: set[str]) -> tuple[FieldRequirement, ...]:
    requirements = tuple(_parse_field_requirement(part) for part in _split_top_level(text))
    for requirement in requirements:
        if requirement.path not in allowed:
            raise SelectorError(f'field label not supported: "{requirement.path}"')
    return requirements


def _parse_field_requirement(part: str) -> FieldRequirement:
    for operator in ("!=", "==", "="):
        if operator in part:
            path, _, value = (s.strip() for s in part.partition(operator))
            return FieldRequirement(path=path, value=value, negated=operator == "!=")
    raise SelectorError(f"invalid field selector: can't understand '{part}'")


def _parse_label_requirement(part: str) -> LabelRequirement:
    if match := _SET_REQUIREMENT.match(part):
        key, operator, listed = match.groups()
        values = frozenset(v.strip() for v in listed.split(",") if v.strip())
        return LabelRequirement(_checked_key(key), operator, values)
    for operator in ("!=", "==", "="):
        if operator in part:
            key, _, value = (s.strip() for s in part.partition(operator))
            canonical = "=" if operator == "==" else operator
            return LabelRequirement(_checked_key(key), canonical, frozenset({value}))
    if part.startswith("!"):
        return LabelRequirement(_checked_key(part[1:].strip()), "!")
    return LabelRequirement(_checked_key(part), "exists")


def _checked_key(key: str) -> str:
    if not _KEY.match(key):
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r}")
    return key


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside ``in (a,b)`` value lists."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    if depth != 0:
        raise SelectorError(f"unable to parse requirement: unbalanced parentheses in {text!r}")
    return [p for p in parts if p]


def _lookup(obj: Mapping[str, Any], path: str) -> Any:
    value: Any = obj
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _as_field_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
