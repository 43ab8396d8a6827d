"""The ingress over real HTTP: a generated card read, a QR card read as the worker reads it,
QR-only reads, and refusals as 4xx."""

from __future__ import annotations

import httpx
import pytest

from ocr_cluster.reader import CardReader
from tests.ocr_cluster_serve.conftest import OCR_CARD, QR_COMPLETE_CARD, RayCluster, post_card

pytestmark = pytest.mark.ray


def test_reads_a_card_that_needs_ocr(ocr: RayCluster) -> None:
    r = post_card(ocr.url, OCR_CARD.read_bytes())
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"contact", "confidence", "source", "timings"}
    assert body["contact"]["name"] == "Daniel Carter"
    assert "+13125550147" in body["contact"]["phones"]
    assert body["source"]["name"] == "ocr"
    assert body["timings"]["ocr"] > 0


def test_a_card_with_a_qr_is_read_as_the_worker_reads_it(ocr: RayCluster) -> None:
    """One reading policy: the cluster answers what the in-process reader answers (the QR's
    fields first, OCR for the rest), scanning the code once."""
    data = QR_COMPLETE_CARD.read_bytes()
    r = post_card(ocr.url, data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["contact"]["company"] == "Harbourside Analytics Ltd"
    assert body["source"]["company"].startswith("qr")  # "qr+ocr" when both read it alike
    assert body["timings"]["ocr"] > 0 and body["timings"]["qr"] > 0
    reader = CardReader()
    try:
        assert body["contact"] == reader.read(data).contact.to_dict()
    finally:
        reader.close()


def test_qr_endpoint_reads_only_the_code(ocr: RayCluster) -> None:
    with_qr = post_card(ocr.url, QR_COMPLETE_CARD.read_bytes(), path="/qr")
    assert with_qr.status_code == 200
    assert with_qr.json()["contact"]["qr"].startswith("MECARD:")
    without = post_card(ocr.url, OCR_CARD.read_bytes(), path="/qr")
    assert without.status_code == 200
    assert without.json()["contact"]["name"] is None


@pytest.mark.parametrize(
    ("body", "ctype", "status", "says"),
    [
        (b"\x89PNG\r\n\x1a\nnot really", "image/png", 400, "image"),
        (b"GIF89a" + b"\x00" * 64, "image/gif", 400, "image"),
        (b"", "image/jpeg", 400, "empty"),
        (b"%PDF-1.7", "application/pdf", 400, "PDF"),
        (b"PK\x03\x04", "application/zip", 415, "image/*"),
        (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024), "image/jpeg", 413, "too large"),
    ],
    ids=["png-garbage", "gif-garbage", "empty", "pdf-garbage", "zip", "over-limit"],
)
def test_malformed_bodies_get_4xx_and_the_replicas_stay_healthy(
    ocr: RayCluster, body: bytes, ctype: str, status: int, says: str
) -> None:
    before = ocr.counts()
    r = httpx.post(f"{ocr.url}/read", content=body, headers={"content-type": ctype}, timeout=30)
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]
    assert "Traceback" not in r.text
    assert ocr.all_healthy() and ocr.counts() == before
    assert post_card(ocr.url, QR_COMPLETE_CARD.read_bytes(), path="/qr").status_code == 200


def test_fallback_regions_go_with_the_read_and_bad_ones_get_400(ocr: RayCluster) -> None:
    card = OCR_CARD.read_bytes()
    r = post_card(ocr.url, card, params={"regions": "br,US"})
    assert r.status_code == 200, r.text
    # This card prints its numbers with +1: the fallback does not change them.
    assert "+13125550147" in r.json()["contact"]["phones"]
    for bad, says in [("BRA", "two-letter"), ("UK", "'UK'"), ("BR,US,RU,JP,VN", "at most")]:
        r = post_card(ocr.url, card, params={"regions": bad})
        assert r.status_code == 400, r.text
        assert says in r.json()["detail"] and "Traceback" not in r.text
    assert ocr.all_healthy()


def test_health(ocr: RayCluster) -> None:
    assert httpx.get(f"{ocr.url}/-/healthz").status_code == 200  # Serve's proxy answers
    r = httpx.get(f"{ocr.url}/healthz")  # the ingress itself
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "gpu_group": True, "gpu_replicas": r.json()["gpu_replicas"]}
