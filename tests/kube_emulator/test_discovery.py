"""Discovery documents, built-ins, and CRDs that register (and change) their endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import yaml

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import DATA, MERGE, widget

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


async def resources(client: httpx.AsyncClient, group_version: str) -> dict[str, dict[str, Any]]:
    prefix = "/api" if group_version == "v1" else "/apis"
    listed = (await client.get(f"{prefix}/{group_version}")).json()["resources"]
    return {entry["name"]: entry for entry in listed}


async def test_builtins(client: httpx.AsyncClient) -> None:
    core = await resources(client, "v1")
    assert {"namespaces", "secrets", "configmaps", "services", "events", "serviceaccounts"} <= set(
        core
    )
    assert core["namespaces"]["namespaced"] is False
    assert core["namespaces"]["shortNames"] == ["ns"]
    assert (
        core["configmaps"]["kind"] == "ConfigMap"
        and core["configmaps"]["singularName"] == "configmap"
    )
    assert core["services/status"]["verbs"] == ["get", "patch", "update"]
    assert "secrets/status" not in core

    groups = {g["name"] for g in (await client.get("/apis")).json()["groups"]}
    assert {
        "events.k8s.io",
        "networking.k8s.io",
        "cert-manager.io",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
    } <= groups
    networking = await resources(client, "networking.k8s.io/v1")
    assert networking["ingresses"]["shortNames"] == ["ing"] and "ingresses/status" in networking
    certs = await resources(client, "cert-manager.io/v1")
    assert certs["certificates"]["kind"] == "Certificate" and "certificates/status" in certs
    crds = await resources(client, "apiextensions.k8s.io/v1")
    assert crds["customresourcedefinitions"]["namespaced"] is False
    assert (await resources(client, "coordination.k8s.io/v1"))["leases"]["namespaced"] is True


async def test_crd_versions_and_preferred_version(client: httpx.AsyncClient) -> None:
    group = (await client.get("/apis/example.com")).json()
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    assert group["preferredVersion"]["version"] == "v1"
    widgets = await resources(client, "example.com/v1")
    assert widgets["widgets"]["shortNames"] == ["wd"] and widgets["widgets"]["namespaced"] is True
    assert "widgets/status" in widgets

    created = await client.post(
        "/apis/example.com/v1beta1/namespaces/default/widgets",
        json={**widget("w1"), "apiVersion": "example.com/v1beta1"},
    )
    assert created.status_code == 201
    seen_as_v1 = (await client.get("/apis/example.com/v1/namespaces/default/widgets/w1")).json()
    assert seen_as_v1["apiVersion"] == "example.com/v1"


async def test_posted_crd_is_established_and_served(client: httpx.AsyncClient) -> None:
    crd = yaml.safe_load((DATA / "widgets.crd.yaml").read_text())
    crd["metadata"]["name"] = "gadgets.example.org"
    crd["spec"].update(group="example.org", scope="Cluster")
    crd["spec"]["names"] = {"plural": "gadgets", "kind": "Gadget"}
    created = await client.post(CRDS, json=crd)
    assert created.status_code == 201
    assert "customresourcecleanup.apiextensions.k8s.io" in created.json()["metadata"]["finalizers"]
    established = (await client.get(f"{CRDS}/gadgets.example.org")).json()
    conditions = {c["type"]: c["status"] for c in established["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    assert established["status"]["storedVersions"] == ["v1"]

    gadgets = await resources(client, "example.org/v1")
    assert (
        gadgets["gadgets"]["namespaced"] is False and gadgets["gadgets"]["singularName"] == "gadget"
    )
    body = {
        "apiVersion": "example.org/v1",
        "kind": "Gadget",
        "metadata": {"name": "g"},
        "spec": {"phoneNumberId": "1"},
    }
    assert (await client.post("/apis/example.org/v1/gadgets", json=body)).status_code == 201


async def test_crd_updates_change_what_is_served(client: httpx.AsyncClient) -> None:
    patch = {"spec": {"names": {"shortNames": ["wd", "wdg"]}}}
    await client.patch(f"{CRDS}/widgets.example.com", json=patch, headers=MERGE)
    widgets = await resources(client, "example.com/v1")
    assert widgets["widgets"]["shortNames"] == ["wd", "wdg"]


async def test_invalid_crds_are_refused(client: httpx.AsyncClient) -> None:
    crd = yaml.safe_load((DATA / "widgets.crd.yaml").read_text())
    crd["metadata"]["name"] = "wrong.example.com"
    for version in crd["spec"]["versions"]:
        version["storage"] = True
    response = await client.post(CRDS, json=crd)
    assert response.status_code == 422
    assert [c["field"] for c in response.json()["details"]["causes"]] == [
        "metadata.name",
        "spec.versions",
    ]


async def test_install_crd_is_idempotent(api: KubeEmulator) -> None:
    again = api.install_crd(DATA / "widgets.crd.yaml")
    assert [c["metadata"]["name"] for c in again] == ["widgets.example.com"]
    assert api.resource("wd").plural == "widgets"
    assert api.resource("widgets.example.com").version == "v1"
    assert api.resource("example.com/v1beta1/widgets").version == "v1beta1"
