"""Fifty channels applied at once all become Ready; the time it took is printed."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.operator.conftest import World

pytestmark = pytest.mark.timeout(240)
N = 50


async def test_fifty_channels_at_once(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(N, prefix="2"))
    started = time.monotonic()
    await asyncio.gather(*(world.apply(f"ch{i:02d}", prefix="2", i=i) for i in range(N)))

    def all_ready() -> bool:
        return all(
            any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in (ch.get("status") or {}).get("conditions", [])
            )
            for ch in world.api.list("whatsappchannels", "crm")
        )

    await world.until(all_ready, timeout=180)
    took = time.monotonic() - started
    registry = world.registry()
    assert len(registry) == N
    assert len({e["phone_number_id"] for e in registry.values()}) == N
    for i in range(N):
        assert world.meta.subscriptions.subscribed_apps(f"2{i:014d}")
    print(f"\n{N} WhatsAppChannels applied at once: all Ready in {took:.1f} s")
