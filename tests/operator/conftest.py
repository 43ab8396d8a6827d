"""The operator's world, all real processes on this machine except Meta (the Graph API
sandbox). Every ``world`` test runs twice (``kube_backend``): against kube_emulator, and
against a real kube-apiserver with etcd and kube-controller-manager (tests/kube_real), where
the operator runs as the chart's ServiceAccount under the chart's RBAC.

- the operator runs kopf in its own thread and event loop (kopf cancels every task of the
  loop it runs in);
- the gateway serves HTTPS with a certificate from a test CA, standing in for the ingress
  that terminates TLS; both the operator's probe and the sandbox (as Meta) trust that CA and
  resolve every host to it, like curl's ``--resolve``;
- the gateway reads the channel registry from a directory that a kubelet stand-in keeps in
  step with the registry Secret, with the kubelet's atomic symlink swap;
- an ingress controller and cert-manager stand-in admit Ingresses and issue Certificates
  (as the admin, on the real server).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from graph_sandbox.callback_receiver import TLSFiles, issue_tls_files
from ibbase_dev.nats_server import NatsServer
from ibbase_operator.kube import KubeClient, KubeConfig
from ibbase_operator.main import run
from ibbase_operator.settings import OperatorSettings
from tests.harness import ServerThread, pipeline_settings, wait_for
from tests.kube_real.binaries import prebuild
from tests.kube_real.cluster import Cluster, cluster_or_fail
from tests.kube_real.operator_world import BACKENDS, kube_api
from tests.kubelet import SecretVolume
from tests.operator.cluster import ClusterControllers
from whatsapp_cloud.probe import ProbeResult, probe_callback

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "charts/ibbase/crds/whatsappchannel.yaml"
WAC = ("ibbase.io/v1alpha1", "whatsappchannels")
APP_ID = "112233445566778"
APP_SECRET = "app-secret-of-the-test-app"


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A test CA and a certificate for every channel host (``*.example.test``)."""
    return issue_tls_files(tmp_path_factory.mktemp("tls"), "*.example.test", "example.test")


class OperatorThread:
    """``ibbase operator`` as a thread with its own loop, stopped through kopf's stop flag."""

    def __init__(self, settings: OperatorSettings, kubeconfig: Path) -> None:
        self.settings = settings
        self.kubeconfig = kubeconfig
        self.stop_flag = threading.Event()
        self.ready_flag = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="operator", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(
                run(
                    self.settings,
                    KubeConfig.from_kubeconfig(self.kubeconfig),
                    stop_flag=self.stop_flag,
                    ready_flag=self.ready_flag,
                )
            )
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def start(self) -> OperatorThread:
        self.thread.start()
        if not self.ready_flag.wait(30):
            raise RuntimeError(f"operator did not start: {self.error!r}")
        return self

    async def stop(self) -> None:
        """Stop and wait, without blocking this loop: the emulator serves from it, and the
        operator's last requests need answers to finish."""
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        self.stop_flag.set()
        if not self.thread.is_alive():
            return
        self.thread.join(30)
        assert not self.thread.is_alive(), "operator did not stop"
        if self.error is not None:
            raise self.error


class Journal:
    """ASGI wrapper that notes every request the sandbox serves ("METHOD /path")."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.paths.append(f"{scope['method']} {scope['path']}")
        await self.app(scope, receive, send)


@dataclass
class World:
    api: Any  # KubeEmulator, or tests.kube_real.operator_world.RealApi
    kube: KubeClient
    sandbox: ServerThread
    gateway: ServerThread
    controllers: ClusterControllers
    operator: OperatorThread
    http: httpx.AsyncClient
    tls: TLSFiles
    gateway_settings: Any

    journal: Journal

    @property
    def meta(self) -> Any:
        """The sandbox's in-memory state (Meta's side of every registration)."""
        return self.journal.app.state.sandbox

    def provision(self, n: int, *, prefix: str = "1", expires_in_s: float | None = None) -> str:
        """WABA ``{prefix}0000000000{i}`` with phone ``{prefix}5550000000{i}`` for i < n, and a
        token reaching all of them. Returns the token."""
        accounts = self.meta.accounts
        if APP_ID not in accounts.apps:
            accounts.add_app(APP_ID, APP_SECRET, name="ibbase test app")
        wabas = []
        for i in range(n):
            waba, phone = waba_id(prefix, i), phone_id(prefix, i)
            accounts.add_waba(waba, [phone], app_id=APP_ID)
            wabas.append(waba)
        token = accounts.add_token(app_id=APP_ID, waba_ids=wabas, expires_in_s=expires_in_s)
        return str(token.value)

    def namespace(self, name: str) -> None:
        """Create a namespace (the emulator starts with default, crm and ibbase)."""
        if self.api.get("namespaces", None, name) is None:
            self.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    async def credentials(
        self, namespace: str, name: str, token: str, *, app_secret: str = APP_SECRET
    ) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "data": {
                "accessToken": base64.b64encode(token.encode()).decode(),
                "appSecret": base64.b64encode(app_secret.encode()).decode(),
            },
        }
        await self.kube.apply("v1", "secrets", namespace, body)

    async def apply(
        self, name: str, *, prefix: str = "1", i: int = 0, namespace: str = "crm", **spec: Any
    ) -> Any:
        body = {
            "apiVersion": "ibbase.io/v1alpha1",
            "kind": "WhatsAppChannel",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "phoneNumberId": phone_id(prefix, i),
                "businessAccountId": waba_id(prefix, i),
                "appId": APP_ID,
                "host": f"{name}.example.test",
                "credentialsSecretRef": {"name": "meta-credentials"},
                "ingress": {"className": "nginx", "clusterIssuer": "letsencrypt-prod"},
                **spec,
            },
        }
        return await self.kube.create(*WAC, namespace, body)

    def channel(self, name: str, namespace: str = "crm") -> dict[str, Any]:
        obj = self.api.get("whatsappchannels", namespace, name)
        assert obj is not None, f"{namespace}/{name} is gone"
        return obj

    def condition(self, name: str, ctype: str, namespace: str = "crm") -> dict[str, Any]:
        for cond in (self.channel(name, namespace).get("status") or {}).get("conditions") or []:
            if cond["type"] == ctype:
                return dict(cond)
        return {}

    async def wait_condition(
        self,
        name: str,
        ctype: str,
        status: str,
        reason: str | None = None,
        timeout: float = 30,
        *,
        namespace: str = "crm",
    ) -> dict[str, Any]:
        def matches(obj: dict[str, Any] | None) -> bool:
            for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
                if cond["type"] == ctype and cond["status"] == status:
                    return reason is None or cond.get("reason") == reason
            return False

        await self.api.wait_for("whatsappchannels", namespace, name, matches, timeout=timeout)
        return self.condition(name, ctype, namespace)

    async def wait_gone(self, name: str, timeout: float = 30, *, namespace: str = "crm") -> None:
        await self.api.wait_for("whatsappchannels", namespace, name, lambda o: o is None, timeout)

    def events(self, name: str, namespace: str = "crm") -> list[tuple[str, str, str]]:
        """(type, reason, message) of the channel's Events, oldest first."""
        events = [
            e for e in self.api.list("events", namespace) if e["involvedObject"]["name"] == name
        ]
        events.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [(e["type"], e["reason"], e["message"]) for e in events]

    def registry(self) -> dict[str, Any]:
        secret = self.api.get("secrets", "ibbase", "ibbase-channels") or {}
        return {k: json.loads(base64.b64decode(v)) for k, v in (secret.get("data") or {}).items()}

    def registry_keys_ever(self) -> set[str]:
        """Every key any stored version of the registry Secret had, this run: what the
        gateway may have been served at some moment, however briefly."""
        events, _ = self.api.store.events_after(0)
        keys: set[str] = set()
        for event in events:
            if event.key == ("", "secrets", "ibbase", "ibbase-channels"):
                keys |= set(event.object.get("data") or {})
        return keys

    def served(self, phone_number_id: str) -> str | None:
        """The channel the gateway serves this phone number with (its registry's answer)."""
        app: Any = self.gateway.server.config.app
        entry = app.state.channels.by_phone(phone_number_id)
        return None if entry is None else str(entry.id)

    async def probe(self, name: str, verify_token: str, namespace: str = "crm") -> ProbeResult:
        """Meta's verification request to the channel's public URL, over TLS."""
        return await probe_callback(
            f"https://{name}.example.test/api/whatsapp/webhook/{namespace}.{name}",
            verify_token,
            ca_bundle=self.tls.ca_bundle,
            resolve={"*": f"127.0.0.1:{self.gateway.port}"},
        )

    def secrets_seen(self) -> set[str]:
        """Every token and secret of this run: Meta's tokens and app secret, every value of
        every Secret, the verify tokens Meta holds."""
        found = {APP_SECRET, *self.meta.accounts.tokens}
        for secret in self.api.list("secrets"):
            for value in (secret.get("data") or {}).values():
                text = base64.b64decode(value).decode(errors="replace")
                found |= {text} if not text.startswith("{") else set(_json_secrets(text))
        state = self.meta.subscriptions
        for apps in state.waba_apps.values():
            found |= {cb.verify_token for cb in apps.values() if cb is not None}
        found |= {cb.verify_token for per in state.phone_overrides.values() for cb in per.values()}
        return {s for s in found if len(s) >= 8}

    def sandbox_calls(self, path_part: str) -> int:
        """How many Graph API requests the sandbox has served whose path contains this."""
        return sum(1 for path in self.journal.paths if path_part in path)

    async def until(self, predicate: Any, timeout: float = 30) -> Any:
        return await wait_for(predicate, timeout=timeout)

    async def post_webhook(
        self, name: str, body: bytes, signature: str, namespace: str = "crm"
    ) -> int:
        """Meta delivering an event to the channel's public URL over TLS; the HTTP status."""
        host = f"{name}.example.test"
        async with httpx.AsyncClient(
            verify=ssl.create_default_context(cafile=self.tls.ca_bundle)
        ) as c:
            response = await c.post(
                f"https://127.0.0.1:{self.gateway.port}/api/whatsapp/webhook/{namespace}.{name}",
                content=body,
                headers={
                    "Host": host,
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": signature,
                },
                extensions={"sni_hostname": host},
            )
        return response.status_code

    def verify_token(self, name: str, namespace: str = "crm") -> str:
        secret = self.api.get("secrets", namespace, f"{name}-webhook")
        assert secret is not None
        return base64.b64decode(secret["data"]["verifyToken"]).decode()


def _json_secrets(text: str) -> list[str]:
    entry = json.loads(text)
    return [entry["app_secret"], entry["access_token"], *entry["verify_tokens"]]


def waba_id(prefix: str, i: int) -> str:
    return f"{prefix}{i:014d}"


def phone_id(prefix: str, i: int) -> str:
    return f"{prefix}555{i:011d}"


def operator_settings(sandbox_url: str, gateway_port: int, tls: TLSFiles, **overrides: Any) -> Any:
    values: dict[str, Any] = dict(
        namespaces=[],
        registry_namespace="ibbase",
        registry_secret="ibbase-channels",
        graph_url=sandbox_url,
        probe_ca_bundle=tls.ca_bundle,
        probe_resolve={"*": f"127.0.0.1:{gateway_port}"},
        probe_timeout_s=5,
        resync_interval_s=1.0,
        backoff_base_s=0.2,
        backoff_max_s=2.0,
        delete_attempts=3,
        health_port=0,
    )
    values.update(overrides)
    return OperatorSettings(**values)


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run ``emulator_only`` tests (they read the emulator's request journal) on the
    emulator alone, and build the real control plane before any test runs (outside the
    tests' timeouts) when a selected test needs it."""
    emulator_only = [
        item
        for item in items
        if _backend(item) == "apiserver" and item.get_closest_marker("emulator_only")
    ]
    if emulator_only:
        config.hook.pytest_deselected(items=emulator_only)
        items[:] = [item for item in items if item not in emulator_only]
    if any(_backend(item) == "apiserver" for item in items):
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        prebuild(reporter.write_line if reporter else print)


def _backend(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("kube_backend") if callspec else None


@pytest.fixture(scope="session", params=BACKENDS)
def kube_backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, Cluster | None]]:
    """The Kubernetes API the world runs on: the emulator, or the session's real cluster."""
    if request.param == "emulator":
        yield "emulator", None
        return
    with cluster_or_fail() as cluster:
        yield "apiserver", cluster


@pytest.fixture
async def world(
    nats_server: NatsServer,
    tmp_path: Path,
    tls: TLSFiles,
    kube_backend: tuple[str, Cluster | None],
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[World]:
    from gateway.app import create_app as create_gateway
    from graph_sandbox.app import create_app as create_sandbox
    from graph_sandbox.config import SandboxConfig

    overrides = getattr(request, "param", {}) or {}
    caplog.set_level(logging.INFO)
    async with contextlib.AsyncExitStack() as stack:
        # The tests and the cluster stand-ins use `kubeconfig` (the admin's on a real
        # server), the operator `operator_kubeconfig` (the chart's ServiceAccount there).
        api, kubeconfig, operator_kubeconfig = await stack.enter_async_context(
            kube_api(*kube_backend, tmp_path)
        )
        kube = KubeClient(KubeConfig.from_kubeconfig(kubeconfig))
        stack.push_async_callback(kube.aclose)
        channels_dir = tmp_path / "channels"
        volume = SecretVolume(
            api.url, "ibbase", "ibbase-channels", channels_dir, headers=api.headers
        ).start()
        stack.push_async_callback(volume.stop)
        gateway_settings = pipeline_settings(
            nats_url=nats_server.url,
            database_url=f"sqlite:///{tmp_path}/gateway.db",
            api_url="http://127.0.0.1:9/v25.0",
            phone_id="100000000000001",
            access_token="unused",
            channels_dir=channels_dir,
            channels_reload_s=0.1,
        )
        gateway = ServerThread(
            create_gateway(gateway_settings), tls=(tls.certfile, tls.keyfile)
        ).start()
        stack.callback(gateway.stop)
        sandbox_config = SandboxConfig(
            access_token=SecretStr("sandbox-config-token"),
            phone_number_id="100000000000001",
            public_url="http://127.0.0.1:1",
            callback_ca_bundle=tls.ca_bundle,
            callback_resolve={"*": f"127.0.0.1:{gateway.port}"},
        )
        journal = Journal(create_sandbox(sandbox_config))
        sandbox = ServerThread(journal).start()
        stack.callback(sandbox.stop)
        controllers = ClusterControllers(kube).start()
        stack.push_async_callback(controllers.stop)
        settings = operator_settings(sandbox.url, gateway.port, tls, **overrides)
        operator = OperatorThread(settings, operator_kubeconfig)
        stack.push_async_callback(operator.stop)
        operator.start()
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        world = World(
            api, kube, sandbox, gateway, controllers, operator, http, tls, gateway_settings, journal
        )
        yield world
        assert not api.errors, api.errors
        # No secret the run handled may appear in any log line of any component.
        leaked = [s for s in world.secrets_seen() if s in caplog.text]
        assert not leaked, f"{len(leaked)} secret(s) in the logs"


@pytest.fixture
def started() -> Iterator[float]:
    yield time.monotonic()
