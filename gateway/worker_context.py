"""What the worker's tasks reach: settings, database, the Graph API of each channel, the card
reader, JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from nats.js import JetStreamContext
from sqlalchemy.orm import Session, sessionmaker

from gateway import jetstream
from gateway.db import transaction
from gateway.ocr_client import OcrClient
from gateway.settings import Settings
from gateway.whatsapp.client import GraphClient
from gateway.whatsapp.graph_clients import GraphClients
from ocr_cluster.reader import CardReader, CardResult

T = TypeVar("T")


@dataclass
class WorkerContext:
    settings: Settings
    sessions: sessionmaker[Session]
    graphs: GraphClients
    reader: CardReader | OcrClient
    js: JetStreamContext
    executor: ThreadPoolExecutor

    def graph_for(self, phone_number_id: str, channel_id: str = "") -> GraphClient:
        """The Graph client of the channel that received an event (``UnknownChannel``)."""
        return self.graphs.for_phone(phone_number_id, channel_id)

    async def db(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one committed transaction, off the event loop."""

        def _call() -> T:
            with transaction(self.sessions) as session:
                return fn(session)

        return await asyncio.to_thread(_call)

    async def read_card(self, data: bytes, heartbeat: Callable[[], Awaitable[None]]) -> CardResult:
        """Read a card in the reader's thread pool, telling JetStream we are still at it."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.executor, self.reader.read, data)
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
