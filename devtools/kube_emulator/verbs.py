"""From an HTTP request on a resource path to an API call: verbs, query parameters, bodies.

Kept apart from the kmock handler so that the protocol rules (which verbs a path allows,
what ``dryRun``/``limit``/``continue``/``resourceVersion``/``timeoutSeconds`` mean, how a body
is decoded) read in one place, without the server plumbing around them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from kube_emulator import errors
from kube_emulator.apiserver import ApiServer
from kube_emulator.resources import ResourceSpec
from kube_emulator.selectors import Selection, SelectorError, parse_selection
from kube_emulator.watch import WatchRequest

_TRUE = ("true", "1")


@dataclass(frozen=True)
class Call:
    method: str
    spec: ResourceSpec
    namespace: str | None
    name: str | None
    subresource: str | None
    params: Mapping[str, str]
    content_type: str
    body: bytes


def serve(api: ApiServer, call: Call) -> tuple[int, dict[str, Any]] | WatchRequest:
    """The status code and body of a call, or the watch it asks for."""
    _check_path(call)
    dry_run = _dry_run(call.params)
    spec, namespace, name = call.spec, call.namespace, call.name
    match call.method, name:
        case "GET", _ if call.params.get("watch", "").lower() in _TRUE:
            _allow(call, "watch")
            return _watch_request(call)
        case "GET", str():
            _allow(call, "get")
            return 200, api.get(spec, namespace, name)
        case "GET", None:
            _allow(call, "list")
            return 200, _list(api, call)
        case "POST", None:
            _allow(call, "create")
            return 201, api.create(spec, namespace, _decoded_body(call), dry_run=dry_run)
        case "PUT", str():
            _allow(call, "update")
            body = _decoded_body(call)
            return 200, api.replace(
                spec, namespace, name, body, subresource=call.subresource, dry_run=dry_run
            )
        case "PATCH", str():
            _allow(call, "patch")
            patch = _decoded_body(call)
            return 200, api.patch(
                spec,
                namespace,
                name,
                call.content_type,
                patch,
                subresource=call.subresource,
                dry_run=dry_run,
            )
        case "DELETE", str():
            _allow(call, "delete")
            options = _decoded_body(call) if call.body.strip() else {}
            if not isinstance(options, dict):
                raise errors.bad_request("the body of a DELETE must be DeleteOptions")
            dry_run = dry_run or "All" in (options.get("dryRun") or [])
            return 200, api.delete(spec, namespace, name, options, dry_run=dry_run)
        case "DELETE", None:
            _allow(call, "deletecollection")
            deleted = api.delete_collection(spec, namespace, _selection(call), dry_run=dry_run)
            return 200, _list_body(spec, deleted, api.store.resource_version)
    raise errors.method_not_allowed(call.method, spec.qualified)


def _check_path(call: Call) -> None:
    """Namespaced objects live only under /namespaces/{ns}/; cluster objects never do."""
    spec = call.spec
    if spec.namespaced and call.namespace is None:
        collection_read = call.method == "GET" and call.name is None
        if not collection_read:
            raise errors.no_such_endpoint()
    if not spec.namespaced and call.namespace is not None:
        raise errors.no_such_endpoint()
    if call.subresource is not None and (call.subresource != "status" or not spec.has_status):
        raise errors.no_such_endpoint()
    if call.subresource is not None and call.method not in ("GET", "PUT", "PATCH"):
        raise errors.method_not_allowed(call.method, f"{spec.qualified}/{call.subresource}")


def _allow(call: Call, verb: str) -> None:
    if verb not in call.spec.verbs:
        raise errors.method_not_allowed(call.method, call.spec.qualified)


def _dry_run(params: Mapping[str, str]) -> bool:
    value = params.get("dryRun")
    if value is None:
        return False
    if value != "All":
        raise errors.bad_request(f'Invalid value: "{value}": dryRun: supported values: "All"')
    return True


def _decoded_body(call: Call) -> Any:
    if not call.body.strip():
        raise errors.bad_request("the body of the request is empty")
    media_type = call.content_type.split(";")[0].strip().lower()
    try:
        if media_type in ("application/yaml", "application/x-yaml"):
            return yaml.safe_load(call.body)
        return json.loads(call.body)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"the body of the request could not be decoded: {exc}") from exc


def _selection(call: Call) -> Selection:
    field_selector = call.params.get("fieldSelector") or ""
    if call.name is not None:  # a watch on one object: GET .../{name}?watch=true
        field_selector = ",".join(filter(None, (f"metadata.name={call.name}", field_selector)))
    try:
        return parse_selection(
            call.params.get("labelSelector"), field_selector, call.spec.selectable_fields
        )
    except SelectorError as exc:
        raise errors.bad_request(str(exc)) from exc


def _list(api: ApiServer, call: Call) -> dict[str, Any]:
    items, resource_version = api.list(call.spec, call.namespace, _selection(call))
    if token := call.params.get("continue"):
        after = _decode_continue(token)
        items = [i for i in items if _position(i) > after]
    limit = _int_param(call.params, "limit") or 0
    body = _list_body(call.spec, items, resource_version)
    if limit and len(items) > limit:
        body["items"] = items[:limit]
        body["metadata"]["continue"] = _encode_continue(_position(items[limit - 1]))
        body["metadata"]["remainingItemCount"] = len(items) - limit
    return body


def _list_body(
    spec: ResourceSpec, items: list[dict[str, Any]], resource_version: int
) -> dict[str, Any]:
    return {
        "apiVersion": spec.api_version,
        "kind": f"{spec.kind}List",
        "metadata": {"resourceVersion": str(resource_version)},
        "items": items,
    }


def _watch_request(call: Call) -> WatchRequest:
    since_text = call.params.get("resourceVersion", "")
    if since_text in ("", "0"):
        since = None
    elif since_text.isdigit():
        since = int(since_text)
    else:
        raise errors.bad_request(f'Invalid value: "{since_text}": resourceVersion must be a number')
    timeout = _int_param(call.params, "timeoutSeconds")
    return WatchRequest(
        spec=call.spec,
        namespace=call.namespace,
        selection=_selection(call),
        since=since,
        timeout=float(timeout) if timeout else None,
        bookmarks=call.params.get("allowWatchBookmarks", "").lower() in _TRUE,
        send_initial_events=call.params.get("sendInitialEvents", "").lower() in _TRUE,
    )


def _int_param(params: Mapping[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise errors.bad_request(f'Invalid value: "{text}": {name} must be a non-negative integer')
    return int(text)


def _position(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj["metadata"]
    return (meta.get("namespace") or "", meta["name"])


def _encode_continue(position: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        namespace, name = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError) as exc:
        raise errors.bad_request(f"invalid continue token: {token!r}") from exc
    return (str(namespace), str(name))
