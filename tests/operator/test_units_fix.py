"""Issue 17's pure parts: who holds a shared registration, the drift schedule and budget,
which access token a channel uses, and the Lease's rules against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ibbase_operator.channel import Channel, b64, digest
from ibbase_operator.drift import DriftBudget, jitter_factor
from ibbase_operator.kube import KubeClient, KubeConfig
from ibbase_operator.leader import LeaseElector
from ibbase_operator.sharing import plan_for
from ibbase_operator.tokens import refreshed_token
from kube_emulator import KubeEmulator

WABA, APP = "10000000000000", "112233445566778"


def _object(
    name: str,
    created: str,
    *,
    phone: str,
    scope: str = "waba",
    namespace: str = "crm",
    confirmed: bool = True,
    deleting: bool = False,
    waba: str = WABA,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "creationTimestamp": created,
    }
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:09Z"
    status = {"ownership": {"phoneNumberId": phone}} if confirmed else {}
    return {
        "metadata": meta,
        "spec": {
            "phoneNumberId": phone,
            "businessAccountId": waba,
            "appId": APP,
            "host": f"{name}.example.test",
            "credentialsSecretRef": {"name": "meta-credentials"},
            "callbackScope": scope,
        },
        "status": status,
    }


def test_the_oldest_channel_holds_the_waba_override_the_others_get_their_number() -> None:
    a = _object("a", "2026-01-01T00:00:02Z", phone="15550000000001")
    b = _object("b", "2026-01-01T00:00:01Z", phone="15550000000002", namespace="zzz")
    c = _object("c", "2026-01-01T00:00:03Z", phone="15550000000003")
    items = [a, b, c]
    plans = {o["metadata"]["name"]: plan_for(Channel.from_object(o), items) for o in items}
    assert plans["b"].scope == "waba" and plans["b"].held_by(Channel.from_object(b)) is None
    assert plans["b"].shared_with == ["crm/a", "crm/c"]  # oldest first
    for name in ("a", "c"):
        assert plans[name].scope == "phone"
        assert plans[name].held_by(Channel.from_object(items[ord(name) - ord("a")])) == "zzz/b"
    assert plans["b"].successor(Channel.from_object(b)) == Channel.from_object(a)
    assert plans["a"].successor(Channel.from_object(a)) is None


def test_only_channels_that_register_count() -> None:
    me = _object("me", "2026-01-01T00:00:05Z", phone="15550000000001")
    squatter = _object("old", "2026-01-01T00:00:01Z", phone="15550000000002", confirmed=False)
    going = _object("going", "2026-01-01T00:00:02Z", phone="15550000000003", deleting=True)
    # An older claim on the same number as "loser": "loser" does not register.
    owner = _object("owner", "2026-01-01T00:00:03Z", phone="15550000000004")
    loser = _object("loser", "2026-01-01T00:00:00Z", phone="15550000000004", namespace="zz")
    loser["metadata"]["creationTimestamp"] = "2026-01-01T00:00:04Z"
    elsewhere = _object("other", "2026-01-01T00:00:00Z", phone="15550000000005", waba="2" * 14)
    phone = _object("phone", "2026-01-01T00:00:00Z", phone="15550000000006", scope="phone")
    items = [me, squatter, going, owner, loser, elsewhere, phone]
    plan = plan_for(Channel.from_object(me), items)
    assert plan.scope == "phone" and plan.held_by(Channel.from_object(me)) == "crm/owner"
    assert plan.shared_with == ["crm/owner"]


def test_phone_scope_shares_nothing() -> None:
    me = _object("me", "2026-01-01T00:00:05Z", phone="15550000000001", scope="phone")
    other = _object("o", "2026-01-01T00:00:01Z", phone="15550000000002", scope="phone")
    plan = plan_for(Channel.from_object(me), [me, other])
    assert (plan.scope, plan.holder, plan.peers) == ("phone", None, ())


def test_drift_jitter_spreads_channels_and_is_stable() -> None:
    factors = [jitter_factor(f"uid-{i}", "2026-01-01T00:00:00Z", 0.2) for i in range(200)]
    assert all(0.8 <= f < 1.2 for f in factors)
    assert max(factors) - min(factors) > 0.3  # spread, not one value
    assert jitter_factor("uid-1", "t", 0.2) == jitter_factor("uid-1", "t", 0.2)
    assert jitter_factor("uid-1", "t", 0.0) == 1.0


def test_drift_budget_is_per_waba_and_refills_over_the_hour() -> None:
    now = [0.0]
    budget = DriftBudget(4, clock=lambda: now[0])
    assert budget.spend(APP, WABA, 2) and budget.spend(APP, WABA, 2)
    assert not budget.spend(APP, WABA, 1)
    assert budget.spend(APP, "2" * 14, 2)  # another WABA has its own
    now[0] = 900.0  # a quarter of an hour: one call back
    assert budget.spend(APP, WABA, 1) and not budget.spend(APP, WABA, 1)
    assert not DriftBudget(0).spend(APP, WABA, 1)


def test_a_refreshed_token_is_used_only_while_the_users_token_is_its_origin() -> None:
    secret = {
        "metadata": {"annotations": {"ibbase.io/refreshed-from": digest("user-token")}},
        "data": {"accessToken": b64("refreshed-token")},
    }
    assert refreshed_token(secret, "user-token") == "refreshed-token"
    assert refreshed_token(secret, "a-newer-user-token") is None
    assert refreshed_token(None, "user-token") is None


async def test_one_lease_one_holder_until_released_or_expired(tmp_path: Path) -> None:
    async with KubeEmulator.serve(namespaces=("default", "ibbase")) as api:
        client = KubeClient(KubeConfig.from_kubeconfig(api.write_kubeconfig(tmp_path / "kc")))
        now = [0.0]
        electors = [
            LeaseElector(
                client, "ibbase", "ibbase-operator", identity=name, monotonic=lambda: now[0]
            )
            for name in ("one", "two")
        ]
        one, two = electors
        try:
            assert await one.try_acquire_or_renew()
            assert not await two.try_acquire_or_renew()
            now[0] = 10.0
            assert await one.try_acquire_or_renew()  # renewed: a new record
            now[0] = 20.0
            # "two" sees the renewed record only now: 15 s from now it may take it over
            # (the holder's clock is never trusted, only when the record last changed).
            assert not await two.try_acquire_or_renew()
            now[0] = 34.0
            assert not await two.try_acquire_or_renew()
            now[0] = 35.5
            assert await two.try_acquire_or_renew()
            lease = api.get("leases", "ibbase", "ibbase-operator") or {}
            assert lease["spec"]["holderIdentity"] == "two"
            assert lease["spec"]["leaseTransitions"] == 1
            assert not await one.try_acquire_or_renew()
            await two.release()
            assert await one.try_acquire_or_renew()  # released: no need to wait
        finally:
            await client.aclose()
