"""Store webhook events durably: every publish must be acknowledged by JetStream."""

from __future__ import annotations

import asyncio
import logging

from nats.errors import Error as NatsError
from nats.js import JetStreamContext

from gateway.errors import Unavailable
from gateway.metrics import EVENTS_PUBLISHED
from gateway.whatsapp.events import InboundEvent

log = logging.getLogger(__name__)


async def publish_events(
    js: JetStreamContext, events: list[InboundEvent], *, prefix: str, stream: str, timeout: float
) -> None:
    """Publish all events concurrently; raise ``Unavailable`` unless every PubAck arrived.

    A partial failure is safe to retry: Meta redelivers the whole POST and ``Nats-Msg-Id``
    (plus the worker's database check) drops what was already stored.
    """
    if not events:
        return

    async def one(event: InboundEvent) -> None:
        await js.publish(
            event.subject(prefix),
            event.to_json(),
            timeout=timeout,
            stream=stream,
            headers={"Nats-Msg-Id": event.event_id},
        )

    results = await asyncio.gather(*(one(e) for e in events), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        unexpected = [f for f in failures if not isinstance(f, NatsError | TimeoutError | OSError)]
        if unexpected:
            log.error("JetStream publish failed unexpectedly", exc_info=unexpected[0])
        log.warning(
            "JetStream did not confirm %d of %d events: %r", len(failures), len(events), failures[0]
        )
        raise Unavailable("events could not be stored durably; retry later")
    for event in events:
        EVENTS_PUBLISHED.labels(kind=event.kind).inc()
