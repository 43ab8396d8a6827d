"""What the worker's stages reach: settings, the database, the Graph API of each channel,
the card reader, JetStream; and the one way they reach the database, ``transaction``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from nats.js import JetStreamContext
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from business_card.reading import CardReading
from gateway.db import transaction
from gateway.settings import Settings
from gateway.whatsapp.graph_clients import GraphClients
from gateway.whatsapp.senders import SenderPolicy
from whatsapp_cloud.client import GraphClient

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
    reader: CardReading
    js: JetStreamContext
    executor: ThreadPoolExecutor  # where the card reader's blocking reads run
    outage_patience_s: float = 300.0

    def sender_policy(self, channel_id: str) -> SenderPolicy:
        """Who may add to the channel's CRM: its WhatsAppChannel's ``spec.senders``, else the
        installation's (IBBASE_SENDER_* settings)."""
        entry = self.graphs.entry(channel_id)
        rules = entry.senders if entry is not None else None
        if rules is not None:
            return SenderPolicy.of(rules.policy, rules.allowlist, rules.cards_per_hour)
        s = self.settings
        return SenderPolicy.of(s.sender_policy, s.sender_allowlist, s.sender_cards_per_hour)

    def contact_card(self, channel_id: str) -> str:
        """When a card's contact goes back as a contact card: the channel's
        ``spec.contactCard``, else the installation's (IBBASE_CONTACT_CARD)."""
        entry = self.graphs.entry(channel_id)
        chosen = entry.contact_card if entry is not None else None
        return chosen or self.settings.contact_card

    def graph_for(self, phone_number_id: str, channel_id: str = "") -> GraphClient:
        """The Graph client of the channel that received an event (``UnknownChannel``)."""
        return self.graphs.for_phone(phone_number_id, channel_id)

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one committed transaction, off the event loop.

        A database that cannot be reached (restarting, failing over, connection cut) is not
        the event's fault: the transaction is retried with backoff for up to
        ``outage_patience_s`` instead of burning the event's deliveries, while the worker
        keeps the event alive. Every ``work`` given here is safe to run again, even after a
        commit whose answer was lost (unique message ids, compare-and-set claims).
        """

        def _call() -> T:
            with transaction(self.sessions) as session:
                return work(session)

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
