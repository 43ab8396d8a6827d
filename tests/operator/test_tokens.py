"""Tokens: the access token is checked, refreshed before it expires and written back; the
webhook verify token is rotated without a single webhook turned away."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from graph_sandbox.webhooks import encode, envelope, sign, text_message
from tests.operator.conftest import APP_ID, APP_SECRET, World, phone_id, waba_id

pytestmark = pytest.mark.timeout(120)
DAY = 86400


async def test_a_token_near_expiry_is_refreshed_and_written_back(world: World) -> None:
    old = world.provision(1, expires_in_s=10 * DAY)  # inside the 480h (20 days) window
    await world.credentials("crm", "meta-credentials", old)
    await world.apply("expiring")
    await world.wait_condition("expiring", "TokenValid", "True", "TokenRefreshed")
    await world.wait_condition("expiring", "Ready", "True")

    secret = world.api.get("secrets", "crm", "expiring-token") or {}
    new = base64.b64decode(secret["data"]["accessToken"]).decode()
    assert new != old
    info = world.meta.accounts.tokens[new]
    assert info.expires_at - time.time() > 59 * DAY  # a fresh 60-day token
    status = world.channel("expiring")["status"]
    assert status["tokenExpiresAt"].startswith(time.strftime("%Y-", time.gmtime(info.expires_at)))
    assert world.registry()["crm.expiring.json"]["access_token"] == new
    await world.until(lambda: "TokenRefreshed" in [r for _, r, _ in world.events("expiring")])
    # Never a token in an event or a condition.
    for _, _, message in world.events("expiring"):
        assert old not in message and new not in message
    for cond in status["conditions"]:
        assert old not in cond["message"] and new not in cond["message"]


async def test_an_expired_token_is_a_clear_condition(world: World) -> None:
    token = world.provision(1)
    await world.credentials("crm", "meta-credentials", token)
    await world.apply("lapsed", tokenRotation={"checkEvery": "1s"})
    await world.wait_condition("lapsed", "Ready", "True")
    world.meta.accounts.expire_token(token)  # the timer's next debug_token notices
    cond = await world.wait_condition("lapsed", "TokenValid", "False", "TokenExpired")
    assert "cannot be refreshed" in cond["message"]
    ready = await world.wait_condition("lapsed", "Ready", "False")
    assert ready["reason"] == "TokenExpired"


async def test_verify_token_rotation_rejects_no_webhook(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("rotating", tokenRotation={"verifyTokenEvery": "4s"})
    await world.wait_condition("rotating", "Ready", "True")
    first = world.verify_token("rotating")
    rotated_at = world.channel("rotating")["status"]["verifyTokenRotatedAt"]

    failures: list[str] = []
    delivered = 0

    async def meta_keeps_sending() -> None:
        nonlocal delivered
        while True:
            held = world.meta.subscriptions.subscribed_apps(waba_id("1", 0))[APP_ID]
            assert held is not None
            probe = await world.probe("rotating", held.verify_token)
            if not probe.ok:
                failures.append(f"verification: {probe.detail}")
            body = encode(
                envelope(
                    phone_id("1", 0),
                    waba_id=waba_id("1", 0),
                    messages=[text_message("79001234567", f"hi {delivered}")],
                )
            )
            status = await world.post_webhook("rotating", body, sign(body, APP_SECRET))
            if status != 200:
                failures.append(f"POST answered {status}")
            delivered += 1
            await asyncio.sleep(0.05)

    sender = asyncio.create_task(meta_keeps_sending())
    try:

        def rotated(obj: dict | None) -> bool:
            return ((obj or {}).get("status") or {}).get("verifyTokenRotatedAt") != rotated_at

        await world.api.wait_for("whatsappchannels", "crm", "rotating", rotated, timeout=30)
        await asyncio.sleep(0.5)  # Meta keeps sending after the switch, too
    finally:
        sender.cancel()
    assert failures == []
    assert delivered > 20
    second = world.verify_token("rotating")
    assert second != first
    secret = world.api.get("secrets", "crm", "rotating-webhook") or {}
    assert "previousVerifyToken" not in secret["data"]
    held = world.meta.subscriptions.subscribed_apps(waba_id("1", 0))[APP_ID]
    assert held is not None and held.verify_token == second
    # The old token is dropped everywhere once Meta has the new one.
    await world.until(lambda: world.registry()["crm.rotating.json"]["verify_tokens"] == [second])
    await world.until(lambda: _rejected(world, "rotating", first))
    reasons = [r for _, r, _ in world.events("rotating")]
    assert "VerifyTokenRotating" in reasons and "VerifyTokenRotated" in reasons


async def _rejected(world: World, name: str, token: str) -> bool:
    return not (await world.probe(name, token)).ok
