"""JetStream: the streams the channel uses, durable publishing and the worker's consumer."""

from __future__ import annotations

import logging

import nats
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

from gateway.settings import Settings

log = logging.getLogger(__name__)

SUBJECTS_OVERLAP = 10065  # JetStream's error code: another stream already takes these subjects


async def connect(url: str, *, name: str) -> tuple[NATS, JetStreamContext]:
    async def _disconnected() -> None:
        log.warning("NATS disconnected; reconnecting")

    async def _reconnected() -> None:
        log.info("NATS reconnected")

    async def _error(exc: Exception) -> None:
        log.warning("NATS error: %s", exc)

    nc = await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
        error_cb=_error,
    )
    return nc, nc.jetstream()


async def close(nc: NATS) -> None:
    """Drain (finish in-flight publishes and acks), or just close if the server is gone."""
    try:
        await nc.drain()
    except (NatsError, TimeoutError, OSError) as exc:  # OSError: the socket broke meanwhile
        log.warning("NATS drain failed (%s); closing", type(exc).__name__)
        await nc.close()


async def ensure_streams(js: JetStreamContext, settings: Settings) -> None:
    """Create or update the inbound and dead-letter streams (file storage: durable)."""
    for name, prefix in (
        (settings.stream, settings.subject_prefix),
        (settings.dlq_stream, settings.dlq_subject_prefix),
    ):
        config = StreamConfig(
            name=name,
            subjects=[f"{prefix}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            max_age=settings.stream_max_age_s,
            duplicate_window=settings.dedup_window_s,
        )
        try:
            await js.stream_info(name)
            await js.update_stream(config)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except BadRequestError as exc:
                if exc.err_code != SUBJECTS_OVERLAP:
                    raise
                raise RuntimeError(
                    f"JetStream stream {name!r} cannot take subjects {prefix}.>: another stream "
                    "already does (one named before IBBASE_STREAM changed?). Set IBBASE_STREAM "
                    "to that stream's name, or delete it once it is drained."
                ) from exc


def consumer_config(settings: Settings) -> ConsumerConfig:
    # JetStream's own max_deliver is a backstop one above ours: the worker dead-letters first.
    return ConsumerConfig(
        durable_name=settings.consumer,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.ack_wait_s,
        max_deliver=settings.max_deliver + 1,
        filter_subject=f"{settings.subject_prefix}.>",
        max_ack_pending=max(64, settings.worker_concurrency * 8),
    )


async def pending_events(js: JetStreamContext, settings: Settings) -> int:
    """Events not yet acknowledged by the worker (waiting + in flight)."""
    try:
        info = await js.consumer_info(settings.stream, settings.consumer)
    except NotFoundError:
        stream = await js.stream_info(settings.stream)
        return int(stream.state.messages)
    return int(info.num_pending or 0) + int(info.num_ack_pending or 0)
