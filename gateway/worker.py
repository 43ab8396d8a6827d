"""The JetStream worker: a durable pull consumer with bounded concurrency.

An event is acknowledged only after its work is committed; a failure is retried with
backoff (``nak`` with a delay) and moved to the dead-letter stream after ``max_deliver``
deliveries. One bad message never stops the loop.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError

from gateway import jetstream
from gateway.channels import open_registry
from gateway.db import make_engine, make_sessionmaker
from gateway.metrics import (
    CONSUMER_PENDING,
    DEAD_LETTERS,
    REDELIVERIES,
    channel_registry_loaded,
    graph_call,
    record_message,
)
from gateway.ocr_client import OcrClient, OcrClientConfig
from gateway.settings import Settings
from gateway.whatsapp.errors import TokenInvalid
from gateway.whatsapp.events import InboundEvent
from gateway.whatsapp.graph_clients import GraphClients, UnknownChannel
from gateway.whatsapp.tasks import handle_event
from gateway.worker_context import WorkerContext
from ocr_cluster.reader import CardReader

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, ctx: WorkerContext):
        self.ctx = ctx
        self.settings = ctx.settings
        self.inflight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        s = self.settings
        sub = await self.ctx.js.pull_subscribe(
            f"{s.subject_prefix}.>",
            durable=s.consumer,
            stream=s.stream,
            config=jetstream.consumer_config(s),
        )
        log.info(
            "worker consuming %s as %s (concurrency %d)", s.stream, s.consumer, s.worker_concurrency
        )
        while not stop.is_set():
            free = s.worker_concurrency - len(self.inflight)
            if free <= 0:
                await asyncio.wait(self.inflight, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                msgs = await sub.fetch(free, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                await self._update_lag()
                continue
            for msg in msgs:
                task = asyncio.create_task(self.process(msg))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
        if self.inflight:
            log.info("finishing %d events in flight", len(self.inflight))
            await asyncio.wait(self.inflight, timeout=s.ack_wait_s)
        await sub.unsubscribe()

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
            await self.dead_letter(msg, f"undecodable event: {exc}")
            return
        try:
            await handle_event(self.ctx, event, msg.in_progress)
        except UnknownChannel as exc:
            # No retry can help: the number is not ours (or its channel was removed).
            log.error("event %s dead-lettered: %s", event.event_id, exc)
            if event.kind == "message":
                record_message(str(event.data.get("type")), ok=False)
            await self.dead_letter(msg, str(exc))
            return
        except Exception as exc:
            await self.retry_or_dead_letter(msg, event, deliveries, exc)
            return
        await msg.ack()

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
            if event.kind == "message":
                record_message(str(event.data.get("type")), ok=False)
            await self.dead_letter(msg, f"{type(exc).__name__}: {exc}")
            return
        backoff = self.settings.retry_backoff_s
        delay = backoff[min(deliveries - 1, len(backoff) - 1)]
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
            exc_info=not isinstance(exc, TokenInvalid),
        )
        await msg.nak(delay=delay)

    async def dead_letter(self, msg: Msg, reason: str) -> None:
        s = self.settings
        suffix = msg.subject.removeprefix(s.subject_prefix + ".")
        headers = {
            "Ibbase-Reason": reason[:500],
            "Ibbase-Subject": msg.subject,
            "Ibbase-Deliveries": str(msg.metadata.num_delivered),
            "Nats-Msg-Id": f"dlq:{msg.metadata.sequence.stream}",
        }
        await self.ctx.js.publish(
            f"{s.dlq_subject_prefix}.{suffix}", msg.data, stream=s.dlq_stream, headers=headers
        )
        DEAD_LETTERS.inc()
        await msg.term()


async def run_worker(
    settings: Settings, stop: asyncio.Event, reader: CardReader | OcrClient | None = None
) -> None:
    engine = make_engine(settings.database_url)
    nc, js = await jetstream.connect(settings.nats_url, name="ibbase-worker")
    await jetstream.ensure_streams(js, settings)
    owned = reader is None  # a reader handed in (tests) stays open for its owner
    if reader is None and settings.ocr_url:
        reader = OcrClient(
            OcrClientConfig(
                settings.ocr_url,
                deadline_s=max(5.0, settings.card_read_timeout_s - 5),
                max_in_flight=settings.ocr_max_in_flight,
            )
        )
    reader = reader or CardReader(tessdata=settings.ocr_tessdata)
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
            )
            ctx = WorkerContext(
                settings=settings,
                sessions=make_sessionmaker(engine),
                graphs=graphs,
                reader=reader,
                js=js,
                executor=executor,
            )
            await Worker(ctx).run(stop)
    finally:
        if graphs is not None:
            await graphs.aclose()
        executor.shutdown(wait=False, cancel_futures=True)
        if owned:
            reader.close()
        await jetstream.close(nc)
        engine.dispose()
