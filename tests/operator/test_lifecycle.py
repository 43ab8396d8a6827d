"""Apply → children, registration at Meta, Ready; changes; deletion."""

from __future__ import annotations

import pytest

from ibbase_operator.kube import KubeError
from tests.operator.conftest import APP_ID, WAC, World, phone_id, waba_id

pytestmark = pytest.mark.timeout(120)


async def test_apply_gives_children_registration_and_ready(world: World) -> None:
    token = world.provision(1)
    await world.credentials("crm", "meta-credentials", token)
    await world.apply("sales-ru")
    await world.wait_condition("sales-ru", "Ready", "True")

    ch = world.channel("sales-ru")
    status = ch["status"]
    assert status["webhookUrl"] == "https://sales-ru.example.test/api/whatsapp/webhook/crm.sales-ru"
    assert status["observedGeneration"] == ch["metadata"]["generation"]
    assert status["tokenExpiresAt"] == "never"
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "SecretsReady": "True",
        "PhoneNumberOwned": "True",
        "IngressReady": "True",
        "CertificateReady": "True",
        "WebhookVerified": "True",
        "WebhookSubscribed": "True",
        "TokenValid": "True",
        "Ready": "True",
    }
    # Children, owned by the channel.
    uid = ch["metadata"]["uid"]
    secret = world.api.get("secrets", "crm", "sales-ru-webhook")
    ingress = world.api.get("ingresses", "crm", "sales-ru-webhook")
    assert secret is not None and ingress is not None
    for child in (secret, ingress):
        assert child["metadata"]["ownerReferences"][0]["uid"] == uid
    assert ingress["spec"]["tls"][0]["secretName"] == "sales-ru-webhook-tls"
    # The registry entry the gateway reads, and Meta's side of the registration.
    entry = world.registry()["crm.sales-ru.json"]
    assert entry["phone_number_id"] == phone_id("1", 0)
    assert entry["verify_tokens"] == [world.verify_token("sales-ru")]
    override = world.meta.subscriptions.subscribed_apps(waba_id("1", 0))[APP_ID]
    assert override is not None and override.uri == status["webhookUrl"]
    # The gateway answers Meta's challenge for this channel through "the ingress".
    assert (await world.probe("sales-ru", world.verify_token("sales-ru"))).ok
    print("\n" + world.api.table("wac", "crm"))


async def test_invalid_resources_are_rejected_by_the_schema(world: World) -> None:
    bad = {
        "phoneNumberId": "not-digits",
        "host": "Not_A_Host",
        "callbackScope": "email",
        "tokenRotation": {"verifyTokenEvery": "30 days"},
    }
    with pytest.raises(KubeError) as caught:
        await world.apply("broken", **bad)
    assert caught.value.status == 422
    for fieldname in (
        "spec.phoneNumberId",
        "spec.host",
        "spec.callbackScope",
        "spec.tokenRotation.verifyTokenEvery",
    ):
        assert fieldname in caught.value.message
    assert world.api.get("whatsappchannels", "crm", "broken") is None
    with pytest.raises(KubeError) as caught:
        await world.kube.create(
            *WAC,
            "crm",
            {
                "apiVersion": "ibbase.io/v1alpha1",
                "kind": "WhatsAppChannel",
                "metadata": {"name": "no-spec"},
                "spec": {"host": "a.example.test"},
            },
        )
    assert caught.value.status == 422 and "phoneNumberId" in caught.value.message


async def test_two_channels_a_rotation_and_a_delete(world: World) -> None:
    """The closing note's transcript: run with ``-s`` to see it."""
    await world.credentials("crm", "meta-credentials", world.provision(2))
    await world.apply("sales-ru", i=0)
    await world.apply(
        "support-en", i=1, callbackScope="phone", tokenRotation={"verifyTokenEvery": "5s"}
    )
    await world.wait_condition("sales-ru", "Ready", "True")
    await world.wait_condition("support-en", "Ready", "True")
    lines = ["$ kubectl apply -f sales-ru.yaml -f support-en.yaml", "$ kubectl get wac -A"]
    lines.append(world.api.table("wac"))

    before = world.channel("support-en")["status"]["verifyTokenRotatedAt"]

    def rotated(obj: dict | None) -> bool:
        return ((obj or {}).get("status") or {}).get("verifyTokenRotatedAt") != before

    await world.api.wait_for("whatsappchannels", "crm", "support-en", rotated, timeout=30)
    after = world.channel("support-en")["status"]["verifyTokenRotatedAt"]
    await world.until(lambda: "VerifyTokenRotated" in [r for _, r, _ in world.events("support-en")])
    lines.append(f"# verify token of support-en rotated: {before} → {after}")
    lines += [
        f"  {kind:<8} {reason:<22} {message}"
        for kind, reason, message in world.events("support-en")
        if reason.startswith(("VerifyToken", "WebhookRegistered"))
    ]
    await world.kube.delete("ibbase.io/v1alpha1", "whatsappchannels", "crm", "sales-ru")
    await world.wait_gone("sales-ru")
    await world.until(
        lambda: any(r.startswith("Registration") for _, r, _ in world.events("sales-ru"))
    )
    lines.append("$ kubectl delete wac -n crm sales-ru")
    lines += [
        f"  {kind:<8} {reason:<22} {message}"
        for kind, reason, message in world.events("sales-ru")
        if reason.startswith("Registration")
    ]
    lines += ["$ kubectl get wac -n crm", world.api.table("wac", "crm")]
    assert world.meta.subscriptions.subscribed_apps(waba_id("1", 0)) == {}
    assert set(world.registry()) == {"crm.support-en.json"}
    print("\n" + "\n".join(lines))
