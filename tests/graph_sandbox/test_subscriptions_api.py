"""Webhook registration: WABA subscriptions, overrides, app callbacks, verification, drift."""

from __future__ import annotations

from typing import Any

import httpx

from graph_sandbox.accounts import MESSAGING
from graph_sandbox.callback_receiver import CallbackReceiver
from graph_sandbox.state import Sandbox
from graph_sandbox.subscriptions import fingerprint
from tests.graph_sandbox.sandbox_support import (
    APP_ID,
    APP_TOKEN,
    DOWN_HOST,
    PHONE_ID,
    TOKEN,
    VERIFY_TOKEN,
    WABA_ID,
    add_channel,
    bearer,
    hook,
    make_app,
    meta_error,
)

SUBSCRIBED = f"/v25.0/{WABA_ID}/subscribed_apps"
PHONE = f"/v25.0/{PHONE_ID}"
APP_SUBS = f"/v25.0/{APP_ID}/subscriptions"


def override(url: str, token: str = VERIFY_TOKEN) -> dict[str, str]:
    return {"override_callback_uri": url, "verify_token": token}


def app_callback(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "callback_url": url,
        "verify_token": VERIFY_TOKEN,
        "fields": "messages",
        **extra,
    }


async def test_subscribe_list_unsubscribe(graph: httpx.AsyncClient) -> None:
    assert (await graph.get(SUBSCRIBED)).json() == {"data": []}
    assert (await graph.post(SUBSCRIBED)).json() == {"success": True}
    listed = (await graph.get(SUBSCRIBED)).json()["data"]
    assert listed == [
        {
            "whatsapp_business_api_data": {
                "id": APP_ID,
                "link": f"https://www.facebook.com/games/?app_id={APP_ID}",
                "name": "ibbase sandbox",
            }
        }
    ]
    assert (await graph.delete(SUBSCRIBED)).json() == {"success": True}
    assert (await graph.get(SUBSCRIBED)).json() == {"data": []}
    # Deleting again is still a success: cleanup must be repeatable.
    assert (await graph.delete(SUBSCRIBED)).json() == {"success": True}


async def test_waba_override_is_verified(
    graph: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    url = hook(receiver, "/waba-override")
    seen = len(receiver.challenges)
    response = await graph.post(SUBSCRIBED, json=override(url))
    assert response.json() == {"success": True}, response.text
    assert receiver.challenges[seen:] == [(f"wa.example.test:{receiver.port}", "/waba-override")]
    (entry,) = (await graph.get(SUBSCRIBED)).json()["data"]
    assert entry["override_callback_uri"] == url
    # Subscribing again without an override clears it.
    assert (await graph.post(SUBSCRIBED)).is_success
    (entry,) = (await graph.get(SUBSCRIBED)).json()["data"]
    assert "override_callback_uri" not in entry


async def test_form_encoded_override(graph: httpx.AsyncClient, receiver: CallbackReceiver) -> None:
    url = hook(receiver, "/form")
    assert (await graph.post(SUBSCRIBED, data=override(url))).json() == {"success": True}
    (entry,) = (await graph.get(SUBSCRIBED)).json()["data"]
    assert entry["override_callback_uri"] == url


async def test_override_parameter_errors(
    graph: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    long_url = hook(receiver, "/" + "x" * 200)
    cases = [
        (override(long_url), "200 characters"),
        (override("http://wa.example.test/hook"), "https"),
        ({"override_callback_uri": hook(receiver, "/no-token")}, "verify_token"),
    ]
    for body, fragment in cases:
        error = meta_error(await graph.post(SUBSCRIBED, json=body), 400, 100)
        assert fragment in error["error_data"]["details"], body
    assert (await graph.get(SUBSCRIBED)).json() == {"data": []}


async def test_verification_failures_change_nothing(
    graph: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    good = hook(receiver, "/good")
    assert (await graph.post(SUBSCRIBED, json=override(good))).is_success
    cases = [
        (override(good, token="not-the-token"), "HTTP 403"),
        (override(hook(receiver, "/x", host="wa.other.test")), "certificate verification failed"),
        (override(hook(receiver, "/x", host=DOWN_HOST)), "connection failed"),
    ]
    for body, fragment in cases:
        response = await graph.post(SUBSCRIBED, json=body)
        error = meta_error(response, 400, 2200)
        assert error["message"].startswith(
            "Callback verification failed with the following errors:"
        )
        assert fragment in error["message"], error
        assert "not-the-token" not in response.text and VERIFY_TOKEN not in response.text
    (entry,) = (await graph.get(SUBSCRIBED)).json()["data"]
    assert entry["override_callback_uri"] == good


async def test_self_signed_callback_is_refused(receiver: CallbackReceiver) -> None:
    # A sandbox that trusts only public roots, like Meta: the test CA is as good as self-signed.
    app = make_app(callback_resolve=receiver.resolve)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://graph.test", headers=bearer(TOKEN)
    ) as client:
        response = await client.post(SUBSCRIBED, json=override(hook(receiver, "/public")))
    assert "certificate verification failed" in meta_error(response, 400, 2200)["message"]


async def test_access_errors(anonymous: httpx.AsyncClient, sandbox: Sandbox) -> None:
    unknown = await anonymous.post("/v25.0/404404/subscribed_apps", headers=bearer(TOKEN))
    error = meta_error(unknown, 400, 100)
    assert error["error_subcode"] == 33 and "404404" in error["message"]
    assert "does not exist, cannot be loaded due to missing permissions" in error["message"]
    channel = add_channel(sandbox, 1)
    messaging_only = add_channel(sandbox, 2, scopes=[MESSAGING])
    for token in (channel.token, messaging_only.token, APP_TOKEN):
        for method in ("GET", "POST", "DELETE"):
            response = await anonymous.request(method, SUBSCRIBED, headers=bearer(token))
            assert meta_error(response, 403, 200)["message"] == "(#200) Permissions error"
    nobody = await anonymous.post(SUBSCRIBED, headers=bearer("EAAnobody"))
    meta_error(nobody, 401, 190)


async def test_phone_override_needs_the_subscription_first(
    graph: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    url = hook(receiver, "/phone")
    body = {"webhook_configuration": override(url)}
    seen = len(receiver.challenges)
    refused = await graph.post(PHONE, json=body)
    error = meta_error(refused, 400, 100)
    assert "subscribed_apps first" in error["error_data"]["details"]
    assert len(receiver.challenges) == seen  # refused before any verification

    assert (await graph.post(SUBSCRIBED)).is_success
    assert (await graph.post(PHONE, json=body)).json() == {"success": True}
    config = await graph.get(PHONE, params={"fields": "webhook_configuration"})
    assert config.json() == {"webhook_configuration": {"phone_number": url}, "id": PHONE_ID}

    # An empty URL removes the override.
    cleared = {"webhook_configuration": {"override_callback_uri": ""}}
    assert (await graph.post(PHONE, json=cleared)).is_success
    config = await graph.get(PHONE, params={"fields": "webhook_configuration"})
    assert config.json() == {"webhook_configuration": {}, "id": PHONE_ID}


async def test_webhook_configuration_layers(
    graph: httpx.AsyncClient, anonymous: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    app_url, waba_url, phone_url = (hook(receiver, p) for p in ("/app", "/waba", "/num"))
    posted = await anonymous.post(APP_SUBS, headers=bearer(APP_TOKEN), json=app_callback(app_url))
    assert posted.is_success
    assert (await graph.post(SUBSCRIBED, json=override(waba_url))).is_success
    # As form data, the object parameter is JSON text.
    form = {"webhook_configuration": f'{{"override_callback_uri": "{phone_url}", '
            f'"verify_token": "{VERIFY_TOKEN}"}}'}  # fmt: skip
    assert (await graph.post(PHONE, data=form)).is_success
    config = (await graph.get(PHONE, params={"fields": "webhook_configuration"})).json()
    assert config["webhook_configuration"] == {
        "phone_number": phone_url,
        "whatsapp_business_account": waba_url,
        "application": app_url,
    }


async def test_phone_node_fields_and_errors(
    graph: httpx.AsyncClient, anonymous: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    node = (await graph.get(PHONE)).json()
    assert node["id"] == PHONE_ID and node["display_phone_number"] == "15550000000"
    assert {"verified_name", "quality_rating", "platform_type", "throughput"} <= set(node)
    bad_field = await graph.get(PHONE, params={"fields": "id,colour"})
    assert "nonexisting field (colour)" in meta_error(bad_field, 400, 100)["message"]
    missing = await graph.post(PHONE, json={"something": "else"})
    assert "webhook_configuration" in meta_error(missing, 400, 100)["error_data"]["details"]
    channel = add_channel(sandbox, 3)
    other = await anonymous.post(
        PHONE, headers=bearer(channel.token), json={"webhook_configuration": {}}
    )
    meta_error(other, 403, 200)
    hidden = await anonymous.get(PHONE, headers=bearer(channel.token))
    assert meta_error(hidden, 400, 100)["error_subcode"] == 33
    unknown = await graph.post("/v25.0/777777", json={"webhook_configuration": {}})
    assert meta_error(unknown, 400, 100)["error_subcode"] == 33


async def test_unsubscribing_drops_phone_overrides(
    graph: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    assert (await graph.post(SUBSCRIBED)).is_success
    body = {"webhook_configuration": override(hook(receiver, "/gone"))}
    assert (await graph.post(PHONE, json=body)).is_success
    assert (await graph.delete(SUBSCRIBED)).is_success
    config = await graph.get(PHONE, params={"fields": "webhook_configuration"})
    assert config.json()["webhook_configuration"] == {}


async def test_app_subscriptions(anonymous: httpx.AsyncClient, receiver: CallbackReceiver) -> None:
    url = hook(receiver, "/app-callback")
    app = bearer(APP_TOKEN)
    assert (await anonymous.get(APP_SUBS, headers=app)).json() == {"data": []}
    posted = await anonymous.post(APP_SUBS, headers=app, data=app_callback(url))
    assert posted.json() == {"success": True}
    # Fields add up; the version is the one of the call that added them.
    more = app_callback(url, fields=["message_template_status_update"])
    assert (await anonymous.post("/v24.0/" + APP_SUBS[7:], headers=app, json=more)).is_success
    (entry,) = (await anonymous.get(APP_SUBS, headers=app)).json()["data"]
    assert entry == {
        "object": "whatsapp_business_account",
        "callback_url": url,
        "active": True,
        "fields": [
            {"name": "message_template_status_update", "version": "v24.0"},
            {"name": "messages", "version": "v25.0"},
        ],
    }
    removed = await anonymous.delete(
        APP_SUBS,
        headers=app,
        params={"object": "whatsapp_business_account", "fields": "message_template_status_update"},
    )
    assert removed.is_success
    (entry,) = (await anonymous.get(APP_SUBS, headers=app)).json()["data"]
    assert [f["name"] for f in entry["fields"]] == ["messages"]
    gone = await anonymous.delete(
        APP_SUBS, headers=app, params={"object": "whatsapp_business_account"}
    )
    assert gone.json() == {"success": True}
    assert (await anonymous.get(APP_SUBS, headers=app)).json() == {"data": []}


async def test_app_subscription_errors(
    anonymous: httpx.AsyncClient, receiver: CallbackReceiver, sandbox: Sandbox
) -> None:
    url = hook(receiver, "/app-errors")
    user_token = await anonymous.post(APP_SUBS, headers=bearer(TOKEN), json=app_callback(url))
    assert "app access_token" in meta_error(user_token, 400, 15)["message"]
    sandbox.accounts.add_app("5005", "five")
    foreign = await anonymous.post(APP_SUBS, headers=bearer("5005|five"), json=app_callback(url))
    assert meta_error(foreign, 400, 100)["error_subcode"] == 33
    unknown = await anonymous.get("/v25.0/6006/subscriptions", headers=bearer(APP_TOKEN))
    assert meta_error(unknown, 400, 100)["error_subcode"] == 33
    app = bearer(APP_TOKEN)
    cases = [
        (app_callback(url, object="page"), "object"),
        (app_callback(url, fields="messages,telepathy"), "telepathy"),
        (app_callback(url, fields=""), "fields"),
        (app_callback("http://wa.example.test/x"), "https"),
        ({k: v for k, v in app_callback(url).items() if k != "callback_url"}, "callback_url"),
        ({k: v for k, v in app_callback(url).items() if k != "verify_token"}, "verify_token"),
    ]
    for body, fragment in cases:
        response = await anonymous.post(APP_SUBS, headers=app, json=body)
        assert fragment in meta_error(response, 400, 100)["error_data"]["details"], body
    failed = await anonymous.post(
        APP_SUBS, headers=app, json=app_callback(url, verify_token="wrong-one")
    )
    assert "HTTP 403" in meta_error(failed, 400, 2200)["message"]
    assert (await anonymous.get(APP_SUBS, headers=app)).json() == {"data": []}


async def test_drift_disable_and_state(
    graph: httpx.AsyncClient, anonymous: httpx.AsyncClient, receiver: CallbackReceiver
) -> None:
    app_url, waba_url, phone_url = (hook(receiver, p) for p in ("/s-app", "/s-waba", "/s-num"))
    await anonymous.post(APP_SUBS, headers=bearer(APP_TOKEN), json=app_callback(app_url))
    assert (await graph.post(SUBSCRIBED, json=override(waba_url))).is_success
    body = {"webhook_configuration": override(phone_url)}
    assert (await graph.post(PHONE, json=body)).is_success

    state = (await anonymous.get("/sandbox/subscriptions")).json()
    assert state["apps"] == [
        {
            "app_id": APP_ID,
            "object": "whatsapp_business_account",
            "callback_url": app_url,
            "verify_token_sha256": fingerprint(VERIFY_TOKEN),
            "fields": ["messages"],
        }
    ]
    assert state["wabas"] == [
        {
            "waba_id": WABA_ID,
            "app_id": APP_ID,
            "override_callback_uri": waba_url,
            "verify_token_sha256": fingerprint(VERIFY_TOKEN),
        }
    ]
    (phone,) = state["phone_numbers"]
    assert (phone["phone_number_id"], phone["effective_callback_uri"]) == (PHONE_ID, phone_url)
    assert VERIFY_TOKEN not in str(state)

    disabled = await anonymous.post(f"/sandbox/wabas/{WABA_ID}/disable-subscription")
    assert disabled.json() == {"success": True, "disabled_app_ids": [APP_ID]}
    assert (await graph.get(SUBSCRIBED)).json() == {"data": []}
    config = (await graph.get(PHONE, params={"fields": "webhook_configuration"})).json()
    assert config["webhook_configuration"] == {"application": app_url}
    state = (await anonymous.get("/sandbox/subscriptions")).json()
    assert state["wabas"] == [] and state["phone_numbers"] == []
    assert [(d["waba_id"], d["app_id"]) for d in state["disabled"]] == [(WABA_ID, APP_ID)]
    # Re-subscribing (what an operator does on drift) brings the app callback back into use.
    assert (await graph.post(SUBSCRIBED)).is_success
    state = (await anonymous.get("/sandbox/subscriptions")).json()
    assert state["phone_numbers"][0]["effective_callback_uri"] == app_url
    unknown = await anonymous.post("/sandbox/wabas/nope/disable-subscription")
    assert unknown.status_code == 404


async def test_fifty_channels_register(
    anonymous: httpx.AsyncClient, receiver: CallbackReceiver, sandbox: Sandbox
) -> None:
    channels = [add_channel(sandbox, 200 + n) for n in range(50)]
    for n, channel in enumerate(channels):
        headers = bearer(channel.token)
        assert (
            await anonymous.post(f"/v25.0/{channel.waba_id}/subscribed_apps", headers=headers)
        ).is_success
        body = {
            "webhook_configuration": override(hook(receiver, f"/ch/{n}", f"ch-{n}.example.test"))
        }
        response = await anonymous.post(
            f"/v25.0/{channel.phone_number_id}", headers=headers, json=body
        )
        assert response.is_success, response.text
    state = sandbox.subscription_state()
    targets = {p["phone_number_id"]: p["effective_callback_uri"] for p in state["phone_numbers"]}
    assert len(targets) == 50
    assert targets[channels[7].phone_number_id] == receiver.url("ch-7.example.test", "/ch/7")
    assert sandbox.disable_subscription(channels[7].waba_id) == [APP_ID]
    assert len(sandbox.subscription_state()["phone_numbers"]) == 49
