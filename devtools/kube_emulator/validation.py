"""OpenAPI v3 (structural-schema subset) validation with the apiserver's field paths and wording.

Hand-written rather than translated to ``jsonschema``: the API reports every failure as a
cause with a dotted ``field`` (``spec.phoneNumberId``) and a message in kube-openapi's words
(``Invalid value: "x": spec.mode in body should match '^a$'``), and a test that asserts on
those should read like the real server's output. Unknown ``format`` values are ignored, as
the apiserver does for formats it does not know.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from kube_emulator.errors import Cause

INT_OR_STRING = "x-kubernetes-int-or-string"

_TYPE_NAMES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
}


def validate(value: Any, schema: Mapping[str, Any], path: str = "") -> list[Cause]:
    """Every reason why ``value`` does not satisfy ``schema``, in a stable order."""
    if value is None:
        if schema.get("nullable") or not schema.get("type"):
            return []
        return [_type_cause(path, value, schema["type"])]

    if schema.get(INT_OR_STRING):
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            return [_type_cause(path, value, "integer-or-string")]
    elif (expected := schema.get("type")) and not _has_type(value, expected):
        return [_type_cause(path, value, expected)]

    causes: list[Cause] = []
    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(_show(v) for v in schema["enum"])
        causes.append(
            Cause(
                path,
                f"Unsupported value: {_show(value)}: supported values: {supported}",
                "FieldValueNotSupported",
            )
        )
    if isinstance(value, str):
        causes += _validate_string(value, schema, path)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        causes += _validate_number(value, schema, path)
    elif isinstance(value, list):
        causes += _validate_array(value, schema, path)
    elif isinstance(value, dict):
        causes += _validate_object(value, schema, path)
    causes += _validate_junctions(value, schema, path)
    return causes


def _has_type(value: Any, expected: str) -> bool:
    match expected:
        case "object":
            return isinstance(value, dict)
        case "array":
            return isinstance(value, list)
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _validate_string(value: str, schema: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        causes.append(_invalid(path, value, f"should be at least {schema['minLength']} chars long"))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        causes.append(_invalid(path, value, f"should be at most {schema['maxLength']} chars long"))
    if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
        causes.append(_invalid(path, value, f"should match '{schema['pattern']}'"))
    if schema.get("format") == "date-time" and not _is_datetime(value):
        causes.append(_invalid(path, value, f"must be of type date-time: {_show(value)}"))
    return causes


def _validate_number(value: float, schema: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    if "minimum" in schema:
        limit = schema["minimum"]
        if schema.get("exclusiveMinimum") and value <= limit:
            causes.append(_invalid(path, value, f"should be greater than {limit}"))
        elif value < limit:
            causes.append(_invalid(path, value, f"should be greater than or equal to {limit}"))
    if "maximum" in schema:
        limit = schema["maximum"]
        if schema.get("exclusiveMaximum") and value >= limit:
            causes.append(_invalid(path, value, f"should be less than {limit}"))
        elif value > limit:
            causes.append(_invalid(path, value, f"should be less than or equal to {limit}"))
    if "multipleOf" in schema and value % schema["multipleOf"]:
        causes.append(_invalid(path, value, f"should be a multiple of {schema['multipleOf']}"))
    return causes


def _validate_array(value: list[Any], schema: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        causes.append(_invalid(path, value, f"should have at least {schema['minItems']} items"))
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        causes.append(_invalid(path, value, f"should have at most {schema['maxItems']} items"))
    unique = schema.get("uniqueItems") or schema.get("x-kubernetes-list-type") == "set"
    if unique and len({json.dumps(v, sort_keys=True) for v in value}) < len(value):
        causes.append(Cause(path, f"Duplicate value: {_show(value)}", "FieldValueDuplicate"))
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            causes += validate(item, items, f"{path}[{index}]")
    return causes


def _validate_object(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    properties: Mapping[str, Any] = schema.get("properties") or {}
    for key in schema.get("required") or ():
        if key not in value:
            causes.append(Cause(_join(path, key), "Required value", "FieldValueRequired"))
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        causes.append(
            _invalid(path, value, f"should have at least {schema['minProperties']} properties")
        )
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        causes.append(
            _invalid(path, value, f"should have at most {schema['maxProperties']} properties")
        )
    additional = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            causes += validate(item, properties[key], _join(path, key))
        elif isinstance(additional, Mapping):
            causes += validate(item, additional, _join(path, key))
        elif additional is False:
            causes.append(Cause(_join(path, key), "Forbidden: field not declared in schema"))
    return causes


def _validate_junctions(value: Any, schema: Mapping[str, Any], path: str) -> list[Cause]:
    causes: list[Cause] = []
    for sub in schema.get("allOf") or ():
        causes += validate(value, sub, path)
    if any_of := schema.get("anyOf"):
        if all(validate(value, sub, path) for sub in any_of):
            causes.append(_invalid(path, value, "must validate at least one schema (anyOf)"))
    if one_of := schema.get("oneOf"):
        passing = sum(1 for sub in one_of if not validate(value, sub, path))
        if passing != 1:
            causes.append(_invalid(path, value, "must validate one and only one schema (oneOf)"))
    if (negated := schema.get("not")) is not None and not validate(value, negated, path):
        causes.append(_invalid(path, value, "must not validate the schema (not)"))
    return causes


def _type_cause(path: str, value: Any, expected: str) -> Cause:
    shown = _show(value)
    detail = f"{_name(path)} in body must be of type {expected}: {shown}"
    return Cause(path, f"Invalid value: {shown}: {detail}", "FieldValueTypeInvalid")


def _invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, f"Invalid value: {_show(value)}: {_name(path)} in body {detail}")


def _show(value: Any) -> str:
    """How kube-openapi prints an offending value: scalars as JSON, containers by their type."""
    if value is None:
        return '"null"'
    if isinstance(value, (dict, list)):
        return f'"{_TYPE_NAMES[type(value)]}"'
    return json.dumps(value)


def _name(path: str) -> str:
    return path or "body"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_datetime(value: str) -> bool:
    try:
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return "T" in value.upper() or " " in value
