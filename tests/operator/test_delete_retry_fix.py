"""Issue 17, bug 4b: deleting a channel while Meta fails no longer lets it go after a few
attempts with its registration left at Meta. The finalizer stays, the removal is retried at
the backoff's pace, and after ``IBBASE_OPERATOR_DELETE_ATTEMPTS`` the channel says so: the
condition ``Deleting=False`` with Meta's reason and how to let go, and one Warning event.
Once Meta answers, the registration is removed and the channel goes; the annotation
``ibbase.io/abandon-registration: "true"`` lets it go without. Before the fix the channel
was gone after three attempts (the tests' setting), its registration still at Meta."""

from __future__ import annotations

import asyncio

import pytest

from graph_sandbox.faults import FaultSpec
from tests.operator.conftest import APP_ID, WAC, World, waba_id

pytestmark = pytest.mark.timeout(120)
FAILING = FaultSpec(endpoint="subscribed_apps", method="DELETE", http_status=500, count=10_000)


async def _stuck(world: World, name: str) -> dict:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply(name)
    await world.wait_condition(name, "Ready", "True")
    world.meta.faults.add(FAILING)
    await world.kube.delete(*WAC, "crm", name)
    return await world.wait_condition(name, "Deleting", "False", "MetaUnavailable")


def _reasons(world: World, name: str) -> list[tuple[str, str]]:
    return [(t, r) for t, r, _ in world.events(name)]


async def test_delete_keeps_the_finalizer_while_meta_fails_and_says_so(world: World) -> None:
    cond = await _stuck(world, "stuck")
    assert "ibbase.io/abandon-registration=true" in cond["message"]
    assert waba_id("1", 0) in cond["message"]
    assert world.condition("stuck", "Ready")["reason"] == "MetaUnavailable"
    deletes = f"DELETE /v25.0/{waba_id('1', 0)}/subscribed_apps"
    await asyncio.sleep(3)
    # Still there, still trying, said once.
    assert world.channel("stuck")["metadata"]["finalizers"] == ["ibbase.io/webhook-registration"]
    assert world.sandbox_calls(deletes) > world.operator.settings.delete_attempts
    assert _reasons(world, "stuck").count(("Warning", "RegistrationRemovalFailing")) == 1
    assert ("Warning", "RegistrationLeftAtMeta") not in _reasons(world, "stuck")
    assert "crm.stuck.json" in world.registry()

    world.meta.faults.clear()  # Meta is back
    await world.wait_gone("stuck")
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}
    assert ("Normal", "RegistrationRemoved") in _reasons(world, "stuck")
    assert "crm.stuck.json" not in world.registry()


async def test_the_abandon_annotation_lets_a_stuck_channel_go(world: World) -> None:
    await _stuck(world, "abandoned")
    await world.kube.merge_patch(
        *WAC,
        "crm",
        "abandoned",
        {"metadata": {"annotations": {"ibbase.io/abandon-registration": "true"}}},
    )
    await world.wait_gone("abandoned")
    warnings = [m for t, r, m in world.events("abandoned") if r == "RegistrationLeftAtMeta"]
    assert len(warnings) == 1 and "Meta's App Dashboard" in warnings[0]
    assert waba_id("1", 0) in warnings[0]
    assert APP_ID in world.meta.subscriptions.subscribed_apps(waba_id("1", 0))  # left, as asked
    assert "crm.abandoned.json" not in world.registry()
