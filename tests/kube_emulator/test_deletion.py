"""Finalizers, deletionTimestamp, garbage collection, terminating namespaces and CRDs."""

from __future__ import annotations

from typing import Any

import httpx

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import CONFIGMAPS, JSON_PATCH, MERGE, WIDGETS, configmap, widget


def owned_by(owner: dict[str, Any]) -> list[dict[str, Any]]:
    meta = owner["metadata"]
    return [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": meta["name"],
            "uid": meta["uid"],
        }
    ]


async def test_delete_without_finalizers_removes_at_once(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    deleted = await client.delete(f"{WIDGETS}/w1")
    assert deleted.status_code == 200
    assert (await client.get(f"{WIDGETS}/w1")).status_code == 404
    again = await client.delete(f"{WIDGETS}/w1")
    assert again.status_code == 404 and again.json()["reason"] == "NotFound"


async def test_finalizers_hold_the_object_until_removed(client: httpx.AsyncClient) -> None:
    body = widget("w1")
    body["metadata"]["finalizers"] = ["example.com/cleanup", "example.com/other"]
    created = (await client.post(WIDGETS, json=body)).json()

    deleting = (await client.delete(f"{WIDGETS}/w1")).json()
    meta = deleting["metadata"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 0
    assert meta["generation"] == created["metadata"]["generation"] + 1
    assert (await client.get(f"{WIDGETS}/w1")).status_code == 200

    more = await client.patch(
        f"{WIDGETS}/w1",
        json={"metadata": {"finalizers": [*meta["finalizers"], "late"]}},
        headers=MERGE,
    )
    assert more.status_code == 422
    assert "no new finalizers can be added" in more.json()["message"]

    one_left = await client.patch(
        f"{WIDGETS}/w1", json={"metadata": {"finalizers": ["example.com/other"]}}, headers=MERGE
    )
    assert one_left.status_code == 200
    ops = [{"op": "remove", "path": "/metadata/finalizers"}]
    gone = await client.patch(f"{WIDGETS}/w1", json=ops, headers=JSON_PATCH)
    assert gone.status_code == 200
    assert (await client.get(f"{WIDGETS}/w1")).status_code == 404


async def test_garbage_collection_cascades(client: httpx.AsyncClient, api: KubeEmulator) -> None:
    owner = (await client.post(WIDGETS, json=widget("owner"))).json()
    child = (
        await client.post(CONFIGMAPS, json=configmap("child", ownerReferences=owned_by(owner)))
    ).json()
    grandchild = configmap("grandchild", ownerReferences=owned_by(child), finalizers=["hold"])
    await client.post(CONFIGMAPS, json=grandchild)
    other_owner = (await client.post(CONFIGMAPS, json=configmap("other"))).json()
    shared = configmap("shared", ownerReferences=owned_by(owner) + owned_by(other_owner))
    await client.post(CONFIGMAPS, json=shared)

    await client.delete(f"{WIDGETS}/owner")

    assert api.get("configmaps", "default", "child") is None
    held = api.get("configmaps", "default", "grandchild")
    assert held is not None and held["metadata"]["deletionTimestamp"]
    assert api.get("configmaps", "default", "shared") is not None  # one owner is still alive
    await client.patch(
        f"{CONFIGMAPS}/grandchild", json={"metadata": {"finalizers": None}}, headers=MERGE
    )
    assert api.get("configmaps", "default", "grandchild") is None


async def test_orphans_with_dangling_owners_are_collected(
    client: httpx.AsyncClient, api: KubeEmulator
) -> None:
    ghost = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "no-such-uid"}]
    created = await client.post(CONFIGMAPS, json=configmap("orphan", ownerReferences=ghost))
    assert created.status_code == 201
    assert api.get("configmaps", "default", "orphan") is None


async def test_deleting_a_namespace_deletes_its_content(
    client: httpx.AsyncClient, api: KubeEmulator
) -> None:
    await client.post("/api/v1/namespaces", json={"metadata": {"name": "team"}})
    await client.post("/apis/example.com/v1/namespaces/team/widgets", json=widget("w1"))
    held = widget("w2")
    held["metadata"]["finalizers"] = ["hold"]
    await client.post("/apis/example.com/v1/namespaces/team/widgets", json=held)

    deleting = await client.delete("/api/v1/namespaces/team")
    assert deleting.json()["status"]["phase"] == "Terminating"
    assert api.get("widgets", "team", "w1") is None
    refused = await client.post("/apis/example.com/v1/namespaces/team/widgets", json=widget("w3"))
    assert refused.status_code == 403

    await client.patch(
        "/apis/example.com/v1/namespaces/team/widgets/w2",
        json={"metadata": {"finalizers": []}},
        headers=MERGE,
    )
    assert api.get("namespaces", None, "team") is None


async def test_deleting_a_crd_removes_its_objects_and_its_endpoints(
    client: httpx.AsyncClient,
) -> None:
    held = widget("w1")
    held["metadata"]["finalizers"] = ["hold"]
    await client.post(WIDGETS, json=held)
    crd_url = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"

    await client.delete(crd_url)
    assert (await client.get(crd_url)).json()["metadata"]["deletionTimestamp"]
    assert (await client.get(f"{WIDGETS}/w1")).json()["metadata"]["deletionTimestamp"]
    assert (await client.post(WIDGETS, json=widget("w2"))).status_code == 405

    await client.patch(f"{WIDGETS}/w1", json={"metadata": {"finalizers": None}}, headers=MERGE)
    assert (await client.get(crd_url)).status_code == 404
    assert (await client.get(WIDGETS)).status_code == 404
    assert (await client.get("/apis/example.com/v1")).status_code == 404


async def test_delete_preconditions(client: httpx.AsyncClient) -> None:
    created = (await client.post(WIDGETS, json=widget("w1"))).json()
    stale = {"preconditions": {"resourceVersion": "1"}}
    response = await client.request("DELETE", f"{WIDGETS}/w1", json=stale)
    assert response.status_code == 409
    fresh = {"preconditions": {"uid": created["metadata"]["uid"]}}
    assert (await client.request("DELETE", f"{WIDGETS}/w1", json=fresh)).status_code == 200


async def test_delete_collection(client: httpx.AsyncClient) -> None:
    for name, labels in (("a", {"x": "1"}), ("b", {"x": "1"}), ("c", {})):
        await client.post(CONFIGMAPS, json=configmap(name, labels=labels))
    response = await client.delete(CONFIGMAPS, params={"labelSelector": "x=1"})
    assert [i["metadata"]["name"] for i in response.json()["items"]] == ["a", "b"]
    remaining = (await client.get(CONFIGMAPS)).json()["items"]
    assert [i["metadata"]["name"] for i in remaining] == ["c"]
