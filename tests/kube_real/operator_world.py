"""The operator suite's Kubernetes API, on either backend (tests/operator/conftest.py's
``world`` runs every test on both):

- ``emulator``: kube_emulator in the test's loop, one bearer token for everyone;
- ``apiserver``: the session's real cluster (tests/kube_real/cluster.py), emptied of the last
  test's objects. The tests, the ingress and cert-manager stand-ins and the kubelet stand-in
  act as the admin; the operator runs as the chart's ServiceAccount with a token from the
  TokenRequest API, so the chart's RBAC is what it has.

:class:`RealApi` gives the real server the emulator's small test interface: ``url`` and
``headers`` (here a ``kubectl proxy``), ``get``, ``list``, ``create``, ``wait_for``,
``table``, ``errors``, and ``store.events_after`` for the registry Secret's history.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kube_emulator import KubeEmulator
from tests.harness import ServerThread
from tests.kube_real.cluster import NAMESPACES, RELEASE_NAMESPACE, Cluster
from tests.kube_real.rest import ApiError, Rest

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "charts/ibbase/crds/whatsappchannel.yaml"
BACKENDS = ("emulator", "apiserver")

# What a test leaves behind, emptied from every namespace before the next test starts (the
# namespaces themselves stay: the release namespace holds the chart's Roles and
# ServiceAccount, and a namespace being deleted refuses new objects for a while).
LEFTOVERS = ("whatsappchannels", "ingresses", "certificates", "secrets", "events", "leases")


class KubeProxy:
    """``kubectl proxy``: plain HTTP on loopback, each request forwarded to the API server
    with the admin's token (for the kubelet stand-in, which has no TLS settings)."""

    def __init__(self, server: str, token: str, ca_file: str) -> None:
        self.server, self.token, self.ca_file = server, token, ca_file
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.client = httpx.AsyncClient(
                        base_url=self.server,
                        verify=ssl.create_default_context(cafile=self.ca_file),
                        timeout=None,
                    )
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    if self.client is not None:
                        await self.client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert scope["type"] == "http" and self.client is not None
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        keep = {b"content-type", b"accept"}
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k in keep}
        headers["Authorization"] = f"Bearer {self.token}"
        request = self.client.build_request(
            scope["method"],
            scope["path"]
            + (("?" + scope["query_string"].decode()) if scope["query_string"] else ""),
            headers=headers,
            content=body,
        )
        response = await self.client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.encode(), v.encode())
                        for k, v in response.headers.items()
                        if k.lower() == "content-type"
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


@dataclass(frozen=True)
class StoredVersion:
    """One write of an object, as the emulator's store records it: (group, plural,
    namespace, name) and the object after the write."""

    key: tuple[str, str, str, str]
    object: dict[str, Any]


class WatchedHistory:
    """Every version of the Secrets in the release namespace from the moment it starts, from a
    watch (for ``World.registry_keys_ever``: what the gateway may have been served)."""

    def __init__(self, rest: Rest, namespace: str, resource_version: str) -> None:
        self.rest, self.namespace, self.rv = rest, namespace, resource_version
        self.versions: list[StoredVersion] = []
        self.errors: list[Exception] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="secret-history", daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                for event in self.rest.watch("secrets", self.namespace, self.rv, timeout_s=1):
                    obj = event["object"]
                    self.rv = obj["metadata"]["resourceVersion"]
                    if event["type"] in {"ADDED", "MODIFIED"}:
                        key = ("", "secrets", self.namespace, obj["metadata"]["name"])
                        self.versions.append(StoredVersion(key, obj))
                    elif event["type"] == "ERROR":
                        raise RuntimeError(f"watch of the registry Secret failed: {obj}")
            except Exception as exc:  # reported through RealApi.errors
                self.errors.append(exc)
                return

    def events_after(self, resource_version: int) -> tuple[list[StoredVersion], int]:
        return list(self.versions), int(self.rv)

    def start(self) -> WatchedHistory:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)


class RealApi:
    def __init__(self, cluster: Cluster, proxy_url: str, history: WatchedHistory) -> None:
        self.cluster = cluster
        self.rest = cluster.plane.rest
        self.url = proxy_url
        self.headers: dict[str, str] = {}
        self.store = history
        self._panics_before = len(cluster.plane.panics())

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.rest.get(resource, namespace, name)

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        return self.rest.list(
            resource, namespace, label_selector=label_selector, field_selector=field_selector
        )

    def create(self, body: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
        return self.rest.create(body, namespace)

    async def wait_for(
        self,
        resource: str,
        namespace: str | None,
        name: str,
        predicate: Callable[[dict[str, Any] | None], bool],
        timeout: float = 10.0,
    ) -> dict[str, Any] | None:
        """Poll until ``predicate(object or None)`` holds; TimeoutError shows the last state."""
        deadline = time.monotonic() + timeout
        while True:
            current = self.get(resource, namespace, name)
            if predicate(current):
                return current
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{resource} {namespace}/{name} never matched; last seen: {current}"
                )
            await asyncio.sleep(0.05)

    def table(self, resource: str, namespace: str | None = None, *, wide: bool = False) -> str:
        return self.rest.table(resource, namespace, wide=wide)

    @property
    def errors(self) -> builtins.list[Any]:
        """Panics the control plane logged during this test, and a failed history watch."""
        return [*self.cluster.plane.panics()[self._panics_before :], *self.store.errors]


def empty_namespaces(cluster: Cluster) -> str:
    """Remove what an earlier test left in any namespace (but the kube-* ones), and make sure
    the world's own exist; the release namespace's resourceVersion after."""
    rest = cluster.plane.rest
    for namespace in NAMESPACES:
        cluster.ensure_namespace(namespace)
    for wac in rest.list("whatsappchannels"):
        if wac["metadata"].get("finalizers"):
            with contextlib.suppress(ApiError):
                rest.merge_patch(
                    "whatsappchannels",
                    wac["metadata"]["namespace"],
                    wac["metadata"]["name"],
                    {"metadata": {"finalizers": None}},
                )
    for ns in rest.list("namespaces"):
        name = ns["metadata"]["name"]
        if name.startswith("kube-") or ns.get("status", {}).get("phase") == "Terminating":
            continue
        for resource in LEFTOVERS:
            rest.delete_collection(resource, name)
    deadline = time.monotonic() + 30
    while rest.list("whatsappchannels"):
        if time.monotonic() > deadline:
            raise TimeoutError("whatsappchannels of an earlier test are still there")
        time.sleep(0.1)
    return rest.list_with_version("secrets", RELEASE_NAMESPACE)[1]


@contextlib.asynccontextmanager
async def kube_api(
    backend: str, cluster: Cluster | None, tmp_path: Path, namespace: str = "crm"
) -> AsyncIterator[tuple[Any, Path, Path]]:
    """(api, the admin's kubeconfig, the operator's kubeconfig) for one test."""
    if backend == "emulator":
        async with KubeEmulator.serve(namespaces=("default", *NAMESPACES)) as api:
            api.install_crd(CRD)
            kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", namespace=namespace)
            yield api, kubeconfig, kubeconfig
        return
    assert cluster is not None
    plane = cluster.plane
    resource_version = await asyncio.to_thread(empty_namespaces, cluster)
    admin = plane.write_kubeconfig(tmp_path / "kubeconfig", namespace=namespace)
    sa_namespace, sa_name = cluster.operator_service_account
    operator = plane.write_kubeconfig(
        tmp_path / "operator-kubeconfig",
        token=plane.service_account_token(sa_namespace, sa_name),
        namespace=namespace,
        user=f"system:serviceaccount:{sa_namespace}:{sa_name}",
    )
    history_rest = Rest(plane.url, plane.pki.admin_token, str(plane.pki.ca_file))
    history = WatchedHistory(history_rest, sa_namespace, resource_version).start()
    proxy = ServerThread(KubeProxy(plane.url, plane.pki.admin_token, str(plane.pki.ca_file)))
    proxy.start()
    try:
        yield RealApi(cluster, proxy.url, history), admin, operator
    finally:
        proxy.stop()
        history.stop()
        history_rest.close()
