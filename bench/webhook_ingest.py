"""Webhook ingest: unique signed payloads at fixed concurrency against the real gateway
(verify → split → durable JetStream publish), then the events counted in JetStream.

Baseline, in the same run and the same server set-up: a bare FastAPI endpoint that answers
200 at once (the HTTP floor of this machine). The figure that matters is the ratio.

    .venv/bin/python bench/webhook_ingest.py [--requests 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stack import PHONE_ID, bench_stack, percentile
from graph_sandbox import webhooks as wh
from ibbase.nats_server import free_port

FLOOR_APP = """
from fastapi import FastAPI, Request
app = FastAPI()
@app.post("/api/whatsapp/webhook")
async def hook(request: Request):
    await request.body()
    return {"status": "ok"}
@app.get("/healthz")
async def health():
    return {}
"""


def payloads(n: int, secret: str) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for i in range(n):
        msg = wh.text_message(f"7900{i % 10_000_000:07d}", f"bench message {i}")
        body = wh.encode(
            wh.envelope(PHONE_ID, messages=[msg], contacts=[wh.contact(msg["from"], "Bench")])
        )
        out.append(
            (
                body,
                {"X-Hub-Signature-256": wh.sign(body, secret), "Content-Type": "application/json"},
            )
        )
    return out


async def _connection(
    host: str, port: int, path: str, queue, latencies: list[float], statuses: dict[int, int]
) -> None:
    """One keep-alive HTTP/1.1 connection (a raw client: httpx would be the bottleneck)."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for body, headers in queue:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            t0 = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            code = int(status_line.split()[1])
            statuses[code] = statuses.get(code, 0) + 1
    finally:
        writer.close()


async def load(url: str, reqs: list[tuple[bytes, dict[str, str]]], concurrency: int) -> dict:
    parsed = httpx.URL(url)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(reqs)
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(parsed.host, parsed.port or 80, parsed.path, queue, latencies, statuses)
            for _ in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - t0
    return {
        "rps": len(reqs) / elapsed,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": statuses,
    }


async def count_events(nats_url: str, stream: str) -> int:
    nc = await nats.connect(nats_url)
    info = await nc.jetstream().stream_info(stream)
    await nc.close()
    return int(info.state.messages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    port = free_port()
    floor = subprocess.Popen(
        [
            sys.executable,
            "-c",
            FLOOR_APP
            + f"""
import uvicorn
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
""",
        ]
    )
    try:
        with bench_stack(worker=False) as stack:
            reqs = payloads(args.requests, stack.app_secret)
            # warm-up, not counted in the stream figure below
            asyncio.run(load(f"{stack.gateway_url}/api/whatsapp/webhook", reqs[:100], 8))
            ours = asyncio.run(
                load(f"{stack.gateway_url}/api/whatsapp/webhook", reqs, args.concurrency)
            )
            stored = asyncio.run(count_events(stack.nats_url, stack.stream))
            base = asyncio.run(
                load(f"http://127.0.0.1:{port}/api/whatsapp/webhook", reqs, args.concurrency)
            )
    finally:
        floor.terminate()
        floor.wait()
    print(f"webhook ingest, {args.requests} unique signed payloads, concurrency {args.concurrency}")
    print(f"{'':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(
        f"{'gateway → JetStream (ours)':28} {ours['rps']:8.0f} {ours['p50_ms']:8.1f} "
        f"{ours['p99_ms']:8.1f}  statuses {ours['statuses']}"
    )
    print(
        f"{'bare FastAPI 200 (floor)':28} {base['rps']:8.0f} {base['p50_ms']:8.1f} "
        f"{base['p99_ms']:8.1f}"
    )
    print(f"ratio ours/floor: {ours['rps'] / base['rps']:.2f} of the floor's throughput")
    print(f"events in JetStream afterwards: {stored} (expected {args.requests})")


if __name__ == "__main__":
    main()
