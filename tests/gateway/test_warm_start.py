"""Warm start: reader processes read a sample card before the pool says it is ready, and the
worker reports ready (``ibbase_worker_ready``, what `ibbase up` waits for) only once it
consumes with that reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from gateway.reader_pool import ReaderPool
from tests.conftest import Pipeline
from tests.harness import WorkerTask, wait_for

pytestmark = pytest.mark.timeout(120)


def test_the_pool_is_ready_only_after_each_reader_warmed_up(tmp_path: Path) -> None:
    marker = tmp_path / "warm"
    pool = ReaderPool("tests.gateway.warm_readers:MarkingReader", {"marker": str(marker)})
    try:
        assert marker.read_text() == "warm"  # before any card was read
        assert pool.read(b"card") == "warm"
    finally:
        pool.close()


def test_a_reader_that_cannot_warm_up_fails_the_pool_at_start(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="the models did not load"):
        ReaderPool("tests.gateway.warm_readers:BrokenWarmUp", {"marker": str(tmp_path / "m")})


def _ready() -> float | None:
    return REGISTRY.get_sample_value("ibbase_worker_ready")


async def test_the_worker_says_ready_while_it_consumes(
    pipeline: Pipeline, card_reader: object
) -> None:
    worker = WorkerTask(pipeline.settings, card_reader)
    try:
        await wait_for(lambda: _ready() == 1.0, timeout=60)
    finally:
        await worker.stop()
    assert _ready() == 0.0


def test_the_card_reader_warms_up_on_a_card_it_can_read() -> None:
    from ocr_cluster.reader import CardReader
    from ocr_cluster.warmup import sample_card

    reader = CardReader()
    try:
        assert reader.warm_up() > 0
        contact = reader.read(sample_card()).contact
        assert "anna@acme.example" in contact.emails  # the OCR stages ran, not only decoding
    finally:
        reader.close()
