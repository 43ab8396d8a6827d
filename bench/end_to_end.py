"""End to end: seconds from the signed webhook POST to the reply in the Graph API sandbox for
card photos, through the real stack (gateway, JetStream, worker, sandbox media, SQLite).

Baseline, in the same run: the same cards read by the in-process card reader alone, so the
ratio shows what the pipeline adds on top of reading the card.

    .venv/bin/python bench/end_to_end.py [--cards 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stack import PHONE_ID, bench_stack, percentile
from graph_sandbox import webhooks as wh
from ibbase.simulate import SimulatedUser

DEVSET = Path(__file__).resolve().parents[1].parent / "shared" / "devset"


async def through_pipeline(stack, cards: list[Path]) -> list[float]:
    seconds = []
    async with httpx.AsyncClient(timeout=60) as http:
        user = SimulatedUser(
            http,
            gateway_url=stack.gateway_url,
            sandbox_url=stack.sandbox_url,
            phone_number_id=PHONE_ID,
            app_secret=stack.app_secret,
        )
        # warm-up: the worker loads tesseract on its first card
        await user.wait_reply(await user.send_image(cards[0].read_bytes()), timeout=120)
        for card in cards:
            data = card.read_bytes()
            media = await user.upload(data, "image/jpeg", card.name)
            msg = wh.image_message(user.wa_id, media["id"], sha256=media["sha256_b64"])
            t0 = time.perf_counter()
            await user.send(msg)
            await user.wait_reply(msg["id"], timeout=120)
            seconds.append(time.perf_counter() - t0)
    return seconds


def in_process(cards: list[Path]) -> list[float]:
    from ocr_cluster.reader import CardReader

    reader = CardReader()
    reader.read(cards[0].read_bytes())
    seconds = []
    for card in cards:
        data = card.read_bytes()
        t0 = time.perf_counter()
        reader.read(data)
        seconds.append(time.perf_counter() - t0)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=10)
    args = parser.parse_args()
    cards = sorted(DEVSET.glob("*.jpg"))[: args.cards]
    with bench_stack(worker=True) as stack:
        e2e = asyncio.run(through_pipeline(stack, cards))
    alone = in_process(cards)
    p50_e2e, p50_alone = statistics.median(e2e), statistics.median(alone)
    print(f"end to end, {len(cards)} devset cards one after another")
    print(f"{'':34} {'p50 s':>7} {'p90 s':>7}")
    print(f"{'webhook → reply (pipeline)':34} {p50_e2e:7.2f} {percentile(e2e, 0.9):7.2f}")
    print(f"{'card reader alone (in-process)':34} {p50_alone:7.2f} {percentile(alone, 0.9):7.2f}")
    print(
        f"ratio pipeline/reader: {p50_e2e / p50_alone:.2f} "
        f"(pipeline overhead {p50_e2e - p50_alone:+.2f} s per card)"
    )


if __name__ == "__main__":
    main()
