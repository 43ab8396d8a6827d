"""Graph API parameters: from the query string, a form body or a JSON body, merged.

Graph accepts a POST's parameters in any of these; object-valued parameters in a form or a
query string are JSON text (``webhook_configuration={"override_callback_uri": …}``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from graph_sandbox.errors import invalid_parameter


async def read_params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if raw and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        async with request.form() as form:
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    elif raw:
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise invalid_parameter(f"The request body is not valid JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise invalid_parameter("The request body must be a JSON object.")
        params.update(body)
    # The token is the caller's credential, never a parameter of the operation.
    params.pop("access_token", None)
    return params


def object_param(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    """An object-valued parameter, given as JSON or as JSON text; None when absent."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise invalid_parameter(f"Param {name} must be a JSON object.") from exc
    if not isinstance(value, dict):
        raise invalid_parameter(f"Param {name} must be a JSON object.")
    return value


def string_param(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"Param {name} must be a string.")
    return value


def list_param(params: dict[str, Any], name: str) -> list[str] | None:
    """A list given as a JSON array, JSON text of one, or a comma-separated string."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise invalid_parameter(f"Param {name} must be a list.") from exc
        else:
            value = [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid_parameter(f"Param {name} must be a list of strings.")
    return value
