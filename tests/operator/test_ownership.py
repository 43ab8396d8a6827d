"""Ownership before routing: no registry entry until Meta confirms, with the channel's own
credentials, that they may act for its phone number (debug_token's granular scopes on the
WABA, the WABA's phone_numbers listing the number); an entry written earlier goes when that
stops being true; of two channels claiming one number, the older claim keeps it.

The pure rules first, then Meta's answers through MetaAdmin, then the operator against the
emulated API server and the Graph sandbox. The takeover itself, across namespaces, is
proved in tests/security/test_channel_takeover.py."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from graph_sandbox.faults import FaultSpec
from ibbase_operator import conditions as c
from ibbase_operator.channel import Channel
from ibbase_operator.meta import MANAGEMENT, MESSAGING, GranularScope, MetaAdmin, TokenInfo
from ibbase_operator.ownership import Ownership, older_claim, rank, token_problem
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.status import Pass, Stop, iso
from ibbase_operator.subscriptions import Credentials
from tests.operator.conftest import APP_ID, APP_SECRET, World, phone_id, waba_id

PHONE, WABA, APP = "123456789012345", "987654321098765", "112233445566778"
NOW = 1_750_000_000.0


def _object(
    name: str,
    namespace: str = "crm",
    *,
    created: str | None = "2025-01-01T00:00:00Z",
    phone: str = PHONE,
    generation: int = 1,
    verified_for: str | None = "1:41",
    confirmed_phone: str | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "generation": generation,
    }
    if created:
        meta["creationTimestamp"] = created
    if deleting:
        meta["deletionTimestamp"] = "2025-07-01T00:00:00Z"
    status: dict[str, Any] = {}
    if verified_for:
        status["ownership"] = {
            "verifiedFor": verified_for,
            "verifiedAt": "2025-01-01T00:00:00Z",
            "phoneNumberId": confirmed_phone or phone,
        }
    return {
        "metadata": meta,
        "spec": {
            "phoneNumberId": phone,
            "businessAccountId": WABA,
            "appId": APP,
            "host": f"{name}.example.test",
            "credentialsSecretRef": {"name": "meta-credentials"},
        },
        "status": status,
    }


def _info(*scopes: GranularScope, app_id: str = APP) -> TokenInfo:
    return TokenInfo(is_valid=True, expires_at=0, app_id=app_id, granular_scopes=scopes)


# The rules --------------------------------------------------------------------------------


def test_the_token_must_hold_both_whatsapp_scopes_on_the_waba() -> None:
    ch = Channel.from_object(_object("shop"))
    on_waba = frozenset({WABA})
    both = (GranularScope(MANAGEMENT, on_waba), GranularScope(MESSAGING, on_waba))
    assert token_problem(_info(*both), ch) is None
    # No target_ids: the scope is not limited to listed objects.
    unlimited = (GranularScope(MANAGEMENT, None), GranularScope(MESSAGING, None))
    assert token_problem(_info(*unlimited), ch) is None
    elsewhere = _info(
        GranularScope(MANAGEMENT, frozenset({"111"})), GranularScope(MESSAGING, frozenset({"111"}))
    )
    problem = token_problem(elsewhere, ch) or ""
    assert f"cannot act for WABA {WABA}" in problem
    assert MANAGEMENT in problem and MESSAGING in problem
    only_managing = _info(GranularScope(MANAGEMENT, frozenset({WABA})))
    assert MESSAGING in (token_problem(only_managing, ch) or "")
    assert MANAGEMENT not in (token_problem(only_managing, ch) or "")
    empty = _info(GranularScope(MANAGEMENT, frozenset()), GranularScope(MESSAGING, frozenset()))
    assert token_problem(empty, ch) is not None  # an empty list is no target, not every one
    assert token_problem(_info(), ch) is not None  # no granular scopes: nothing granted
    assert "of app 999" in (token_problem(_info(*both, app_id="999"), ch) or "")


def test_the_older_claim_wins_whatever_the_namespaces_are_called() -> None:
    victim = _object("shop", "zzz", created="2025-01-01T00:00:00Z")
    attacker = _object("shop", "aaa", created="2025-06-01T00:00:00Z")
    items = [attacker, victim]
    owner = older_claim(Channel.from_object(attacker), items)
    assert owner is not None and (owner.namespace, owner.name) == ("zzz", "shop")
    assert older_claim(Channel.from_object(victim), items) is None
    # The same second: namespace, then name.
    twin = _object("shop", "aaa", created="2025-01-01T00:00:00Z")
    assert older_claim(Channel.from_object(victim), [twin, victim]) is not None
    assert older_claim(Channel.from_object(twin), [twin, victim]) is None
    # Without a creation time (never from a real API server) a claim ranks last.
    assert rank(Channel.from_object(_object("x", created=None))) > rank(Channel.from_object(victim))


@pytest.mark.parametrize(
    "older",
    [
        _object("old", "zzz", deleting=True),  # being deleted: the newer one takes over
        _object("old", "zzz", verified_for=None),  # Meta never confirmed it: a squatter
        # Confirmed for the number it named before, not for this one it names now.
        _object("old", "zzz", generation=2, confirmed_phone="555555555555555"),
        _object("old", "zzz", phone="555555555555555"),  # another number
    ],
    ids=["deleting", "unconfirmed", "confirmed-for-another-number", "other-number"],
)
def test_claims_that_do_not_count(older: dict[str, Any]) -> None:
    newer = _object("new", "aaa", created="2025-06-01T00:00:00Z")
    assert older_claim(Channel.from_object(newer), [older, newer]) is None


def test_an_owner_changing_its_spec_keeps_its_claim_while_it_is_checked_again() -> None:
    """A new host or token (generation or Secret changed, check pending) opens no window
    for a newer claim."""
    older = _object("old", "zzz", generation=3, verified_for="2:41")
    newer = _object("new", "aaa", created="2025-06-01T00:00:00Z")
    assert older_claim(Channel.from_object(newer), [older, newer]) is not None


# Meta's answers ---------------------------------------------------------------------------


class FakeMeta:
    """Meta's two answers the ownership check reads, recording each request."""

    def __init__(self, *, targets: list[str] | None, phones: list[list[str]]) -> None:
        self.targets = targets
        self.pages = phones
        self.requests: list[httpx.Request] = []
        self.fail_with: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail_with:
            return httpx.Response(self.fail_with, json={"error": {"message": "down", "code": 2}})
        if request.url.path.endswith("/debug_token"):
            granular: list[dict[str, Any]] = [{"scope": s} for s in (MANAGEMENT, MESSAGING)]
            if self.targets is not None:
                granular = [{**g, "target_ids": self.targets} for g in granular]
            data = {"app_id": APP, "is_valid": True, "expires_at": 0, "granular_scopes": granular}
            return httpx.Response(200, json={"data": data})
        page = int(request.url.params.get("after", "-1")) + 1
        body: dict[str, Any] = {"data": [{"id": p} for p in self.pages[page]]}
        body["paging"] = {"cursors": {"before": str(page), "after": str(page)}}
        if page + 1 < len(self.pages):
            body["paging"]["next"] = f"https://graph.example.test/next?after={page}"
        return httpx.Response(200, json=body)


class FakeKube:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    async def list(self, *_: Any, **__: Any) -> list[dict[str, Any]]:
        return self.items


def _ownership(meta: FakeMeta, items: list[dict[str, Any]] | None = None) -> Ownership:
    admin = MetaAdmin("https://graph.example.test", transport=httpx.MockTransport(meta))
    kube: Any = FakeKube(items or [])
    return Ownership(kube, admin, OperatorSettings(), lambda: NOW)


def _pass(obj: dict[str, Any], credentials_version: str = "41") -> Pass:
    p = Pass.of(Channel.from_object(obj))
    p.status.credentials_version = credentials_version
    return p


CREDS = Credentials(access_token="EAAG-the-channels-own-token", app_secret="the-app-secret")


async def test_meta_confirms_with_the_channels_own_token_and_appsecret_proof() -> None:
    meta = FakeMeta(targets=[WABA], phones=[["100"], [PHONE]])
    p = _pass(_object("shop", verified_for=None))
    await _ownership(meta).require(p, CREDS)
    assert (p.conds.get(c.PHONE_NUMBER_OWNED) or {})["reason"] == "OwnershipVerified"
    assert p.status.ownership is not None and p.status.ownership.verified_for == "1:41"
    assert p.status.ownership.phone_number_id == PHONE
    debug, *listing = meta.requests
    assert debug.url.params["input_token"] == CREDS.access_token
    assert debug.headers["authorization"] == f"Bearer {APP}|{CREDS.app_secret}"
    proof = hmac.new(b"the-app-secret", CREDS.access_token.encode(), hashlib.sha256).hexdigest()
    assert [r.url.path for r in listing] == [f"/v25.0/{WABA}/phone_numbers"] * 2  # both pages
    for request in listing:
        assert request.headers["authorization"] == f"Bearer {CREDS.access_token}"
        assert request.url.params["appsecret_proof"] == proof
    assert listing[1].url.params["after"] == "0"

    # Confirmed a minute ago for this spec and these credentials: Meta is not asked again.
    recent = _object("shop")
    recent["status"]["ownership"]["verifiedAt"] = iso(NOW - 60)
    again = _pass(recent)
    meta.requests.clear()
    await _ownership(meta).require(again, CREDS)
    assert meta.requests == []


@pytest.mark.parametrize(
    ("targets", "phones", "fragment"),
    [
        (["111"], [[PHONE]], f"cannot act for WABA {WABA}"),
        ([WABA], [["100"]], f"phone number {PHONE} is not in WABA {WABA}"),
    ],
    ids=["token-elsewhere", "number-elsewhere"],
)
async def test_meta_refusing_is_not_owner(
    targets: list[str], phones: list[list[str]], fragment: str
) -> None:
    p = _pass(_object("shop"))
    with pytest.raises(Stop) as stopped:
        await _ownership(FakeMeta(targets=targets, phones=phones)).require(p, CREDS)
    assert stopped.value.retry  # retried with backoff, like every failure Meta may lift
    cond = p.conds.get(c.PHONE_NUMBER_OWNED) or {}
    assert (cond["status"], cond["reason"]) == ("False", "NotOwner")
    assert fragment in cond["message"] and CREDS.access_token not in cond["message"]
    assert "ownership" in p.status.to_patch() and p.status.ownership is None  # cleared


async def test_meta_down_keeps_only_a_claim_confirmed_for_these_credentials() -> None:
    meta = FakeMeta(targets=[WABA], phones=[[PHONE]])
    meta.fail_with = 503
    confirmed = _pass(_object("shop"))  # verifiedFor 1:41, checked long ago
    await _ownership(meta).require(confirmed, CREDS)  # routing goes on
    cond = confirmed.conds.get(c.PHONE_NUMBER_OWNED) or {}
    assert (cond["status"], cond["reason"]) == ("Unknown", "MetaUnavailable")
    assert "ownership" not in confirmed.status.to_patch()  # the confirmation stays
    # New credentials (or a new spec) have never been confirmed: no routing until they are.
    for p in (_pass(_object("shop"), "42"), _pass(_object("shop", generation=2))):
        with pytest.raises(Stop):
            await _ownership(meta).require(p, CREDS)


async def test_an_older_confirmed_claim_is_a_conflict() -> None:
    victim = _object("shop", "zzz", created="2025-01-01T00:00:00Z")
    attacker = _object("shop", "aaa", created="2025-06-01T00:00:00Z")
    p = _pass(attacker)
    meta = FakeMeta(targets=[WABA], phones=[[PHONE]])
    with pytest.raises(Stop):
        await _ownership(meta, [victim, attacker]).require(p, CREDS)
    cond = p.conds.get(c.PHONE_NUMBER_OWNED) or {}
    assert (cond["status"], cond["reason"]) == ("False", "PhoneNumberConflict")
    assert "zzz/shop" in cond["message"] and "2025-01-01T00:00:00Z" in cond["message"]
    winner = _pass(victim)
    await _ownership(meta, [victim, attacker]).require(winner, CREDS)
    assert (winner.conds.get(c.PHONE_NUMBER_OWNED) or {})["status"] == "True"


# The operator, against the emulator and the sandbox ---------------------------------------


def _other_token(world: World, *wabas: str) -> str:
    """A valid token of the test app that reaches only ``wabas``."""
    return str(world.meta.accounts.add_token(app_id=APP_ID, waba_ids=list(wabas)).value)


@pytest.mark.timeout(120)
async def test_a_token_that_cannot_act_for_the_waba_never_gets_an_entry(world: World) -> None:
    owner_token = world.provision(1)
    world.provision(1, prefix="2")  # another WABA, with a number of its own
    await world.credentials("crm", "meta-credentials", _other_token(world, waba_id("2", 0)))
    await world.apply("intruder")  # claims WABA 1's number and WABA
    cond = await world.wait_condition("intruder", c.PHONE_NUMBER_OWNED, "False", "NotOwner")
    assert f"cannot act for WABA {waba_id('1', 0)}" in cond["message"]
    ready = world.condition("intruder", "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "NotOwner")
    await asyncio.sleep(2)  # a few resyncs: still nothing routed, nothing told to Meta
    assert "crm.intruder.json" not in world.registry()
    assert world.served(phone_id("1", 0)) is None
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}
    assert ("Warning", "NotOwner") in [(t, r) for t, r, _ in world.events("intruder")]

    # The right credentials: verified, routed, registered.
    await world.credentials("crm", "meta-credentials", owner_token)
    await world.wait_condition("intruder", "Ready", "True")
    assert world.registry()["crm.intruder.json"]["created"]
    await world.until(lambda: world.served(phone_id("1", 0)) == "crm.intruder")


@pytest.mark.timeout(120)
async def test_a_number_outside_the_waba_never_gets_an_entry(world: World) -> None:
    world.provision(1)
    await world.credentials("crm", "meta-credentials", world.provision(1, prefix="2"))
    # Its own WABA and a token for it, but someone else's number.
    await world.apply("borrowed", phoneNumberId=phone_id("1", 0), businessAccountId=waba_id("2", 0))
    cond = await world.wait_condition("borrowed", c.PHONE_NUMBER_OWNED, "False", "NotOwner")
    assert f"phone number {phone_id('1', 0)} is not in WABA {waba_id('2', 0)}" in cond["message"]
    assert "phone_numbers" in cond["message"]
    await asyncio.sleep(1.5)
    assert "crm.borrowed.json" not in world.registry()
    assert world.sandbox_calls(f"/{waba_id('2', 0)}/phone_numbers") >= 1


@pytest.mark.timeout(120)
async def test_losing_ownership_removes_the_entry_written_earlier(world: World) -> None:
    token = world.provision(1)
    await world.credentials("crm", "meta-credentials", token)
    await world.apply("revoked", tokenRotation={"checkEvery": "1s"})
    await world.wait_condition("revoked", "Ready", "True")
    assert "crm.revoked.json" in world.registry()
    await world.until(lambda: world.served(phone_id("1", 0)) == "crm.revoked")

    # The business takes the WABA away from the token's system user.
    world.meta.accounts.tokens[token].waba_ids = frozenset()
    await world.wait_condition("revoked", c.PHONE_NUMBER_OWNED, "False", "NotOwner")
    await world.until(lambda: "crm.revoked.json" not in world.registry())
    await world.until(lambda: world.served(phone_id("1", 0)) is None)
    assert "ownership" not in world.channel("revoked")["status"]


@pytest.mark.timeout(120)
async def test_meta_failing_delays_the_entry_and_is_retried(world: World) -> None:
    world.meta.faults.add(FaultSpec(endpoint="phone_numbers", http_status=503, count=3))
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("patient")
    cond = await world.wait_condition("patient", c.PHONE_NUMBER_OWNED, "Unknown", "MetaUnavailable")
    assert "Meta HTTP 503" in cond["message"]
    assert "crm.patient.json" not in world.registry()
    await world.wait_condition("patient", "Ready", "True")
    assert world.meta.faults.pending() == []
    assert "crm.patient.json" in world.registry()


@pytest.mark.timeout(120)
async def test_the_entry_carries_the_claim_time(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("stamped")
    await world.wait_condition("stamped", "Ready", "True")
    created = world.channel("stamped")["metadata"]["creationTimestamp"]
    assert world.registry()["crm.stamped.json"]["created"] == created
    ownership = world.channel("stamped")["status"]["ownership"]
    assert ownership["verifiedFor"].startswith("1:") and ownership["verifiedAt"]
    assert APP_SECRET not in json.dumps(world.channel("stamped")["status"])
