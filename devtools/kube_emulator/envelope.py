"""The envelope of a written object: ``apiVersion``, ``kind`` and where it lives.

The apiserver's decoder fills a missing ``apiVersion``/``kind`` from the endpoint (kopf
posts its events that way) and refuses a contradicting one, and the namespace in the body
must agree with the one in the URL. Any version of the resource's group is accepted, since
versions share their objects.
"""

from __future__ import annotations

import copy
from typing import Any

from kube_emulator import errors
from kube_emulator.resources import ResourceSpec


def decode(spec: ResourceSpec, body: Any) -> dict[str, Any]:
    """A private copy of ``body``, with the endpoint's ``apiVersion`` and ``kind`` first."""
    if not isinstance(body, dict):
        raise errors.bad_request(f"the body of the request must be a {spec.kind} object")
    obj = copy.deepcopy(body)
    api_version = obj.get("apiVersion")
    if api_version and api_version.rpartition("/")[0] != spec.group:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({spec.api_version})"
        )
    if obj.get("kind") and obj["kind"] != spec.kind:
        raise errors.bad_request(
            f"the kind in the data ({obj['kind']}) does not match the expected kind ({spec.kind})"
        )
    meta = obj.pop("metadata", None) or {}
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": spec.api_version, "kind": spec.kind, "metadata": meta, **rest}


def place(spec: ResourceSpec, namespace: str | None, meta: dict[str, Any]) -> str | None:
    """Reconcile the namespace in the URL with the one in the body; return the namespace."""
    if not spec.namespaced:
        meta.pop("namespace", None)
        return None
    if namespace is None:
        raise errors.bad_request(f"{spec.qualified} are namespaced: a namespace is required")
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    meta["namespace"] = namespace
    return namespace
