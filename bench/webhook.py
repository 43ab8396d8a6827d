"""The webhook edge, side by side in one run: the ibbase gateway (verify → split → durable
JetStream publish, every PubAck awaited) against pywa 4.x mounted on FastAPI (signature
validation on, a no-op handler), sync and async variants, and the floor: a bare FastAPI
route that reads the body and answers 200, doing nothing else. Same machine, same uvicorn,
one worker process each, the same unique signed real-shaped payloads.

For each server: an open-loop load at fixed rates (requests are sent on schedule whatever the
answers do, latency counted from the scheduled time, so a stall is not hidden), then a
closed-loop saturation run; throughput, p50/p99/p99.9, errors, the server's CPU time per
request and cores used. For ibbase the events are then counted in JetStream: every request
answered 200 must be there exactly once.

    .venv/bin/python bench/webhook.py [--rates 500,1000,2000] [--seconds 10] [--only-ours]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stack import PHONE_ID, bench_stack, percentile
from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import free_port
from ibbase_dev.up import wait_http

PATH = "/api/whatsapp/webhook"
CONNECTIONS = 64

FLOOR_APP = """
from fastapi import FastAPI, Request

app = FastAPI()

@app.post("{path}")
async def hook(request: Request):
    await request.body()
    return {{"status": "ok"}}

@app.get("/healthz")
async def healthz():
    return {{}}
"""

PYWA_APP = """
import os
from fastapi import FastAPI
from {module} import WhatsApp

app = FastAPI()
wa = WhatsApp(
    phone_id=os.environ["PHONE_ID"], token="bench-token", server=app,
    webhook_endpoint="{path}", verify_token="bench", app_secret=os.environ["APP_SECRET"],
    validate_updates=True, webhook_challenge_delay=0,
)

@wa.on_message
{define} on_message(client, message):
    return None

@app.get("/healthz")
async def healthz():
    return {{}}
"""


def payloads(n: int, secret: str) -> list[tuple[bytes, dict[str, str]]]:
    """``n`` unique signed text-message webhooks, as Meta sends them."""
    out = []
    for i in range(n):
        msg = wh.text_message(f"7900{i % 10_000_000:07d}", f"bench message {i}")
        # A 2026 contact, with its business-scoped user id (pywa drops updates without one).
        sender = wh.contact(msg["from"], "Bench", user_id=f"US.{13491208655302741918 + i}")
        body = wh.encode(wh.envelope(PHONE_ID, messages=[msg], contacts=[sender]))
        headers = {"X-Hub-Signature-256": wh.sign(body, secret), "Content-Type": "application/json"}
        out.append((body, headers))
    return out


async def count_events(nats_url: str, stream: str) -> int:
    nc = await nats.connect(nats_url)
    info = await nc.jetstream().stream_info(stream)
    await nc.close()
    return int(info.state.messages)


@dataclass
class Result:
    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    elapsed: float = 0.0
    cpu_s: float = 0.0
    store_cpu_s: float = 0.0  # nats-server's, for ibbase: the durable storage pywa skips

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def errors(self) -> int:
        return self.sent - self.ok

    def row(self, label: str) -> str:
        ms = [x * 1000 for x in self.latencies] or [float("nan")]
        rate = self.ok / self.elapsed if self.elapsed else 0.0
        per_req = self.cpu_s / max(self.ok, 1) * 1e6
        return (
            f"{label:34} {rate:8.0f} {percentile(ms, 0.5):8.1f} {percentile(ms, 0.99):8.1f} "
            f"{percentile(ms, 0.999):8.1f} {self.errors:7d} {per_req:8.0f} "
            f"{self.cpu_s / self.elapsed if self.elapsed else 0:6.2f}"
        )


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


class Connection:
    """One keep-alive HTTP/1.1 connection with a raw client (httpx would be the bottleneck)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            f"POST {PATH} HTTP/1.1\r\nHost: {self.host}\r\n{head}"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            lower = line.lower()
            if lower.startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif lower.startswith(b"connection:") and b"close" in lower:
                close = True
        await self.reader.readexactly(length)
        if close:
            self.close()
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _send(conn: Connection, item: tuple[bytes, dict[str, str]], result: Result) -> None:
    try:
        code = await conn.post(*item)
        result.statuses[code] = result.statuses.get(code, 0) + 1
    except (OSError, ConnectionError, asyncio.IncompleteReadError):
        result.transport_errors += 1
        conn.close()


async def open_loop(
    ports: Sequence[int], reqs: list[tuple[bytes, dict[str, str]]], rate: float
) -> Result:
    """Request i goes out at t0 + i/rate on the first free connection; its latency runs from
    that scheduled time. Connections are spread over `ports` (servers behind one Service)."""
    result = Result(sent=len(reqs))
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for i in range(CONNECTIONS):
        idle.put_nowait(Connection("127.0.0.1", ports[i % len(ports)]))
    pending: set[asyncio.Task[None]] = set()

    async def one(item: tuple[bytes, dict[str, str]], due: float) -> None:
        conn = await idle.get()
        try:
            await _send(conn, item, result)
            result.latencies.append(time.perf_counter() - due)
        finally:
            idle.put_nowait(conn)

    t0 = time.perf_counter()
    for i, item in enumerate(reqs):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(item, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    result.elapsed = time.perf_counter() - t0
    while not idle.empty():
        idle.get_nowait().close()
    return result


async def closed_loop(ports: Sequence[int], reqs: list[tuple[bytes, dict[str, str]]]) -> Result:
    """CONNECTIONS connections spread over `ports`, each sending its next request as soon as
    it has an answer."""
    result = Result(sent=len(reqs))
    queue = iter(reqs)

    async def run(port: int) -> None:
        conn = Connection("127.0.0.1", port)
        for item in queue:
            t = time.perf_counter()
            await _send(conn, item, result)
            result.latencies.append(time.perf_counter() - t)
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(run(ports[i % len(ports)]) for i in range(CONNECTIONS)))
    result.elapsed = time.perf_counter() - t0
    return result


async def measure(
    pid: int, port: int, reqs: list, rate: float | None, store_pid: int | None
) -> Result:
    before = cpu_seconds(pid)
    store_before = cpu_seconds(store_pid) if store_pid else 0.0
    result = await (open_loop([port], reqs, rate) if rate else closed_loop([port], reqs))
    result.cpu_s = cpu_seconds(pid) - before
    result.store_cpu_s = (cpu_seconds(store_pid) - store_before) if store_pid else 0.0
    return result


@contextlib.contextmanager
def peer_server(source: str, app_secret: str) -> Iterator[tuple[int, int]]:
    """An app module under uvicorn, one worker, as `ibbase gateway` runs; yields (pid, port)."""
    app_dir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    (app_dir / "bench_app.py").write_text(source)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_app:app", "--port", str(port),
         "--workers", "1", "--log-level", "warning", "--no-access-log"],
        cwd=app_dir, env={**os.environ, "PHONE_ID": PHONE_ID, "APP_SECRET": app_secret},
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield proc.pid, port
    finally:
        proc.terminate()
        proc.wait(15)


def peers(only_ours: bool) -> dict[str, str]:
    """Label → app source of the servers measured beside ours."""
    if only_ours:
        return {}
    return {
        "pywa sync (FastAPI)": PYWA_APP.format(module="pywa", path=PATH, define="def"),
        "pywa async (FastAPI)": PYWA_APP.format(module="pywa_async", path=PATH, define="async def"),
        "floor: bare FastAPI 200": FLOOR_APP.format(path=PATH),
    }


async def run_all(
    pid: int,
    port: int,
    reqs: list,
    rates: list[int],
    seconds: float,
    store_pid: int | None = None,
) -> dict[str, Result]:
    out: dict[str, Result] = {}
    used = 0
    await closed_loop([port], reqs[:200])  # warm-up: connections, imports, JIT-free caches
    used += 200
    for rate in rates:
        n = int(rate * seconds)
        out[f"{rate}/s"] = await measure(pid, port, reqs[used : used + n], rate, store_pid)
        used += n
    n = int(max(rates) * seconds)
    out["saturation"] = await measure(pid, port, reqs[used : used + n], None, store_pid)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="500,1000,2000")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only-ours", action="store_true", help="skip pywa and the floor")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    total = 200 + int(sum(rates) * args.seconds) + int(max(rates) * args.seconds)

    results: dict[str, dict[str, Result]] = {}
    with bench_stack() as stack:
        reqs = payloads(total, stack.app_secret)
        port = httpx.URL(stack.gateway_url).port
        assert port is not None and stack.gateway_pid is not None
        before = asyncio.run(count_events(stack.nats_url, stack.stream))
        results["ibbase gateway"] = asyncio.run(
            run_all(stack.gateway_pid, port, reqs, rates, args.seconds, stack.nats_pid)
        )
        stored = asyncio.run(count_events(stack.nats_url, stack.stream)) - before
        answered = 200 + sum(r.ok for r in results["ibbase gateway"].values())
    for label, source in peers(args.only_ours).items():
        with peer_server(source, stack.app_secret) as (pid, pport):
            results[label] = asyncio.run(run_all(pid, pport, reqs, rates, args.seconds))

    cores = os.cpu_count()
    print(f"webhook edge, {cores} cores, one uvicorn worker per server, {CONNECTIONS} connections")
    header = f"{'server / load':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9':>8} "
    print(header + f"{'errors':>7} {'µs CPU':>8} {'cores':>6}")
    for server, phases in results.items():
        for phase, result in phases.items():
            print(result.row(f"{server} @ {phase}"))
    print(f"ibbase: {answered} requests answered 200, {stored} events in JetStream "
          f"({'none lost, none doubled' if answered == stored else 'MISMATCH'})")  # fmt: skip
    ours = results["ibbase gateway"]["saturation"]
    print(
        f"ibbase at saturation: nats-server (durable JetStream storage, which pywa does not "
        f"do) used {ours.store_cpu_s / ours.elapsed:.2f} cores more, "
        f"{ours.store_cpu_s / max(ours.ok, 1) * 1e6:.0f} µs per request"
    )
    for server, phases in results.items():
        if server != "ibbase gateway":
            theirs = phases["saturation"]
            ratio = (ours.ok / ours.elapsed) / max(theirs.ok / theirs.elapsed, 1e-9)
            cpu = (theirs.cpu_s / max(theirs.ok, 1)) / max(ours.cpu_s / max(ours.ok, 1), 1e-12)
            print(
                f"saturation ratio ibbase / {server}: {ratio:.2f}× the throughput, "
                f"{cpu:.2f}× less server CPU per request"
            )


if __name__ == "__main__":
    main()
