"""The HTTP face: a ``kmock.KubernetesScaffold`` with the emulator's verbs as its fallback.

From kmock this keeps the request journal (``api.kmock`` views over it), the response
rendering (JSON and JSON-lines streams) and, most usefully, user reactions: a test can inject
a fault in front of the emulator and everything else is still served, e.g.
``api.kmock['patch', kmock.resource('networking.k8s.io', 'v1', 'ingresses')] << 500``.

Replaced here, because kmock's version would be wrong or too slow for an operator: request
parsing (see ``paths``), routing when no reaction is installed (see ``_handle``), discovery
documents (kmock picks a group's preferred version from an unordered set and gives
``plural/status`` the main resource's verbs), and error bodies (kmock puts a traceback into
``details``; the apiserver puts name/kind/causes there). The aiohttp server itself is started
by ``emulator`` rather than by ``kmock.Server``, which also patches aiohttp's DNS resolution
process-wide, something a test with kopf's own aiohttp client in another thread can do without.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp.web
import attrs
import kmock
from kmock import KubernetesError, Payload, Request
from kmock._internal import rendering  # Response and StreamingError are not re-exported

from kube_emulator import errors, verbs
from kube_emulator.apiserver import ApiServer
from kube_emulator.paths import parse_api_path
from kube_emulator.resources import SUBRESOURCE_VERBS, ResourceSpec
from kube_emulator.watch import WatchRequest, watch_events

logger = logging.getLogger(__name__)

# What a real apiserver also serves to anonymous clients.
PUBLIC_PATHS = frozenset({"/version"})


@attrs.define(kw_only=True)
class KubeApiHandler(kmock.KubernetesScaffold):
    """An aiohttp low-level handler serving the Kubernetes API from an ``ApiServer``."""

    api: ApiServer
    token: str
    bookmark_interval: float = 5.0
    _own_reactions: frozenset[int] = attrs.field(factory=frozenset, init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self.fallback[_is_resource_request] << self._serve_resource
        self._own_reactions = frozenset(id(reaction) for reaction in self._payloads)

    async def _handle(self, request: Request) -> aiohttp.web.StreamResponse:
        """Route directly unless a test added reactions of its own.

        kmock decides whether a reaction matches by scanning every request it has journaled,
        so its routing costs O(requests so far) per request: fine in a focused fault-injection
        test, quadratic over the thousands of requests an operator makes in a longer one.
        """
        if any(id(reaction) not in self._own_reactions for reaction in self._payloads):
            return await super()._handle(request)
        payload = await self._route(request)
        return await rendering.Response(payload=payload)(request)

    async def _route(self, request: Request) -> Payload:
        """The same routes as the scaffold's fallbacks, without the journal scan."""
        if _is_resource_request(request):
            return await self._serve_resource(request)
        if request.method.value.upper() != "GET":
            raise errors.no_such_endpoint()
        path = request.url.path.rstrip("/") or "/"
        if path == "/":
            return await self._serve_root(request)
        if path == "/version":
            return await self._serve_server_version(request)
        if path == "/api":
            return await self._serve_api(request)
        if path == "/apis":
            return await self._serve_apis(request)
        if request.resource is not None and request.resource.version is None:
            return await self._serve_group(request)
        if request.resource is not None:
            return await self._serve_version(request)
        raise errors.no_such_endpoint()

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await raw_request.read()
        try:
            self._authenticate(raw_request)
            request = self._parse(raw_request, body)
        except KubernetesError as exc:
            return await self._render_error(exc)
        self._requests.append(request)
        try:
            return await self._handle(request)
        except rendering.StreamingError as wrapper:
            raw_response: aiohttp.web.StreamResponse = wrapper.args[0]
            cause = wrapper.__cause__ if isinstance(wrapper.__cause__, Exception) else wrapper
            if not raw_response.prepared:
                return await self._render_failure(cause)
            self._record_unexpected(cause)
            await self._stream_error(cause, raw_response)
            await raw_response.write_eof()
            return raw_response
        except Exception as exc:
            return await self._render_failure(exc)

    async def _render_failure(self, exc: Exception) -> aiohttp.web.StreamResponse:
        if not isinstance(exc, KubernetesError):
            self._record_unexpected(exc)
        return await self._render_error(exc)

    def _record_unexpected(self, exc: Exception) -> None:
        """A bug in the emulator, not an API error: answered as 500 and kept for assertions."""
        logger.error("kube-emulator failed to serve a request", exc_info=exc)
        if self._errors:
            self._errors[-1].append(exc)

    async def _render_error(self, exc: Exception) -> aiohttp.web.StreamResponse:
        if isinstance(exc, kmock.KubernetesNotFoundError):  # kmock's catch-all for unknown paths
            exc = errors.no_such_endpoint()
        elif not isinstance(exc, KubernetesError):
            exc = errors.internal(f"{type(exc).__name__}: {exc}")
        return aiohttp.web.json_response(errors.status_body(exc), status=exc.status)

    async def _stream_error(self, exc: Exception, raw_response: aiohttp.web.StreamResponse) -> None:
        error = exc if isinstance(exc, KubernetesError) else errors.internal(repr(exc))
        event = {"type": "ERROR", "object": errors.status_body(error)}
        await raw_response.write(json.dumps(event).encode() + b"\n")

    def _authenticate(self, raw_request: aiohttp.web.BaseRequest) -> None:
        if raw_request.path in PUBLIC_PATHS:
            return
        presented = raw_request.headers.get("Authorization", "")
        expected = f"Bearer {self.token}"
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            raise errors.unauthorized()

    def _parse(self, raw_request: aiohttp.web.BaseRequest, body: bytes) -> Request:
        path = parse_api_path(raw_request.path)
        params = dict(raw_request.query)
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None  # the verbs answer 400 if they need a body
        resource = None
        action = None
        if path is not None:
            resource = kmock.resource(group=path.group, version=path.version, plural=path.plural)
            if path.plural is not None:
                action = _action(raw_request.method, path.name, params)
        return Request(
            id=len(self._requests),
            raw_request=raw_request,
            url=raw_request.url,
            method=raw_request.method,
            params=params,
            headers=raw_request.headers,  # case-insensitive, unlike a dict of it
            cookies=dict(raw_request.cookies),
            body=body,
            text=body.decode("utf-8", errors="replace"),
            data=data,
            action=action,
            resource=resource,
            namespace=path.namespace if path else None,
            name=path.name if path else None,
            subresource=path.subresource if path else None,
        )

    # --- resources -----------------------------------------------------------------------------

    async def _serve_resource(self, request: Request) -> Payload:
        assert request.resource is not None and request.resource.plural is not None
        spec = self.api.registry.lookup(
            request.resource.group or "", request.resource.version or "", request.resource.plural
        )
        if spec is None:
            raise errors.no_such_endpoint()
        call = verbs.Call(
            method=request.method.value.upper(),
            spec=spec,
            namespace=request.namespace,
            name=request.name,
            subresource=request.subresource,
            params=request.params,
            content_type=request.headers.get("Content-Type", "application/json"),
            body=request.body,
        )
        outcome = verbs.serve(self.api, call)
        if isinstance(outcome, WatchRequest):
            stream = self._stream(outcome)
            return rendering.Response(headers={"Content-Type": "application/json"}, payload=stream)
        status, body = outcome
        return rendering.Response(status=status, payload=body)

    async def _stream(self, watch: WatchRequest) -> AsyncIterator[Payload]:
        yield b""  # send the headers now: clients wait for them before reading any event
        async for event in watch_events(self.api, watch, self.bookmark_interval):
            yield event

    # --- discovery -----------------------------------------------------------------------------

    async def _serve_server_version(self, request: Request) -> Payload:
        return {
            "major": "1",
            "minor": "30",
            "gitVersion": "v1.30.0-kube-emulator",
            "gitTreeState": "clean",
            "platform": "linux/amd64",
        }

    def _get_resources(self) -> list[kmock.resource]:
        return [kmock.resource(s.group, s.version, s.plural) for s in self.api.registry.all()]

    async def _serve_apis(self, request: Request) -> Payload:
        groups = self.api.registry.groups()
        return {
            "kind": "APIGroupList",
            "apiVersion": "v1",
            "groups": [_group_document(g, versions) for g, versions in groups.items()],
        }

    async def _serve_group(self, request: Request) -> Payload:
        assert request.resource is not None
        versions = self.api.registry.groups().get(request.resource.group or "")
        if not versions:
            raise errors.no_such_endpoint()
        document = _group_document(request.resource.group or "", versions)
        return {"kind": "APIGroup", "apiVersion": "v1", **document}

    async def _serve_version(self, request: Request) -> Payload:
        assert request.resource is not None
        group, version = request.resource.group or "", request.resource.version or ""
        specs = self.api.registry.in_version(group, version)
        if not specs:
            raise errors.no_such_endpoint()
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [entry for spec in specs for entry in _resource_entries(spec)],
        }


def _is_resource_request(request: Request) -> bool:
    return request.resource is not None and request.resource.plural is not None


def _action(method: str, name: str | None, params: dict[str, str]) -> kmock.action | None:
    """kmock's action names, so that fault-injection filters like ``'list'`` work."""
    if method == "GET":
        if params.get("watch", "").lower() in ("true", "1"):
            return kmock.action.WATCH
        return kmock.action.FETCH if name else kmock.action.LIST
    return {
        "POST": kmock.action.CREATE,
        "PUT": kmock.action.UPDATE,
        "PATCH": kmock.action.UPDATE,
        "DELETE": kmock.action.DELETE,
    }.get(method)


def _group_document(group: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": listed, "preferredVersion": listed[0]}


def _resource_entries(spec: ResourceSpec) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": spec.plural,
        "singularName": spec.singular,
        "namespaced": spec.namespaced,
        "kind": spec.kind,
        "verbs": list(spec.verbs),
    }
    if spec.short_names:
        main["shortNames"] = list(spec.short_names)
    if spec.categories:
        main["categories"] = list(spec.categories)
    entries = [main]
    for subresource in sorted(spec.subresources):
        entries.append(
            {
                "name": f"{spec.plural}/{subresource}",
                "singularName": "",
                "namespaced": spec.namespaced,
                "kind": spec.kind,
                "verbs": list(SUBRESOURCE_VERBS),
            }
        )
    return entries
