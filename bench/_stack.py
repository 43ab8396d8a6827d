"""A throw-away stack for benchmarks: own nats-server, SQLite, sandbox, gateway (and worker)
as separate processes on free ports, like `ibbase up` runs them."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ibbase_dev.nats_server import NatsServer, free_port
from ibbase_dev.up import wait_http

PHONE_ID = "100000000000001"


@dataclass
class BenchStack:
    gateway_urls: list[str]  # one per gateway process, each on its own port
    sandbox_url: str
    nats_url: str
    app_secret: str
    admin_token: str
    stream: str = "WHATSAPP"
    gateway_pid: int | None = None  # the first gateway's
    nats_pid: int | None = None

    @property
    def gateway_url(self) -> str:
        return self.gateway_urls[0]


@contextlib.contextmanager
def bench_stack(
    *,
    workers: int = 0,
    gateways: int = 1,
    env: dict[str, str] | None = None,
    wait_worker: bool = True,
) -> Iterator[BenchStack]:
    """nats-server, SQLite, the sandbox, `gateways` gateway processes (each on its own port,
    as replicas behind a Service) and `workers` worker processes sharing the durable
    consumer. `env`: extra environment for every process (OCR_URL, IBBASE_WORKER_CONCURRENCY…).
    Ready once each worker's metrics say its reader is warm (as `ibbase up` waits), unless
    `wait_worker` is false: then as soon as the gateways are."""
    tmp = Path(tempfile.mkdtemp(prefix="ibbase-bench-"))
    nats = NatsServer(tmp / "nats")
    nats.start()
    sb_port = free_port()
    env = dict(
        os.environ,
        NATS_URL=nats.url,
        DATABASE_URL=f"sqlite:///{tmp / 'bench.db'}",
        WHATSAPP_API_URL=f"http://127.0.0.1:{sb_port}/v25.0",
        WHATSAPP_PHONE_ID=PHONE_ID,
        WHATSAPP_ACCESS_TOKEN=secrets.token_hex(16),
        WHATSAPP_VERIFY_TOKEN="bench",
        WHATSAPP_APP_SECRET=secrets.token_hex(16),
        IBBASE_ADMIN_TOKEN=secrets.token_hex(16),
        **(env or {}),
    )
    procs: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str, **more: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ibbase.cli", *args],
            env={**env, **more},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        return proc

    try:
        subprocess.run([sys.executable, "-m", "ibbase.cli", "migrate"], env=env, check=True)
        spawn("sandbox", "--port", str(sb_port))
        gateway_ports = [free_port() for _ in range(gateways)]
        gateway_procs = [spawn("gateway", IBBASE_PORT=str(port)) for port in gateway_ports]
        metrics_ports = [free_port() for _ in range(workers)]
        worker_procs = [spawn("worker", IBBASE_WORKER_METRICS_PORT=str(p)) for p in metrics_ports]
        wait_http(f"http://127.0.0.1:{sb_port}/sandbox/healthz")
        for port in gateway_ports:
            wait_http(f"http://127.0.0.1:{port}/readyz")
        for port, proc in zip(metrics_ports, worker_procs, strict=True):
            if wait_worker:
                metrics = f"http://127.0.0.1:{port}/metrics"
                wait_http(metrics, proc, timeout=300, expect="ibbase_worker_ready 1.0")
        yield BenchStack(
            gateway_urls=[f"http://127.0.0.1:{port}" for port in gateway_ports],
            sandbox_url=f"http://127.0.0.1:{sb_port}",
            nats_url=nats.url,
            app_secret=env["WHATSAPP_APP_SECRET"],
            admin_token=env["IBBASE_ADMIN_TOKEN"],
            gateway_pid=gateway_procs[0].pid,
            nats_pid=nats.proc.pid if nats.proc else None,
        )
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(15)
        nats.stop()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
