"""Bearer auth (190), versioned paths only, and Meta's error shape everywhere."""

from __future__ import annotations

import httpx

from tests.graph_sandbox.sandbox_support import PHONE_ID, TOKEN

TEXT = {
    "messaging_product": "whatsapp",
    "to": "15551234567",
    "type": "text",
    "text": {"body": "hi"},
}


def assert_meta_error(response: httpx.Response, status: int, code: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str)
    assert isinstance(error["fbtrace_id"], str) and error["fbtrace_id"]
    return error


async def test_missing_token_is_190(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(f"/v25.0/{PHONE_ID}/messages", json=TEXT)
    error = assert_meta_error(response, 401, 190)
    assert error["type"] == "OAuthException"
    assert "invalid_token" in response.headers["www-authenticate"]


async def test_wrong_token_is_190_everywhere(anonymous: httpx.AsyncClient) -> None:
    headers = {"Authorization": "Bearer EAAG-not-the-token"}
    for method, path in [
        ("POST", f"/v25.0/{PHONE_ID}/messages"),
        ("POST", f"/v25.0/{PHONE_ID}/media"),
        ("GET", "/v25.0/1234567890123456"),
        ("DELETE", "/v25.0/1234567890123456"),
        ("GET", "/whatsapp_business/attachments/?mid=1&ext=1&hash=x"),
    ]:
        response = await anonymous.request(method, path, headers=headers)
        assert_meta_error(response, 401, 190)


async def test_token_as_query_parameter_is_accepted(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(
        f"/v25.0/{PHONE_ID}/messages", params={"access_token": TOKEN}, json=TEXT
    )
    assert response.status_code == 200, response.text


async def test_error_never_echoes_the_token(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.post(
        f"/v25.0/{PHONE_ID}/messages", headers={"Authorization": f"Bearer {TOKEN}x"}, json=TEXT
    )
    assert TOKEN not in response.text


async def test_unversioned_path_is_refused(graph: httpx.AsyncClient) -> None:
    for method, path in [("POST", f"/{PHONE_ID}/messages"), ("GET", "/1234567890123456")]:
        response = await graph.request(method, path, json=TEXT)
        error = assert_meta_error(response, 400, 2500)
        assert "version" in error["message"]


async def test_malformed_version_is_refused(graph: httpx.AsyncClient) -> None:
    response = await graph.post(f"/latest/{PHONE_ID}/messages", json=TEXT)
    assert_meta_error(response, 400, 2500)


async def test_unknown_versioned_path(graph: httpx.AsyncClient) -> None:
    response = await graph.get(f"/v25.0/{PHONE_ID}/nothing/here")
    error = assert_meta_error(response, 400, 2500)
    assert "Unknown path components" in error["message"]


async def test_unknown_phone_number_id(graph: httpx.AsyncClient) -> None:
    response = await graph.post("/v25.0/999999999/messages", json=TEXT)
    error = assert_meta_error(response, 400, 100)
    assert error["type"] == "GraphMethodException"
    assert error["error_subcode"] == 33
    assert "999999999" in error["message"]


async def test_sandbox_routes_need_no_token(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get("/sandbox/healthz")).json() == {"status": "ok"}
    assert (await anonymous.get("/sandbox/messages")).json() == {"data": []}
