"""The public face of the emulator: start it, point clients at it, look inside it.

Clients (kopf, httpx, kubectl-alikes) talk to it over HTTP only, so the operator under test
can run in its own thread and event loop. Tests may also read and seed objects directly
through the methods here, from any thread: they go through the same API machinery as HTTP
requests (so a seeded object gets a uid, a resourceVersion and a watch event) and return
deep copies.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import copy
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp.web
import yaml
from kmock import KubernetesError

from kube_emulator import printing
from kube_emulator.apiserver import ApiServer
from kube_emulator.crds import CERT_MANAGER_CERTIFICATES
from kube_emulator.resources import BUILTINS, CRD_GROUP, CRD_PLURAL, ResourceRegistry, ResourceSpec
from kube_emulator.selectors import parse_selection
from kube_emulator.server import KubeApiHandler
from kube_emulator.store import ObjectStore

CONTEXT_NAME = "kube-emulator"


class KubeEmulator:
    """An emulated Kubernetes API server and direct, thread-safe access to its objects.

    Start it with ``async with KubeEmulator.serve() as api:``; ``api.url`` and
    ``api.write_kubeconfig(path)`` are what clients need.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        namespaces: Iterable[str] = ("default", "kube-system"),
        cert_manager: bool = True,
        history_size: int = 10_000,
        bookmark_interval: float = 5.0,
    ) -> None:
        self.registry = ResourceRegistry()
        self.registry.add(BUILTINS)
        self.store = ObjectStore(history_size)
        self.api = ApiServer(self.registry, self.store)
        self.token = token or secrets.token_urlsafe(24)
        # The kmock handler: add reactions to it to inject faults; its requests are a journal.
        self.kmock = KubeApiHandler(
            api=self.api, token=self.token, bookmark_interval=bookmark_interval
        )
        self._url: str | None = None
        for namespace in namespaces:
            self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        if cert_manager:
            self.install_crd(CERT_MANAGER_CERTIFICATES)

    @classmethod
    @contextlib.asynccontextmanager
    async def serve(
        cls, *, host: str = "127.0.0.1", port: int = 0, **options: Any
    ) -> AsyncIterator[KubeEmulator]:
        """Serve on ``host:port`` (a free port by default) until the block exits."""
        emulator = cls(**options)
        async with emulator.kmock:
            # handler_cancellation: a watch whose client went away must end, not linger.
            server = aiohttp.web.Server(emulator.kmock, handler_cancellation=True)
            runner = aiohttp.web.ServerRunner(server, shutdown_timeout=2.0)
            await runner.setup()
            try:
                site = aiohttp.web.TCPSite(runner, host, port)
                await site.start()
                bound_host, bound_port = runner.addresses[0][:2]
                emulator._url = f"http://{bound_host}:{bound_port}"
                yield emulator
            finally:
                emulator.store.close()  # ends every watch stream so the server can stop at once
                await runner.cleanup()
                emulator._url = None

    # --- connecting ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the emulator is not serving; use `async with KubeEmulator.serve()`")
        return self._url

    @property
    def headers(self) -> dict[str, str]:
        """What an HTTP client must send (the API refuses anonymous requests with 401)."""
        return {"Authorization": f"Bearer {self.token}"}

    def write_kubeconfig(self, path: str | Path, namespace: str = "default") -> Path:
        """A kubeconfig with one context (server, bearer token, default namespace), readable by
        kopf, kubernetes clients and plain HTTP clients. The namespace must exist (``namespaces=``
        at start, or create it) before objects can be created in it."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": CONTEXT_NAME, "cluster": {"server": self.url}}],
            "users": [{"name": CONTEXT_NAME, "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": CONTEXT_NAME,
                    "context": {
                        "cluster": CONTEXT_NAME,
                        "user": CONTEXT_NAME,
                        "namespace": namespace,
                    },
                }
            ],
            "current-context": CONTEXT_NAME,
            "preferences": {},
        }
        target = Path(path)
        target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return target

    # --- direct access ---------------------------------------------------------------------------

    def install_crd(self, source: Mapping[str, Any] | str | Path) -> list[dict[str, Any]]:
        """Create (or update) the CRDs in a dict, a YAML file path, or YAML text."""
        documents: list[Any]
        if isinstance(source, Mapping):
            documents = [source]
        else:
            text = Path(source).read_text(encoding="utf-8") if _is_path(source) else str(source)
            documents = [d for d in yaml.safe_load_all(text) if d]
        spec = self.registry.lookup(CRD_GROUP, "v1", CRD_PLURAL)
        assert spec is not None  # a built-in
        installed = []
        for document in documents:
            name = document["metadata"]["name"]
            with self.store.lock:
                current = self.store.get((CRD_GROUP, CRD_PLURAL, None, name))
                if current is None:
                    installed.append(self.api.create(spec, None, dict(document)))
                else:
                    body = {**document, "metadata": {**current["metadata"], **document["metadata"]}}
                    installed.append(self.api.replace(spec, None, name, body))
        return copy.deepcopy(installed)

    def create(self, body: Mapping[str, Any], namespace: str | None = None) -> dict[str, Any]:
        """Create an object as a POST would: its apiVersion/kind pick the resource, and a
        namespaced object without a namespace goes to ``default``, as with kubectl."""
        spec = self.registry.by_kind(body.get("apiVersion", ""), body.get("kind", ""))
        if spec is None:
            raise LookupError(f"no resource serves {body.get('apiVersion')} {body.get('kind')}")
        namespace = namespace or (body.get("metadata") or {}).get("namespace") or "default"
        return copy.deepcopy(self.api.create(spec, namespace, dict(body)))

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        """A deep copy of one object, or None if there is none."""
        spec = self.registry.resolve(resource)
        try:
            return copy.deepcopy(self.api.get(spec, namespace, name))
        except KubernetesError as exc:
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
        spec = self.registry.resolve(resource)
        selection = parse_selection(label_selector, field_selector, spec.selectable_fields)
        items, _ = self.api.list(spec, namespace, selection)
        return copy.deepcopy(items)

    def delete(self, resource: str, namespace: str | None, name: str) -> dict[str, Any]:
        """Delete as a DELETE would: finalizers hold the object, dependents are collected."""
        spec = self.registry.resolve(resource)
        return copy.deepcopy(self.api.delete(spec, namespace, name))

    async def wait_for(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        predicate: Callable[[dict[str, Any] | None], bool],
        timeout: float = 10.0,
    ) -> dict[str, Any] | None:
        """Wait until ``predicate(object or None)`` holds; TimeoutError shows the last state."""
        current: dict[str, Any] | None = None

        def matches() -> bool:
            nonlocal current
            current = self.get(resource, namespace, name)
            return predicate(current)

        try:
            await self.wait_until(matches, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{resource} {namespace}/{name} never matched; last seen: {current}"
            ) from None
        return current

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition()`` holds, checking it again after every write (no polling)."""
        waiter = self.store.subscribe()
        try:
            async with asyncio.timeout(timeout):
                while True:
                    waiter.event.clear()
                    if condition():
                        return
                    await waiter.event.wait()
        finally:
            self.store.unsubscribe(waiter)

    def table(self, resource: str, namespace: str | None = None, *, wide: bool = False) -> str:
        """``kubectl get <resource> [-n ns | -A]`` as text, from the CRD's printer columns."""
        spec = self.registry.resolve(resource)
        objects = self.list(resource, namespace if spec.namespaced else None)
        all_namespaces = spec.namespaced and namespace is None
        return printing.render_table(spec, objects, all_namespaces=all_namespaces, wide=wide)

    def resource(self, name: str) -> ResourceSpec:
        """What the emulator serves under a plural, short name, kind or ``group/version/plural``."""
        return self.registry.resolve(name)

    @property
    def errors(self) -> builtins.list[Exception]:
        """Unexpected failures inside the emulator (each was answered with a 500)."""
        return list(self.kmock.errors)


def _is_path(source: str | Path) -> bool:
    return isinstance(source, Path) or ("\n" not in source and Path(source).exists())
