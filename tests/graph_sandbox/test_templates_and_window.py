"""Templates (approved per WABA: 132001, 132000, 132018) and the 24-hour window (131047)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from graph_sandbox import webhooks as wh
from graph_sandbox.state import Sandbox
from tests.graph_sandbox.sandbox_support import (
    BASE,
    PHONE_ID,
    TOKEN,
    WABA_ID,
    add_channel,
    bearer,
    make_app,
    meta_error,
    text,
)
from tests.graph_sandbox.sandbox_support import MESSAGES_URL as URL

USER = "79161234567"


def template(name: str, code: str, *params: str, to: str = USER) -> dict[str, Any]:
    content: dict[str, Any] = {"name": name, "language": {"code": code}}
    if params:
        content["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {"messaging_product": "whatsapp", "to": to, "type": "template", "template": content}


async def test_approved_templates_send_and_render(graph: httpx.AsyncClient) -> None:
    for body in (
        template("card_followup", "ru", "Анна"),
        template("card_followup", "en", "Ann"),
        template("hello_world", "en_US"),
    ):
        response = await graph.post(URL, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["messages"][0]["message_status"] == "accepted"
    bodies = [r["body"] for r in (await graph.get("/sandbox/messages")).json()["data"]]
    assert "Анна" in bodies[0] and "Ann" in bodies[1] and bodies[2].startswith("Welcome")
    listing = (await graph.get(f"/sandbox/wabas/{WABA_ID}/templates")).json()["data"]
    assert {(t["name"], t["language"]) for t in listing} >= {
        ("card_followup", "ru"),
        ("card_followup", "en"),
        ("hello_world", "en_US"),
    }


async def test_unknown_template_or_language_is_132001(graph: httpx.AsyncClient) -> None:
    for body in (template("no_such_template", "ru", "x"), template("card_followup", "de", "x")):
        error = meta_error(await graph.post(URL, json=body), 404, 132001)
        assert error["message"] == "(#132001) Template name does not exist in the translation"
        assert body["template"]["language"]["code"] in error["error_data"]["details"]
    assert (await graph.get("/sandbox/messages")).json() == {"data": []}


async def test_wrong_parameter_count_is_132000(graph: httpx.AsyncClient) -> None:
    for body, got in (
        (template("card_followup", "ru"), 0),
        (template("card_followup", "ru", "a", "b"), 2),
    ):
        error = meta_error(await graph.post(URL, json=body), 400, 132000)
        assert error["error_data"]["details"] == (
            f"body: number of localizable_params ({got}) does not match the expected "
            "number of params (1)"
        )
    header = template("hello_world", "en_US")
    header["template"]["components"] = [
        {"type": "header", "parameters": [{"type": "text", "text": "x"}]}
    ]
    meta_error(await graph.post(URL, json=header), 400, 132000)


async def test_parameter_text_rules(graph: httpx.AsyncClient) -> None:
    for value in ("two\nlines", "a\ttab", "five     spaces"):
        response = await graph.post(URL, json=template("card_followup", "en", value))
        meta_error(response, 400, 132018)
    malformed = template("card_followup", "en", "x")
    malformed["template"]["components"][0]["parameters"][0] = {"type": "emoji", "text": "x"}
    meta_error(await graph.post(URL, json=malformed), 400, 100)
    no_language = template("card_followup", "en", "x")
    del no_language["template"]["language"]
    meta_error(await graph.post(URL, json=no_language), 400, 100)


async def test_templates_are_per_waba(graph: httpx.AsyncClient, sandbox: Sandbox) -> None:
    other = add_channel(sandbox, 7)
    approve = {"name": "only_there", "language": "ru", "body": "Привет, {{1}} и {{2}}"}
    response = await graph.post(f"/sandbox/wabas/{other.waba_id}/templates", json=approve)
    assert response.json() == {"success": True, "body_params": 2}
    there = f"/v25.0/{other.phone_number_id}/messages"
    body = template("only_there", "ru", "a", "b")
    sent = await graph.post(there, json=body, headers=bearer(other.token))
    assert sent.status_code == 200, sent.text
    meta_error(await graph.post(URL, json=body), 404, 132001)


# -- the 24-hour customer-service window ----------------------------------------------


def inbound(wa_id: str, *, hours_ago: float = 0, phone: str = PHONE_ID) -> dict[str, Any]:
    message = wh.text_message(wa_id, "hi", timestamp=int(time.time() - hours_ago * 3600))
    return wh.envelope(phone, messages=[message], contacts=[wh.contact(wa_id, "Anna")])


@pytest.fixture
async def strict() -> Any:
    """A sandbox with Meta's rule for users it never heard from: outside the window."""
    strict_app = make_app(unseen_users="closed")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=strict_app), base_url=BASE, headers=bearer(TOKEN)
    ) as client:
        yield client


async def test_free_form_outside_the_window_is_131047(strict: httpx.AsyncClient) -> None:
    error = meta_error(await strict.post(URL, json=text("hi", to=USER)), 400, 131047)
    assert error["message"] == "(#131047) Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]
    # A template goes out all the same.
    assert (await strict.post(URL, json=template("card_followup", "ru", "x"))).status_code == 200

    recorded = await strict.post("/sandbox/inbound", json=inbound(USER, hours_ago=1))
    assert recorded.json()["data"][0]["users"] == [USER]
    for body in (
        text("hi", to=f"+{USER}"),
        {
            "messaging_product": "whatsapp",
            "to": USER,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "body": {"text": "?"},
                "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
            },
        },
    ):
        assert (await strict.post(URL, json=body)).status_code == 200, body
    sent = (await strict.get("/sandbox/messages")).json()["data"]
    assert [m["type"] for m in sent] == ["template", "text", "interactive"]


async def test_window_closes_24_hours_after_the_last_message(strict: httpx.AsyncClient) -> None:
    await strict.post("/sandbox/inbound", json=inbound(USER, hours_ago=25))
    meta_error(await strict.post(URL, json=text("late", to=USER)), 400, 131047)
    await strict.post("/sandbox/inbound", json=inbound(USER, hours_ago=23.9))
    assert (await strict.post(URL, json=text("in time", to=USER))).status_code == 200
    # An older message does not move the window back.
    await strict.post("/sandbox/inbound", json=inbound(USER, hours_ago=30))
    assert (await strict.post(URL, json=text("still", to=USER))).status_code == 200
    # Forgotten: unseen again, outside the window.
    assert (await strict.delete("/sandbox/inbound")).json() == {"success": True}
    meta_error(await strict.post(URL, json=text("forgotten", to=USER)), 400, 131047)


async def test_window_by_business_scoped_user_id(strict: httpx.AsyncClient) -> None:
    bsuid = "US.13491208655302741918"
    message = wh.text_message(None, "hi", user_id=bsuid)
    payload = wh.envelope(
        PHONE_ID, messages=[message], contacts=[wh.contact(None, "U", user_id=bsuid)]
    )
    await strict.post("/sandbox/inbound", json=payload)
    assert (await strict.post(URL, json=text("hi", to=bsuid))).status_code == 200


async def test_read_receipts_ignore_the_window(strict: httpx.AsyncClient) -> None:
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}
    assert (await strict.post(URL, json=read)).json() == {"success": True}


async def test_unseen_users_are_open_by_default(graph: httpx.AsyncClient) -> None:
    """Webhooks posted straight to a receiver bypass the sandbox: by default it lets free-form
    messages to users it never heard of through, but still enforces what it has seen."""
    assert (await graph.post(URL, json=text("hi", to=USER))).status_code == 200
    await graph.post("/sandbox/inbound", json=inbound(USER, hours_ago=48))
    meta_error(await graph.post(URL, json=text("hi", to=USER)), 400, 131047)


def test_webhook_reply_builders() -> None:
    tapped = wh.interactive_reply(
        USER, "card:confirm:wamid.A", "✅ Верно", context_id="wamid.OUT", context_from="15550001111"
    )
    assert tapped["type"] == "interactive"
    assert tapped["context"] == {"from": "15550001111", "id": "wamid.OUT"}
    assert tapped["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "card:confirm:wamid.A", "title": "✅ Верно"},
    }
    picked = wh.interactive_reply(
        USER,
        "field:phones",
        "Телефон",
        context_id="wamid.OUT",
        list_reply=True,
        description="номера",
    )
    assert picked["interactive"] == {
        "type": "list_reply",
        "list_reply": {"id": "field:phones", "title": "Телефон", "description": "номера"},
    }
    assert picked["context"]["id"] == "wamid.OUT"
    image = wh.image_message(USER, "123", sha256="abc", caption="визитка")
    assert image["image"]["caption"] == "визитка"
    document = wh.document_message(USER, "124", sha256="abc", filename="c.pdf", caption="c")
    assert document["document"]["caption"] == "c"
