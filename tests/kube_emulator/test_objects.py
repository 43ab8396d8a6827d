"""Create, read, replace and patch: the metadata rules and optimistic concurrency."""

from __future__ import annotations

import re

import httpx

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import (
    CONFIGMAPS,
    JSON_PATCH,
    MERGE,
    STRATEGIC,
    WIDGETS,
    configmap,
    widget,
)


async def test_server_owned_metadata_on_create(client: httpx.AsyncClient) -> None:
    body = widget("w1")
    body["metadata"].update(uid="forged", generation=7, creationTimestamp="2000-01-01T00:00:00Z")
    response = await client.post(WIDGETS, json=body)
    assert response.status_code == 201
    meta = response.json()["metadata"]
    assert meta["uid"] != "forged" and re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert meta["generation"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert meta["creationTimestamp"] != "2000-01-01T00:00:00Z"
    assert meta["namespace"] == "default"
    assert isinstance(meta["resourceVersion"], str) and int(meta["resourceVersion"]) > 0


async def test_resource_version_is_global_and_bumped_by_every_write(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post(CONFIGMAPS, json=configmap("a"))).json()
    second = (await client.post(WIDGETS, json=widget("w1"))).json()
    patched = (
        await client.patch(f"{CONFIGMAPS}/a", json={"data": {"k": "v"}}, headers=MERGE)
    ).json()
    versions = [int(o["metadata"]["resourceVersion"]) for o in (first, second, patched)]
    assert versions == sorted(versions) and len(set(versions)) == 3
    listed = (await client.get(CONFIGMAPS)).json()
    assert listed["metadata"]["resourceVersion"] == patched["metadata"]["resourceVersion"]
    assert listed["kind"] == "ConfigMapList"


async def test_noop_write_keeps_the_resource_version(client: httpx.AsyncClient) -> None:
    created = (await client.post(CONFIGMAPS, json=configmap("a"))).json()
    again = await client.patch(f"{CONFIGMAPS}/a", json={"data": {}}, headers=MERGE)
    assert again.json()["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


async def test_generation_moves_only_with_the_spec(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    labelled = await client.patch(
        f"{WIDGETS}/w1", json={"metadata": {"labels": {"a": "b"}}}, headers=MERGE
    )
    assert labelled.json()["metadata"]["generation"] == 1
    respecced = await client.patch(f"{WIDGETS}/w1", json={"spec": {"replicas": 3}}, headers=MERGE)
    assert respecced.json()["metadata"]["generation"] == 2
    status = await client.patch(
        f"{WIDGETS}/w1/status", json={"status": {"phase": "Ready"}}, headers=MERGE
    )
    assert status.json()["metadata"]["generation"] == 2
    assert int(status.json()["metadata"]["resourceVersion"]) > int(
        respecced.json()["metadata"]["resourceVersion"]
    )


async def test_generation_counts_status_where_it_is_no_subresource(
    client: httpx.AsyncClient,
) -> None:
    await client.post(CONFIGMAPS, json=configmap("a"))
    patched = await client.patch(f"{CONFIGMAPS}/a", json={"status": {"x": "y"}}, headers=MERGE)
    assert patched.json()["status"] == {"x": "y"}
    assert patched.json()["metadata"]["generation"] == 2


async def test_generate_name(client: httpx.AsyncClient) -> None:
    body = widget("")
    body["metadata"] = {"generateName": "wa-"}
    names = {(await client.post(WIDGETS, json=body)).json()["metadata"]["name"] for _ in range(3)}
    assert len(names) == 3
    assert all(re.fullmatch(r"wa-[bcdfghjklmnpqrstvwxz2456789]{5}", n) for n in names)
    nameless = await client.post(WIDGETS, json={**body, "metadata": {}})
    assert nameless.status_code == 422
    assert nameless.json()["details"]["causes"][0]["field"] == "metadata.name"


async def test_already_exists(client: httpx.AsyncClient) -> None:
    assert (await client.post(WIDGETS, json=widget("w1"))).status_code == 201
    response = await client.post(WIDGETS, json=widget("w1"))
    assert response.status_code == 409
    assert response.json()["reason"] == "AlreadyExists"
    assert response.json()["message"] == 'widgets.example.com "w1" already exists'


async def test_put_replaces_and_checks_the_resource_version(client: httpx.AsyncClient) -> None:
    created = (await client.post(WIDGETS, json=widget("w1", replicas=2))).json()
    replacement = widget("w1", mode="polling")
    replacement["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    replaced = await client.put(f"{WIDGETS}/w1", json=replacement)
    assert replaced.status_code == 200
    assert replaced.json()["spec"] == {
        "phoneNumberId": "100200300",
        "mode": "polling",
        "replicas": 1,
    }
    assert replaced.json()["metadata"]["uid"] == created["metadata"]["uid"]

    stale = await client.put(f"{WIDGETS}/w1", json=replacement)  # the same, now stale, version
    assert stale.status_code == 409
    assert stale.json()["reason"] == "Conflict"
    assert "the object has been modified" in stale.json()["message"]

    unconditional = widget("w1", replicas=4)
    assert (await client.put(f"{WIDGETS}/w1", json=unconditional)).status_code == 200


async def test_patch_with_stale_resource_version_conflicts(client: httpx.AsyncClient) -> None:
    created = (await client.post(WIDGETS, json=widget("w1"))).json()
    version = created["metadata"]["resourceVersion"]
    ok = await client.patch(
        f"{WIDGETS}/w1",
        json={"metadata": {"resourceVersion": version}, "spec": {"replicas": 2}},
        headers=MERGE,
    )
    assert ok.status_code == 200
    stale = await client.patch(
        f"{WIDGETS}/w1",
        json={"metadata": {"resourceVersion": version}, "spec": {"replicas": 3}},
        headers=MERGE,
    )
    assert stale.status_code == 409 and stale.json()["reason"] == "Conflict"
    assert (await client.get(f"{WIDGETS}/w1")).json()["spec"]["replicas"] == 2


async def test_json_patch_guarded_by_a_test_operation(client: httpx.AsyncClient) -> None:
    """kopf's way: a failing ``test`` of resourceVersion must be a 422, not a silent write."""
    created = (await client.post(WIDGETS, json=widget("w1", tags=["a"]))).json()
    version = created["metadata"]["resourceVersion"]
    ops = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": version},
        {"op": "add", "path": "/spec/tags/-", "value": "b"},
    ]
    assert (await client.patch(f"{WIDGETS}/w1", json=ops, headers=JSON_PATCH)).json()["spec"][
        "tags"
    ] == ["a", "b"]
    again = await client.patch(f"{WIDGETS}/w1", json=ops, headers=JSON_PATCH)
    assert again.status_code == 422
    missing = await client.patch(
        f"{WIDGETS}/w1", json=[{"op": "remove", "path": "/spec/nothing"}], headers=JSON_PATCH
    )
    assert missing.status_code == 422


async def test_merge_patch_null_deletes(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1", displayName="x", tags=["a", "b"]))
    patched = await client.patch(
        f"{WIDGETS}/w1", json={"spec": {"displayName": None, "tags": ["c"]}}, headers=MERGE
    )
    assert "displayName" not in patched.json()["spec"]
    assert patched.json()["spec"]["tags"] == ["c"]  # lists are replaced


async def test_strategic_merge_patch_merges_named_lists_on_builtins(
    client: httpx.AsyncClient,
) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "svc"},
        "spec": {"ports": [{"name": "http", "port": 80}, {"name": "metrics", "port": 9090}]},
    }
    await client.post("/api/v1/namespaces/default/services", json=service)
    patch = {"spec": {"ports": [{"name": "http", "port": 8080}, {"name": "grpc", "port": 9000}]}}
    patched = await client.patch(
        "/api/v1/namespaces/default/services/svc", json=patch, headers=STRATEGIC
    )
    assert patched.json()["spec"]["ports"] == [
        {"name": "http", "port": 8080},
        {"name": "metrics", "port": 9090},
        {"name": "grpc", "port": 9000},
    ]
    deleted = {"spec": {"ports": [{"name": "metrics", "$patch": "delete"}]}}
    patched = await client.patch(
        "/api/v1/namespaces/default/services/svc", json=deleted, headers=STRATEGIC
    )
    assert [p["name"] for p in patched.json()["spec"]["ports"]] == ["http", "grpc"]


async def test_strategic_merge_patch_is_refused_on_custom_resources(
    client: httpx.AsyncClient,
) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    response = await client.patch(
        f"{WIDGETS}/w1", json={"spec": {"replicas": 2}}, headers=STRATEGIC
    )
    assert response.status_code == 415
    assert response.json()["reason"] == "UnsupportedMediaType"


async def test_dry_run_stores_nothing(client: httpx.AsyncClient, api: KubeEmulator) -> None:
    before = api.store.resource_version
    created = await client.post(WIDGETS, params={"dryRun": "All"}, json=widget("w1", mode="nope"))
    assert created.status_code == 422  # dry-run still validates
    created = await client.post(WIDGETS, params={"dryRun": "All"}, json=widget("w1"))
    assert created.status_code == 201 and created.json()["spec"]["mode"] == "webhook"
    assert (await client.get(f"{WIDGETS}/w1")).status_code == 404

    await client.post(WIDGETS, json=widget("w1"))
    version = api.store.resource_version
    patched = await client.patch(
        f"{WIDGETS}/w1", params={"dryRun": "All"}, json={"spec": {"replicas": 5}}, headers=MERGE
    )
    assert patched.json()["spec"]["replicas"] == 5
    deleted = await client.delete(f"{WIDGETS}/w1", params={"dryRun": "All"})
    assert deleted.status_code == 200
    assert api.store.resource_version == version > before
    assert (await client.get(f"{WIDGETS}/w1")).json()["spec"]["replicas"] == 1


async def test_list_with_selectors_and_pages(client: httpx.AsyncClient) -> None:
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web"), ("d", "")):
        labels = {"tier": tier} if tier else {}
        await client.post(CONFIGMAPS, json=configmap(name, labels=labels))

    async def names(**params: str) -> list[str]:
        items = (await client.get(CONFIGMAPS, params=params)).json()["items"]
        return [i["metadata"]["name"] for i in items]

    assert await names(labelSelector="tier=web") == ["a", "c"]
    assert await names(labelSelector="tier!=web") == ["b", "d"]
    assert await names(labelSelector="tier in (db,web),tier notin (db)") == ["a", "c"]
    assert await names(labelSelector="!tier") == ["d"]
    assert await names(fieldSelector="metadata.name=b") == ["b"]
    assert await names(fieldSelector="metadata.namespace=default,metadata.name!=b") == [
        "a",
        "c",
        "d",
    ]
    bad = await client.get(CONFIGMAPS, params={"fieldSelector": "data.k=v"})
    assert bad.status_code == 400

    first = (await client.get(CONFIGMAPS, params={"limit": "3"})).json()
    assert [i["metadata"]["name"] for i in first["items"]] == ["a", "b", "c"]
    rest = await names(limit="3", **{"continue": first["metadata"]["continue"]})
    assert rest == ["d"]


async def test_scope_rules(client: httpx.AsyncClient) -> None:
    everywhere = await client.get("/apis/example.com/v1/widgets")  # list across namespaces
    assert everywhere.status_code == 200
    assert (await client.post("/apis/example.com/v1/widgets", json=widget("w"))).status_code == 404
    assert (await client.get("/api/v1/namespaces/default/namespaces")).status_code == 404
    missing_ns = await client.post(
        "/apis/example.com/v1/namespaces/nowhere/widgets", json=widget("w")
    )
    assert missing_ns.status_code == 404
    assert missing_ns.json()["message"] == 'namespaces "nowhere" not found'
    mismatch = widget("w")
    mismatch["metadata"]["namespace"] = "kube-system"
    assert (await client.post(WIDGETS, json=mismatch)).status_code == 400


async def test_envelope_is_filled_from_the_endpoint(client: httpx.AsyncClient) -> None:
    event = {"metadata": {"generateName": "ev-"}, "reason": "Hello", "type": "Normal"}
    created = await client.post("/api/v1/namespaces/default/events", json=event)
    assert created.status_code == 201
    assert (created.json()["apiVersion"], created.json()["kind"]) == ("v1", "Event")
    new_style = await client.post("/apis/events.k8s.io/v1/namespaces/default/events", json=event)
    assert new_style.json()["apiVersion"] == "events.k8s.io/v1"
    wrong_kind = await client.post(WIDGETS, json={**widget("w"), "kind": "Gadget"})
    assert wrong_kind.status_code == 400


async def test_invalid_names_and_labels(client: httpx.AsyncClient) -> None:
    response = await client.post(CONFIGMAPS, json=configmap("Not_Valid", labels={"ok": "x" * 64}))
    assert response.status_code == 422
    fields = [c["field"] for c in response.json()["details"]["causes"]]
    assert fields == ["metadata.name", "metadata.labels"]


async def test_anonymous_requests_are_refused(api: KubeEmulator) -> None:
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        response = await anonymous.get("/api/v1/namespaces")
        assert response.status_code == 401 and response.json()["reason"] == "Unauthorized"
        assert (await anonymous.get("/version")).status_code == 200


async def test_unknown_resources_and_methods(client: httpx.AsyncClient) -> None:
    assert (await client.get("/apis/example.com/v9/namespaces/default/widgets")).status_code == 404
    assert (await client.get(f"{WIDGETS}/w1/scale")).status_code == 404
    bad_body = await client.post(
        WIDGETS, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_body.status_code == 400 and bad_body.json()["kind"] == "Status"
    assert (await client.post(f"{WIDGETS}/w1", json=widget("w1"))).status_code == 405


async def test_faults_can_be_injected_through_kmock(
    client: httpx.AsyncClient, api: KubeEmulator
) -> None:
    import kmock

    api.kmock["post", kmock.resource("example.com", "v1", "widgets")][:1] << 503
    assert (await client.post(WIDGETS, json=widget("w1"))).status_code == 503
    assert (await client.post(WIDGETS, json=widget("w1"))).status_code == 201
