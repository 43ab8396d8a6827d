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
    gateway_url: str
    sandbox_url: str
    nats_url: str
    app_secret: str
    admin_token: str
    stream: str = "WHATSAPP"
    gateway_pid: int | None = None
    nats_pid: int | None = None


@contextlib.contextmanager
def bench_stack(
    *, worker: bool, env: dict[str, str] | None = None, wait_worker: bool = True
) -> Iterator[BenchStack]:
    """`env`: extra environment for every process (OCR_URL, IBBASE_WORKER_CONCURRENCY…).
    With a worker, ready once the worker's metrics say its reader is warm (as `ibbase up`
    waits), unless `wait_worker` is false: then as soon as the gateway is."""
    extra = env or {}
    metrics_port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="ibbase-bench-"))
    nats = NatsServer(tmp / "nats")
    nats.start()
    gw_port, sb_port = free_port(), free_port()
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
        IBBASE_PORT=str(gw_port),
        IBBASE_WORKER_METRICS_PORT=str(metrics_port),
    )
    env.update(extra)
    procs = []
    try:
        subprocess.run([sys.executable, "-m", "ibbase.cli", "migrate"], env=env, check=True)
        cmds = [["sandbox", "--port", str(sb_port)], ["gateway"]] + ([["worker"]] if worker else [])
        for args in cmds:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "ibbase.cli", *args],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        wait_http(f"http://127.0.0.1:{sb_port}/sandbox/healthz")
        wait_http(f"http://127.0.0.1:{gw_port}/readyz")
        if worker and wait_worker:
            metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            wait_http(metrics, procs[-1], timeout=300, expect="ibbase_worker_ready 1.0")
        yield BenchStack(
            gateway_url=f"http://127.0.0.1:{gw_port}",
            sandbox_url=f"http://127.0.0.1:{sb_port}",
            nats_url=nats.url,
            app_secret=env["WHATSAPP_APP_SECRET"],
            admin_token=env["IBBASE_ADMIN_TOKEN"],
            gateway_pid=procs[1].pid,
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
