"""Two replica groups behind one URL, on a real local Ray: reads go to the CPU group while
the GPU group has no replica, a read asked for the GPU group starts one from zero, then
reads go there until it scales back to zero; a card is decoded and QR-scanned once per
read; a GPU replica that cannot use CUDA does not start, and says why.

The "GPU" group here reads on the CPU and asks Ray for no GPU (conftest.TEST_PATCHES): it
is the GPU deployment as configured in every other way, so the routing can be watched on a
machine without a GPU. The deployment that really asks for CUDA is the last test's.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.ocr_cluster_serve.conftest import (
    APP,
    OCR_CARD,
    QR_COMPLETE_CARD,
    TEST_PATCHES,
    RayCluster,
    post_card,
)

pytestmark = pytest.mark.ray


def group_of(url: str, data: bytes, **headers: str) -> str:
    response = post_card(url, data, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["x-ibbase-replica-group"]


def health(deployment: str) -> dict[str, Any]:
    from ray import serve

    handle = serve.get_deployment_handle(deployment, app_name=APP)
    return dict(handle.health.remote().result(timeout_s=30))


def test_reads_follow_the_gpu_group_from_zero_and_back(ocr: RayCluster) -> None:
    card = OCR_CARD.read_bytes()
    ocr.wait_for("OcrReaderGpu", 0, timeout_s=90)
    assert group_of(ocr.url, card) == "cpu"  # no GPU replica: the CPU group reads
    # Asked for by a caller, the GPU group starts a replica from zero and reads the card.
    assert group_of(ocr.url, card, **{"x-ibbase-device": "gpu"}) == "gpu"
    assert ocr.counts()["OcrReaderGpu"] == 1
    assert health("OcrReaderGpu")["group"] == "gpu"
    time.sleep(1)  # the ingress reads the group's size every 0.25 s
    assert group_of(ocr.url, card) == "gpu"  # auto: the GPU group while it has replicas
    assert group_of(ocr.url, card, **{"x-ibbase-device": "cpu"}) == "cpu"
    # Idle, it goes back to zero (downscale_delay_s), and reads go to the CPU group again.
    ocr.wait_for("OcrReaderGpu", 0, timeout_s=90)
    time.sleep(1)
    assert group_of(ocr.url, card) == "cpu"
    bad = post_card(ocr.url, card, headers={"x-ibbase-device": "tpu"})
    assert bad.status_code == 400 and "cpu, gpu or auto" in bad.text


def test_a_card_is_decoded_and_qr_scanned_once_per_read(ocr: RayCluster) -> None:
    before_ocr, before_qr = health("OcrReader"), health("QrReader")
    for _ in range(3):
        assert group_of(ocr.url, QR_COMPLETE_CARD.read_bytes(), **{"x-ibbase-device": "cpu"})
    after_ocr, after_qr = health("OcrReader"), health("QrReader")
    assert after_ocr["decodes"] - before_ocr["decodes"] == 3
    assert after_ocr["qr_scans"] - before_ocr["qr_scans"] == 3
    assert after_qr["qr_scans"] == before_qr["qr_scans"]  # /read never visits the QR group


def test_a_gpu_replica_without_cuda_does_not_start_and_says_why(ocr: RayCluster) -> None:
    """The GPU deployment as shipped (device gpu), made to start a replica on this machine
    without a GPU: its deployment reports the reason instead of reading on the CPU."""
    from ray import serve

    from ocr_cluster import cluster

    patches = {
        **TEST_PATCHES,
        (APP, "OcrReaderGpu"): {
            **TEST_PATCHES[(APP, "OcrReaderGpu")],
            "user_config": {"pool_size": 1},  # the group's own device: gpu
            "autoscaling_config": None,
            "num_replicas": 1,
        },
    }
    port = int(ocr.url.rsplit(":", 1)[1])
    broken = cluster.select(cluster.load_config(), port=port, host="127.0.0.1", patches=patches)
    healthy = cluster.select(
        cluster.load_config(), port=port, host="127.0.0.1", patches=TEST_PATCHES
    )
    try:
        with pytest.raises(RuntimeError, match="OcrReaderGpu"):
            cluster.deploy(broken, timeout_s=120)
        deployment = serve.status().applications[APP].deployments["OcrReaderGpu"]
        assert str(deployment.status).rsplit(".", 1)[-1] in ("UNHEALTHY", "DEPLOY_FAILED")
        assert "a GPU was asked for but cannot be used" in deployment.message
        assert "torch is not installed" in deployment.message or "CUDA" in deployment.message
        # The CPU group reads on meanwhile.
        assert group_of(ocr.url, OCR_CARD.read_bytes()) == "cpu"
    finally:
        cluster.deploy(healthy, timeout_s=180)
