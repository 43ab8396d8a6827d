"""An OCR replica killed while it reads: the ingress retries and the caller gets its card."""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
import ray

from tests.ocr_cluster_serve.conftest import APP, OCR_CARD, RayCluster, post_card

pytestmark = pytest.mark.ray


def ocr_replicas() -> list[str]:
    return sorted(
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["name"].startswith(f"SERVE_REPLICA::{APP}#OcrReader#")
    )


def test_replica_killed_mid_request_still_answers(ocr: RayCluster) -> None:
    data = OCR_CARD.read_bytes()
    expected = post_card(ocr.url, data).json()["contact"]
    (victim,) = ocr_replicas()
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(post_card, ocr.url, data) for _ in range(8)]
        # Once the first card is back the replica is busy with the next ones (2 at a time,
        # the rest queued): kill it under them.
        wait(futures, return_when=FIRST_COMPLETED)
        in_flight = sum(not f.done() for f in futures)
        ray.kill(ray.get_actor(victim, namespace="serve"), no_restart=True)
        killed_at = time.monotonic()
        responses = [f.result(timeout=120) for f in futures]
    assert in_flight >= 3
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    took = time.monotonic() - killed_at
    print(f"{in_flight} reads in flight at the kill; all answered {took:.1f}s later")
    assert all(r.json()["contact"] == expected for r in responses)
    assert victim not in ocr_replicas()
