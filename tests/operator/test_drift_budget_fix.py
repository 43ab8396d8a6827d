"""Issue 17, bug 4e: the periodic drift check (reading a registration back from Meta) no
longer runs at every resync. It runs every ``IBBASE_OPERATOR_DRIFT_INTERVAL_S`` (10 resyncs
by default), jittered per channel, and within an hourly budget of Meta calls per (app,
WABA). Before the fix every resync (every second here) read ``subscribed_apps``."""

from __future__ import annotations

import asyncio

import pytest

from ibbase_operator.metrics import REGISTRY
from tests.operator.conftest import World, waba_id

pytestmark = pytest.mark.timeout(120)


def reads(world: World) -> int:
    return world.sandbox_calls(f"GET /v25.0/{waba_id('1', 0)}/subscribed_apps")


async def test_resyncs_do_not_read_the_registration_back_from_meta(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("quiet")
    await world.wait_condition("quiet", "Ready", "True")
    before = reads(world)
    await asyncio.sleep(4)  # four resyncs, none of them due for a drift check (10 s ± 20 %)
    assert reads(world) == before
    assert world.condition("quiet", "WebhookSubscribed")["status"] == "True"


BUDGET = {"resync_interval_s": 0.3, "drift_interval_s": 0.2, "drift_calls_per_hour": 3}


@pytest.mark.parametrize("world", [BUDGET], indirect=True)
async def test_drift_checks_stop_when_the_hourly_budget_is_spent(world: World) -> None:
    skipped = (
        REGISTRY.get_sample_value(
            "ibbase_operator_drift_checks_total", {"result": "skipped_budget"}
        )
        or 0.0
    )
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("thrifty")
    await world.wait_condition("thrifty", "Ready", "True")
    before = reads(world)
    await asyncio.sleep(4)  # a pass every 0.3 s, each due a check: 3 calls an hour allowed
    assert reads(world) - before <= 3
    now = REGISTRY.get_sample_value(
        "ibbase_operator_drift_checks_total", {"result": "skipped_budget"}
    )
    assert now is not None and now > skipped
