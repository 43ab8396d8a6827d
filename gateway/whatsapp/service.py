"""Store webhook events durably: every publish must be acknowledged by JetStream."""

from __future__ import annotations

import logging

from nats.errors import Error as NatsError

from gateway.errors import Unavailable
from gateway.jetstream import AckedPublisher
from gateway.metrics import EVENTS_PUBLISHED
from whatsapp_cloud.webhook import InboundEvent

log = logging.getLogger(__name__)
_PUBLISHED = {kind: EVENTS_PUBLISHED.labels(kind=kind) for kind in InboundEvent.KINDS}


async def publish_events(
    publisher: AckedPublisher, events: list[InboundEvent], *, prefix: str, timeout: float
) -> None:
    """Publish all events at once; raise ``Unavailable`` unless every PubAck arrived.

    A partial failure is safe to retry: Meta redelivers the whole POST and ``Nats-Msg-Id``
    (plus the worker's database check) drops what was already stored.
    """
    if not events:
        return
    results = await publisher.publish(
        [(e.subject(prefix), e.to_json(), e.event_id) for e in events], timeout
    )
    failures = [r for r in results if r is not None]
    if failures:
        unexpected = [f for f in failures if not isinstance(f, NatsError | TimeoutError | OSError)]
        if unexpected:
            log.error("JetStream publish failed unexpectedly", exc_info=unexpected[0])
        log.warning(
            "JetStream did not confirm %d of %d events: %r", len(failures), len(events), failures[0]
        )
        raise Unavailable("events could not be stored durably; retry later")
    for event in events:
        _PUBLISHED[event.kind].inc()
