"""The streams the gateway publishes to: named by IBBASE_STREAM, created on a real
nats-server, a clear refusal when another stream already takes the subjects; and the
publisher whose PubAcks decide the webhook's 200."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.errors import Error as NatsError
from nats.js.api import StreamConfig
from nats.js.errors import APIError, NoStreamResponseError

from gateway import jetstream
from gateway.settings import Settings
from ibbase_dev.nats_server import NatsServer


def test_stream_is_named_by_ibbase_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IBBASE_STREAM", raising=False)
    assert Settings().stream == "WHATSAPP"
    monkeypatch.setenv("IBBASE_STREAM", "CARDS_IN")
    assert Settings().stream == "CARDS_IN"


def own_streams() -> Settings:
    """Stream and subject names no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return Settings(
        stream=f"S_{tag}", subject_prefix=f"s{tag}.in", dlq_stream=f"D_{tag}",
        dlq_subject_prefix=f"s{tag}.dlq",
    )  # fmt: skip


@pytest.fixture
async def js(nats_server: NatsServer) -> AsyncIterator[Any]:
    nc, context = await jetstream.connect(nats_server.url, name="test")
    yield context
    await nc.close()


async def test_streams_created_and_updated_idempotently(js: Any) -> None:
    settings = own_streams()
    await jetstream.ensure_streams(js, settings)
    await jetstream.ensure_streams(js, settings)  # a restart: updated in place
    info = await js.stream_info(settings.stream)
    assert info.config.subjects == [f"{settings.subject_prefix}.>"]
    dlq = await js.stream_info(settings.dlq_stream)
    assert dlq.config.subjects == [f"{settings.dlq_subject_prefix}.>"]


async def test_an_existing_consumer_gets_this_versions_limits(js: Any) -> None:
    """A consumer made by an older version (max_ack_pending 64) is updated in place: its
    acknowledgement state is kept, its limits become this version's."""
    settings = own_streams()
    await jetstream.ensure_streams(js, settings)
    old = jetstream.consumer_config(settings)
    old.max_ack_pending = 64
    await js.add_consumer(settings.stream, old)
    await jetstream.ensure_consumer(js, settings)
    info = await js.consumer_info(settings.stream, settings.consumer)
    assert info.config.max_ack_pending == jetstream.consumer_config(settings).max_ack_pending
    assert info.config.max_ack_pending >= 1024
    await jetstream.ensure_consumer(js, settings)  # again: nothing to change, no error


async def test_renamed_stream_over_old_subjects_is_refused_clearly(js: Any) -> None:
    old = own_streams()
    await jetstream.ensure_streams(js, old)
    renamed = old.model_copy(update={"stream": f"NEW_{old.stream}"})
    with pytest.raises(RuntimeError, match="IBBASE_STREAM") as info:
        await jetstream.ensure_streams(js, renamed)
    assert renamed.stream in str(info.value)


@pytest.fixture
async def stream(nats_server: NatsServer) -> AsyncIterator[tuple[Any, Any, str, str]]:
    """A connection, its JetStream context, a fresh stream and its subject prefix."""
    tag = uuid.uuid4().hex[:8]
    nc, js = await jetstream.connect(nats_server.url, name="test")
    await js.add_stream(StreamConfig(name=f"P_{tag}", subjects=[f"p{tag}.>"]))
    yield nc, js, f"P_{tag}", f"p{tag}"
    await nc.close()


async def test_publisher_stores_each_once_and_pipelines_acks(stream: Any) -> None:
    nc, js, name, prefix = stream
    publisher = jetstream.AckedPublisher(nc, name)
    await publisher.start()
    batch = [(f"{prefix}.a", b'{"n":%d}' % i, f"id-{i}") for i in range(50)]
    assert await publisher.publish(batch, timeout=5) == [None] * 50
    # Meta's redelivery of the same events: duplicates are acknowledged, not stored again.
    assert await publisher.publish(batch[:10], timeout=5) == [None] * 10
    assert (await js.stream_info(name)).state.messages == 50
    assert not publisher._waiting  # every ack claimed, nothing left behind


async def test_publisher_reports_each_failure_without_raising(stream: Any) -> None:
    nc, js, name, prefix = stream
    publisher = jetstream.AckedPublisher(nc, name)
    await publisher.start()
    silent = await nc.subscribe(f"q{prefix}.silent")  # a responder that never answers
    results = await publisher.publish(
        [
            (f"{prefix}.ok", b"{}", "ok-1"),
            (f"nostream{prefix}.x", b"{}", "none-1"),  # no stream takes the subject
            (f"q{prefix}.silent", b"{}", "silent-1"),
        ],
        timeout=0.5,
    )
    assert results[0] is None
    assert isinstance(results[1], NoStreamResponseError)
    assert isinstance(results[2], TimeoutError)
    await silent.unsubscribe()
    # A stream other than the one expected takes the subject: refused, not stored there.
    other = jetstream.AckedPublisher(nc, "NOT_" + name)
    await other.start()
    [wrong] = await other.publish([(f"{prefix}.ok", b"{}", "ok-2")], timeout=5)
    assert isinstance(wrong, APIError) and wrong.err_code == 10060
    assert (await js.stream_info(name)).state.messages == 1
    await nc.close()
    [closed] = await publisher.publish([(f"{prefix}.ok", b"{}", "ok-3")], timeout=5)
    assert isinstance(closed, NatsError)
    assert not publisher._waiting
