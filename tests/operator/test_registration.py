"""Registration with Meta: only once the webhook answers over TLS; retried on Meta's
temporary errors, stopped on permanent ones; restored when Meta drops it; per scope."""

from __future__ import annotations

import asyncio

import pytest

from graph_sandbox.faults import FaultSpec
from tests.operator.conftest import APP_ID, World, phone_id, waba_id

pytestmark = pytest.mark.timeout(120)


async def test_no_registration_until_the_certificate_is_issued(world: World) -> None:
    world.controllers.held.add("held.example.test")
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("held")
    await world.wait_condition("held", "CertificateReady", "False", "CertificatePending")
    sub = await world.wait_condition("held", "WebhookSubscribed", "False", "WaitingForCertificate")
    assert "valid TLS" in sub["message"]
    await asyncio.sleep(2)  # a couple of resyncs: still nothing told to Meta
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}
    assert world.condition("held", "Ready")["status"] == "False"

    world.controllers.held.clear()
    await world.wait_condition("held", "Ready", "True")
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0))[APP_ID] is not None


async def test_missing_credentials_is_a_condition_then_heals(world: World) -> None:
    token = world.provision(1)
    await world.apply("nocreds")
    cond = await world.wait_condition("nocreds", "SecretsReady", "False", "CredentialsMissing")
    assert "crm/meta-credentials" in cond["message"] and "accessToken" in cond["message"]
    assert world.operator.thread.is_alive()
    await world.credentials("crm", "meta-credentials", token)
    await world.wait_condition("nocreds", "Ready", "True")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            FaultSpec(endpoint="subscribed_apps", method="POST", http_status=503, count=3),
            "MetaUnavailable",
        ),
        (
            FaultSpec(
                endpoint="subscribed_apps", method="POST", code=80007, http_status=429, count=3
            ),
            "MetaRateLimited",
        ),
    ],
    ids=["5xx", "429"],
)
async def test_temporary_meta_errors_are_retried_and_shown(
    world: World, fault: FaultSpec, reason: str
) -> None:
    world.meta.faults.add(fault)
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("flaky")
    cond = await world.wait_condition("flaky", "WebhookSubscribed", "False", reason)
    assert "Meta HTTP" in cond["message"]
    await world.wait_condition("flaky", "Ready", "True")
    assert world.meta.faults.pending() == []  # every injected failure was met, then it went on
    await world.until(lambda: "WebhookRegistered" in [r for _, r, _ in world.events("flaky")])
    assert reason in [r for _, r, _ in world.events("flaky")]


async def test_permission_error_is_permanent_until_the_credentials_change(world: World) -> None:
    # Meta refuses the registration with (#200) Permissions error although the ownership
    # checks pass (the token may manage the WABA): as when a business restricts the app.
    world.meta.faults.add(
        FaultSpec(endpoint="subscribed_apps", method="POST", code=200, http_status=403, count=999)
    )
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("denied")
    cond = await world.wait_condition("denied", "WebhookSubscribed", "False", "PermissionDenied")
    assert "(#200)" in cond["message"]
    before = world.sandbox_calls("/subscribed_apps")
    await asyncio.sleep(3)  # several resyncs: no retry storm against a permanent refusal
    assert world.sandbox_calls("/subscribed_apps") == before
    await world.until(
        lambda: ("Warning", "RegistrationRefused") in [(t, r) for t, r, _ in world.events("denied")]
    )

    world.meta.faults.clear()
    await world.credentials("crm", "meta-credentials", world.provision(1, prefix="1"))
    await world.wait_condition("denied", "Ready", "True")


async def test_a_token_that_reaches_no_waba_is_not_the_owner(world: World) -> None:
    world.provision(1)
    # A token of the right app that reaches no WABA: the ownership check stops it before
    # anything is routed or registered, and Meta's subscriptions are never touched.
    stranger = world.meta.accounts.add_token(app_id=APP_ID, waba_ids=[]).value
    await world.credentials("crm", "meta-credentials", stranger)
    await world.apply("stranger")
    cond = await world.wait_condition("stranger", "PhoneNumberOwned", "False", "NotOwner")
    assert "debug_token" in cond["message"] and stranger not in cond["message"]
    await asyncio.sleep(1)
    assert world.sandbox_calls("/subscribed_apps") == 0
    assert "crm.stranger.json" not in world.registry()
    await world.credentials("crm", "meta-credentials", world.provision(1, prefix="1"))
    await world.wait_condition("stranger", "Ready", "True")


async def test_drift_is_noticed_and_the_subscription_restored(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("drift")
    await world.wait_condition("drift", "Ready", "True")
    world.meta.subscriptions.disable(waba_id("1", 0), [phone_id("1", 0)])
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}

    async def restored() -> bool:
        return bool(world.meta.subscriptions.subscribed_apps(waba_id("1", 0)))

    await world.until(restored)
    await world.until(
        lambda: ("Warning", "WebhookResubscribed") in [(t, r) for t, r, _ in world.events("drift")]
    )
    assert world.condition("drift", "Ready")["status"] == "True"


async def test_spec_changes_are_reconciled(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("moving")
    await world.wait_condition("moving", "Ready", "True")
    generation = world.channel("moving")["metadata"]["generation"]

    # Another host and the phone-number scope: new ingress host, the WABA override goes,
    # the phone number's override points at the new URL.
    await world.kube.merge_patch(
        "ibbase.io/v1alpha1",
        "whatsappchannels",
        "crm",
        "moving",
        {"spec": {"host": "moved.example.test", "callbackScope": "phone"}},
    )

    def reconciled(obj: dict | None) -> bool:
        status = (obj or {}).get("status") or {}
        return status.get("observedGeneration") == generation + 1 and any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions", [])
        )

    await world.api.wait_for("whatsappchannels", "crm", "moving", reconciled, timeout=30)
    url = "https://moved.example.test/api/whatsapp/webhook/crm.moving"
    ingress = world.api.get("ingresses", "crm", "moving-webhook") or {}
    assert ingress["spec"]["rules"][0]["host"] == "moved.example.test"
    assert world.channel("moving")["status"]["webhookUrl"] == url
    subs = world.meta.subscriptions
    assert subs.subscribed_apps(waba_id("1", 0)) == {APP_ID: None}  # subscribed, no override
    override = subs.phone_override(phone_id("1", 0), APP_ID)
    assert override is not None and override.uri == url


async def test_app_scope_uses_the_apps_callback(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(1))
    await world.apply("appwide", callbackScope="app")
    await world.wait_condition("appwide", "Ready", "True")
    callback = world.meta.subscriptions.app_callback(APP_ID)
    assert callback is not None
    assert callback.callback_url == "https://appwide.example.test/api/whatsapp/webhook/crm.appwide"
    assert "messages" in callback.fields
