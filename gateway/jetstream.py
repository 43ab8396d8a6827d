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

SUBJECTS_OVERLAP = 10065  # JetStream's error code: another stream already takes these subjects


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
    )


def _limit(value: int) -> int:
    return value if value > 0 else -1  # JetStream's "no limit"


async def ensure_streams(js: JetStreamContext, settings: Settings) -> None:
    """Create or update the inbound and dead-letter streams (``stream_config``)."""
    for name, prefix, max_bytes in (
        (settings.stream, settings.subject_prefix, settings.stream_max_bytes),
        (settings.dlq_stream, settings.dlq_subject_prefix, settings.dlq_max_bytes),
    ):
        config = stream_config(settings, name, prefix, max_bytes)
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
        # Events held by workers plus those backing off after a failure (a nak'd event
        # stays pending until redelivered): room for one channel's failures to wait out
        # their backoff without stopping deliveries to every other channel.
        max_ack_pending=max(1024, settings.worker_concurrency * 64),
    )


async def ensure_consumer(js: JetStreamContext, settings: Settings) -> None:
    """Create the worker's durable consumer, or bring an existing one's editable limits
    (max_ack_pending, ack_wait, max_deliver) to this version's."""
    await js.add_consumer(settings.stream, consumer_config(settings))


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
