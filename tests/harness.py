"""The pipeline assembled for tests from real parts: uvicorn servers in threads (sandbox,
gateway), the worker as a task on the test's loop or as a separate process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr

from gateway.settings import Settings
from ibbase_dev.nats_server import free_port


class ServerThread:
    """A uvicorn server on a free port in its own thread (and its own event loop)."""

    def __init__(self, app: Any, port: int | None = None, *, tls: tuple[str, str] | None = None):
        self.port = port or free_port()
        self.scheme = "https" if tls else "http"
        certfile, keyfile = tls or (None, None)
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=self.port,
                log_config=None,
                access_log=False,
                proxy_headers=False,  # as `ibbase gateway` runs: IBBASE_TRUSTED_PROXIES decides
                lifespan="on",
                ssl_certfile=certfile,
                ssl_keyfile=keyfile,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def pipeline_settings(
    *,
    nats_url: str,
    database_url: str,
    api_url: str,
    phone_id: str,
    access_token: str,
    **overrides: Any,
) -> Settings:
    """Settings with JetStream names of their own, so tests never see each other's events."""
    tag = uuid.uuid4().hex[:8]
    values: dict[str, Any] = dict(
        whatsapp_api_url=api_url,
        whatsapp_phone_id=phone_id,
        whatsapp_access_token=SecretStr(access_token),
        whatsapp_verify_token=SecretStr("verify-" + tag),
        whatsapp_app_secret=SecretStr("app-secret-" + tag),
        admin_token=SecretStr("admin-" + tag),
        database_url=database_url,
        nats_url=nats_url,
        stream=f"WA_{tag}",
        subject_prefix=f"t{tag}.inbound",
        dlq_stream=f"WADLQ_{tag}",
        dlq_subject_prefix=f"t{tag}.dlq",
        consumer=f"worker-{tag}",
        ack_wait_s=5,
        retry_backoff_s=[0.2, 0.5, 1.0],
        max_deliver=3,
        # JetStream reserves a stream's max_bytes on the server's disk: tests make hundreds.
        stream_max_bytes=32 * 1024**2,
        dlq_max_bytes=8 * 1024**2,
    )
    values.update(overrides)
    return Settings(**values)


def settings_env(settings: Settings) -> dict[str, str]:
    """The same settings as environment variables, for a worker in another process."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, list):
            import json

            value = json.dumps(value)
        if value is not None:
            env[f"IBBASE_{name.upper()}"] = str(value)
    env.update(
        {
            "WHATSAPP_API_URL": settings.whatsapp_api_url,
            "WHATSAPP_PHONE_ID": settings.whatsapp_phone_id,
            "WHATSAPP_ACCESS_TOKEN": settings.whatsapp_access_token.get_secret_value(),
            "WHATSAPP_VERIFY_TOKEN": settings.whatsapp_verify_token.get_secret_value(),
            "WHATSAPP_APP_SECRET": settings.whatsapp_app_secret.get_secret_value(),
            "IBBASE_ADMIN_TOKEN": settings.admin_token.get_secret_value(),
            "DATABASE_URL": settings.database_url,
            "NATS_URL": settings.nats_url,
            "IBBASE_PORT": str(settings.port),
        }
    )
    return env


def spawn_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ibbase.cli", "worker"], env=settings_env(settings)
    )


class WorkerTask:
    """The worker on the test's own event loop, sharing one card reader across tests."""

    def __init__(self, settings: Settings, reader: Any):
        from gateway.worker import run_worker

        self.stop_event = asyncio.Event()
        self.task = asyncio.create_task(run_worker(settings, self.stop_event, reader=reader))

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.wait_for(self.task, 30)


async def wait_for(predicate: Any, timeout: float = 30, interval: float = 0.1) -> Any:
    """Poll ``predicate`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def admin_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}


async def sandbox_messages(
    http: httpx.AsyncClient, sandbox_url: str, **params: str
) -> list[dict[str, Any]]:
    response = await http.get(f"{sandbox_url}/sandbox/messages", params=params)
    response.raise_for_status()
    return list(response.json()["data"])


class Background:
    """A test helper that runs ``_run()`` as a task on the test's loop until ``stop()``."""

    _task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Any:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
