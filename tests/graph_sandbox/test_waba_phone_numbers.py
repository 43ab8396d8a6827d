"""``GET /{waba-id}/phone_numbers``: the numbers a WABA holds, as the operator's ownership
check asks for them (the channel's own token, with ``appsecret_proof``), in pages."""

from __future__ import annotations

import hashlib
import hmac

import httpx

from graph_sandbox.accounts import MANAGEMENT, MESSAGING
from graph_sandbox.faults import FaultSpec
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
)


def proof(token: str, secret: str = APP_SECRET) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def numbers_url(waba_id: str = WABA_ID) -> str:
    return f"/v25.0/{waba_id}/phone_numbers"


async def test_lists_the_wabas_numbers_with_their_default_fields(graph: httpx.AsyncClient) -> None:
    response = await graph.get(numbers_url(), params={"appsecret_proof": proof(TOKEN)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [n["id"] for n in body["data"]] == [PHONE_ID]
    assert set(body["data"][0]) == {
        "verified_name",
        "code_verification_status",
        "display_phone_number",
        "quality_rating",
        "id",
    }
    assert set(body["paging"]["cursors"]) == {"before", "after"}
    assert "next" not in body["paging"]
    only_ids = await graph.get(numbers_url(), params={"fields": "id"})
    assert only_ids.json()["data"] == [{"id": PHONE_ID}]


async def test_pages_follow_the_after_cursor(
    anonymous: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    phones = [f"31{n:013d}" for n in range(5)]
    sandbox.accounts.add_waba("21000000000001", phones, app_id=APP_ID)
    token = sandbox.accounts.add_token(app_id=APP_ID, waba_ids=["21000000000001"]).value
    seen: list[str] = []
    params: dict[str, str] = {"fields": "id", "limit": "2"}
    for _ in range(5):
        body = (
            await anonymous.get(numbers_url("21000000000001"), headers=bearer(token), params=params)
        ).json()
        seen += [n["id"] for n in body["data"]]
        if "next" not in body["paging"]:
            break
        assert "after=" in body["paging"]["next"] and token not in body["paging"]["next"]
        params = {**params, "after": body["paging"]["cursors"]["after"]}
    assert seen == phones
    bad = await anonymous.get(
        numbers_url("21000000000001"), headers=bearer(token), params={"after": "nonsense"}
    )
    meta_error(bad, 400, 100)


async def test_only_a_token_that_may_manage_the_waba_sees_its_numbers(
    anonymous: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    other = add_channel(sandbox, 1)
    # Another WABA's token: Meta tells a known WABA without access apart (#200).
    foreign = await anonymous.get(numbers_url(), headers=bearer(other.token))
    meta_error(foreign, 403, 200)
    # Messaging only, on the right WABA: no management, no list.
    messaging = sandbox.accounts.add_token(app_id=APP_ID, scopes=[MESSAGING], waba_ids=[WABA_ID])
    refused = await anonymous.get(numbers_url(), headers=bearer(messaging.value))
    meta_error(refused, 403, 200)
    managing = sandbox.accounts.add_token(app_id=APP_ID, scopes=[MANAGEMENT], waba_ids=[WABA_ID])
    listed = await anonymous.get(numbers_url(), headers=bearer(managing.value))
    assert [n["id"] for n in listed.json()["data"]] == [PHONE_ID]
    # An app token is no user: refused like a token without access.
    app = await anonymous.get(numbers_url(), params={"access_token": APP_TOKEN})
    meta_error(app, 403, 200)
    unknown = await anonymous.get(numbers_url("29999999999999"), headers=bearer(TOKEN))
    assert meta_error(unknown, 400, 100)["error_subcode"] == 33
    # Each token sees only its own WABA's numbers.
    own = await anonymous.get(numbers_url(other.waba_id), headers=bearer(other.token))
    assert [n["id"] for n in own.json()["data"]] == [other.phone_number_id]


async def test_a_wrong_appsecret_proof_is_refused(graph: httpx.AsyncClient) -> None:
    wrong = await graph.get(numbers_url(), params={"appsecret_proof": proof(TOKEN, "not-it")})
    error = meta_error(wrong, 400, 100)
    assert error["message"] == "Invalid appsecret_proof provided in the API argument"
    assert TOKEN not in wrong.text


async def test_faults_can_be_injected(graph: httpx.AsyncClient, sandbox: Sandbox) -> None:
    sandbox.faults.add(FaultSpec(endpoint="phone_numbers", http_status=503, object_id=WABA_ID))
    meta_error(await graph.get(numbers_url()), 503, 1)
    assert (await graph.get(numbers_url())).status_code == 200
    assert [c["fault"] for c in sandbox.faults.calls(endpoint="phone_numbers")] == [503, None]


async def test_debug_token_names_the_wabas_a_token_may_act_for(
    anonymous: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    sandbox.accounts.add_waba("21000000000002", ["31000000000009"], app_id=APP_ID)
    token = sandbox.accounts.add_token(
        app_id=APP_ID, scopes=[MESSAGING], waba_ids=[WABA_ID, "21000000000002"]
    ).value
    response = await anonymous.get(
        "/v25.0/debug_token", params={"input_token": token, "access_token": APP_TOKEN}
    )
    data = response.json()["data"]
    assert data["scopes"] == [MESSAGING]
    assert data["granular_scopes"] == [
        {"scope": MESSAGING, "target_ids": sorted([WABA_ID, "21000000000002"])}
    ]
