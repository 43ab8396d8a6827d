"""Which number an admin send goes out from: the ``WHATSAPP_*`` channel (``default``) or a
channel of the operator's registry, and the Graph client that speaks for it.

The default channel's client is the app's (made in the lifespan). A registry channel's is
made for the send, with the entry's current token and its own short-lived connection:
admin sends are rare, and a token rotated by the operator is then always the one used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx

from gateway.channels import ChannelRegistry
from gateway.models import DEFAULT_CHANNEL
from whatsapp_cloud.client import GraphClient
from whatsapp_cloud.registry import ChannelEntry

REGISTRY_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class Channel:
    id: str
    phone_number_id: str
    entry: ChannelEntry | None = None  # None: the WHATSAPP_* channel


class Channels:
    def __init__(
        self,
        default: GraphClient,
        default_phone_number_id: str,
        registry: ChannelRegistry | None,
        *,
        on_call: Callable[[str, str], None] | None = None,
    ) -> None:
        self.default = default
        self.default_phone_number_id = default_phone_number_id
        self.registry = registry
        self.on_call = on_call

    def find(self, channel_id: str) -> Channel | None:
        if channel_id == DEFAULT_CHANNEL:
            return Channel(DEFAULT_CHANNEL, self.default_phone_number_id)
        entry = self.registry.get(channel_id) if self.registry is not None else None
        if entry is None:
            return None
        return Channel(entry.id, entry.phone_number_id, entry)

    @asynccontextmanager
    async def graph(self, channel: Channel) -> AsyncIterator[GraphClient]:
        if channel.entry is None:
            yield self.default
            return
        entry = channel.entry
        async with httpx.AsyncClient(timeout=REGISTRY_TIMEOUT) as http:
            yield GraphClient(
                http,
                entry.graph_api_url,
                entry.phone_number_id,
                entry.access_token,
                on_call=self.on_call,
            )
