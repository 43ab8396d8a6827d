"""What the worker's tasks reach: settings, database, the Graph API of each channel, the card
reader, JetStream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from nats.js import JetStreamContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gateway import jetstream
from gateway.db import transaction
from gateway.ocr_client import OcrClient
from gateway.reader_pool import ReaderPool
from gateway.settings import Settings
from gateway.whatsapp.client import GraphClient
from gateway.whatsapp.graph_clients import GraphClients
from ocr_cluster.reader import CardReader, CardResult

T = TypeVar("T")
log = logging.getLogger(__name__)


def database_unreachable(exc: DBAPIError) -> bool:
    """Connection refused or cut, server shutting down, a transaction the server rolled back
    (deadlock, serialization): worth retrying as it is. Not: constraint or data errors."""
    return exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)


@dataclass
class WorkerContext:
    settings: Settings
    sessions: sessionmaker[Session]
    graphs: GraphClients
    reader: CardReader | ReaderPool | OcrClient
    js: JetStreamContext
    executor: ThreadPoolExecutor
    outage_patience_s: float = 300.0

    def graph_for(self, phone_number_id: str, channel_id: str = "") -> GraphClient:
        """The Graph client of the channel that received an event (``UnknownChannel``)."""
        return self.graphs.for_phone(phone_number_id, channel_id)

    async def db(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one committed transaction, off the event loop.

        A database that cannot be reached (restarting, failing over, connection cut) is not
        the event's fault: the transaction is retried with backoff for up to
        ``outage_patience_s`` instead of burning the event's deliveries, while the worker
        keeps the event alive. Every ``fn`` given here is safe to run again, even after a
        commit whose answer was lost (unique message ids, compare-and-set claims).
        """

        def _call() -> T:
            with transaction(self.sessions) as session:
                return fn(session)

        delay, waited = 0.2, 0.0
        while True:
            try:
                return await asyncio.to_thread(_call)
            except DBAPIError as exc:
                if not database_unreachable(exc) or waited >= self.outage_patience_s:
                    raise
                log.warning(
                    "database unavailable (%s); retrying in %.1fs",
                    str(exc.orig or exc).splitlines()[0][:200],
                    delay,
                )
                await asyncio.sleep(delay)
                waited += delay
                delay = min(delay * 2, 5.0)

    async def read_card(
        self,
        data: bytes,
        heartbeat: Callable[[], Awaitable[None]],
        fallback_regions: Sequence[str] = (),
    ) -> CardResult:
        """Read a card in the reader's thread pool, telling JetStream we are still at it.

        ``fallback_regions`` (ISO codes, most likely first) are for numbers printed without a
        country code on a card that shows no country itself."""
        loop = asyncio.get_running_loop()
        regions = tuple(fallback_regions)
        future = loop.run_in_executor(
            self.executor, partial(self.reader.read, data, fallback_regions=regions)
        )
        interval = max(1.0, self.settings.ack_wait_s / 3)
        deadline = loop.time() + self.settings.card_read_timeout_s
        while True:
            done, _ = await asyncio.wait({future}, timeout=interval)
            if done:
                return future.result()
            if loop.time() > deadline:
                raise TimeoutError(f"card reading took over {self.settings.card_read_timeout_s}s")
            await heartbeat()

    def reader_ready(self) -> bool:
        return bool(self.reader.ready)

    async def pending_events(self) -> Any:
        try:
            return await jetstream.pending_events(self.js, self.settings)
        except Exception:  # the status command must answer even when JetStream does not
            return "?"
