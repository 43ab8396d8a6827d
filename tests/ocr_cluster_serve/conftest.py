"""One real local Ray + Serve for the whole test session, deployed from serve_config.yaml.

Starting Ray costs 10-20 s on these machines, so every Ray test shares this one; each test
leaves the application as it found it (one OcrReader replica, all healthy).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.cardgen import known

os.environ["RAY_ENABLE_AUTO_CONNECT"] = "0"
# Replicas and handles report load every 0.5 s instead of every 10 s (Ray inherits these).
os.environ["RAY_SERVE_REPLICA_AUTOSCALING_METRIC_PUSH_INTERVAL_S"] = "0.5"
os.environ["RAY_SERVE_HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S"] = "0.5"

QR_COMPLETE_CARD = known.QR_CARD  # generated: a MeCard with name, company, phone, e-mail
OCR_CARD = known.OCR_CARD  # generated, no QR code: needs OCR
APP = "ocr"

# The file's own settings, with delays short enough for a test to watch them act.
TEST_PATCHES = {
    (APP, "OcrReader"): {
        "max_ongoing_requests": 2,
        "autoscaling_config": {
            "min_replicas": 1,
            "max_replicas": 2,
            "target_ongoing_requests": 1,
            "upscale_delay_s": 1,
            "downscale_delay_s": 4,
            # Serve warns unless this exceeds metrics_interval_s (10 s, deprecated field).
            "look_back_period_s": 11,
        },
    },
    (APP, "Ingress"): {
        "user_config": {
            "max_body_bytes": 4 * 1024 * 1024,
            "ocr_timeout_s": 60,
            "gpu_poll_s": 0.25,
        },
    },
    # A "GPU" group on the CPU: the GPU deployment as configured (from zero, woken by
    # traffic), but reading on the CPU and asking for no GPU, so routing can be watched.
    (APP, "OcrReaderGpu"): {
        "ray_actor_options": {"num_cpus": 0.5, "num_gpus": 0},
        "user_config": {"pool_size": 1, "device": "cpu"},
        "autoscaling_config": {
            "min_replicas": 0,
            "initial_replicas": 0,
            "max_replicas": 1,
            "target_ongoing_requests": 1,
            "upscale_delay_s": 0.5,
            "downscale_delay_s": 6,
            "look_back_period_s": 11,
        },
    },
}


class RayCluster:
    def __init__(self, url: str) -> None:
        self.url = url

    def counts(self) -> dict[str, int]:
        from ocr_cluster import cluster

        return cluster.replica_counts(APP)

    def deployment_statuses(self) -> dict[str, str]:
        from ray import serve

        deployments = serve.status().applications[APP].deployments
        return {name: str(d.status) for name, d in deployments.items()}

    def wait_for(self, deployment: str, replicas: int, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.counts().get(deployment) == replicas and self.all_healthy():
                return
            time.sleep(0.25)
        raise AssertionError(f"{deployment} never settled at {replicas}: {self.counts()}")

    def all_healthy(self) -> bool:
        return all(s.endswith("HEALTHY") for s in self.deployment_statuses().values())


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    from ibbase_dev.nats_server import free_port
    from ocr_cluster import cluster

    port = free_port()
    temp_dir = f"/tmp/rayocr_{os.getpid()}"  # /tmp/ray is shared by every Ray user here
    # Logical CPUs, not cores: ingress + QR + up to two OCR replicas on a 2-core machine.
    cluster.start_ray(num_cpus=4, temp_dir=temp_dir)
    try:
        config = cluster.select(
            cluster.load_config(), port=port, host="127.0.0.1", patches=TEST_PATCHES
        )
        cluster.deploy(config)
        yield RayCluster(f"http://127.0.0.1:{port}")
    finally:
        cluster.stop()
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture
def ocr(ray_cluster: RayCluster) -> Iterator[RayCluster]:
    """The shared cluster, settled: one OCR replica, everything healthy, before and after."""
    ray_cluster.wait_for("OcrReader", 1)
    yield ray_cluster
    ray_cluster.wait_for("OcrReader", 1, timeout_s=90)


def post_card(
    url: str, data: bytes, path: str = "/read", headers: dict[str, str] | None = None, **kw: object
) -> httpx.Response:
    sent = {"content-type": "image/jpeg", **(headers or {})}
    return httpx.post(url + path, content=data, headers=sent, timeout=90, **kw)  # type: ignore[arg-type]
