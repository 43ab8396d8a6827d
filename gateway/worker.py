"""The JetStream worker: a durable pull consumer with bounded concurrency.

An event is acknowledged only after its work is committed; a failure is retried with
backoff (``nak`` with a delay) and moved to the dead-letter stream after ``max_deliver``
deliveries, as is an event whose worker died under it every time (a crash in native code):
the sender of a message that was dead-lettered with nothing done is told so. While an event
is in hand the worker keeps it alive, so only a dead worker's events are redelivered.
One bad message never stops the loop.

Start-up: nothing is pulled until the database answers with this version's schema; one
that cannot be reached is waited for (SIGTERM still stops the wait at once), one that can
never work as configured (never migrated, no such database or role) stops the worker with
the fix named. Stop: the events in hand are finished, unless the database cannot be reached;
then they are left unacknowledged, for JetStream to hand to the next worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from concurrent.futures import ThreadPoolExecutor

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from business_card.reading import CardReading
from gateway import jetstream
from gateway.channels import open_registry
from gateway.db import engine_for, make_sessionmaker
from gateway.metrics import (
    CONSUMER_PENDING,
    DEAD_LETTERS,
    REDELIVERIES,
    WORKER_READY,
    channel_registry_loaded,
    graph_call,
    record_message,
)
from gateway.migrate import DatabaseMisconfigured, DatabaseNotMigrated, schema_problem
from gateway.ocr_client import OcrClient, OcrClientConfig
from gateway.reader_pool import ReaderPool
from gateway.retention import Retention, purge
from gateway.settings import Settings
from gateway.whatsapp.graph_clients import GraphClients, UnknownChannel
from gateway.whatsapp.tasks import handle_event, tell_sender_it_failed
from gateway.worker_context import WorkerContext, database_unreachable
from whatsapp_cloud.errors import GraphApiError, TokenInvalid
from whatsapp_cloud.webhook import InboundEvent

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, ctx: WorkerContext):
        self.ctx = ctx
        self.settings = ctx.settings
        self.inflight: set[asyncio.Task[None]] = set()
        # Events being handled (holding a slot), and the slots each channel may hold: a
        # channel whose events are slow (a Graph API timing out, a database lock) leaves
        # slots to the others. Events waiting for their channel's turn hold no slot.
        self.running = 0
        self.channel_slots = channel_slots(ctx.settings)
        self._channels: dict[str, asyncio.Semaphore] = {}
        self.retention = Retention(
            photos_days=ctx.settings.retain_photos_days, events_days=ctx.settings.retain_events_days
        )
        self._purge: asyncio.Task[None] | None = None
        self._purged_at = -float("inf")

    async def run(self, stop: asyncio.Event) -> None:
        s = self.settings
        await jetstream.ensure_consumer(self.ctx.js, s)
        sub = await self.ctx.js.pull_subscribe(
            f"{s.subject_prefix}.>",
            durable=s.consumer,
            stream=s.stream,
            config=jetstream.consumer_config(s),
        )
        log.info(
            "worker consuming %s as %s (concurrency %d)", s.stream, s.consumer, s.worker_concurrency
        )
        # The reader was built and warmed before this (open_reader): the first card is
        # read as fast as any other. `ibbase up` waits for this before it says "running".
        WORKER_READY.set(1)
        try:
            await self._pull(sub, stop)
        finally:
            WORKER_READY.set(0)

    async def _pull(self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event) -> None:
        """Fetch events while slots are free, each handled in a task of its own, until
        ``stop``; then let the ones in hand finish."""
        s = self.settings
        pause = 0.5
        while not stop.is_set():
            # Slots left, and room for events waiting for their channel (bounded: they are
            # JetStream's pending acks, which other channels need too).
            free = min(
                s.worker_concurrency - self.running,
                s.worker_concurrency * WAITING_PER_SLOT - len(self.inflight),
            )
            if free <= 0:
                # Every slot busy (perhaps all waiting out a database outage): a stop must
                # still be seen at once.
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({*self.inflight, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                continue
            try:
                msgs = await sub.fetch(free, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                await self._update_lag()
                self._purge_when_due()
                continue
            except ConnectionClosedError:
                raise  # closed for good: nothing to wait for
            except NatsError as exc:
                # A server shutting down or restarting answers 503 / no responders; the
                # client reconnects by itself: pull again once it may be back.
                log.warning("JetStream unavailable (%r); pulling again in %.1fs", exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)
                continue
            pause = 0.5
            for msg in msgs:
                task = asyncio.create_task(self.process(msg))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
        if self.inflight:
            await self._drain()
        if self._purge is not None:
            self._purge.cancel()
        await sub.unsubscribe()

    def _purge_when_due(self) -> None:
        """Start the retention purge (gateway/retention.py) once a ``retention_check_s``,
        in the background and one at a time, when the worker has a quiet moment."""
        loop = asyncio.get_running_loop()
        if not self.retention.enabled or (self._purge is not None and not self._purge.done()):
            return
        if loop.time() - self._purged_at < self.settings.retention_check_s:
            return
        self._purged_at = loop.time()
        self._purge = asyncio.create_task(self._run_purge())

    async def _run_purge(self) -> None:
        try:
            await purge(self.ctx.transaction, self.retention)
        except Exception as exc:  # the next check tries again; events go on meanwhile
            log.warning("retention purge failed: %r", exc)

    async def _drain(self) -> None:
        """Let the events in hand finish, for up to ``ack_wait_s``, unless the database
        cannot be reached: then none of them can, and they are left unacknowledged (their
        work is redone safely) for JetStream to redeliver once this worker is gone."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.ack_wait_s
        log.info("finishing %d events in flight", len(self.inflight))
        while self.inflight and loop.time() < deadline:
            await asyncio.wait(self.inflight, timeout=min(1.0, deadline - loop.time()))
            if self.inflight and not await self._database_answers():
                log.warning(
                    "database unreachable: stopping with %d events in flight unfinished; "
                    "JetStream redelivers them after ack_wait",
                    len(self.inflight),
                )
                break
        for task in list(self.inflight):
            task.cancel()
        if self.inflight:
            await asyncio.wait(self.inflight, timeout=5)

    async def _database_answers(self) -> bool:
        def ping() -> None:
            with self.ctx.sessions() as session:
                session.execute(text("SELECT 1"))

        try:
            await asyncio.to_thread(ping)
        except DBAPIError as exc:
            return not database_unreachable(exc)
        return True

    async def _update_lag(self) -> None:
        try:
            CONSUMER_PENDING.set(await jetstream.pending_events(self.ctx.js, self.settings))
        except Exception as exc:  # metrics must not stop the loop
            log.debug("could not read consumer lag: %s", exc)

    async def process(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered or 1
        if deliveries > 1:
            REDELIVERIES.inc()
        try:
            event = InboundEvent.from_json(msg.data)
        except (ValueError, KeyError, TypeError) as exc:
            await self.dead_letter(msg, f"undecodable event: {exc}", reason="undecodable")
            return
        keep_alive = asyncio.create_task(self._keep_alive(msg))
        slots = self._slots_of(event)
        try:
            async with slots:
                self.running += 1
                try:
                    await self._handle(msg, event, deliveries)
                finally:
                    self.running -= 1
        except (NatsError, OSError) as exc:
            # The ack, nak or dead-letter did not reach JetStream (it is restarting): the
            # event comes back after ack_wait, and its work, if done, is found done.
            log.warning("event %s not settled with JetStream: %r", event.event_id, exc)
        finally:
            keep_alive.cancel()

    async def _handle(self, msg: Msg, event: InboundEvent, deliveries: int) -> None:
        if deliveries > self.settings.max_deliver:
            # Only JetStream's last delivery (its max_deliver is one above ours) gets here:
            # every earlier one ended without a verdict because the worker holding it died
            # (a crash in native code, killed for memory). Trying once more could take this
            # worker down too, and JetStream would then drop it silently.
            log.error(
                "event %s was abandoned %d times by a worker that died; dead-lettering",
                event.event_id,
                deliveries - 1,
            )
            await self.give_up(
                msg, event, f"abandoned {deliveries - 1} times by a worker that died", "abandoned"
            )
            return
        try:
            # plan → commit → send → record → settle (gateway/whatsapp/tasks.py)
            await handle_event(self.ctx, event, msg.in_progress)
        except UnknownChannel as exc:
            # No retry can help: the number is not ours (or its channel was removed).
            log.error("event %s dead-lettered: %s", event.event_id, exc)
            await self.give_up(msg, event, str(exc), "unknown_channel", exc)
            return
        except Exception as exc:
            await self.retry_or_dead_letter(msg, event, deliveries, exc)
            return
        await msg.ack()  # its work is committed and its replies are recorded as sent

    def _slots_of(self, event: InboundEvent) -> asyncio.Semaphore:
        key = event.channel_id or f"phone:{event.phone_number_id}"
        slots = self._channels.get(key)
        if slots is None:
            slots = self._channels[key] = asyncio.Semaphore(self.channel_slots)
        return slots

    async def _keep_alive(self, msg: Msg) -> None:
        """Tell JetStream the event is still in hand, so that it is redelivered only when
        this worker dies (ack_wait after its last word), never while it is slow: a slow
        Graph API or a long card would otherwise be handled twice at once."""
        interval = max(0.2, self.settings.ack_wait_s / 3)
        while True:
            await asyncio.sleep(interval)
            try:
                await msg.in_progress()
            except Exception as exc:  # NATS away: the ack timer runs, nothing else to do
                log.debug("in-progress for %s failed: %s", msg.subject, exc)

    async def retry_or_dead_letter(
        self, msg: Msg, event: InboundEvent, deliveries: int, exc: Exception
    ) -> None:
        if deliveries >= self.settings.max_deliver:
            log.error(
                "event %s failed %d times; dead-lettering: %s",
                event.event_id,
                deliveries,
                exc,
                exc_info=exc,
            )
            reason = "token_invalid" if isinstance(exc, TokenInvalid) else "failed"
            await self.give_up(msg, event, f"{type(exc).__name__}: {exc}", reason, exc)
            return
        backoff = self.settings.retry_backoff_s
        delay = backoff[min(deliveries - 1, len(backoff) - 1)]
        if isinstance(exc, GraphApiError) and exc.retry_after_s:
            delay = max(delay, exc.retry_after_s)  # the Graph API said when to come back
        if isinstance(exc, TokenInvalid):
            # Retrying with the same token cannot help; wait for it to be rotated.
            log.critical("the WhatsApp access token is invalid or expired: rotate it")
            delay = max(delay, backoff[-1])
        log.warning(
            "event %s failed (delivery %d), retrying in %.0fs: %s",
            event.event_id,
            deliveries,
            delay,
            exc,
            exc_info=not isinstance(exc, TokenInvalid | GraphApiError),
        )
        await msg.nak(delay=delay)

    async def give_up(
        self,
        msg: Msg,
        event: InboundEvent,
        text: str,
        reason: str,
        exc: BaseException | None = None,
    ) -> None:
        """Dead-letter an event; a message that left nothing behind gets a polite reply."""
        if event.kind == "message":
            record_message(str(event.data.get("type")), ok=False)
            if not isinstance(exc, TokenInvalid | UnknownChannel):  # no reply could go out
                await tell_sender_it_failed(self.ctx, event)
        await self.dead_letter(msg, text, reason=reason)

    async def dead_letter(self, msg: Msg, text: str, *, reason: str) -> None:
        s = self.settings
        suffix = msg.subject.removeprefix(s.subject_prefix + ".")
        headers = {
            "Ibbase-Reason": text[:500],
            "Ibbase-Subject": msg.subject,
            "Ibbase-Deliveries": str(msg.metadata.num_delivered),
            "Nats-Msg-Id": f"dlq:{msg.metadata.sequence.stream}",
        }
        await self.ctx.js.publish(
            f"{s.dlq_subject_prefix}.{suffix}", msg.data, stream=s.dlq_stream, headers=headers
        )
        DEAD_LETTERS.labels(reason=reason).inc()
        await msg.term()


# Events held beyond the slots, waiting for their channel's turn, per slot.
WAITING_PER_SLOT = 4


def channel_slots(settings: Settings) -> int:
    """The slots one channel may hold at once: all but one unless configured, so that a
    channel whose events hang cannot keep every other channel waiting."""
    if settings.worker_channel_concurrency:
        return min(settings.worker_channel_concurrency, settings.worker_concurrency)
    return max(1, settings.worker_concurrency - 1)


def reader_processes(settings: Settings) -> int:
    """One reader process per core, never more than the events handled at once."""
    return max(1, min(settings.worker_concurrency, os.cpu_count() or 1))


async def open_reader(settings: Settings) -> CardReading:
    """The OCR cluster's client when one is configured, else a pool of reader processes."""
    if settings.ocr_url:
        return OcrClient(
            OcrClientConfig(
                settings.ocr_url,
                deadline_s=max(5.0, settings.card_read_timeout_s - 5),
                max_in_flight=settings.ocr_max_in_flight,
            )
        )
    # Out of process: a photo that crashes or hangs the reader costs that photo's
    # attempt, not this worker and the other events it holds.
    return await asyncio.to_thread(
        ReaderPool,
        kwargs={"tessdata": settings.ocr_tessdata, "pool_size": 1},
        processes=reader_processes(settings),
        timeout_s=settings.card_read_timeout_s,
    )


# Connection errors that no wait cures: the database or role named does not exist, the
# credentials are refused. (psycopg gives no SQLSTATE for a failed connection.)
_MISCONFIGURED = (
    "does not exist",
    "authentication failed",
    "no pg_hba.conf entry",
    "permission denied",
)


def _worth_waiting(engine: Engine, exc: DBAPIError) -> bool:
    """Whether ``exc`` may pass by itself (a server down, restarting, not yet up)."""
    reason = str(exc.orig or exc).lower()
    if engine.dialect.name == "sqlite":
        return "locked" in reason  # a missing directory or an unreadable file stays so
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    return not any(marker in reason for marker in _MISCONFIGURED)


async def wait_for_database(engine: Engine, stop: asyncio.Event) -> bool:
    """Until the database answers with this version's schema: True; False if ``stop`` is
    set first. A database that cannot be reached is waited for (backoff up to 5 s), one
    that can never work as configured raises ``DatabaseMisconfigured`` at once
    (``DatabaseNotMigrated`` when it lacks the schema)."""
    delay = 0.5
    while not stop.is_set():
        check = asyncio.ensure_future(asyncio.to_thread(schema_problem, engine))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({check, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not check.done():  # stopped: the check's thread ends within the connect timeout
            check.cancel()
            return False
        try:
            problem = check.result()
        except DBAPIError as exc:
            reason = str(exc.orig or exc).splitlines()[0][:300]
            if not _worth_waiting(engine, exc):
                where = engine.url.render_as_string(hide_password=True)
                raise DatabaseMisconfigured(
                    f"cannot use the database {where}: {reason}. Check DATABASE_URL"
                ) from exc
            log.warning("database unreachable (%s); trying again in %.1fs", reason, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 5.0)
            continue
        if problem is not None:
            raise DatabaseNotMigrated(problem)
        return True
    return False


async def run_worker(
    settings: Settings,
    stop: asyncio.Event,
    reader: CardReading | None = None,
) -> None:
    """Consume until ``stop`` is set; first wait for the database (see the module's text).
    Raises ``DatabaseMisconfigured`` for a database no wait can make usable."""
    engine = engine_for(settings)
    try:
        if not await wait_for_database(engine, stop):
            log.info("stopped before the database answered; nothing was consumed")
            return
        log.info("database ready; connecting to JetStream")
        await _consume(settings, stop, reader, engine)
    finally:
        engine.dispose()


async def _consume(
    settings: Settings, stop: asyncio.Event, reader: CardReading | None, engine: Engine
) -> None:
    nc, js = await jetstream.connect(settings.nats_url, name="ibbase-worker")
    await jetstream.ensure_streams(js, settings)
    owned = reader is None  # a reader handed in (tests) stays open for its owner
    card_reader = reader if reader is not None else await open_reader(settings)
    executor = ThreadPoolExecutor(
        max_workers=max(1, settings.worker_concurrency), thread_name_prefix="card-reader"
    )
    graphs: GraphClients | None = None
    try:
        async with open_registry(
            settings.channels_dir,
            reload_s=settings.channels_reload_s,
            on_reload=channel_registry_loaded,
        ) as channels:
            graphs = GraphClients(
                api_url=settings.whatsapp_api_url,
                phone_number_id=settings.whatsapp_phone_id,
                access_token=settings.whatsapp_access_token,
                registry=channels,
                on_call=graph_call,
                media_hosts=settings.whatsapp_media_hosts,
            )
            ctx = WorkerContext(
                settings=settings,
                sessions=make_sessionmaker(engine),
                graphs=graphs,
                reader=card_reader,
                js=js,
                executor=executor,
            )
            await Worker(ctx).run(stop)
    finally:
        if graphs is not None:
            await graphs.aclose()
        executor.shutdown(wait=False, cancel_futures=True)
        if owned:
            card_reader.close()
        await jetstream.close(nc)
