"""Issue 17, bug 1: channels that share a WABA (``callbackScope: waba``) or an app
(``callbackScope: app``) no longer overwrite Meta's single WABA override or app callback at
every pass. The oldest holds it; each other one gets a phone-number override of its own,
which Meta prefers, so every number reaches its own channel's route; they see each other in
``status.registration`` (``heldBy``, ``sharedWith``); deleting the holder hands the
registration to the next channel instead of removing it.

Before the fix both channels wrote the WABA override at every drift check (here every
0.5 s), each pointing it at its own route: the second channel's number reached the first
channel's route, which drops another number's events."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.operator.conftest import APP_ID, WAC, World, phone_id, waba_id

pytestmark = pytest.mark.timeout(150)

# Drift checks every half second with budget to spare: a fight would show at once.
EAGER_DRIFT = {"drift_interval_s": 0.5, "drift_calls_per_hour": 100_000}
PHONES = ["15550000000000", "15550000000001"]


def url(name: str) -> str:
    return f"https://{name}.example.test/api/whatsapp/webhook/crm.{name}"


def registration(world: World, name: str) -> dict[str, Any]:
    return dict((world.channel(name).get("status") or {}).get("registration") or {})


async def _two_channels(world: World, **spec: Any) -> None:
    """``first`` and ``second`` on one WABA (two numbers), ``first`` a second older."""
    token = world.provision(1)
    world.meta.accounts.add_waba(waba_id("1", 0), PHONES, app_id=APP_ID)
    await world.credentials("crm", "meta-credentials", token)
    await world.apply("first", phoneNumberId=PHONES[0], **spec)
    await asyncio.sleep(1.1)  # creationTimestamp has one-second resolution
    await world.apply("second", phoneNumberId=PHONES[1], **spec)
    await world.wait_condition("first", "Ready", "True")
    await world.wait_condition("second", "Ready", "True")


@pytest.mark.parametrize("world", [EAGER_DRIFT], indirect=True)
async def test_two_channels_on_one_waba_share_its_override_without_fighting(world: World) -> None:
    await _two_channels(world)
    waba, subs = waba_id("1", 0), world.meta.subscriptions

    def placed() -> bool:
        return (
            registration(world, "second").get("heldBy") == "crm/first"
            and registration(world, "first").get("sharedWith") == ["crm/second"]
            and registration(world, "second").get("sharedWith") == ["crm/first"]
        )

    await world.until(placed)
    await world.until(lambda: subs.effective_callback(waba, PHONES[1], APP_ID) == url("second"))
    override = subs.subscribed_apps(waba)[APP_ID]
    assert override is not None and override.uri == url("first")
    assert subs.effective_callback(waba, PHONES[0], APP_ID) == url("first")
    assert registration(world, "second")["scope"] == "phone"
    assert registration(world, "first")["scope"] == "waba"
    held = world.condition("second", "WebhookSubscribed")
    assert "held by crm/first" in held["message"] and "phone-number override" in held["message"]

    # Many drift checks later nobody has overwritten anybody.
    writes = world.sandbox_calls(f"POST /v25.0/{waba}/subscribed_apps")
    overrides = world.sandbox_calls(f"POST /v25.0/{PHONES[1]}")
    await asyncio.sleep(3)
    assert world.sandbox_calls(f"POST /v25.0/{waba}/subscribed_apps") == writes
    assert world.sandbox_calls(f"POST /v25.0/{PHONES[1]}") == overrides
    assert world.sandbox_calls(f"GET /v25.0/{waba}/subscribed_apps") > 0  # it did check
    assert subs.effective_callback(waba, PHONES[0], APP_ID) == url("first")
    assert subs.effective_callback(waba, PHONES[1], APP_ID) == url("second")

    # The holder goes: the override is handed to "second" before "first"'s removal, which
    # leaves it (and the WABA subscription) alone.
    await world.kube.delete(*WAC, "crm", "first")
    await world.wait_gone("first")
    override = subs.subscribed_apps(waba)[APP_ID]
    assert override is not None and override.uri == url("second")
    removed = [m for _, r, m in world.events("first") if r == "RegistrationRemoved"]
    assert removed and "handed to crm/second" in removed[0]
    # "second" holds it now: its own phone-number override is no longer needed.
    await world.until(lambda: subs.phone_override(PHONES[1], APP_ID) is None)
    await world.until(lambda: registration(world, "second").get("scope") == "waba")
    assert "heldBy" not in registration(world, "second")
    assert subs.effective_callback(waba, PHONES[1], APP_ID) == url("second")
    assert world.condition("second", "Ready")["status"] == "True"


@pytest.mark.parametrize("world", [EAGER_DRIFT], indirect=True)
async def test_two_channels_of_one_app_share_its_callback_without_fighting(world: World) -> None:
    token = world.provision(2)
    await world.credentials("crm", "meta-credentials", token)
    await world.apply("first", i=0, callbackScope="app")
    await asyncio.sleep(1.1)
    await world.apply("second", i=1, callbackScope="app")
    await world.wait_condition("first", "Ready", "True")
    await world.wait_condition("second", "Ready", "True")
    subs = world.meta.subscriptions
    await world.until(lambda: registration(world, "second").get("heldBy") == "crm/first")
    callback = subs.app_callback(APP_ID)
    assert callback is not None and callback.callback_url == url("first")
    for i, name in enumerate(("first", "second")):
        await world.until(
            lambda i=i, name=name: (
                subs.effective_callback(waba_id("1", i), phone_id("1", i), APP_ID) == url(name)
            )
        )
    writes = world.sandbox_calls(f"POST /v25.0/{APP_ID}/subscriptions")
    await asyncio.sleep(3)
    assert world.sandbox_calls(f"POST /v25.0/{APP_ID}/subscriptions") == writes
    callback = subs.app_callback(APP_ID)
    assert callback is not None and callback.callback_url == url("first")
