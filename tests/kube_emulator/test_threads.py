"""The emulator from other threads: kubeconfig-driven clients and direct, copied reads."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import yaml

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import CONFIGMAPS, WIDGETS, configmap, widget


def client_from_kubeconfig(path: Path) -> tuple[httpx.Client, str]:
    config = yaml.safe_load(path.read_text())
    current = config["current-context"]
    context = next(c["context"] for c in config["contexts"] if c["name"] == current)
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    headers = {"Authorization": f"Bearer {user['token']}"}
    return httpx.Client(base_url=cluster["server"], headers=headers), context["namespace"]


async def test_kubeconfig_drives_a_plain_client_in_another_thread(
    api: KubeEmulator, tmp_path: Path
) -> None:
    kubeconfig = api.write_kubeconfig(tmp_path / "config", namespace="kube-system")

    def in_thread() -> dict[str, Any]:
        client, namespace = client_from_kubeconfig(kubeconfig)
        with client:
            url = f"/api/v1/namespaces/{namespace}/configmaps"
            assert client.post(url, json=configmap("from-thread")).status_code == 201
            response = client.get(f"{url}/from-thread")
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body

    created = await asyncio.to_thread(in_thread)
    assert created["metadata"]["namespace"] == "kube-system"
    assert api.get("cm", "kube-system", "from-thread") == created


async def test_direct_reads_are_copies(api: KubeEmulator, client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    copy = api.get("widgets", "default", "w1")
    assert copy is not None
    copy["spec"]["replicas"] = 99
    assert api.get("wd", "default", "w1")["spec"]["replicas"] == 1  # type: ignore[index]
    assert api.get("widgets", "default", "missing") is None


async def test_writes_from_another_thread_wake_watchers(
    api: KubeEmulator, client: httpx.AsyncClient
) -> None:
    start = (await client.get(CONFIGMAPS)).json()["metadata"]["resourceVersion"]
    waiting = asyncio.create_task(
        api.wait_for("configmaps", "default", "seeded", lambda obj: obj is not None, timeout=5)
    )
    await asyncio.sleep(0.05)  # let the waiter go to sleep before the write
    seeded = await asyncio.to_thread(api.create, configmap("seeded"))
    assert await waiting == seeded

    params = {"watch": "1", "resourceVersion": start, "timeoutSeconds": "1"}
    async with client.stream("GET", CONFIGMAPS, params=params) as response:
        lines = [line async for line in response.aiter_lines() if line]
    assert len(lines) == 1 and '"seeded"' in lines[0]


async def test_table_and_helpers(api: KubeEmulator) -> None:
    api.create(widget("w1", replicas=2))
    later = widget("w2")
    later["metadata"]["namespace"] = "kube-system"
    api.create(later)
    lines = api.table("widgets").splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "PHONE", "READY", "REPLICAS", "AGE"]
    assert lines[1].split()[:4] == ["default", "w1", "100200300", "2"]
    assert api.table("wd", "kube-system", wide=True).splitlines()[0].split() == [
        "NAME",
        "PHONE",
        "READY",
        "REPLICAS",
        "MODE",
        "AGE",
    ]
    deleted = api.delete("widgets", "default", "w1")
    assert deleted["metadata"]["name"] == "w1"
    assert api.list("widgets") == [api.get("widgets", "kube-system", "w2")]
