"""debug_token and the fb_exchange_token refresh, as the operator's token checks use them."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from graph_sandbox.accounts import EXCHANGED_TTL_S, MANAGEMENT, MESSAGING
from graph_sandbox.state import Sandbox
from tests.graph_sandbox.sandbox_support import (
    APP_ID,
    APP_SECRET,
    APP_TOKEN,
    TOKEN,
    WABA_ID,
    add_channel,
    bearer,
    meta_error,
    text,
)


async def debug(client: httpx.AsyncClient, token: str, **kw: Any) -> httpx.Response:
    path = kw.pop("path", "/debug_token")
    params = {"input_token": token, "access_token": kw.pop("caller", APP_TOKEN)}
    return await client.get(path, params=params, **kw)


async def test_debug_token_fields(anonymous: httpx.AsyncClient) -> None:
    response = await debug(anonymous, TOKEN)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert list(data) == [
        "app_id",
        "type",
        "application",
        "data_access_expires_at",
        "expires_at",
        "is_valid",
        "issued_at",
        "scopes",
        "granular_scopes",
        "user_id",
    ]
    assert data["app_id"] == APP_ID
    assert data["type"] == "SYSTEM_USER"
    assert data["application"] == "ibbase sandbox"
    assert (data["expires_at"], data["data_access_expires_at"], data["is_valid"]) == (0, 0, True)
    assert data["issued_at"] == pytest.approx(time.time(), abs=60)
    assert data["scopes"] == [MANAGEMENT, MESSAGING]
    assert data["granular_scopes"] == [
        {"scope": MANAGEMENT, "target_ids": [WABA_ID]},
        {"scope": MESSAGING, "target_ids": [WABA_ID]},
    ]
    assert data["user_id"].isdigit()
    assert "error" not in data


async def test_debug_token_paths_and_callers(anonymous: httpx.AsyncClient) -> None:
    versioned = await debug(anonymous, TOKEN, path="/v25.0/debug_token")
    assert versioned.json()["data"]["is_valid"] is True
    # A valid token of the same app may debug (here: itself), by Bearer header.
    response = await anonymous.get(
        "/debug_token", params={"input_token": TOKEN}, headers=bearer(TOKEN)
    )
    assert response.json()["data"]["app_id"] == APP_ID
    # The app token itself.
    app = (await debug(anonymous, APP_TOKEN)).json()["data"]
    assert app == {
        "app_id": APP_ID,
        "type": "APP",
        "application": "ibbase sandbox",
        "is_valid": True,
    }


async def test_debug_token_of_dead_tokens(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    expired = add_channel(sandbox, 1, expires_in_s=3600)
    sandbox.accounts.expire_token(expired.token)
    invalidated = add_channel(sandbox, 2)
    sandbox.accounts.invalidate_token(invalidated.token)
    for channel, subcode, fragment in (
        (expired, 463, "Session has expired"),
        (invalidated, 460, "invalidated"),
    ):
        response = await debug(anonymous, channel.token)
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["is_valid"] is False
        assert (data["error"]["code"], data["error"]["subcode"]) == (190, subcode)
        assert fragment in data["error"]["message"]
        assert data["granular_scopes"][0]["target_ids"] == [channel.waba_id]
        assert channel.token not in response.text
    unknown = (await debug(anonymous, "EAAnever-issued")).json()["data"]
    assert unknown["is_valid"] is False and unknown["error"]["code"] == 190
    assert "EAAnever-issued" not in str(unknown)
    bad_app = (await debug(anonymous, f"{APP_ID}|wrong")).json()["data"]
    assert bad_app["is_valid"] is False


async def test_debug_token_errors(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    missing = await anonymous.get("/debug_token", params={"access_token": APP_TOKEN})
    assert "input_token" in meta_error(missing, 400, 100)["message"]
    no_caller = await anonymous.get("/debug_token", params={"input_token": TOKEN})
    meta_error(no_caller, 401, 190)
    wrong_secret = await debug(anonymous, TOKEN, caller=f"{APP_ID}|nope")
    meta_error(wrong_secret, 401, 190)
    # Another app may not look at this app's tokens.
    sandbox.accounts.add_app("other-app", "other-secret")
    foreign = await debug(anonymous, TOKEN, caller="other-app|other-secret")
    assert "did not match the Viewing App" in meta_error(foreign, 400, 100)["message"]
    # An expired caller is refused like any call.
    caller = add_channel(sandbox, 3)
    sandbox.accounts.expire_token(caller.token)
    response = await anonymous.get(
        "/debug_token", params={"input_token": TOKEN}, headers=bearer(caller.token)
    )
    assert meta_error(response, 401, 190)["error_subcode"] == 463
    unversioned_post = await anonymous.post("/debug_token", params={"input_token": TOKEN})
    meta_error(unversioned_post, 400, 100)


def exchange_params(token: str, secret: str = APP_SECRET) -> dict[str, str]:
    return {
        "grant_type": "fb_exchange_token",
        "client_id": APP_ID,
        "client_secret": secret,
        "fb_exchange_token": token,
    }


async def test_exchange(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    old = add_channel(sandbox, 4, expires_in_s=3600)
    response = await anonymous.get("/v25.0/oauth/access_token", params=exchange_params(old.token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["access_token", "token_type", "expires_in"]
    assert (body["token_type"], body["expires_in"]) == ("bearer", 5184000)  # 60 days
    assert EXCHANGED_TTL_S == 5184000
    new = body["access_token"]
    assert new != old.token and new.startswith("EAA")

    data = (await debug(anonymous, new)).json()["data"]
    assert data["expires_at"] == pytest.approx(time.time() + 5184000, abs=60)
    assert data["granular_scopes"][0]["target_ids"] == [old.waba_id]
    old_data = (await debug(anonymous, old.token)).json()["data"]
    assert old_data["is_valid"] is True  # still valid until its own expiry
    assert data["user_id"] == old_data["user_id"]
    sent = await anonymous.post(
        f"/v25.0/{old.phone_number_id}/messages", headers=bearer(new), json=text("x")
    )
    assert sent.status_code == 200
    unversioned = await anonymous.get("/oauth/access_token", params=exchange_params(new))
    assert unversioned.status_code == 200


async def test_exchange_errors(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    url = "/v25.0/oauth/access_token"
    wrong = await anonymous.get(url, params=exchange_params(TOKEN, secret="not-it"))
    error = meta_error(wrong, 400, 1)
    assert (error["message"], error["type"]) == (
        "Error validating client secret.",
        "OAuthException",
    )
    assert "not-it" not in wrong.text

    unknown_app = await anonymous.get(url, params={**exchange_params(TOKEN), "client_id": "9"})
    assert "Invalid application ID" in meta_error(unknown_app, 400, 101)["message"]
    no_client = {k: v for k, v in exchange_params(TOKEN).items() if k != "client_id"}
    assert (
        "client_id" in meta_error(await anonymous.get(url, params=no_client), 400, 101)["message"]
    )
    no_token = {**exchange_params(TOKEN), "fb_exchange_token": ""}
    meta_error(await anonymous.get(url, params=no_token), 400, 100)
    grant = {**exchange_params(TOKEN), "grant_type": "password"}
    meta_error(await anonymous.get(url, params=grant), 400, 100)
    unknown_token = await anonymous.get(url, params=exchange_params("EAAnope"))
    meta_error(unknown_token, 400, 190)

    expired = add_channel(sandbox, 5, expires_in_s=60)
    sandbox.accounts.expire_token(expired.token)
    response = await anonymous.get(url, params=exchange_params(expired.token))
    error = meta_error(response, 400, 190)
    assert error["error_subcode"] == 463
    assert expired.token not in response.text
    invalidated = add_channel(sandbox, 6)
    sandbox.accounts.invalidate_token(invalidated.token)
    response = await anonymous.get(url, params=exchange_params(invalidated.token))
    assert meta_error(response, 400, 190)["error_subcode"] == 460
    # A token of another app cannot be exchanged with this app's credentials.
    sandbox.accounts.add_app("app-b", "secret-b")
    other = sandbox.accounts.add_token(app_id="app-b")
    meta_error(await anonymous.get(url, params=exchange_params(other.value)), 400, 190)


async def test_client_credentials_gives_the_app_token(anonymous: httpx.AsyncClient) -> None:
    params = {"grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET}
    response = await anonymous.get("/oauth/access_token", params=params)
    assert response.json() == {"access_token": APP_TOKEN, "token_type": "bearer"}
    wrong = await anonymous.get("/oauth/access_token", params={**params, "client_secret": "x"})
    meta_error(wrong, 400, 1)
