"""Issue 17, bug 2: a channel whose ``phoneNumberId``, ``businessAccountId`` or ``appId``
changes must not leave its old registration at Meta.

The CRD makes the three ids immutable (``x-kubernetes-validations: self == oldSelf``), so a
real API server refuses the edit. Where the rule is not evaluated — the emulator, which has
no CEL, or a cluster whose CRD predates the rule — the operator sees the change and removes
the old registration before it registers the new one. Before the fix the old WABA kept its
subscription and override, pointing at this channel, for good."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ibbase_operator.kube import KubeError
from tests.operator.conftest import APP_ID, CRD, WAC, World, phone_id, waba_id

pytestmark = pytest.mark.timeout(120)
IDS = ("phoneNumberId", "businessAccountId", "appId")


def test_the_crd_makes_the_ids_immutable() -> None:
    crd = yaml.safe_load(Path(CRD).read_text())
    (version,) = crd["spec"]["versions"]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    for field in IDS:
        rules = spec[field]["x-kubernetes-validations"]
        assert rules == [
            {
                "rule": "self == oldSelf",
                "message": f"{field} is immutable; create another WhatsAppChannel instead",
            }
        ]
    # The registration records the ids it was made for, so a change can be undone.
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    assert set(IDS) <= set(status["registration"]["properties"])


async def test_changing_the_ids_removes_the_old_registration_first(world: World) -> None:
    await world.credentials("crm", "meta-credentials", world.provision(2))
    await world.apply("mover", i=0)
    await world.wait_condition("mover", "Ready", "True")
    old, new = waba_id("1", 0), waba_id("1", 1)
    subs = world.meta.subscriptions
    assert APP_ID in subs.subscribed_apps(old)
    url = "https://mover.example.test/api/whatsapp/webhook/crm.mover"
    try:
        await world.kube.merge_patch(
            *WAC,
            "crm",
            "mover",
            {"spec": {"phoneNumberId": phone_id("1", 1), "businessAccountId": new}},
        )
    except KubeError as exc:
        # A real API server evaluates the CRD's rule: the edit never happens.
        assert exc.status == 422, exc
        assert "phoneNumberId is immutable" in exc.message
        assert "businessAccountId is immutable" in exc.message
        assert APP_ID in subs.subscribed_apps(old)
        return

    # No CEL here: the operator moves the registration.
    await world.until(lambda: subs.subscribed_apps(old) == {})

    def moved() -> bool:
        override = subs.subscribed_apps(new).get(APP_ID)
        return override is not None and override.uri == url

    await world.until(moved)
    await world.until(
        lambda: (
            (world.channel("mover")["status"].get("registration") or {}).get("phoneNumberId")
            == phone_id("1", 1)
        )
    )
    await world.wait_condition("mover", "Ready", "True")
    registration = world.channel("mover")["status"]["registration"]
    assert registration["businessAccountId"] == new and registration["appId"] == APP_ID
    moves = [m for _, r, m in world.events("mover") if r == "WebhookMoved"]
    assert len(moves) == 1 and old in moves[0] and "WABA subscription" in moves[0]
    assert world.registry()["crm.mover.json"]["phone_number_id"] == phone_id("1", 1)
