"""Issue 17, bug 3: the chart's operator RBAC is exactly what the operator uses. A channel's
whole life — created, Ready, its token refreshed, its verify token rotated, deleted — runs
on the emulator; every request kopf and the operator made is replayed against the rules
``helm template`` renders (tests/operator/rbac_replay.py), with the finalizers check of the
OwnerReferencesPermissionEnforcement admission plugin. Before the fix
``whatsappchannels/finalizers`` was missing (every child sets ``blockOwnerDeletion``), and
Secrets and Ingresses were granted list, watch and delete that nothing used.

The emulator has no authorizer; a real API server applies the same rules in the real-server
tier (tests/kube_real), which this replay does not replace: it pins least privilege."""

from __future__ import annotations

import pytest

from kube_emulator import KubeEmulator
from tests.operator.conftest import WAC, World
from tests.operator.rbac_replay import chart_grants, denied, operator_accesses, unused

pytestmark = [pytest.mark.timeout(150), pytest.mark.emulator_only]
DAY = 86400


async def test_the_chart_grants_exactly_what_a_channels_life_uses(world: World) -> None:
    assert isinstance(world.api, KubeEmulator)
    await world.credentials("crm", "meta-credentials", world.provision(1, expires_in_s=10 * DAY))
    await world.apply("audited", tokenRotation={"verifyTokenEvery": "3s"})
    await world.wait_condition("audited", "TokenValid", "True", "TokenRefreshed")
    await world.until(lambda: "VerifyTokenRotated" in [r for _, r, _ in world.events("audited")])
    await world.wait_condition("audited", "Ready", "True")
    await world.kube.delete(*WAC, "crm", "audited")
    await world.wait_gone("audited")

    accesses = operator_accesses(world.api.kmock)
    grants = chart_grants(world.operator.settings.registry_namespace)
    assert accesses
    assert denied(accesses, grants) == set()
    # Every verb granted was needed, except those of modes this run does not use: the
    # namespace list of a namespaced operator (not rendered here) and the leader Lease
    # (test_leader_fix.py replays that one).
    assert unused(accesses, grants) == {
        ("coordination.k8s.io", "leases", "get"),
        ("coordination.k8s.io", "leases", "update"),
        ("coordination.k8s.io", "leases", "create"),
    }
    # The user's credentials Secret is only ever read.
    writes = {a for a in accesses if a.resource == "secrets" and a.verb != "get"}
    assert {a.name for a in writes} - {None} <= {
        "audited-webhook",
        "audited-token",
        "ibbase-channels",
    }
    assert all(a.name != "meta-credentials" for a in writes)
