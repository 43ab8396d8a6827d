"""The streams are bounded, and a bound never costs an event: on a real nats-server a full
stream refuses the publish (the webhook answers 503, Meta retries) instead of dropping its
oldest event, and one channel at its per-subject limit is refused alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.js.api import DiscardPolicy, StreamConfig
from nats.js.errors import APIError

from gateway import jetstream
from gateway.settings import Settings
from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import NatsServer
from tests.security.conftest import StartGateway


def own_streams(**limits: Any) -> Settings:
    tag = uuid.uuid4().hex[:8]
    return Settings(
        stream=f"L_{tag}",
        subject_prefix=f"l{tag}.in",
        dlq_stream=f"LD_{tag}",
        dlq_subject_prefix=f"l{tag}.dlq",
        **limits,
    )


@pytest.fixture
async def nats_connection(nats_server: NatsServer) -> AsyncIterator[tuple[Any, Any]]:
    nc, js = await jetstream.connect(nats_server.url, name="test")
    yield nc, js
    await nc.close()


async def publisher_for(nc: Any, js: Any, settings: Settings) -> jetstream.AckedPublisher:
    await jetstream.ensure_streams(js, settings)
    publisher = jetstream.AckedPublisher(nc, settings.stream)
    await publisher.start()
    return publisher


async def test_a_full_stream_refuses_the_publish_and_keeps_its_oldest_event(
    nats_connection: tuple[Any, Any],
) -> None:
    nc, js = nats_connection
    settings = own_streams(stream_max_bytes=8 * 1024)
    publisher = await publisher_for(nc, js, settings)
    subject = f"{settings.subject_prefix}.100000000000001.message"
    stored: list[bytes] = []
    refused = None
    for i in range(64):  # ~1 KiB each: the stream is full long before
        payload = b'{"n":%d,"pad":"%s"}' % (i, b"x" * 1000)
        [result] = await publisher.publish([(subject, payload, f"event-{i}")], timeout=5)
        if result is not None:
            refused = result
            break
        stored.append(payload)
    assert isinstance(refused, APIError), refused  # a NATS error: the webhook's 503
    assert 1 < len(stored) < 64
    state = (await js.stream_info(settings.stream)).state
    # Nothing was dropped to make room: the first event is still the first.
    assert (state.first_seq, state.messages) == (1, len(stored))
    assert (await js.get_msg(settings.stream, 1)).data == stored[0]
    # Meta's redelivery of a stored event is still a duplicate, answered as stored.
    assert await publisher.publish([(subject, stored[0], "event-0")], timeout=5) == [None]
    [again] = await publisher.publish([(subject, b"{}", "event-new")], timeout=5)
    assert isinstance(again, APIError)
    assert (await js.stream_info(settings.stream)).state.messages == len(stored)


async def test_one_channel_at_its_limit_is_refused_alone(
    nats_connection: tuple[Any, Any],
) -> None:
    nc, js = nats_connection
    settings = own_streams(stream_max_msgs_per_subject=3)
    publisher = await publisher_for(nc, js, settings)
    busy = f"{settings.subject_prefix}.100000000000001.message"
    other = f"{settings.subject_prefix}.100000000000002.message"
    first = [(busy, b'{"n":%d}' % i, f"busy-{i}") for i in range(3)]
    assert await publisher.publish(first, timeout=5) == [None] * 3
    [refused] = await publisher.publish([(busy, b'{"n":3}', "busy-3")], timeout=5)
    assert isinstance(refused, APIError)
    # Another channel (another subject) still gets in; the busy one's oldest is still there.
    assert await publisher.publish([(other, b"{}", "other-0")], timeout=5) == [None]
    assert (await js.get_msg(settings.stream, 1)).data == b'{"n":0}'
    assert (await js.stream_info(settings.stream)).state.messages == 4


async def test_streams_made_before_the_limits_get_them_on_start(
    nats_connection: tuple[Any, Any],
) -> None:
    _, js = nats_connection
    settings = own_streams()
    for name, prefix in (
        (settings.stream, settings.subject_prefix),
        (settings.dlq_stream, settings.dlq_subject_prefix),
    ):  # as ensure_streams made them before: no limit, discard=old
        await js.add_stream(StreamConfig(name=name, subjects=[f"{prefix}.>"]))
    await jetstream.ensure_streams(js, settings)
    for name, max_bytes in (
        (settings.stream, settings.stream_max_bytes),
        (settings.dlq_stream, settings.dlq_max_bytes),
    ):
        config = (await js.stream_info(name)).config
        assert config.discard == DiscardPolicy.NEW and config.discard_new_per_subject
        assert config.max_bytes == max_bytes > 0
        assert config.max_msgs_per_subject == settings.stream_max_msgs_per_subject > 0
        assert config.max_age == settings.stream_max_age_s


async def test_zero_turns_a_limit_off(nats_connection: tuple[Any, Any]) -> None:
    _, js = nats_connection
    settings = own_streams(stream_max_bytes=0, stream_max_msgs_per_subject=0, dlq_max_bytes=0)
    await jetstream.ensure_streams(js, settings)  # the server takes it as it is
    config = (await js.stream_info(settings.stream)).config
    assert (config.max_bytes, config.max_msgs_per_subject) == (-1, -1)
    assert config.discard == DiscardPolicy.NEW and not config.discard_new_per_subject


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_webhook_answers_503_when_full_and_takes_the_retry_later(
    start_gateway: StartGateway, nats_server: NatsServer
) -> None:
    pipeline = start_gateway(stream_max_bytes=6 * 1024)
    user = pipeline.user()
    statuses: list[int] = []
    bodies = []
    for i in range(40):
        body = user.wrap(wh.text_message(user.wa_id, f"card {i} " + "x" * 600))
        bodies.append(body)
        statuses.append((await user.post(body)).status_code)
        if statuses[-1] != 200:
            break
    assert statuses[-1] == 503 and set(statuses[:-1]) == {200}, statuses
    nc, js = await jetstream.connect(nats_server.url, name="test")
    try:
        stream = pipeline.settings.stream
        before = (await js.stream_info(stream)).state
        assert (before.first_seq, before.messages) == (1, len(statuses) - 1)
        # Room again (a larger limit, or old events aged out): Meta's retry is stored.
        roomier = pipeline.settings.model_copy(update={"stream_max_bytes": 1024 * 1024})
        await jetstream.ensure_streams(js, roomier)
        assert (await user.post(bodies[-1])).status_code == 200
        after = (await js.stream_info(stream)).state
        assert (after.first_seq, after.messages) == (1, before.messages + 1)
    finally:
        await nc.close()
