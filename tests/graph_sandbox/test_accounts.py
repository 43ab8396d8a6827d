"""Apps, WABAs and tokens: provisioning, and who may send for which number."""

from __future__ import annotations

import hashlib
import hmac
import time

import httpx
import pytest

from graph_sandbox.accounts import MANAGEMENT, ProvisioningError
from graph_sandbox.state import Sandbox
from tests.graph_sandbox.sandbox_support import (
    APP_ID,
    APP_SECRET,
    APP_TOKEN,
    PHONE_ID,
    TOKEN,
    WABA_ID,
    add_channel,
    bearer,
    meta_error,
    text,
)


def send_url(phone: str) -> str:
    return f"/v25.0/{phone}/messages"


async def test_provision_over_http_then_send(anonymous: httpx.AsyncClient) -> None:
    app = await anonymous.post("/sandbox/apps", json={"app_id": "7001", "app_secret": "s3cret"})
    assert app.json() == {"success": True, "app_id": "7001", "name": "Sandbox app 7001"}
    waba = await anonymous.post(
        "/sandbox/wabas", json={"waba_id": "8001", "phone_number_ids": ["9001", "9002"]}
    )
    assert waba.json()["phone_number_ids"] == ["9001", "9002"]
    issued = await anonymous.post(
        "/sandbox/tokens",
        json={"app_id": "7001", "waba_ids": ["8001"], "expires_in_s": 3600},
    )
    body = issued.json()
    token = body["access_token"]
    assert token.startswith("EAA") and token.isalnum()
    assert body["scopes"] == ["whatsapp_business_management", "whatsapp_business_messaging"]
    assert body["expires_at"] == pytest.approx(time.time() + 3600, abs=5)

    for phone in ("9001", "9002"):
        sent = await anonymous.post(send_url(phone), headers=bearer(token), json=text("hi"))
        assert sent.status_code == 200, sent.text
    # The channel's token does not reach the configured number, nor the reverse.
    other = await anonymous.post(send_url(PHONE_ID), headers=bearer(token), json=text("x"))
    assert meta_error(other, 400, 100)["error_subcode"] == 33
    reverse = await anonymous.post(send_url("9001"), headers=bearer(TOKEN), json=text("x"))
    assert meta_error(reverse, 400, 100)["error_subcode"] == 33


async def test_given_token_value_and_fixed_expiry(
    anonymous: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    response = await anonymous.post(
        "/sandbox/tokens",
        json={"token": "EAAchosen", "app_id": APP_ID, "waba_ids": [WABA_ID], "expires_at": 0},
    )
    assert response.json()["access_token"] == "EAAchosen"
    assert sandbox.accounts.tokens["EAAchosen"].expires_at == 0
    sent = await anonymous.post(send_url(PHONE_ID), headers=bearer("EAAchosen"), json=text("x"))
    assert sent.status_code == 200


async def test_config_token_is_unchanged(graph: httpx.AsyncClient, sandbox: Sandbox) -> None:
    token = sandbox.accounts.tokens[TOKEN]
    assert (token.expires_at, token.app_id, token.waba_ids) == (0, APP_ID, frozenset({WABA_ID}))
    assert (await graph.post(send_url(PHONE_ID), json=text("x"))).status_code == 200


async def test_expired_token_is_190_463(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    channel = add_channel(sandbox, 1)
    url = send_url(channel.phone_number_id)
    assert (await anonymous.post(url, headers=bearer(channel.token), json=text("x"))).is_success
    expired = await anonymous.post(f"/sandbox/tokens/{channel.token}/expire")
    assert expired.json()["expires_at"] <= time.time()
    response = await anonymous.post(url, headers=bearer(channel.token), json=text("x"))
    error = meta_error(response, 401, 190)
    assert error["error_subcode"] == 463
    assert error["type"] == "OAuthException"
    assert error["message"].startswith("Error validating access token: Session has expired on ")
    assert "The current time is" in error["message"]
    assert channel.token not in response.text


async def test_token_past_its_expiry(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    channel = add_channel(sandbox, 2, expires_at=int(time.time()) - 10)
    response = await anonymous.post(
        send_url(channel.phone_number_id), headers=bearer(channel.token), json=text("x")
    )
    assert meta_error(response, 401, 190)["error_subcode"] == 463


async def test_invalidated_token_is_190_460(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    channel = add_channel(sandbox, 3)
    assert (await anonymous.post(f"/sandbox/tokens/{channel.token}/invalidate")).is_success
    response = await anonymous.get("/v25.0/1", headers=bearer(channel.token))
    error = meta_error(response, 401, 190)
    assert error["error_subcode"] == 460
    assert "session has been invalidated" in error["message"]


async def test_unknown_token_control_routes_are_404(anonymous: httpx.AsyncClient) -> None:
    for action in ("expire", "invalidate"):
        response = await anonymous.post(f"/sandbox/tokens/EAAnobody/{action}")
        assert response.status_code == 404
        assert "EAAnobody" not in response.text


async def test_missing_scope_and_app_token(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    channel = add_channel(sandbox, 4, scopes=[MANAGEMENT])
    url = send_url(channel.phone_number_id)
    response = await anonymous.post(url, headers=bearer(channel.token), json=text("x"))
    assert meta_error(response, 403, 10)["message"].startswith("(#10)")
    # An app access token cannot send messages: the number cannot be loaded with it.
    response = await anonymous.post(url, headers=bearer(APP_TOKEN), json=text("x"))
    assert meta_error(response, 400, 100)["error_subcode"] == 33
    bad_secret = await anonymous.post(url, headers=bearer(f"{APP_ID}|wrong"), json=text("x"))
    assert "signature" in meta_error(bad_secret, 401, 190)["message"]
    assert "wrong" not in bad_secret.text


async def test_media_follows_the_number(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    channel = add_channel(sandbox, 5)
    uploaded = await anonymous.post(
        f"/v25.0/{channel.phone_number_id}/media",
        headers=bearer(channel.token),
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("a.jpg", b"\xff\xd8\xff\xd9", "image/jpeg")},
    )
    media_id = uploaded.json()["id"]
    meta = await anonymous.get(f"/v25.0/{media_id}", headers=bearer(channel.token))
    assert meta.status_code == 200
    download = await anonymous.get(meta.json()["url"], headers=bearer(channel.token))
    assert download.content == b"\xff\xd8\xff\xd9"
    # The configured token does not reach this channel's media.
    hidden = await anonymous.get(f"/v25.0/{media_id}", headers=bearer(TOKEN))
    assert meta_error(hidden, 400, 100)["error_subcode"] == 33
    assert (await anonymous.get(meta.json()["url"], headers=bearer(TOKEN))).status_code == 404
    # Inbound media for another number.
    inbound = await anonymous.post(
        "/sandbox/media",
        params={"phone_number_id": channel.phone_number_id},
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("a.jpg", b"\xff\xd8\xff\xd9", "image/jpeg")},
    )
    inbound_id = inbound.json()["id"]
    assert (await anonymous.get(f"/v25.0/{inbound_id}", headers=bearer(channel.token))).is_success


async def test_provisioning_errors(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    cases = [
        ("/sandbox/tokens", {"app_id": "nope"}, "unknown app"),
        ("/sandbox/tokens", {"app_id": APP_ID, "waba_ids": ["nope"]}, "unknown WABAs"),
        (
            "/sandbox/tokens",
            {"app_id": APP_ID, "expires_at": 1, "expires_in_s": 1},
            "not both",
        ),
        ("/sandbox/tokens", {"app_id": APP_ID, "token": "a|b"}, "'|'"),
        ("/sandbox/wabas", {"waba_id": "w2", "phone_number_ids": [PHONE_ID]}, "another WABA"),
        ("/sandbox/wabas", {"waba_id": "w3", "app_id": "nope"}, "unknown app"),
        ("/sandbox/apps", {"app_id": "a|b"}, "'|'"),
    ]
    for path, body, fragment in cases:
        response = await anonymous.post(path, json=body)
        error = meta_error(response, 400, 100)
        assert fragment in error["error_data"]["details"], (body, error)
    with pytest.raises(ProvisioningError):
        sandbox.accounts.add_waba(WABA_ID + "0", [PHONE_ID])


async def test_replacing_a_wabas_numbers(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.accounts.add_waba("w9", ["p1", "p2"])
    sandbox.accounts.add_waba("w9", ["p2", "p3"])
    assert sandbox.accounts.waba_of_phone("p1") is None
    assert sandbox.accounts.waba_of_phone("p3") is not None
    # p1 is free again for another WABA.
    sandbox.accounts.add_waba("w10", ["p1"])


async def test_fifty_channels(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    channels = [add_channel(sandbox, 100 + n) for n in range(50)]
    for channel in channels:
        response = await anonymous.post(
            send_url(channel.phone_number_id), headers=bearer(channel.token), json=text("hi")
        )
        assert response.status_code == 200
    assert len(sandbox.outbox.list(kind="message")) == 50


async def test_appsecret_proof_is_checked_when_sent(anonymous: httpx.AsyncClient) -> None:
    url = f"/v25.0/{WABA_ID}/subscribed_apps"
    proof = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    ok = await anonymous.get(url, headers=bearer(TOKEN), params={"appsecret_proof": proof})
    assert ok.status_code == 200, ok.text
    wrong = hmac.new(b"another secret", TOKEN.encode(), hashlib.sha256).hexdigest()
    refused = await anonymous.get(url, headers=bearer(TOKEN), params={"appsecret_proof": wrong})
    error = meta_error(refused, 400, 100)
    assert error["message"] == "Invalid appsecret_proof provided in the API argument"
    assert (await anonymous.get(url, headers=bearer(TOKEN))).status_code == 200
