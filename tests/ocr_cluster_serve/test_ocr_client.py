"""The worker's client: against the real cluster, and against a server that says 503 first."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from business_card.reading import ImageError
from gateway.ocr_client import OcrClient, OcrClientConfig, OcrUnavailable
from tests.ocr_cluster_serve.conftest import OCR_CARD, QR_COMPLETE_CARD, RayCluster

ANSWER = {
    "contact": {"name": "Ann Lee", "phones": ["+14255550150"], "emails": []},
    "confidence": {"name": 0.9},
    "source": {"name": "ocr"},
    "timings": {"total": 0.5},
}


@pytest.mark.ray
def test_reads_through_the_cluster(ocr: RayCluster) -> None:
    client = OcrClient(OcrClientConfig(ocr.url))
    try:
        result = client.read(OCR_CARD.read_bytes())
        assert result.contact.name == "Daniel Carter" and result.found_anything()
        with pytest.raises(ImageError, match="image"):
            client.read(b"\x89PNG\r\n\x1a\nnot really", content_type="image/png")
        assert client.read(QR_COMPLETE_CARD.read_bytes()).source["company"].startswith("qr")
    finally:
        client.close()


class Flaky(BaseHTTPRequestHandler):
    """503 for the first `failures` requests, then a reading."""

    failures = 2
    seen = 0
    paths: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        type(self).seen += 1
        type(self).paths.append(self.path)
        status, body = (503, b"busy") if self.seen <= self.failures else (200, b"")
        body = body or json.dumps(ANSWER).encode()
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    Flaky.seen, Flaky.paths = 0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_503_is_retried_with_backoff(flaky: str) -> None:
    client = OcrClient(OcrClientConfig(flaky, backoff_s=0.01, deadline_s=5))
    result = client.read(b"jpeg")
    assert result.contact.name == "Ann Lee" and Flaky.seen == 3
    client.close()


def test_the_regions_travel_as_a_query_parameter_on_every_attempt(flaky: str) -> None:
    client = OcrClient(OcrClientConfig(flaky, backoff_s=0.01, deadline_s=5))
    assert client.read(b"jpeg", ["BR", "US"]).contact.name == "Ann Lee"
    assert Flaky.paths == ["/read?regions=BR%2CUS"] * 3  # two 503s, then the reading
    assert client.read(b"jpeg").contact.name == "Ann Lee"
    assert client.read(b"jpeg", ("JP",), content_type="image/png").contact.name == "Ann Lee"
    assert Flaky.paths[3:] == ["/read", "/read?regions=JP"]
    client.close()


def test_gives_up_after_the_deadline(flaky: str) -> None:
    Flaky.failures = 10**6
    try:
        client = OcrClient(OcrClientConfig(flaky, backoff_s=0.05, deadline_s=0.5))
        with pytest.raises(OcrUnavailable, match="503"):
            client.read(b"jpeg")
        client.close()
    finally:
        Flaky.failures = 2
