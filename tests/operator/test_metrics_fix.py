"""Issue 17, bug 4d: the operator serves ``/metrics`` (beside ``/healthz``, on
``IBBASE_OPERATOR_HEALTH_PORT``): reconcile passes by result, errors, Graph API calls by
call and outcome, and each channel's token expiry as a gauge. Before the fix the port served
only kopf's liveness endpoint."""

from __future__ import annotations

import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from graph_sandbox.faults import FaultSpec
from ibbase_dev.nats_server import free_port
from tests.operator.conftest import World

pytestmark = pytest.mark.timeout(120)
PORT = free_port()
DAY = 86400


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize("world", [{"health_port": PORT}], indirect=True)
async def test_the_operator_serves_its_metrics(world: World) -> None:
    world.meta.faults.add(
        FaultSpec(endpoint="subscribed_apps", method="POST", http_status=503, count=1)
    )
    await world.credentials("crm", "meta-credentials", world.provision(1, expires_in_s=40 * DAY))
    await world.apply("measured")
    await world.wait_condition("measured", "Ready", "True")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=5) as http:
        assert (await http.get("/healthz")).status_code == 200
        response = await http.get("/metrics")
    assert response.status_code == 200
    got = samples(response.text)
    assert got[("ibbase_operator_reconciles_total", (("result", "ready"),))] >= 1
    assert got[("ibbase_operator_reconciles_total", (("result", "waiting"),))] >= 1
    ok = (("call", "debug_token"), ("outcome", "ok"))
    assert got[("ibbase_operator_meta_calls_total", ok)] >= 1
    failed = (("call", "subscribe_waba"), ("outcome", "temporary"))
    assert got[("ibbase_operator_meta_calls_total", failed)] >= 1
    expiry = got[
        (
            "ibbase_operator_token_expiry_timestamp_seconds",
            (("name", "measured"), ("namespace", "crm")),
        )
    ]
    assert 39 * DAY < expiry - time.time() < 41 * DAY
    assert ("ibbase_operator_reconcile_duration_seconds_count", ()) in got
