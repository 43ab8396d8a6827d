"""Prometheus metrics of the gateway and the worker.

``telegram_messages_counter{status="success"|"failed"}`` is the name ibbase dashboards already
read; it is exposed under exactly that name, mirroring the proper counters below.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from gateway.channels import ChannelRegistry

WEBHOOK_REQUESTS = Counter("whatsapp_webhook_requests_total", "Webhook POSTs by result", ["result"])
EVENTS_PUBLISHED = Counter(
    "whatsapp_events_published_total", "Webhook events stored in JetStream", ["kind"]
)
MESSAGES = Counter(
    "whatsapp_messages_processed_total",
    "Inbound messages handled by the worker",
    ["type", "outcome"],
)
CARD_SECONDS = Histogram(
    "whatsapp_card_processing_seconds",
    "Media download + card reading + storing",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60),
)
CARD_READS = Counter(
    "whatsapp_card_reads_total",
    "Card reading outcomes by source of the fields",
    ["source", "outcome"],
)
GRAPH_CALLS = Counter(
    "whatsapp_graph_api_requests_total",
    "Graph API calls by endpoint and outcome",
    ["endpoint", "outcome"],
)
WORKER_READY = Gauge(
    "ibbase_worker_ready", "1 while the worker consumes, its card reader loaded and warm"
)
CONSUMER_PENDING = Gauge(
    "whatsapp_consumer_pending", "Events waiting for the worker (JetStream consumer lag)"
)
REDELIVERIES = Counter("whatsapp_redeliveries_total", "Events delivered more than once")
DEAD_LETTERS = Counter(
    "whatsapp_dead_letters_total",
    "Events moved to the dead-letter stream, by reason: failed (every delivery failed), "
    "abandoned (the worker died under it every time), token_invalid, unknown_channel, "
    "undecodable",
    ["reason"],
)
STATUS_UPDATES = Counter(
    "whatsapp_status_updates_total",
    "Outbound status webhooks by status and effect",
    ["status", "effect"],
)
CARDS = Counter(
    "ibbase_cards_total",
    "Card photos handled, by outcome: read (a contact stored), empty (nothing read), "
    "bad_image, media_error, merged (a second side or photo of a card already stored)",
    ["outcome"],
)
FIELDS_CORRECTED = Counter(
    "ibbase_fields_corrected_total",
    "Contact fields a person corrected after the reader, by field and where (chat, api, ui): "
    "the reader's real error rate",
    ["field", "by"],
)
REPLY_SECONDS = Histogram(
    "ibbase_reply_seconds",
    "From the inbound message reaching the worker to its first reply accepted by the Graph API",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60, 120),
)
CHANNELS = Gauge("whatsapp_channel_registry_channels", "Channels loaded from the channel registry")
CHANNEL_FILES_INVALID = Gauge(
    "whatsapp_channel_registry_invalid_files", "Registry files skipped as invalid at the last load"
)
CHANNELS_LOADED_AT = Gauge(
    "whatsapp_channel_registry_last_reload_timestamp_seconds",
    "Unix time the channel registry was last (re)loaded",
)


class _LegacyTelegramCounter(Collector):
    """Re-exports the processed-message outcomes under the seed's metric name."""

    def collect(self) -> Iterator[Metric]:
        metric = Metric("telegram_messages_counter", "Messages processed (legacy name)", "unknown")
        totals = {"success": 0.0, "failed": 0.0}
        for family in MESSAGES.collect():
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    status = "success" if sample.labels["outcome"] == "success" else "failed"
                    totals[status] += sample.value
        for status, value in totals.items():
            metric.add_sample("telegram_messages_counter", {"status": status}, value)
        yield metric


REGISTRY.register(_LegacyTelegramCounter())


def record_message(msg_type: str, ok: bool) -> None:
    MESSAGES.labels(type=msg_type, outcome="success" if ok else "failed").inc()


def graph_call(endpoint: str, outcome: str) -> None:
    """``on_call`` hook for the Graph API client."""
    GRAPH_CALLS.labels(endpoint=endpoint, outcome=outcome).inc()


def channel_registry_loaded(registry: ChannelRegistry) -> None:
    """``on_reload`` hook for the channel registry."""
    CHANNELS.set(registry.count)
    CHANNEL_FILES_INVALID.set(len(registry.invalid))
    CHANNELS_LOADED_AT.set(registry.loaded_at or 0)
