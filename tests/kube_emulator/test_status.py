"""The status subresource: each endpoint writes only its own half of the object."""

from __future__ import annotations

import httpx

from tests.kube_emulator.support import JSON_PATCH, MERGE, WIDGETS, widget

INGRESSES = "/apis/networking.k8s.io/v1/namespaces/default/ingresses"


async def test_create_drops_status(client: httpx.AsyncClient) -> None:
    created = await client.post(WIDGETS, json={**widget("w1"), "status": {"phase": "Ready"}})
    assert "status" not in created.json()


async def test_main_endpoint_ignores_status(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    await client.patch(f"{WIDGETS}/w1/status", json={"status": {"phase": "Pending"}}, headers=MERGE)
    patched = await client.patch(
        f"{WIDGETS}/w1", json={"spec": {"replicas": 2}, "status": {"phase": "Ready"}}, headers=MERGE
    )
    assert patched.json()["spec"]["replicas"] == 2
    assert patched.json()["status"] == {"phase": "Pending"}
    current = (await client.get(f"{WIDGETS}/w1")).json()
    replaced = await client.put(f"{WIDGETS}/w1", json={**current, "status": {"phase": "Failed"}})
    assert replaced.json()["status"] == {"phase": "Pending"}


async def test_status_endpoint_ignores_everything_else(client: httpx.AsyncClient) -> None:
    created = (await client.post(WIDGETS, json=widget("w1"))).json()
    patched = await client.patch(
        f"{WIDGETS}/w1/status",
        json={
            "spec": {"replicas": 4},
            "metadata": {"labels": {"x": "y"}},
            "status": {"phase": "Ready"},
        },
        headers=MERGE,
    )
    body = patched.json()
    assert body["status"] == {"phase": "Ready"}
    assert body["spec"]["replicas"] == 1
    assert "labels" not in body["metadata"]
    assert body["metadata"]["generation"] == created["metadata"]["generation"]
    assert body["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]


async def test_status_put_and_json_patch(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    current = (await client.get(f"{WIDGETS}/w1/status")).json()
    assert current["metadata"]["name"] == "w1"  # GET /status returns the whole object
    current["status"] = {"phase": "Pending", "conditions": []}
    put = await client.put(f"{WIDGETS}/w1/status", json=current)
    assert put.json()["status"] == {"phase": "Pending", "conditions": []}
    ops = [
        {"op": "add", "path": "/status/conditions/-", "value": {"type": "Ready", "status": "True"}}
    ]
    patched = await client.patch(f"{WIDGETS}/w1/status", json=ops, headers=JSON_PATCH)
    assert patched.json()["status"]["conditions"] == [{"type": "Ready", "status": "True"}]


async def test_status_writes_are_validated_and_pruned(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    invalid = await client.patch(
        f"{WIDGETS}/w1/status", json={"status": {"phase": "Dancing"}}, headers=MERGE
    )
    assert invalid.status_code == 422
    assert [c["field"] for c in invalid.json()["details"]["causes"]] == ["status.phase"]
    pruned = await client.patch(
        f"{WIDGETS}/w1/status",
        json={"status": {"phase": "Ready", "kopf": {"progress": {}}}},
        headers=MERGE,
    )
    assert pruned.json()["status"] == {"phase": "Ready"}


async def test_builtin_with_status_subresource(client: httpx.AsyncClient) -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {"rules": [{"host": "wa.example.com"}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}},
    }
    created = await client.post(INGRESSES, json=ingress)
    assert "status" not in created.json()
    status = {"status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}}
    patched = await client.patch(f"{INGRESSES}/web/status", json=status, headers=MERGE)
    assert patched.json()["status"] == status["status"]


async def test_no_status_subresource_means_no_status_endpoint(client: httpx.AsyncClient) -> None:
    await client.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "a"}})
    response = await client.get("/api/v1/namespaces/default/configmaps/a/status")
    assert response.status_code == 404
