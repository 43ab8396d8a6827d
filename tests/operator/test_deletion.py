"""Deletion: the finalizer removes the registration at Meta in every branch — removed,
already gone (404), Meta failing (retried a bounded number of times, then let go with a
Warning that names what was left), credentials gone — and deletion never hangs."""

from __future__ import annotations

import pytest

from graph_sandbox.faults import FaultSpec
from tests.operator.conftest import APP_ID, World, waba_id

pytestmark = pytest.mark.timeout(120)


async def _ready(world: World, name: str) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply(name)
    await world.wait_condition(name, "Ready", "True")


def _reasons(world: World, name: str) -> list[tuple[str, str]]:
    return [(t, r) for t, r, _ in world.events(name)]


async def test_delete_removes_the_registration_children_and_registry_entry(world: World) -> None:
    await _ready(world, "bye")
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0))
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "crm", "bye")
    await world.wait_gone("bye")
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}
    assert "crm.bye.json" not in world.registry()
    # Owned: collected by the garbage collector (on a real cluster, moments after the owner).
    await world.until(lambda: world.api.get("secrets", "crm", "bye-webhook") is None, 30)
    await world.until(lambda: world.api.get("ingresses", "crm", "bye-webhook") is None, 30)
    assert ("Normal", "RegistrationRemoved") in _reasons(world, "bye")


async def test_delete_when_meta_no_longer_has_it(world: World) -> None:
    await _ready(world, "gone404")
    world.meta.faults.add(FaultSpec(endpoint="subscribed_apps", method="DELETE", http_status=404))
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "crm", "gone404")
    await world.wait_gone("gone404")
    assert ("Normal", "RegistrationAlreadyGone") in _reasons(world, "gone404")
    assert "crm.gone404.json" not in world.registry()


async def test_delete_retries_meta_5xx_then_succeeds(world: World) -> None:
    await _ready(world, "flaky")
    world.meta.faults.add(
        FaultSpec(endpoint="subscribed_apps", method="DELETE", http_status=503, count=2)
    )
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "crm", "flaky")
    await world.wait_gone("flaky")
    assert world.sandbox_calls(f"DELETE /v25.0/{waba_id('1', 0)}/subscribed_apps") == 3
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}
    assert ("Normal", "RegistrationRemoved") in _reasons(world, "flaky")


async def test_delete_without_credentials_lets_go_with_a_warning(world: World) -> None:
    await _ready(world, "orphan")
    await world.kube.delete("v1", "secrets", "crm", "meta-credentials")
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "crm", "orphan")
    await world.wait_gone("orphan")
    warnings = [m for t, r, m in world.events("orphan") if r == "RegistrationLeftAtMeta"]
    assert len(warnings) == 1 and "meta-credentials is gone" in warnings[0]
    assert "crm.orphan.json" not in world.registry()


async def test_delete_keeps_what_another_channel_on_the_same_waba_needs(world: World) -> None:
    token = world.provision(1)
    accounts = world.meta.accounts
    accounts.add_waba(waba_id("1", 0), ["15550000000000", "15550000000001"], app_id=APP_ID)
    await world.credentials("crm", "meta-credentials", token)
    await world.apply("first", phoneNumberId="15550000000000", callbackScope="phone")
    await world.apply("second", phoneNumberId="15550000000001", callbackScope="phone")
    await world.wait_condition("first", "Ready", "True")
    await world.wait_condition("second", "Ready", "True")
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "crm", "first")
    await world.wait_gone("first")
    subs = world.meta.subscriptions
    assert subs.phone_override("15550000000000", APP_ID) is None
    assert subs.phone_override("15550000000001", APP_ID) is not None
    assert APP_ID in subs.subscribed_apps(waba_id("1", 0))  # "second" still needs it
