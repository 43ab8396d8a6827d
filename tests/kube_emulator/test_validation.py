"""Schema validation over HTTP: the 422 Status a client sees, with field paths."""

from __future__ import annotations

from typing import Any

import httpx

from tests.kube_emulator.support import MERGE, WIDGETS, widget


async def test_invalid_object_is_rejected_with_causes(client: httpx.AsyncClient) -> None:
    body = widget("w1", mode="push", replicas="two")
    del body["spec"]["phoneNumberId"]
    response = await client.post(WIDGETS, json=body)
    assert response.status_code == 422
    status = response.json()
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "Invalid", 422)
    assert status["details"]["name"] == "w1"
    assert status["details"]["group"] == "example.com"
    assert status["details"]["kind"] == "Widget"
    causes = {c["field"]: c for c in status["details"]["causes"]}
    assert set(causes) == {"spec.phoneNumberId", "spec.mode", "spec.replicas"}
    assert causes["spec.phoneNumberId"] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.phoneNumberId",
    }
    assert causes["spec.replicas"]["reason"] == "FieldValueTypeInvalid"
    assert status["message"].startswith(
        'Widget.example.com "w1" is invalid: [spec.phoneNumberId: Required value, '
    )


async def test_updates_are_validated(client: httpx.AsyncClient) -> None:
    await client.post(WIDGETS, json=widget("w1"))
    patched = await client.patch(f"{WIDGETS}/w1", json={"spec": {"replicas": 99}}, headers=MERGE)
    assert patched.status_code == 422
    assert patched.json()["details"]["causes"][0]["field"] == "spec.replicas"
    current = (await client.get(f"{WIDGETS}/w1")).json()
    current["spec"]["phoneNumberId"] = "+1 555"
    replaced = await client.put(f"{WIDGETS}/w1", json=current)
    assert replaced.status_code == 422


async def test_defaults_and_pruning_are_stored(client: httpx.AsyncClient) -> None:
    created = await client.post(WIDGETS, json=widget("w1", endpoint={}, unknownField=True))
    spec = created.json()["spec"]
    assert spec["mode"] == "webhook" and spec["replicas"] == 1
    assert spec["endpoint"] == {"path": "/webhook", "tls": True}
    assert "unknownField" not in spec
    assert (await client.get(f"{WIDGETS}/w1")).json()["spec"] == spec


async def test_certificates_are_checked_against_their_schema(client: httpx.AsyncClient) -> None:
    url = "/apis/cert-manager.io/v1/namespaces/default/certificates"
    cert: dict[str, Any] = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "wa-tls"},
        "spec": {"dnsNames": ["wa.example.com"], "issuerRef": {"kind": "ClusterIssuer"}},
    }
    response = await client.post(url, json=cert)
    assert [c["field"] for c in response.json()["details"]["causes"]] == [
        "spec.secretName",
        "spec.issuerRef.name",
    ]
    cert["spec"].update(
        secretName="wa-tls", issuerRef={"name": "letsencrypt", "kind": "ClusterIssuer"}
    )
    assert (await client.post(url, json=cert)).status_code == 201
