"""Issue 17, bug 4c: two operator replicas never reconcile at once. With leader election on
(the chart's default) only the holder of the Lease ``ibbase-operator`` runs kopf; the other
stands by (its ``/healthz`` answers, so the kubelet leaves it be) and takes over when the
holder shuts down and releases the Lease. Before the fix both ran kopf at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from ibbase_dev.nats_server import free_port
from kube_emulator import KubeEmulator
from tests.harness import wait_for
from tests.operator.conftest import OperatorThread, World
from tests.operator.rbac_replay import chart_grants, denied, operator_accesses

pytestmark = pytest.mark.timeout(150)
LEASE = ("coordination.k8s.io/v1", "leases", "ibbase", "ibbase-operator")


@contextlib.asynccontextmanager
async def replica(world: World, port: int) -> AsyncIterator[OperatorThread]:
    """An operator replica with leader election, started without waiting for it: a standby
    never reports ready (its kopf does not run), and this test's loop serves the emulator."""
    settings = world.operator.settings.model_copy(
        update={
            "leader_election": True,
            "lease_duration_s": 4.0,
            "lease_renew_deadline_s": 3.0,
            "lease_retry_s": 0.2,
            "health_port": port,
        }
    )
    thread = OperatorThread(settings, world.operator.kubeconfig)
    thread.thread.start()
    try:
        yield thread
    finally:
        await thread.stop()


async def holder(world: World) -> str:
    lease = await world.kube.get_or_none(*LEASE)
    return str(((lease or {}).get("spec") or {}).get("holderIdentity") or "")


async def test_only_the_lease_holder_reconciles(world: World) -> None:
    await world.operator.stop()  # the world's own runs without leader election
    await world.credentials("crm", "meta-credentials", world.provision(2))
    first_port, second_port = free_port(), free_port()
    async with replica(world, first_port) as first:
        await wait_for(first.ready_flag.is_set, timeout=30)
        leader = await holder(world)
        assert leader
        async with replica(world, second_port) as second:
            async with httpx.AsyncClient(timeout=5) as http:

                async def standing_by() -> bool:
                    try:
                        url = f"http://127.0.0.1:{second_port}/healthz"
                        return (await http.get(url)).status_code == 200
                    except httpx.TransportError:
                        return False

                await wait_for(standing_by, timeout=30)
            await world.apply("led", i=0)
            await world.wait_condition("led", "Ready", "True")
            await asyncio.sleep(1)
            assert not second.ready_flag.is_set()  # standing by: its kopf never started
            assert await holder(world) == leader

            await first.stop()  # a clean shutdown releases the Lease: the standby takes it
            await wait_for(second.ready_flag.is_set, timeout=30)
            assert await holder(world) not in ("", leader)
            await world.apply("followed", i=1)
            await world.wait_condition("followed", "Ready", "True")

    if isinstance(world.api, KubeEmulator):  # the Lease's verbs are in the chart's Role
        grants = chart_grants(world.operator.settings.registry_namespace)
        leases = [a for a in operator_accesses(world.api.kmock) if a.resource == "leases"]
        assert {a.verb for a in leases} == {"get", "create", "update"}
        assert denied(leases, grants) == set()
