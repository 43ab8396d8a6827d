"""Security issue 15, finding 1: a WhatsAppChannel must not take over another channel's
phone number.

Before the fix, the operator wrote a channel's registry entry before anything checked that
its credentials could act for its ``phoneNumberId``/``businessAccountId`` (debug_token only
checked the app), and when two entries claimed one number the gateway kept the one whose
file name sorted first. A channel created in namespace ``aaa`` naming the number of a
channel in ``zzz`` therefore took the victim's webhook offline (404) and answered its users
with its own entry.

Proved here with the real operator (kopf) against the Kubernetes API emulator, the Graph
sandbox as Meta, and the gateway reading the registry Secret through a kubelet stand-in:

- credentials that cannot act for the number, or a number outside the claimed WABA: the
  newcomer never gets an entry (not even for a moment: every stored version of the registry
  Secret is checked) and shows ``PhoneNumberOwned=False reason=NotOwner``; the victim keeps
  its number, its webhook and its registration at Meta;
- a channel Meta refused does not keep the owner out by having claimed the number first;
- two channels whose credentials both may act for the number: the older claim keeps it,
  although ``aaa`` sorts before ``zzz``; the newer one shows ``PhoneNumberConflict`` naming
  the other, and takes over once the older one is deleted;
- the gateway on its own, given both entries: the older claim is served.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.channels import ChannelRegistry
from graph_sandbox.webhooks import encode, envelope, sign, text_message
from tests.gateway.channel_volume import SecretVolume, make_channel
from tests.operator import conftest as operator_tests
from tests.operator.conftest import APP_ID, APP_SECRET, World, phone_id, waba_id
from whatsapp_cloud.registry import ChannelEntry

pytestmark = pytest.mark.timeout(180)

# The operator tests' world (API emulator, Graph sandbox, gateway, kopf), here by name.
world = operator_tests.world
tls = operator_tests.tls
kube_backend = operator_tests.kube_backend

VICTIM_PHONE, VICTIM_WABA = phone_id("1", 0), waba_id("1", 0)
ATTACKER_APP, ATTACKER_SECRET = "998877665544332", "attacker-app-secret-never-logged"
ATTACKER_WABA, ATTACKER_PHONE = "30000000000000", "35550000000000"


async def _victim(world: World) -> dict[str, Any]:
    """The channel ``zzz/shop`` with its number, Ready and served, claimed a second ago at
    least (creationTimestamp has one-second resolution)."""
    world.namespace("zzz")
    world.namespace("aaa")
    await world.credentials("zzz", "meta-credentials", world.provision(1))
    obj = await world.apply("shop", namespace="zzz")
    await world.wait_condition("shop", "Ready", "True", namespace="zzz")
    await world.until(lambda: world.served(VICTIM_PHONE) == "zzz.shop")
    created = datetime.fromisoformat(obj["metadata"]["creationTimestamp"]).timestamp()
    await asyncio.sleep(max(0.0, created + 1.1 - time.time()))
    return dict(obj)


async def _victim_keeps_its_number(world: World) -> None:
    """The gateway serves the number with the victim's entry, the victim's webhook answers
    Meta's challenge and takes its events, and Meta still sends them to the victim."""
    assert world.served(VICTIM_PHONE) == "zzz.shop"
    assert (await world.probe("shop", world.verify_token("shop", "zzz"), "zzz")).ok
    body = encode(
        envelope(VICTIM_PHONE, waba_id=VICTIM_WABA, messages=[text_message("79001234567", "hi")])
    )
    assert await world.post_webhook("shop", body, sign(body, APP_SECRET), "zzz") == 200
    override = world.meta.subscriptions.subscribed_apps(VICTIM_WABA)[APP_ID]
    assert override is not None
    assert override.uri == "https://shop.example.test/api/whatsapp/webhook/zzz.shop"
    assert world.condition("shop", "Ready", "zzz")["status"] == "True"


def _attacker_app(world: World) -> str:
    """Another business's app, WABA, number and token: its own, valid, credentials."""
    accounts = world.meta.accounts
    accounts.add_app(ATTACKER_APP, ATTACKER_SECRET, name="someone else's app")
    accounts.add_waba(ATTACKER_WABA, [ATTACKER_PHONE], app_id=ATTACKER_APP)
    return str(accounts.add_token(app_id=ATTACKER_APP, waba_ids=[ATTACKER_WABA]).value)


@pytest.mark.parametrize(
    ("waba", "check"),
    [
        (VICTIM_WABA, f"debug_token: the access token cannot act for WABA {VICTIM_WABA}"),
        (ATTACKER_WABA, f"phone number {VICTIM_PHONE} is not in WABA {ATTACKER_WABA}"),
    ],
    ids=["victims-waba", "own-waba"],
)
async def test_credentials_that_cannot_act_for_the_number_never_route_it(
    world: World, waba: str, check: str
) -> None:
    await _victim(world)
    await world.credentials(
        "aaa", "meta-credentials", _attacker_app(world), app_secret=ATTACKER_SECRET
    )
    await world.apply(
        "shop",
        namespace="aaa",
        appId=ATTACKER_APP,
        phoneNumberId=VICTIM_PHONE,
        businessAccountId=waba,
    )
    cond = await world.wait_condition(
        "shop", "PhoneNumberOwned", "False", "NotOwner", namespace="aaa"
    )
    assert check in cond["message"]
    ready = world.condition("shop", "Ready", "aaa")
    assert (ready["status"], ready["reason"]) == ("False", "NotOwner")
    await asyncio.sleep(3)  # several resyncs and retries of the attacker's channel

    assert "aaa.shop.json" not in world.registry_keys_ever()
    assert set(world.registry()) == {"zzz.shop.json"}
    assert not (await world.probe("shop", world.verify_token("shop", "aaa"), "aaa")).ok
    await _victim_keeps_its_number(world)
    # Nothing was registered at Meta for the attacker either.
    assert ATTACKER_APP not in world.meta.subscriptions.subscribed_apps(VICTIM_WABA)
    assert world.meta.subscriptions.subscribed_apps(ATTACKER_WABA) == {}


async def test_of_two_rightful_claims_the_older_keeps_the_number_until_it_is_deleted(
    world: World,
) -> None:
    victim = await _victim(world)
    # Credentials that may act for the victim's WABA (another system-user token of the same
    # business): the ownership checks pass, the claim is newer.
    insider = world.meta.accounts.add_token(app_id=APP_ID, waba_ids=[VICTIM_WABA]).value
    await world.credentials("aaa", "meta-credentials", str(insider))
    await world.apply("shop", namespace="aaa")
    cond = await world.wait_condition(
        "shop", "PhoneNumberOwned", "False", "PhoneNumberConflict", namespace="aaa"
    )
    assert "zzz/shop" in cond["message"]
    assert victim["metadata"]["creationTimestamp"] in cond["message"]
    await asyncio.sleep(3)
    assert "aaa.shop.json" not in world.registry_keys_ever()
    await _victim_keeps_its_number(world)
    assert world.condition("shop", "Ready", "aaa")["reason"] == "PhoneNumberConflict"

    # The older channel goes: the newer one takes the number over on its next pass.
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "zzz", "shop")
    await world.wait_gone("shop", namespace="zzz")
    await world.wait_condition("shop", "Ready", "True", namespace="aaa")
    assert world.condition("shop", "PhoneNumberOwned", "aaa")["reason"] == "OwnershipVerified"
    await world.until(lambda: set(world.registry()) == {"aaa.shop.json"})
    await world.until(lambda: world.served(VICTIM_PHONE) == "aaa.shop")
    override = world.meta.subscriptions.subscribed_apps(VICTIM_WABA)[APP_ID]
    assert override is not None
    assert override.uri == "https://shop.example.test/api/whatsapp/webhook/aaa.shop"


async def test_a_squatter_that_claimed_the_number_first_does_not_keep_the_owner_out(
    world: World,
) -> None:
    """The other way round: a channel naming someone else's number before its owner has a
    channel is refused by Meta, and its older claim does not block the owner's."""
    world.namespace("aaa")
    world.namespace("zzz")
    owner_token = world.provision(1)
    await world.credentials(
        "aaa", "meta-credentials", _attacker_app(world), app_secret=ATTACKER_SECRET
    )
    await world.apply(
        "shop",
        namespace="aaa",
        appId=ATTACKER_APP,
        phoneNumberId=VICTIM_PHONE,
        businessAccountId=VICTIM_WABA,
    )
    await world.wait_condition("shop", "PhoneNumberOwned", "False", "NotOwner", namespace="aaa")
    await asyncio.sleep(1.1)  # the owner's claim is newer by a second at least
    await world.credentials("zzz", "meta-credentials", owner_token)
    await world.apply("shop", namespace="zzz")
    await world.wait_condition("shop", "Ready", "True", namespace="zzz")
    await world.until(lambda: world.served(VICTIM_PHONE) == "zzz.shop")
    await _victim_keeps_its_number(world)
    assert "aaa.shop.json" not in world.registry_keys_ever()
    assert world.condition("shop", "PhoneNumberOwned", "aaa")["reason"] == "NotOwner"


def _shop(namespace: str, created: str) -> ChannelEntry:
    entry = make_channel(
        "shop",
        namespace=namespace,
        phone_number_id=VICTIM_PHONE,
        business_account_id=VICTIM_WABA,
        app_secret=f"app-secret-of-{namespace}",
        access_token=f"access-token-of-{namespace}",
        verify_tokens=(f"verify-token-of-{namespace}",),
    )
    return ChannelEntry.model_validate({**entry.model_dump(), "created": created})


def test_the_gateway_serves_the_older_of_two_entries(tmp_path: Path) -> None:
    """Defence in depth: should two entries for one number reach the registry anyway (two
    operators sharing it, an entry written before the fix), the gateway serves the older
    claim, not the file that sorts first, and the newer one gets no route at all."""
    victim = _shop("zzz", "2025-01-01T00:00:00Z")
    attacker = _shop("aaa", "2025-06-01T00:00:00Z")
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(attacker, victim)
    registry = ChannelRegistry(volume.directory)
    registry.refresh()
    assert registry.by_phone(VICTIM_PHONE) == victim
    assert registry.get("zzz.shop") == victim
    assert registry.get("aaa.shop") is None
