"""Issue 17, bug 4a: a refreshed access token goes into the operator's own Secret
``{channel}-token`` (owned by the channel), which the registry entry — and so the gateway
and the worker — use; the user's credentials Secret, which External Secrets Operator or a
GitOps tool may own, is never written. A new token the user puts there wins over the
refreshed one. Before the fix the refreshed token was merge-patched into the user's
Secret."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest

from tests.operator.conftest import APP_ID, WAC, World, waba_id

pytestmark = pytest.mark.timeout(120)
DAY = 86400


async def test_a_refreshed_token_goes_to_the_operators_secret_never_the_users(
    world: World,
) -> None:
    old = world.provision(1, expires_in_s=10 * DAY)  # inside the 480h (20 days) window
    await world.credentials("crm", "meta-credentials", old)
    users = await world.kube.get("v1", "secrets", "crm", "meta-credentials")
    await world.apply("fresh")
    await world.wait_condition("fresh", "TokenValid", "True", "TokenRefreshed")
    await world.wait_condition("fresh", "Ready", "True")

    after = await world.kube.get("v1", "secrets", "crm", "meta-credentials")
    assert after["data"] == users["data"]
    assert after["metadata"]["resourceVersion"] == users["metadata"]["resourceVersion"]

    ours = await world.kube.get("v1", "secrets", "crm", "fresh-token")
    new = base64.b64decode(ours["data"]["accessToken"]).decode()
    assert new != old
    assert world.meta.accounts.tokens[new].expires_at - time.time() > 59 * DAY
    (owner,) = ours["metadata"]["ownerReferences"]
    channel = world.channel("fresh")
    assert (owner["kind"], owner["name"], owner["uid"]) == (
        "WhatsAppChannel",
        "fresh",
        channel["metadata"]["uid"],
    )
    assert owner["controller"] and owner["blockOwnerDeletion"]
    assert ours["metadata"]["annotations"]["ibbase.io/expires-at"].startswith(
        time.strftime("%Y-", time.gmtime(world.meta.accounts.tokens[new].expires_at))
    )
    await world.until(lambda: world.registry()["crm.fresh.json"]["access_token"] == new)

    # Later passes go on with the refreshed token: no second exchange.
    exchanges = world.sandbox_calls("/oauth/access_token")
    await asyncio.sleep(2)
    assert world.sandbox_calls("/oauth/access_token") == exchanges
    assert world.registry()["crm.fresh.json"]["access_token"] == new

    # The user's own new token (a system-user token that never expires) wins.
    mine = str(world.meta.accounts.add_token(app_id=APP_ID, waba_ids=[waba_id("1", 0)]).value)
    await world.credentials("crm", "meta-credentials", mine)
    await world.until(lambda: world.registry()["crm.fresh.json"]["access_token"] == mine)
    await world.wait_condition("fresh", "TokenValid", "True", "NeverExpires")

    # The token Secret goes with its channel.
    await world.kube.delete(*WAC, "crm", "fresh")
    await world.wait_gone("fresh")

    async def collected() -> bool:
        return await world.kube.get_or_none("v1", "secrets", "crm", "fresh-token") is None

    await world.until(collected)
