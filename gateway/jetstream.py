"""JetStream: the streams the channel uses, durable publishing and the worker's consumer."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Sequence

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import APIError, BadRequestError, NoStreamResponseError, NotFoundError

from gateway.settings import Settings

log = logging.getLogger(__name__)

# JetStream's error codes: another stream already takes these subjects; replicas > 1 on a
# server that is not clustered; a consumer with more replicas than its stream (yet).
SUBJECTS_OVERLAP = 10065
REPLICAS_UNSUPPORTED = 10074
CONSUMER_REPLICAS_EXCEED_STREAM = 10126
# How long ensure_consumer waits for a stream just scaled up to take its new replicas.
SCALE_UP_WAIT_S = 30.0


async def connect(url: str, *, name: str) -> tuple[NATS, JetStreamContext]:
    """``url``: one server or several separated by commas, each ``nats://host:port`` or
    ``nats://user:password@host:port`` (nats-py takes the credentials of each server from
    its own URL, undecoded: they must be URL-safe as they are)."""
    servers = [s.strip() for s in url.split(",") if s.strip()]

    async def _disconnected() -> None:
        log.warning("NATS disconnected; reconnecting")

    async def _reconnected() -> None:
        log.info("NATS reconnected")

    async def _error(exc: Exception) -> None:
        log.warning("NATS error: %s", exc)

    nc = await nats.connect(
        servers,
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


def stream_config(settings: Settings, name: str, prefix: str, max_bytes: int) -> StreamConfig:
    """A stream of the channel: file storage (durable), bounded.

    A stream at a limit refuses the publish (discard=new) rather than dropping its oldest
    event (discard=old): the oldest may not be processed yet, and discard=old would lose it
    without a word. A refused publish fails the webhook's PubAck, so the webhook answers 503
    and Meta retries; a refused dead letter leaves its event in the inbound stream. The same
    per subject (discard_new_per_subject): JetStream would otherwise drop a subject's oldest
    message at its limit even with discard=new.

    ``num_replicas`` (IBBASE_STREAM_REPLICAS): copies across a JetStream cluster; with 3,
    a PubAck means a majority (2) stored the message, so the loss of any one node loses no
    acknowledged event.
    """
    per_subject = _limit(settings.stream_max_msgs_per_subject)
    return StreamConfig(
        name=name,
        subjects=[f"{prefix}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        max_age=settings.stream_max_age_s,
        max_bytes=_limit(max_bytes),
        max_msgs_per_subject=per_subject,
        discard=DiscardPolicy.NEW,
        discard_new_per_subject=per_subject > 0,  # JetStream refuses it without a limit
        duplicate_window=settings.dedup_window_s,
        num_replicas=settings.stream_replicas,
    )


def _limit(value: int) -> int:
    return value if value > 0 else -1  # JetStream's "no limit"


async def ensure_streams(js: JetStreamContext, settings: Settings) -> None:
    """Create or update the inbound and dead-letter streams (``stream_config``).

    A clustered JetStream changes an existing stream's replicas in place, up or down (1 to
    5, no more than the cluster's nodes): the update returns at once and the new peers catch
    up from the leader while it keeps taking publishes. A single nats-server refuses more
    than 1 replica (REPLICAS_UNSUPPORTED), for a new stream and an update alike.
    """
    for name, prefix, max_bytes in (
        (settings.stream, settings.subject_prefix, settings.stream_max_bytes),
        (settings.dlq_stream, settings.dlq_subject_prefix, settings.dlq_max_bytes),
    ):
        config = stream_config(settings, name, prefix, max_bytes)
        try:
            try:
                await js.stream_info(name)
                await js.update_stream(config)
            except NotFoundError:
                await js.add_stream(config)
        except APIError as exc:
            if exc.err_code == SUBJECTS_OVERLAP:
                raise RuntimeError(
                    f"JetStream stream {name!r} cannot take subjects {prefix}.>: another stream "
                    "already does (one named before IBBASE_STREAM changed?). Set IBBASE_STREAM "
                    "to that stream's name, or delete it once it is drained."
                ) from exc
            if exc.err_code == REPLICAS_UNSUPPORTED:
                raise RuntimeError(
                    f"IBBASE_STREAM_REPLICAS={settings.stream_replicas} needs a clustered "
                    "nats-server; this one is a single server. Set IBBASE_STREAM_REPLICAS=1."
                ) from exc
            raise


def consumer_config(settings: Settings) -> ConsumerConfig:
    # JetStream's own max_deliver is a backstop one above ours: the worker dead-letters first.
    return ConsumerConfig(
        durable_name=settings.consumer,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=settings.ack_wait_s,
        max_deliver=settings.max_deliver + 1,
        filter_subject=f"{settings.subject_prefix}.>",
        # Events held by workers plus those backing off after a failure (a nak'd event
        # stays pending until redelivered): room for one channel's failures to wait out
        # their backoff without stopping deliveries to every other channel.
        max_ack_pending=max(1024, settings.worker_concurrency * 64),
        # As many copies as the stream: a consumer on one node stops with that node (and
        # the worker with it), however many copies of the events the stream keeps.
        num_replicas=settings.stream_replicas,
    )


async def ensure_consumer(js: JetStreamContext, settings: Settings) -> None:
    """Create the worker's durable consumer, or bring an existing one's editable limits
    (max_ack_pending, ack_wait, max_deliver, num_replicas) to this version's.

    A stream whose replicas were just raised (``ensure_streams``) takes a moment to have
    them: until then JetStream refuses a consumer with as many (CONSUMER_REPLICAS_EXCEED_
    STREAM). That refusal is retried every 0.2 s for up to SCALE_UP_WAIT_S seconds.
    """
    config = consumer_config(settings)
    deadline = asyncio.get_running_loop().time() + SCALE_UP_WAIT_S
    while True:
        try:
            await js.add_consumer(settings.stream, config)
            return
        except BadRequestError as exc:
            if exc.err_code != CONSUMER_REPLICAS_EXCEED_STREAM:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def pending_events(js: JetStreamContext, settings: Settings) -> int:
    """Events not yet acknowledged by the worker (waiting + in flight)."""
    try:
        info = await js.consumer_info(settings.stream, settings.consumer)
    except NotFoundError:
        stream = await js.stream_info(settings.stream)
        return int(stream.state.messages)
    return int(info.num_pending or 0) + int(info.num_ack_pending or 0)


class AckedPublisher:
    """Durable publishing to one stream: every message's PubAck awaited, pipelined.

    All messages of a call go out before any ack is awaited, and the acks of every request
    in flight come back on one reply subscription, told apart by a counter. That is what
    ``JetStreamContext.publish`` does per message too, without its per-message random inbox
    token, ``wait_for`` task and ``PubAck`` object: a future and one timer per call.
    """

    def __init__(self, nc: NATS, stream: str) -> None:
        self._nc = nc
        self._stream = stream
        self._prefix = ""
        self._tokens = itertools.count()
        self._waiting: dict[str, asyncio.Future[Msg]] = {}

    async def start(self) -> None:
        self._prefix = self._nc.new_inbox() + "."
        await self._nc.subscribe(self._prefix + "*", cb=self._on_ack)

    async def _on_ack(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.subject[len(self._prefix) :], None)
        if future is not None and not future.done():
            future.set_result(msg)

    async def publish(
        self, messages: Sequence[tuple[str, bytes, str]], timeout: float
    ) -> list[Exception | None]:
        """Publish ``(subject, payload, msg_id)`` each with ``Nats-Msg-Id: msg_id``; one
        result per message: ``None`` once stored (or a duplicate of a stored one), else why
        not. Never raises for a failed message."""
        loop = asyncio.get_running_loop()
        sent: list[tuple[str, asyncio.Future[Msg]]] = []
        results: list[Exception | None] = [None] * len(messages)
        timer: asyncio.TimerHandle | None = None
        try:  # whatever happens (a cancelled request too), nothing is left waiting
            for i, (subject, payload, msg_id) in enumerate(messages):
                token = f"{next(self._tokens):x}"
                future: asyncio.Future[Msg] = loop.create_future()
                self._waiting[token] = future
                sent.append((token, future))
                headers = {"Nats-Msg-Id": msg_id, "Nats-Expected-Stream": self._stream}
                reply = self._prefix + token
                try:
                    await self._nc.publish(subject, payload, reply=reply, headers=headers)
                except (NatsError, OSError) as exc:  # closed, draining, buffer full while away
                    future.cancel()
                    results[i] = exc
            timer = loop.call_later(timeout, _expire, [f for _, f in sent])
            for i, (_, future) in enumerate(sent):
                if results[i] is None:
                    try:
                        results[i] = _ack_error(await future)
                    except TimeoutError as exc:
                        results[i] = exc
        finally:
            if timer is not None:
                timer.cancel()
            for token, _ in sent:
                self._waiting.pop(token, None)
        return results


def _expire(futures: list[asyncio.Future[Msg]]) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(TimeoutError("no PubAck in time"))


def _ack_error(msg: Msg) -> Exception | None:
    """Why a PubAck says the message was not stored, or ``None``."""
    if msg.headers and msg.headers.get("Status") == "503":
        return NoStreamResponseError()  # no stream takes this subject
    try:
        ack = json.loads(msg.data)
    except ValueError:
        return APIError(description=f"unreadable PubAck {msg.data[:80]!r}")
    if "error" not in ack:
        return None
    try:
        APIError.from_error(ack["error"])  # raises the error's own class
    except APIError as exc:
        return exc
    return APIError(description=str(ack["error"])[:200])
