"""A small async Kubernetes API client: the handful of verbs the operator needs, over httpx.

kopf watches and dispatches; the reconciler reads and writes objects with this client so
that every write is explicit (merge patches, status through the status subresource) and the
same code runs against a real API server and the test emulator. Credentials come from the
pod's service account or a kubeconfig, and the same :class:`KubeConfig` logs kopf in.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubeError(Exception):
    """A non-2xx answer from the API server, carrying its Status reason and message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409


@dataclass
class KubeConfig:
    server: str
    ca_file: str | None = None
    insecure: bool = False
    token: str | None = None
    token_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    default_namespace: str = "default"
    _token_cache: tuple[float, str] | None = field(default=None, repr=False)

    def bearer(self) -> str | None:
        """The token, re-read from a projected token file at most once a minute (the
        kubelet rotates service-account tokens)."""
        if self.token_file:
            now = time.monotonic()
            if self._token_cache is None or now - self._token_cache[0] > 60:
                self._token_cache = (now, Path(self.token_file).read_text().strip())
            return self._token_cache[1]
        return self.token

    def ssl_context(self) -> ssl.SSLContext | bool:
        if self.insecure:
            return False
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.client_cert and self.client_key:
            context.load_cert_chain(self.client_cert, self.client_key)
        return context

    @classmethod
    def in_cluster(cls) -> KubeConfig:
        host = os.environ["KUBERNETES_SERVICE_HOST"]
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        namespace_file = SA_DIR / "namespace"
        return cls(
            server=f"https://{host}:{port}",
            ca_file=str(SA_DIR / "ca.crt"),
            token_file=str(SA_DIR / "token"),
            default_namespace=namespace_file.read_text().strip()
            if namespace_file.exists()
            else "default",
        )

    @classmethod
    def from_kubeconfig(
        cls, path: str | os.PathLike[str], context: str | None = None
    ) -> KubeConfig:
        doc = yaml.safe_load(Path(path).read_text())
        ctx_name = context or doc.get("current-context")
        ctx = _named(doc.get("contexts", []), ctx_name, "context")
        cluster = _named(doc.get("clusters", []), ctx["cluster"], "cluster")
        user = _named(doc.get("users", []), ctx.get("user"), "user") if ctx.get("user") else {}
        return cls(
            server=cluster["server"].rstrip("/"),
            ca_file=_file_or_data(cluster, "certificate-authority"),
            insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
            token=user.get("token"),
            token_file=user.get("tokenFile"),
            client_cert=_file_or_data(user, "client-certificate"),
            client_key=_file_or_data(user, "client-key"),
            default_namespace=ctx.get("namespace", "default"),
        )

    @classmethod
    def load(cls, kubeconfig: str | None) -> KubeConfig:
        """A kubeconfig when one is given, else the pod's service account."""
        if kubeconfig:
            return cls.from_kubeconfig(kubeconfig)
        return cls.in_cluster()


def _named(items: list[dict[str, Any]], name: str | None, what: str) -> dict[str, Any]:
    for item in items:
        if item.get("name") == name:
            return dict(item.get(what, {}))
    raise ValueError(f"kubeconfig has no {what} named {name!r}")


def _file_or_data(section: Mapping[str, Any], key: str) -> str | None:
    if section.get(key):
        return str(section[key])
    data = section.get(f"{key}-data")
    if not data:
        return None
    handle = tempfile.NamedTemporaryFile(prefix="ibbase-kube-", delete=False)
    with handle:
        handle.write(base64.b64decode(data))
    return handle.name


def resource_path(
    api_version: str, plural: str, namespace: str | None = None, name: str | None = None
) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    return f"{base}/{name}" if name else base


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


class KubeClient:
    def __init__(
        self, config: KubeConfig, *, timeout_s: float = 30.0, user_agent: str | None = None
    ) -> None:
        self.config = config
        # The operator names itself, so an audit log (or a test's request journal) tells its
        # requests from kopf's and from other clients on the same credentials.
        headers = {"User-Agent": user_agent} if user_agent else None
        self._http = httpx.AsyncClient(
            base_url=config.server, verify=config.ssl_context(), timeout=timeout_s, headers=headers
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self, method: str, path: str, *, json: Any = None, params: Any = None, ctype: str = ""
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if token := self.config.bearer():
            headers["Authorization"] = f"Bearer {token}"
        if ctype:
            headers["Content-Type"] = ctype
        response = await self._http.request(method, path, json=json, params=params, headers=headers)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise KubeError(
                response.status_code,
                str(body.get("reason") or response.reason_phrase),
                str(body.get("message") or response.text[:300]),
            )
        result: dict[str, Any] = response.json()
        return result

    async def get(self, api_version: str, plural: str, namespace: str | None, name: str) -> Any:
        return await self._request("GET", resource_path(api_version, plural, namespace, name))

    async def get_or_none(
        self, api_version: str, plural: str, namespace: str | None, name: str
    ) -> dict[str, Any] | None:
        try:
            obj: dict[str, Any] = await self.get(api_version, plural, namespace, name)
        except KubeError as exc:
            if exc.not_found:
                return None
            raise
        return obj

    async def list(
        self,
        api_version: str,
        plural: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        params = {"labelSelector": label_selector} if label_selector else None
        body = await self._request(
            "GET", resource_path(api_version, plural, namespace), params=params
        )
        items: list[dict[str, Any]] = body.get("items", [])
        return items

    async def create(self, api_version: str, plural: str, namespace: str | None, body: Any) -> Any:
        return await self._request("POST", resource_path(api_version, plural, namespace), json=body)

    async def merge_patch(
        self,
        api_version: str,
        plural: str,
        namespace: str | None,
        name: str,
        patch: Any,
        *,
        subresource: str | None = None,
    ) -> Any:
        path = resource_path(api_version, plural, namespace, name)
        if subresource:
            path += f"/{subresource}"
        return await self._request("PATCH", path, json=patch, ctype="application/merge-patch+json")

    async def replace(
        self, api_version: str, plural: str, namespace: str | None, name: str, body: Any
    ) -> Any:
        """PUT: the whole object, with its ``metadata.resourceVersion`` as a precondition
        (409 when someone wrote it since it was read)."""
        path = resource_path(api_version, plural, namespace, name)
        return await self._request("PUT", path, json=body)

    async def delete(self, api_version: str, plural: str, namespace: str | None, name: str) -> bool:
        """Delete; False when it was already gone."""
        try:
            await self._request("DELETE", resource_path(api_version, plural, namespace, name))
        except KubeError as exc:
            if exc.not_found:
                return False
            raise
        return True

    async def apply(
        self, api_version: str, plural: str, namespace: str | None, body: dict[str, Any]
    ) -> Any:
        """Create the object, or merge its desired fields into the existing one. ``None``
        values mean "absent", as in a merge patch: left out on create, removed on update."""
        try:
            return await self.create(api_version, plural, namespace, _without_nulls(body))
        except KubeError as exc:
            if not exc.conflict:
                raise
        name = body["metadata"]["name"]
        return await self.merge_patch(api_version, plural, namespace, name, body)
