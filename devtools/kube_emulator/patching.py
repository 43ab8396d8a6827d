"""The three PATCH dialects the emulator accepts, chosen by ``Content-Type``.

- ``application/merge-patch+json``: RFC 7386 (``null`` deletes a key, lists are replaced).
- ``application/json-patch+json``: RFC 6902 via ``jsonpatch``; a failed ``test`` operation is a
  422, which kopf relies on (it guards its JSON patches with a ``test`` of resourceVersion).
- ``application/strategic-merge-patch+json``: built-in kinds only, as on a real cluster (custom
  resources answer 415). Simplified: a merge patch in which lists whose items are all objects
  with a ``name`` key are merged item by item by that name (``$patch: delete`` on an item
  removes it); every other list is replaced. No patch-merge-key table per field, no
  ``$retainKeys``/``$setElementOrder`` directives.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from kube_emulator import errors

MERGE = "application/merge-patch+json"
JSON = "application/json-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY = "application/apply-patch+yaml"


def accepted_types(custom: bool) -> tuple[str, ...]:
    return (JSON, MERGE, APPLY) if custom else (JSON, MERGE, STRATEGIC, APPLY)


def apply_patch(content_type: str, target: dict[str, Any], patch: Any, *, custom: bool) -> Any:
    """The patched copy of ``target``; ``target`` itself is never modified."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in accepted_types(custom) or media_type == APPLY:
        # Server-side apply needs managedFields bookkeeping that the emulator does not keep.
        raise errors.unsupported_media_type(media_type, accepted_types(custom))
    if media_type == JSON:
        return json_patch(target, patch)
    if media_type == STRATEGIC:
        return strategic_merge_patch(copy.deepcopy(target), patch)
    return merge_patch(copy.deepcopy(target), patch)


def merge_patch(target: Any, patch: Any, *, by_name: bool = False) -> Any:
    """RFC 7386; with ``by_name`` (strategic merge) lists of named objects merge item by item."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = target if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif by_name and _is_named_list(value) and _is_named_list(result.get(key)):
            result[key] = _merge_by_name(result[key], value)
        else:
            result[key] = merge_patch(result.get(key), value, by_name=by_name)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    return merge_patch(target, patch, by_name=True)


def json_patch(target: dict[str, Any], operations: Any) -> Any:
    if not isinstance(operations, list):
        raise errors.bad_request("a JSON patch must be a list of operations")
    try:
        return jsonpatch.apply_patch(target, operations, in_place=False)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise errors.unprocessable(
            f"the server rejected our request due to an error in our request: {exc}"
        ) from exc
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as exc:
        raise errors.unprocessable(
            f"the server rejected our request due to an error in our request: {exc}"
        ) from exc
    except (jsonpatch.InvalidJsonPatch, TypeError, ValueError) as exc:
        raise errors.bad_request(f"invalid JSON patch: {exc}") from exc


def _is_named_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "name" in i for i in value)


def _merge_by_name(
    current: list[dict[str, Any]], patch: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    merged = [copy.deepcopy(item) for item in current]
    for item in patch:
        position = next((i for i, old in enumerate(merged) if old["name"] == item["name"]), None)
        if item.get("$patch") == "delete":
            if position is not None:
                del merged[position]
        elif position is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[position] = strategic_merge_patch(merged[position], item)
    return merged
