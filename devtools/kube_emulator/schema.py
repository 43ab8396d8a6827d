"""What the API server does to a custom object before storing it: prune, default, validate.

The order is the apiserver's: unknown fields are pruned (this is why a CRD must declare its
``status`` schema, or the operator's status writes silently vanish), ``null`` in a
non-nullable field is dropped, ``default:`` values are filled top-down (a default only lands
inside an object that exists), and only then the result is validated. ``apiVersion``, ``kind``
and ``metadata`` at the root are left to the generic object-meta rules.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kube_emulator.errors import Cause
from kube_emulator.validation import validate

ROOT_META_FIELDS = ("apiVersion", "kind", "metadata")
PRESERVE = "x-kubernetes-preserve-unknown-fields"
EMBEDDED = "x-kubernetes-embedded-resource"


def admit(
    obj: dict[str, Any], schema: Mapping[str, Any], *, only: str | None = None
) -> list[Cause]:
    """Prune and default ``obj`` in place; return the validation causes (empty when valid).

    ``only`` restricts the work to one top-level field: a write to ``/status`` must neither
    re-check nor re-shape the spec it did not touch.
    """
    properties = schema.get("properties") or {}
    if only is not None:
        part_schema = properties.get(only)
        if part_schema is None:
            # An undeclared top-level field is pruned: that is the whole point of the schema.
            obj.pop(only, None)
            return []
        if only not in obj:
            return []
        scoped = {"type": "object", "properties": {only: part_schema}}
        view = {only: obj[only]}
        _prune(view, scoped)
        _apply_defaults(view, scoped)
        if only in view:
            obj[only] = view[only]
        else:
            obj.pop(only)
        return validate(view, scoped)

    kept = {key: obj[key] for key in ROOT_META_FIELDS if key in obj}
    body = {key: value for key, value in obj.items() if key not in ROOT_META_FIELDS}
    _prune(body, schema)
    _apply_defaults(body, schema)
    obj.clear()
    obj.update(kept)
    obj.update(body)
    return validate(body, schema)


def _preserves(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get(PRESERVE))


def _prune(value: Any, schema: Mapping[str, Any]) -> None:
    """Drop fields the schema does not declare, and nulls where the schema does not allow them."""
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            if schema.get(EMBEDDED) and key in ROOT_META_FIELDS:
                continue
            if key in properties:
                child = properties[key]
            elif isinstance(additional, Mapping):
                child = additional
            elif additional is True or _preserves(schema):
                continue
            else:
                del value[key]
                continue
            if value[key] is None and not child.get("nullable"):
                del value[key]
                continue
            _prune(value[key], child)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for item in value:
                _prune(item, items)


def _apply_defaults(value: Any, schema: Mapping[str, Any]) -> None:
    if isinstance(value, dict):
        properties: Mapping[str, Any] = schema.get("properties") or {}
        for key, child in properties.items():
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
        for key, item in value.items():
            if key in properties:
                _apply_defaults(item, properties[key])
            elif isinstance(schema.get("additionalProperties"), Mapping):
                _apply_defaults(item, schema["additionalProperties"])
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, Mapping):
            for item in value:
                _apply_defaults(item, items)
