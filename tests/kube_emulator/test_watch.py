"""Watch streams: exact continuation from a resourceVersion, and the protocol's edge cases."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import CONFIGMAPS, MERGE, configmap

Event = dict[str, Any]


async def watch(
    client: httpx.AsyncClient,
    url: str,
    done: Callable[[list[Event]], bool] = lambda events: False,
    *,
    pause: float = 0.0,
    **params: str,
) -> list[Event]:
    """Read events until ``done`` says so or the server closes the stream."""
    events: list[Event] = []
    query = {"watch": "true", **params}
    async with client.stream("GET", url, params=query, timeout=30) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if not line:
                continue
            events.append(json.loads(line))
            if done(events):
                break
            if pause:
                await asyncio.sleep(pause)
    return events


def versions(events: list[Event]) -> list[int]:
    return [int(e["object"]["metadata"]["resourceVersion"]) for e in events]


async def test_concurrent_writes_are_seen_exactly_once_in_order(
    client: httpx.AsyncClient, api: KubeEmulator
) -> None:
    start = (await client.get(CONFIGMAPS)).json()["metadata"]["resourceVersion"]
    written: list[int] = []

    async def writer(worker: int) -> None:
        name = f"cm-{worker}"
        for step in range(100):
            if step % 25 == 0:
                response = await client.post(CONFIGMAPS, json=configmap(name))
            elif step % 25 == 24:
                response = await client.delete(f"{CONFIGMAPS}/{name}")
            else:
                patch = {"data": {"step": str(step)}}
                response = await client.patch(f"{CONFIGMAPS}/{name}", json=patch, headers=MERGE)
            assert response.status_code in (200, 201), response.text
            written.append(int(response.json()["metadata"]["resourceVersion"]))

    def seen_all(events: list[Event]) -> bool:
        return len(events) == 500

    fast = asyncio.create_task(watch(client, CONFIGMAPS, seen_all, resourceVersion=start))
    slow = asyncio.create_task(
        watch(client, CONFIGMAPS, seen_all, pause=0.001, resourceVersion=start)
    )
    await asyncio.gather(*(writer(w) for w in range(5)))
    fast_events, slow_events = await asyncio.wait_for(asyncio.gather(fast, slow), timeout=20)

    assert len(written) == len(set(written)) == 500
    for events in (fast_events, slow_events):
        assert versions(events) == sorted(written)
        assert [e["type"] for e in events].count("ADDED") == 20
        assert [e["type"] for e in events].count("DELETED") == 20


async def test_no_resource_version_starts_with_the_current_state(client: httpx.AsyncClient) -> None:
    await client.post(CONFIGMAPS, json=configmap("old"))

    async def later() -> None:
        await asyncio.sleep(0.1)
        await client.post(CONFIGMAPS, json=configmap("new"))

    task = asyncio.create_task(later())
    events = await watch(client, CONFIGMAPS, lambda events: len(events) == 2)
    await task
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "old"),
        ("ADDED", "new"),
    ]


async def test_initial_events_end_with_a_bookmark(client: httpx.AsyncClient) -> None:
    await client.post(CONFIGMAPS, json=configmap("old"))
    events = await watch(
        client,
        CONFIGMAPS,
        lambda events: events[-1]["type"] == "BOOKMARK",
        sendInitialEvents="true",
        resourceVersionMatch="NotOlderThan",
        allowWatchBookmarks="true",
    )
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    annotations = events[1]["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}


async def test_too_old_resource_version_is_gone() -> None:
    async with KubeEmulator.serve(history_size=10) as small:
        for index in range(30):
            small.create(configmap(f"cm-{index}"), namespace="default")
        async with httpx.AsyncClient(base_url=small.url, headers=small.headers) as client:
            events = await watch(client, CONFIGMAPS, resourceVersion="2")
            assert len(events) == 1
            assert events[0]["type"] == "ERROR"
            status = events[0]["object"]
            assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
            recent = str(small.store.resource_version - 3)
            tail = await watch(
                client, CONFIGMAPS, lambda events: len(events) == 3, resourceVersion=recent
            )
            assert versions(tail) == list(range(int(recent) + 1, small.store.resource_version + 1))


async def test_timeout_seconds_closes_the_stream(client: httpx.AsyncClient) -> None:
    started = time.monotonic()
    events = await watch(client, CONFIGMAPS, resourceVersion="1", timeoutSeconds="1")
    elapsed = time.monotonic() - started
    assert events == []
    assert 0.9 <= elapsed < 3


async def test_bookmarks_carry_only_the_resource_version(
    client: httpx.AsyncClient, api: KubeEmulator
) -> None:
    created = (await client.post(CONFIGMAPS, json=configmap("a"))).json()
    events = await watch(
        client,
        CONFIGMAPS,
        lambda events: events[-1]["type"] == "BOOKMARK",
        resourceVersion=created["metadata"]["resourceVersion"],
        allowWatchBookmarks="true",
    )
    assert events == [
        {
            "type": "BOOKMARK",
            "object": {
                "kind": "ConfigMap",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(api.store.resource_version)},
            },
        }
    ]


async def test_selectors_turn_changes_into_arrivals_and_departures(
    client: httpx.AsyncClient,
) -> None:
    start = (await client.get(CONFIGMAPS)).json()["metadata"]["resourceVersion"]
    await client.post(CONFIGMAPS, json=configmap("a"))
    await client.post(CONFIGMAPS, json=configmap("other", labels={"app": "web"}))
    await client.patch(
        f"{CONFIGMAPS}/a", json={"metadata": {"labels": {"app": "web"}}}, headers=MERGE
    )
    await client.patch(f"{CONFIGMAPS}/a", json={"data": {"k": "v"}}, headers=MERGE)
    await client.patch(f"{CONFIGMAPS}/a", json={"metadata": {"labels": None}}, headers=MERGE)
    await client.delete(f"{CONFIGMAPS}/a")
    events = await watch(
        client,
        CONFIGMAPS,
        resourceVersion=start,
        labelSelector="app=web",
        fieldSelector="metadata.name=a",
        timeoutSeconds="1",
    )
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]


async def test_watches_are_scoped_to_their_namespace_and_resource(
    client: httpx.AsyncClient,
) -> None:
    start = (await client.get(CONFIGMAPS)).json()["metadata"]["resourceVersion"]
    await client.post("/api/v1/namespaces/kube-system/configmaps", json=configmap("elsewhere"))
    await client.post("/api/v1/namespaces/default/secrets", json={"metadata": {"name": "s"}})
    await client.post(CONFIGMAPS, json=configmap("here"))
    events = await watch(client, CONFIGMAPS, resourceVersion=start, timeoutSeconds="1")
    assert [e["object"]["metadata"]["name"] for e in events] == ["here"]
    everywhere = await watch(
        client, "/api/v1/configmaps", resourceVersion=start, timeoutSeconds="1"
    )
    assert [e["object"]["metadata"]["name"] for e in everywhere] == ["elsewhere", "here"]


async def test_watch_one_object_by_name(client: httpx.AsyncClient) -> None:
    start = (await client.get(CONFIGMAPS)).json()["metadata"]["resourceVersion"]
    await client.post(CONFIGMAPS, json=configmap("a"))
    await client.post(CONFIGMAPS, json=configmap("b"))
    events = await watch(client, f"{CONFIGMAPS}/b", resourceVersion=start, timeoutSeconds="1")
    assert [e["object"]["metadata"]["name"] for e in events] == ["b"]
