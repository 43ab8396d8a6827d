"""Scaling out, measured in one run: cards per minute with 1 and 2 worker processes sharing
the durable consumer, and webhooks per second with 1 and 2 gateway processes against pywa
async with 1 and 2 processes.

    .venv/bin/python bench/scale.py [--cards 40] [--concurrency 1] [--requests 20000]
                                    [--set DIR]

Workers: a fresh stack per count (nats-server, SQLite, the Graph API sandbox, one gateway),
each worker process with IBBASE_WORKER_CONCURRENCY=C (default 1: one card, one reader
process at a time, so that what a second worker process adds is what a second pod adds).
The cards (the repository's generated ones, or --set DIR) are uploaded first, then all sent
at once, a backlog; cards/min runs from the first send to the last reply.

Gateways: N processes, each on its own port, the 64 connections of a closed loop spread over
them, as a Service spreads connections over replicas; requests per second at saturation, and
every request answered 200 counted in JetStream. pywa async (FastAPI, signature check on, a
no-op handler) in the same run, 1 and 2 processes the same way: the baseline.

On a machine with few cores the load generator, nats-server and the sandbox compete with
what is measured; the run prints the core count, and the ratios are only meaningful beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._cards import card_photos  # noqa: E402
from bench._stack import BenchStack, bench_stack  # noqa: E402
from bench.pipeline import CARD_REPLY, Load  # noqa: E402
from bench.webhook import PATH, PYWA_APP, closed_loop, count_events, payloads, peer_server  # noqa: E402

WORKER_COUNTS = (1, 2)
GATEWAY_COUNTS = (1, 2)


async def backlog(stack: BenchStack, cards: list[bytes], n: int) -> tuple[float, int]:
    """(cards per minute, cards answered) for `n` cards sent at once."""
    async with httpx.AsyncClient(timeout=60) as http:
        load = Load(stack, http, cards)
        poller = asyncio.create_task(load.replies.run())
        try:
            await load.warm_up(1, timeout=120)  # connections open, caches filled
            sends = await load.prepare(n)
            futures = [load.replies.expect(msg["id"]) for _, msg in sends]
            t0 = time.perf_counter()
            await asyncio.gather(*(user.send(msg) for user, msg in sends))
            replies = await asyncio.wait_for(asyncio.gather(*futures), 60 + 10 * n)
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
    read = sum(1 for _, text in replies if text.startswith(CARD_REPLY))
    last = max(seen for seen, _ in replies)
    return 60 * n / (last - t0), read


def workers(args: argparse.Namespace, cards: list[bytes]) -> dict[int, float]:
    env = {"IBBASE_WORKER_CONCURRENCY": str(args.concurrency)}
    rates = {}
    for n in WORKER_COUNTS:
        with bench_stack(workers=n, env=env) as stack:
            rate, read = asyncio.run(backlog(stack, cards, args.cards))
        rates[n] = rate
        print(f"  {n} worker process(es): {rate:.1f} cards/min ({read}/{args.cards} read)")
    return rates


def ports_of(stack: BenchStack) -> list[int]:
    return [int(httpx.URL(url).port or 0) for url in stack.gateway_urls]


def gateways(args: argparse.Namespace) -> dict[str, dict[int, float]]:
    rates: dict[str, dict[int, float]] = {"ibbase gateway": {}, "pywa async (FastAPI)": {}}
    for n in GATEWAY_COUNTS:
        with bench_stack(gateways=n) as stack:
            reqs = payloads(args.requests + 200, stack.app_secret)
            ports = ports_of(stack)
            before = asyncio.run(count_events(stack.nats_url, stack.stream))
            asyncio.run(closed_loop(ports, reqs[:200]))  # warm-up
            result = asyncio.run(closed_loop(ports, reqs[200:]))
            stored = asyncio.run(count_events(stack.nats_url, stack.stream)) - before
            secret = stack.app_secret
        answered = 200 + result.ok
        check = "none lost, none doubled" if answered == stored else "MISMATCH"
        rates["ibbase gateway"][n] = result.ok / result.elapsed
        print(
            f"  ibbase, {n} gateway(s): {result.ok / result.elapsed:.0f} req/s, "
            f"{result.errors} errors; {answered} answered 200, {stored} stored ({check})"
        )
        pywa = PYWA_APP.format(module="pywa_async", path=PATH, define="async def")
        with contextlib.ExitStack() as servers:
            peers = [servers.enter_context(peer_server(pywa, secret)) for _ in range(n)]
            ports = [port for _, port in peers]
            asyncio.run(closed_loop(ports, reqs[:200]))
            result = asyncio.run(closed_loop(ports, reqs[200:]))
        rates["pywa async (FastAPI)"][n] = result.ok / result.elapsed
        print(f"  pywa async, {n} process(es): {result.ok / result.elapsed:.0f} req/s, "
              f"{result.errors} errors")  # fmt: skip
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--cards", type=int, default=40, help="cards in the backlog")
    ap.add_argument("--concurrency", type=int, default=1, help="IBBASE_WORKER_CONCURRENCY")
    ap.add_argument("--requests", type=int, default=20_000, help="webhooks per gateway run")
    ap.add_argument("--set", type=Path, help="read these photos instead of generated cards")
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-gateways", action="store_true")
    args = ap.parse_args()
    cores = os.cpu_count()
    print(f"{cores} cores")
    if not args.skip_workers:
        cards = card_photos(args.set, min(args.cards, 20))
        print(f"workers: {args.cards} cards at once, concurrency {args.concurrency} per worker")
        rates = workers(args, cards)
        one, two = rates[1], rates[2]
        print("| worker processes | cards/min | × one |\n|---:|---:|---:|")
        for n, rate in rates.items():
            print(f"| {n} | {rate:.1f} | {rate / one:.2f} |")
        print(f"two workers / one: {two / one:.2f}x on {cores} cores")
    if not args.skip_gateways:
        print(f"gateways: closed loop, 64 connections, {args.requests} webhooks per run")
        table = gateways(args)
        print("| server | processes | req/s | × one process |\n|---|---:|---:|---:|")
        for server, by_n in table.items():
            for n, rate in by_n.items():
                print(f"| {server} | {n} | {rate:.0f} | {rate / by_n[1]:.2f} |")
        for n in GATEWAY_COUNTS:
            ours, theirs = table["ibbase gateway"][n], table["pywa async (FastAPI)"][n]
            print(f"ibbase / pywa async at {n} process(es): {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
