"""The OCR cluster (Ray Serve over HTTP) with 1 and 2 OCR replicas vs the in-process reader.

    .venv/bin/python bench/ocr_cluster.py [--cards N] [--levels 1,2,4,8]
        [--device cpu|gpu|fake-gpu] [--replicas 1,2] [--set DIR]

Same cards, same run: cards per second and p50/p99 latency at rising concurrency.
The in-process baseline is what the worker does by default: `CardReader.read` in a thread
pool as wide as the concurrency. The cluster runs `ocr_cluster/serve_config.yaml` with the
chosen replica group pinned to each `--replicas` count (autoscaling off so the count is
what's measured), every read sent to that group (`X-Ibbase-Device`):

- `cpu`: the CPU group (OcrReader);
- `gpu`: the GPU group (OcrReaderGpu, one GPU per replica: needs a GPU machine);
- `fake-gpu`: the GPU group's deployment on the CPU (no GPU asked, reading on ONNX
  Runtime), through the ingress's automatic routing: what the routing costs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")

import httpx  # noqa: E402

from bench._cards import card_photos  # noqa: E402
from ibbase_dev.nats_server import free_port  # noqa: E402
from ocr_cluster.reader import CardReader  # noqa: E402

Row = tuple[str, int, float, float, float, int]


def measure(name: str, read: Callable[[bytes], object], cards: list[bytes], conc: int) -> Row:
    latencies: list[float] = []
    failures = 0

    def one(data: bytes) -> None:
        nonlocal failures
        t = time.perf_counter()
        try:
            read(data)
        except Exception:  # counted, not fatal: a benchmark reports what happened
            failures += 1
        latencies.append(time.perf_counter() - t)

    work = cards * max(1, (conc * 3 + len(cards) - 1) // len(cards))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(conc) as pool:
        list(pool.map(one, work))
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return name, conc, len(work) / wall, q[49], q[98], failures


def http_reader(url: str, headers: dict[str, str]) -> Callable[[bytes], object]:
    client = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=64))
    sent = {"content-type": "image/jpeg", **headers}
    groups: dict[str, int] = {}

    def read(data: bytes) -> object:
        r = client.post(url + "/read", content=data, headers=sent)
        r.raise_for_status()
        group = r.headers.get("x-ibbase-replica-group", "?")
        groups[group] = groups.get(group, 0) + 1
        return r.json()

    read.groups = groups  # type: ignore[attr-defined]  # who read what, for the report
    return read

    return read


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, help="read these photos instead of generated cards")
    ap.add_argument("--cards", type=int, default=12)
    ap.add_argument("--levels", default="1,2,4,8")
    ap.add_argument("--device", choices=("cpu", "gpu", "fake-gpu"), default="cpu")
    ap.add_argument("--replicas", default="1,2")
    args = ap.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    cards = card_photos(args.set, args.cards)
    where = args.set or "generated"
    print(f"{len(cards)} cards ({where}), {os.cpu_count()} CPUs, levels {levels}", flush=True)

    rows: list[Row] = []
    reader = CardReader(pool_size=max(levels))
    reader.read(cards[0])  # warm
    for conc in levels:
        rows.append(measure("in-process", reader.read, cards, conc))
    reader.close()

    from ocr_cluster import cluster

    port = free_port()
    temp_dir = f"/tmp/rayocr_bench_{os.getpid()}"
    cluster.start_ray(num_cpus=4, temp_dir=temp_dir)
    try:
        for replicas in (int(r) for r in args.replicas.split(",")):
            pinned = {"num_replicas": replicas, "autoscaling_config": None}
            patches: dict[tuple[str, str], dict[str, object]] = {("ocr", "OcrReader"): pinned}
            group, header = "cpu", {"x-ibbase-device": "cpu"}
            if args.device != "cpu":
                patches[("ocr", "OcrReaderGpu")] = dict(pinned)
                group, header = "gpu", {"x-ibbase-device": "gpu"}
            if args.device == "fake-gpu":
                patches[("ocr", "OcrReaderGpu")].update(
                    ray_actor_options={"num_cpus": 1, "num_gpus": 0},
                    user_config={"pool_size": 2, "device": "cpu"},
                )
                patches[("ocr", "OcrReader")] = {"num_replicas": 1, "autoscaling_config": None}
                header = {}  # the ingress routes by itself: to the GPU group while it has replicas
            config = cluster.select(
                cluster.load_config(), port=port, host="127.0.0.1", patches=patches
            )
            cluster.deploy(config)
            read = http_reader(f"http://127.0.0.1:{port}", header)
            read(cards[0])
            time.sleep(3)  # the ingress has seen the group's replicas
            for conc in levels:
                rows.append(measure(f"serve {replicas} {group} replica(s)", read, cards, conc))
            print(f"{replicas} {group} replica(s): reads answered by {read.groups}", flush=True)  # type: ignore[attr-defined]
    finally:
        cluster.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)

    print(f"\n| {'setup':<24} | conc | cards/s | p50 s | p99 s | failed |")
    print(f"|{'-' * 26}|-----:|--------:|------:|------:|-------:|")
    for name, conc, rate, p50, p99, failed in rows:
        print(
            f"| {name:<24} | {conc:>4} | {rate:>7.2f} | {p50:>5.2f} | {p99:>5.2f} | {failed:>6} |"
        )


if __name__ == "__main__":
    main()
