"""The channel as separate real processes, for the fault tests: a nats-server and a
PostgreSQL cluster of the test's own (both restartable on the same port and data), the Graph
API sandbox, the gateway and one or more workers, each started with the CLI a deployment
uses (``ibbase sandbox|gateway|worker``) and its output kept in a log file."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.db import make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.settings import Settings
from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import NatsCluster, NatsServer, free_port
from ibbase_dev.simulate import SimulatedUser
from tests.harness import pipeline_settings, settings_env, wait_for
from tests.services import PostgresCluster, can_connect, fresh_database

REPO = Path(__file__).resolve().parents[2]
TOKEN = "sandbox-access-token-for-fault-tests"
PHONE_ID = "106540352242922"


class Process:
    """One child process; stdout and stderr go to ``{log_dir}/{name}.log``."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.log = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with open(self.log, "ab") as out:
            out.write(f"--- start {time.strftime('%H:%M:%S')} {self.argv}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(sig)
            self.proc.wait(30)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (a graceful stop), SIGKILL if it is not gone in ``timeout`` seconds."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Stack:
    """Sandbox, gateway and workers as processes on a private NATS and database."""

    def __init__(
        self,
        tmp: Path,
        nats_server: NatsServer,
        pg: PostgresCluster,
        database_url: str,
        **overrides: Any,
    ):
        self.tmp = tmp
        self.nats = nats_server
        self.pg = pg
        self.database_url = database_url
        self.sandbox_port = free_port()
        self.sandbox_url = f"http://127.0.0.1:{self.sandbox_port}"
        self.settings: Settings = pipeline_settings(
            nats_url=nats_server.url,
            database_url=database_url,
            api_url=f"{self.sandbox_url}/v25.0",
            phone_id=PHONE_ID,
            access_token=TOKEN,
            port=free_port(),
            **overrides,
        )
        self.gateway_url = f"http://127.0.0.1:{self.settings.port}"
        self.webhook = f"{self.gateway_url}/api/whatsapp/webhook"
        self.engine = make_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
        self.processes: list[Process] = []
        self.workers: list[Process] = []
        self.worker_ports: dict[int, int] = {}
        self._nc: NATS | None = None
        self._js: JetStreamContext | None = None

    # -- processes ---------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = settings_env(self.settings)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        env.update(extra)
        return env

    def _spawn(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Process:
        proc = Process(name, argv, env, self.tmp).start()
        self.processes.append(proc)
        return proc

    async def start(self) -> Stack:
        cli = [sys.executable, "-m", "ibbase.cli"]
        self._spawn(
            "sandbox",
            [*cli, "sandbox", "--host", "127.0.0.1", "--port", str(self.sandbox_port)],
            self.env(),
        )
        self.gateway = self._spawn("gateway", [*cli, "gateway"], self.env())
        await self._wait_http(f"{self.sandbox_url}/sandbox/healthz", "sandbox")
        await self._wait_http(f"{self.gateway_url}/readyz", "gateway")
        self._nc = await nats.connect(
            self.settings.nats_url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.5
        )
        self._js = self._nc.jetstream()
        return self

    async def _wait_http(self, url: str, name: str, timeout: float = 60) -> None:
        async def answers() -> bool:
            proc = next((p for p in self.processes if p.name == name), None)
            if proc is not None and not proc.alive():
                raise RuntimeError(f"{name} exited:\n{proc.tail()}")
            try:
                return (await self.http.get(url, timeout=5)).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(answers, timeout=timeout, interval=0.2)

    def start_worker(self, argv: Sequence[str] | None = None, **env: str) -> Process:
        """``ibbase worker`` (or ``argv``), with a metrics port of its own."""
        port = free_port()
        name = f"worker{len(self.workers) + 1}"
        proc = self._spawn(
            name,
            argv or [sys.executable, "-m", "ibbase.cli", "worker"],
            self.env(IBBASE_WORKER_METRICS_PORT=str(port), **env),
        )
        self.worker_ports[proc.pid] = port
        self.workers.append(proc)
        return proc

    async def wait_pulling(self, workers: int = 1, timeout: float = 90) -> None:
        """Until ``workers`` workers wait on the consumer for events (they have started):
        each idle or not-full worker keeps one pull request open."""

        async def pulling() -> bool:
            try:
                info = await self.js.consumer_info(self.settings.stream, self.settings.consumer)
            except NotFoundError:
                return False
            return int(info.num_waiting or 0) >= workers

        await wait_for(pulling, timeout=timeout, interval=0.2)

    async def worker_metric(self, worker: Process, name: str, **labels: str) -> float:
        """A sample of a worker's own /metrics (0 when it has not been set)."""
        port = self.worker_ports[worker.pid]
        text = (await self.http.get(f"http://127.0.0.1:{port}/metrics")).text
        return metric_value(text, name, **labels)

    async def close(self) -> None:
        for proc in reversed(self.processes):
            # The sandbox may hold a request a fault stalls: no point waiting for it.
            proc.stop(timeout=3 if proc.name == "sandbox" else 20)
        if self._nc is not None:
            await self._nc.close()
        await self.http.aclose()
        self.engine.dispose()

    def logs(self) -> str:
        return "\n".join(f"==== {p.log.name}\n{p.tail(60)}" for p in self.processes)

    # -- JetStream -----------------------------------------------------------------------

    @property
    def js(self) -> JetStreamContext:
        assert self._js is not None, "start() first"
        return self._js

    async def settled(self) -> bool:
        """Nothing waiting for the worker and nothing in its hands."""
        try:
            info = await self.js.consumer_info(self.settings.stream, self.settings.consumer)
        except (NotFoundError, TimeoutError, nats.errors.Error):
            return False
        return int(info.num_pending or 0) == 0 and int(info.num_ack_pending or 0) == 0

    async def stream_messages(self) -> int:
        return int((await self.js.stream_info(self.settings.stream)).state.messages)

    async def dead_letters(self) -> list[dict[str, Any]]:
        """The dead-letter stream's entries: ``subject``, ``headers`` and ``data``."""
        try:
            info = await self.js.stream_info(self.settings.dlq_stream)
        except NotFoundError:
            return []
        entries = []
        for seq in range(int(info.state.first_seq or 1), int(info.state.last_seq or 0) + 1):
            try:
                msg = await self.js.get_msg(self.settings.dlq_stream, seq)
            except NotFoundError:
                continue
            entries.append({"subject": msg.subject, "headers": msg.headers or {}, "data": msg.data})
        return entries

    # -- the sandbox ---------------------------------------------------------------------

    async def fault(self, **spec: Any) -> None:
        response = await self.http.post(f"{self.sandbox_url}/sandbox/faults", json=spec)
        response.raise_for_status()

    async def clear_faults(self) -> None:
        (await self.http.delete(f"{self.sandbox_url}/sandbox/faults")).raise_for_status()

    async def calls(self, endpoint: str | None = None, to: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("endpoint", endpoint), ("to", to)) if v is not None}
        response = await self.http.get(f"{self.sandbox_url}/sandbox/calls", params=params)
        response.raise_for_status()
        return list(response.json()["data"])

    async def sent(self, kind: str = "message") -> list[dict[str, Any]]:
        """What the sandbox accepted: sends (``message``) or read receipts (``read``)."""
        response = await self.http.get(
            f"{self.sandbox_url}/sandbox/messages", params={"kind": kind}
        )
        response.raise_for_status()
        return list(response.json()["data"])

    async def replies_to(self, message_id: str) -> list[dict[str, Any]]:
        return [
            m for m in await self.sent() if (m.get("context") or {}).get("message_id") == message_id
        ]

    def user(self, wa_id: str, name: str = "Fault Tester") -> SimulatedUser:
        return SimulatedUser(
            self.http,
            gateway_url=self.gateway_url,
            sandbox_url=self.sandbox_url,
            phone_number_id=PHONE_ID,
            app_secret=self.settings.whatsapp_app_secret.get_secret_value(),
            wa_id=wa_id,
            name=name,
        )

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        body = wh.encode(payload)
        secret = self.settings.whatsapp_app_secret.get_secret_value()
        return await self.http.post(
            self.webhook,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": wh.sign(body, secret),
            },
        )

    # -- the database --------------------------------------------------------------------

    def count(self, model: Any, *where: Any) -> int:
        with self.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def query(self, fn: Any) -> Any:
        with self.sessions() as session:
            return fn(session)

    def scalars(self, stmt: Any) -> list[Any]:
        def run(session: Session) -> list[Any]:
            return list(session.scalars(stmt).all())

        return self.query(run)


def metric_value(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        pairs = dict(
            part.split("=", 1) for part in label_text.rstrip("}").split(",") if "=" in part
        )
        if all(pairs.get(k, "").strip('"') == v for k, v in labels.items()):
            total += float(value)
    return total


async def eventually(predicate: Any, timeout: float, what: str, stack: Stack) -> Any:
    """``wait_for`` that names what it waited for and shows the processes' logs on failure."""
    try:
        return await wait_for(predicate, timeout=timeout, interval=0.2)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {timeout:.0f}s\n{stack.logs()}") from None


@contextlib.asynccontextmanager
async def open_stack(tmp: Path, pg: PostgresCluster, **overrides: Any) -> AsyncIterator[Stack]:
    """A private nats-server and database, the sandbox and the gateway; no worker yet."""
    nats_server = NatsServer(tmp / "nats", log_file=tmp / "nats.log")
    nats_server.start()
    try:
        with fresh_database(pg.admin_dsn) as url:
            try:
                upgrade(url)
                stack = Stack(tmp, nats_server, pg, url, **overrides)
                try:
                    await stack.start()
                    yield stack
                finally:
                    await stack.close()
            finally:
                if not can_connect(pg.admin_dsn):  # a test stopped it and failed
                    pg.start()
    finally:
        nats_server.stop()


@contextlib.asynccontextmanager
async def open_cluster_stack(
    tmp: Path, pg: PostgresCluster, nodes: int = 3, **overrides: Any
) -> AsyncIterator[tuple[Stack, NatsCluster]]:
    """``open_stack`` on a JetStream cluster of ``nodes`` nats-servers: NATS_URL lists them
    all, and ``stack.nats`` is the cluster (the stack reads only its ``url``)."""
    cluster = NatsCluster(tmp / "nats", nodes, log_dir=tmp)
    await asyncio.to_thread(cluster.start)
    try:
        with fresh_database(pg.admin_dsn) as url:
            upgrade(url)
            stack = Stack(tmp, cluster, pg, url, **overrides)  # type: ignore[arg-type]
            try:
                await stack.start()
                yield stack, cluster
            finally:
                await stack.close()
    finally:
        cluster.stop()
