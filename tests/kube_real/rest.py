"""A small synchronous client for the real API server's REST API: discovery, the verbs the
tests need, server-side apply (with ``dryRun=All``) and ``kubectl get``'s Table output."""

from __future__ import annotations

import builtins
import json
import ssl
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

APPLY = "application/apply-patch+yaml"
MERGE = "application/merge-patch+json"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"
FIELD_MANAGER = "ibbase-tests"


class ApiError(Exception):
    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        message = body.get("message") if isinstance(body, Mapping) else body
        super().__init__(f"{method} {path}: {status} {message}")

    @property
    def reason(self) -> str:
        return str(self.body.get("reason", "")) if isinstance(self.body, Mapping) else ""


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


class Rest:
    def __init__(self, server: str, token: str, ca_file: str) -> None:
        self.http = httpx.Client(
            base_url=server,
            verify=ssl.create_default_context(cafile=ca_file),
            timeout=30,
            headers={"Authorization": f"Bearer {token}"},
        )
        self._resources: dict[str, Resource] | None = None

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content_type: str = "application/json",
        params: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> Any:
        headers = {"Accept": accept}
        content = None
        if body is not None:
            headers["Content-Type"] = content_type
            content = json.dumps(body)
        response = self.http.request(
            method, path, content=content, headers=headers, params=dict(params or {})
        )
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise ApiError(method, path, response.status_code, payload)
        return payload

    # --- discovery ---------------------------------------------------------------------------

    def resource(self, name: str, *, refresh: bool = False) -> Resource:
        """A resource by plural, singular-less short name, kind, or ``plural.group``."""
        if self._resources is None or refresh or name not in self._resources:
            self._resources = self._discover()
        try:
            return self._resources[name]
        except KeyError:
            raise KeyError(f"the API server serves no resource {name!r}") from None

    def resource_of(self, obj: Mapping[str, Any]) -> Resource:
        group, _, version = obj["apiVersion"].rpartition("/")
        for candidate in (f"{obj['kind']}.{group}", obj["kind"]):
            with_group = self._lookup(candidate)
            if with_group is not None and with_group.group == group:
                return Resource(
                    group, version, with_group.plural, with_group.kind, with_group.namespaced
                )
        raise KeyError(f"the API server serves no {obj['apiVersion']} {obj['kind']}")

    def _lookup(self, name: str) -> Resource | None:
        if self._resources is None or name not in self._resources:
            self._resources = self._discover()
        return self._resources.get(name)

    def _discover(self) -> dict[str, Resource]:
        found: dict[str, Resource] = {}
        groups = [("", v) for v in self.request("GET", "/api")["versions"]]
        for group in self.request("GET", "/apis")["groups"]:
            groups.append((group["name"], group["preferredVersion"]["version"]))
        for group, version in groups:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            for entry in self.request("GET", path)["resources"]:
                if "/" in entry["name"]:
                    continue
                res = Resource(
                    group,
                    version,
                    entry["name"],
                    entry["kind"],
                    entry["namespaced"],
                    tuple(entry.get("shortNames") or ()),
                )
                keys = [res.plural, *res.short_names, res.kind]
                keys += [f"{k}.{group}" for k in keys] if group else []
                for key in keys:
                    # The core group wins bare names (events, not events.k8s.io's).
                    found.setdefault(key, res)
        return found

    # --- verbs -------------------------------------------------------------------------------

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.request("GET", self.resource(resource).path(namespace, name)))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        return list(
            self.list_with_version(
                resource, namespace, label_selector=label_selector, field_selector=field_selector
            )[0]
        )

    def list_with_version(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[builtins.list[dict[str, Any]], str]:
        res = self.resource(resource)
        params = {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        answer = self.request("GET", res.path(namespace), params=params)
        items = answer.get("items") or []
        for item in items:  # a list's items carry no apiVersion/kind of their own
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", res.kind)
        return items, answer["metadata"]["resourceVersion"]

    def create(self, body: Mapping[str, Any], namespace: str | None = None) -> dict[str, Any]:
        res = self.resource_of(body)
        ns = namespace or (body.get("metadata") or {}).get("namespace")
        return dict(self.request("POST", res.path(ns), body=dict(body)))

    def apply(
        self,
        body: Mapping[str, Any],
        namespace: str | None = None,
        *,
        dry_run: bool = False,
        field_validation: str = "Strict",
    ) -> dict[str, Any]:
        """Server-side apply (``kubectl apply --server-side [--dry-run=server]``)."""
        res = self.resource_of(body)
        meta = body.get("metadata") or {}
        ns = namespace or meta.get("namespace")
        params = {
            "fieldManager": FIELD_MANAGER,
            "force": "true",
            "fieldValidation": field_validation,
        }
        if dry_run:
            params["dryRun"] = "All"
        return dict(
            self.request(
                "PATCH",
                res.path(ns, meta["name"]),
                body=dict(body),
                content_type=APPLY,
                params=params,
            )
        )

    def merge_patch(
        self, resource: str, namespace: str | None, name: str, patch: Mapping[str, Any]
    ) -> dict[str, Any]:
        path = self.resource(resource).path(namespace, name)
        return dict(self.request("PATCH", path, body=dict(patch), content_type=MERGE))

    def delete(self, resource: str, namespace: str | None, name: str) -> bool:
        try:
            self.request("DELETE", self.resource(resource).path(namespace, name))
        except ApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def delete_collection(self, resource: str, namespace: str) -> None:
        self.request("DELETE", self.resource(resource).path(namespace))

    def watch(
        self, resource: str, namespace: str | None, resource_version: str, *, timeout_s: int = 60
    ) -> Iterator[dict[str, Any]]:
        """Watch events from a resourceVersion, until the server ends the watch."""
        params = {
            "watch": "1",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "1",
            "timeoutSeconds": str(timeout_s),
        }
        path = self.resource(resource).path(namespace)
        with self.http.stream("GET", path, params=params, timeout=None) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiError("WATCH", path, response.status_code, response.text)
            for line in response.iter_lines():
                if line:
                    yield json.loads(line)

    # --- kubectl get -------------------------------------------------------------------------

    def table(self, resource: str, namespace: str | None = None, *, wide: bool = False) -> str:
        """``kubectl get <resource> [-n ns | -A]``: the server's own Table (printer columns,
        ages), laid out as kubectl lays it out."""
        res = self.resource(resource)
        answer = self.request("GET", res.path(namespace), accept=TABLE)
        columns = [
            (i, c["name"].upper())
            for i, c in enumerate(answer["columnDefinitions"])
            if wide or not c.get("priority")
        ]
        all_namespaces = res.namespaced and namespace is None
        headers = (["NAMESPACE"] if all_namespaces else []) + [name for _, name in columns]
        rows = []
        for row in answer.get("rows") or []:
            meta = (row.get("object") or {}).get("metadata") or {}
            cells = [meta.get("namespace", "")] if all_namespaces else []
            cells += ["" if row["cells"][i] is None else str(row["cells"][i]) for i, _ in columns]
            rows.append(cells)
        if all_namespaces:
            rows.sort(key=lambda r: (r[0], r[1]))
        widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        return "\n".join(
            "   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in [headers, *rows]
        )
