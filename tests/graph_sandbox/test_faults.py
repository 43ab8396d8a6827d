"""Injected failures: Meta's error codes, stalls and corrupted downloads, on demand."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Any

import httpx
import pytest

from graph_sandbox.state import Sandbox
from tests.graph_sandbox.sandbox_support import (
    APP_ID,
    APP_SECRET,
    APP_TOKEN,
    JPEG,
    PHONE_ID,
    TOKEN,
    WABA_ID,
    add_channel,
    bearer,
    text,
    upload,
)
from tests.graph_sandbox.sandbox_support import MESSAGES_URL as URL


async def fault(graph: httpx.AsyncClient, **spec: Any) -> None:
    response = await graph.post("/sandbox/faults", json=spec)
    assert response.status_code == 200, response.text


async def test_429_once_then_ok(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="messages", http_status=429, code=130429, count=1)
    first = await graph.post(URL, json=text("x"))
    assert first.status_code == 429
    error = first.json()["error"]
    assert error["code"] == 130429
    assert error["message"] == "(#130429) Rate limit hit"
    assert error["error_data"]["details"] == "Cloud API message throughput has been reached."
    assert (await graph.post(URL, json=text("x"))).status_code == 200
    # The failed call was not recorded: Meta did not accept it.
    assert len((await graph.get("/sandbox/messages")).json()["data"]) == 1


async def test_default_statuses_follow_metas_table(graph: httpx.AsyncClient) -> None:
    expected = {130429: 400, 131056: 400, 131047: 400, 131000: 500, 131026: 400, 190: 401}
    for code, status in expected.items():
        await fault(graph, endpoint="messages", code=code)
        response = await graph.post(URL, json=text("x"))
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_count_and_any_endpoint(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="any", http_status=503, count=2)
    assert (await graph.post(URL, json=text("x"))).status_code == 503
    assert (await graph.get("/v25.0/1")).status_code == 503
    assert (await graph.post(URL, json=text("x"))).status_code == 200


async def test_outside_window_for_one_user(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="messages", code=131047, to="15550000001", count=5)
    assert (await graph.post(URL, json=text("x", to="15550000002"))).status_code == 200
    refused = await graph.post(URL, json=text("x", to="15550000001"))
    assert refused.json()["error"]["code"] == 131047
    assert "24 hours" in refused.json()["error"]["error_data"]["details"]


async def test_token_fault(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="media", code=190)
    response = await graph.get("/v25.0/1")
    assert (response.status_code, response.json()["error"]["type"]) == (401, "OAuthException")


async def test_delay(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="messages", delay_s=0.2)
    started = time.perf_counter()
    assert (await graph.post(URL, json=text("x"))).status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_corrupt_download(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    await fault(graph, endpoint="media_download", corrupt=True)
    meta = (await graph.get(f"/v25.0/{media_id}")).json()
    corrupted = await graph.get(meta["url"])
    assert corrupted.status_code == 200
    assert len(corrupted.content) == len(JPEG)
    assert hashlib.sha256(corrupted.content).hexdigest() != meta["sha256"]
    assert (await graph.get(meta["url"])).content == JPEG


async def test_upload_fault(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="media_upload", http_status=500, code=131000)
    response = await graph.post(
        f"/v25.0/{PHONE_ID}/media",
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("a.jpg", JPEG, "image/jpeg")},
    )
    assert response.status_code == 500


async def test_list_and_clear(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="messages", code=131056, count=3)
    (pending,) = (await graph.get("/sandbox/faults")).json()["data"]
    assert (pending["code"], pending["left"]) == (131056, 3)
    assert (await graph.delete("/sandbox/faults")).json() == {"success": True}
    assert (await graph.post(URL, json=text("x"))).status_code == 200


async def test_retry_after_header(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="messages", http_status=429, code=130429, retry_after_s=2.5)
    response = await graph.post(URL, json=text("x"))
    assert (response.status_code, response.headers["retry-after"]) == (429, "3")
    await fault(graph, endpoint="messages", code=190, retry_after_s=1)
    refused = await graph.post(URL, json=text("x"))
    assert (
        refused.headers["retry-after"] == "1"
        and "invalid_token" in refused.headers["www-authenticate"]
    )
    # The shared header set of token errors was not changed for later ones.
    await fault(graph, endpoint="messages", code=190)
    assert "retry-after" not in (await graph.post(URL, json=text("x"))).headers


async def test_call_log_counts_every_call_faulted_or_not(graph: httpx.AsyncClient) -> None:
    await graph.delete("/sandbox/calls")
    await fault(graph, endpoint="messages", to="15550000009", code=131056)
    for _ in range(2):
        await graph.post(URL, json=text("x", to="15550000009"))
    media_id = await upload(graph)
    meta = (await graph.get(f"/v25.0/{media_id}")).json()
    await graph.get(meta["url"])
    calls = (await graph.get("/sandbox/calls", params={"to": "15550000009"})).json()["data"]
    assert [(c["endpoint"], c["fault"]) for c in calls] == [
        ("messages", 131056),
        ("messages", None),
    ]
    assert calls[0]["at"] <= calls[1]["at"]
    downloads = (await graph.get("/sandbox/calls", params={"endpoint": "media_download"})).json()
    assert [c["object_id"] for c in downloads["data"]] == [media_id]
    assert (await graph.delete("/sandbox/calls")).json() == {"success": True}
    assert (await graph.get("/sandbox/calls")).json()["data"] == []


async def test_invalid_fault_specs(graph: httpx.AsyncClient) -> None:
    for spec in (
        {"endpoint": "messages", "corrupt": True},
        {"endpoint": "nowhere"},
        {"count": 0},
        {"http_status": 200},
        {"endpoint": "subscribed_apps", "method": "PATCH"},
    ):
        response = await graph.post("/sandbox/faults", json=spec)
        assert response.status_code == 400, spec
        assert response.json()["error"]["code"] == 100


async def test_5xx_on_subscribed_apps_of_one_waba(
    graph: httpx.AsyncClient, anonymous: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    channel = add_channel(sandbox, 1)
    await fault(
        graph, endpoint="subscribed_apps", method="POST", object_id=WABA_ID, http_status=503
    )
    # Another WABA, or another method on this one, does not use the fault up.
    other = await anonymous.post(
        f"/v25.0/{channel.waba_id}/subscribed_apps", headers=bearer(channel.token)
    )
    assert other.is_success
    assert (await graph.get(f"/v25.0/{WABA_ID}/subscribed_apps")).is_success
    failed = await graph.post(f"/v25.0/{WABA_ID}/subscribed_apps")
    assert (failed.status_code, failed.json()["error"]["code"]) == (503, 1)
    assert (await graph.get(f"/v25.0/{WABA_ID}/subscribed_apps")).json() == {"data": []}
    assert (await graph.post(f"/v25.0/{WABA_ID}/subscribed_apps")).is_success


async def test_rate_limits_on_debug_token_and_phone_number(graph: httpx.AsyncClient) -> None:
    await fault(graph, endpoint="debug_token", http_status=429, code=4)
    limited = await graph.get("/debug_token", params={"input_token": TOKEN})
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, 4)
    assert limited.json()["error"]["message"] == "(#4) Application request limit reached"
    assert (await graph.get("/debug_token", params={"input_token": TOKEN})).is_success

    await fault(graph, endpoint="phone_number", code=80007, http_status=429)
    response = await graph.get(f"/v25.0/{PHONE_ID}", params={"fields": "webhook_configuration"})
    assert (response.status_code, response.json()["error"]["code"]) == (429, 80007)


async def test_timeout_on_token_exchange(anonymous: httpx.AsyncClient) -> None:
    await fault(anonymous, endpoint="oauth_access_token", delay_s=1)
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": APP_ID,
        "client_secret": APP_SECRET,
        "fb_exchange_token": TOKEN,
    }
    # The in-process transport has no socket timeouts: the client's deadline stands in.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await anonymous.get("/oauth/access_token", params=params)
    assert (await anonymous.get("/oauth/access_token", params=params)).is_success


async def test_app_subscriptions_fault(anonymous: httpx.AsyncClient) -> None:
    await fault(anonymous, endpoint="app_subscriptions", method="GET", code=2, count=2)
    url = f"/v25.0/{APP_ID}/subscriptions"
    for _ in range(2):
        response = await anonymous.get(url, headers=bearer(APP_TOKEN))
        assert (response.status_code, response.json()["error"]["code"]) == (503, 2)
    assert (await anonymous.get(url, headers=bearer(APP_TOKEN))).is_success


async def test_faults_fire_after_authentication(anonymous: httpx.AsyncClient) -> None:
    await fault(anonymous, endpoint="subscribed_apps", http_status=500)
    response = await anonymous.get(f"/v25.0/{WABA_ID}/subscribed_apps")
    assert response.json()["error"]["code"] == 190
    (pending,) = (await anonymous.get("/sandbox/faults")).json()["data"]
    assert pending["left"] == 1
