"""Which Graph API client speaks for which phone number.

An event is answered through the channel whose route received it, and only when the event's
``phone_number_id`` is that channel's number: a registry channel (its ``graph_api_url`` and
``access_token``, the token re-read from the registry at every call so that a rotated one is
used at once), or the single channel of the ``WHATSAPP_*`` settings. Any other pairing has
no client: :class:`UnknownChannel`, which the worker treats as final.

One ``GraphClient`` per channel, kept while the channel's URL and number stay the same, and
one HTTP connection pool per Graph origin, shared by the channels that use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from gateway.channels import ChannelRegistry
from whatsapp_cloud.client import META_MEDIA_HOSTS, GraphClient
from whatsapp_cloud.registry import ChannelEntry


class UnknownChannel(Exception):
    """No channel of this deployment serves the phone number an event arrived on."""

    def __init__(self, phone_number_id: str, channel_id: str = ""):
        if channel_id:
            why = (
                f"channel {channel_id!r} does not serve phone number id {phone_number_id!r} "
                "(or is no longer in the channel registry)"
            )
        else:
            why = (
                f"no channel serves phone number id {phone_number_id!r} on the single-channel "
                "route: it is not the configured WHATSAPP_PHONE_ID"
            )
        super().__init__(why)
        self.phone_number_id = phone_number_id


class GraphClients:
    def __init__(
        self,
        *,
        api_url: str,
        phone_number_id: str,
        access_token: SecretStr | Callable[[], SecretStr],
        registry: ChannelRegistry | None = None,
        timeout: httpx.Timeout | None = None,
        on_call: Callable[[str, str], None] | None = None,
        media_hosts: Iterable[str] = META_MEDIA_HOSTS,
    ) -> None:
        """``api_url``, ``phone_number_id`` and ``access_token``: the single channel.
        ``media_hosts``: where every channel's media may be downloaded from, besides the
        channel's own Graph API host (``WHATSAPP_MEDIA_HOSTS``)."""
        self._registry = registry
        self._media_hosts = tuple(media_hosts)
        self._timeout = timeout or httpx.Timeout(20.0, connect=5.0)
        self._on_call = on_call
        self._pools: dict[str, httpx.AsyncClient] = {}
        self._channels: dict[str, tuple[tuple[str, str], GraphClient]] = {}
        self._single_phone = phone_number_id
        # Built now so that a bad WHATSAPP_API_URL stops the process at start-up.
        self.single = GraphClient(
            self._pool(api_url),
            api_url,
            phone_number_id,
            access_token,
            on_call=on_call,
            media_hosts=self._media_hosts,
        )

    def for_phone(self, phone_number_id: str, channel_id: str = "") -> GraphClient:
        """The client of the channel whose route received the event (``UnknownChannel`` if
        none serves it, or if the event's number is not that channel's number).

        ``channel_id`` "" is the single-channel route: it speaks for its own number only,
        never for a registry channel's, whatever the event says. Events naming no number
        (older envelopes) are answered by the channel whose route received them.
        """
        if channel_id:
            entry = self._registry.get(channel_id) if self._registry is not None else None
            if entry is None:
                raise UnknownChannel(phone_number_id, channel_id)
            if phone_number_id and phone_number_id != entry.phone_number_id:
                raise UnknownChannel(phone_number_id, channel_id)
            return self._for_channel(entry)
        if not phone_number_id or phone_number_id == self._single_phone:
            return self.single
        raise UnknownChannel(phone_number_id)

    def entry(self, channel_id: str) -> ChannelEntry | None:
        """The registry entry of a channel; None for the single channel or an unknown one."""
        if not channel_id or self._registry is None:
            return None
        return self._registry.get(channel_id)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()
        self._channels.clear()

    def _for_channel(self, entry: ChannelEntry) -> GraphClient:
        shape = (entry.graph_api_url, entry.phone_number_id)
        known = self._channels.get(entry.id)
        if known is not None and known[0] == shape:
            return known[1]
        client = GraphClient(
            self._pool(entry.graph_api_url),
            entry.graph_api_url,
            entry.phone_number_id,
            self._token_of(entry),
            on_call=self._on_call,
            media_hosts=self._media_hosts,
        )
        self._channels[entry.id] = (shape, client)
        return client

    def _token_of(self, entry: ChannelEntry) -> Callable[[], SecretStr]:
        registry, cid, last = self._registry, entry.id, [entry.access_token]

        def token() -> SecretStr:
            # The registry's current token; the last one seen if the channel just left it.
            current = registry.get(cid) if registry is not None else None
            if current is not None:
                last[0] = current.access_token
            return last[0]

        return token

    def _pool(self, api_url: str) -> httpx.AsyncClient:
        parts = urlsplit(api_url)
        origin = f"{parts.scheme}://{parts.netloc}"
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = httpx.AsyncClient(timeout=self._timeout)
        return pool
