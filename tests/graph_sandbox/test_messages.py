"""Message sends and read receipts: Meta's validation, responses, and the record kept."""

from __future__ import annotations

from typing import Any

import httpx

from tests.graph_sandbox.sandbox_support import MESSAGES_URL as URL
from tests.graph_sandbox.sandbox_support import text, upload


async def details_of(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["error_data"]["messaging_product"] == "whatsapp"
    return error["error_data"]["details"]


async def test_send_text(graph: httpx.AsyncClient) -> None:
    response = await graph.post(URL, json=text("Привет", to="+7 (999) 123-45-67"))
    assert response.status_code == 200
    body = response.json()
    assert body["messaging_product"] == "whatsapp"
    assert body["contacts"] == [{"input": "+7 (999) 123-45-67", "wa_id": "79991234567"}]
    (message,) = body["messages"]
    assert message["id"].startswith("wamid.")

    (record,) = (await graph.get("/sandbox/messages")).json()["data"]
    assert record["id"] == message["id"]
    assert record["kind"] == "message"
    assert record["type"] == "text"
    assert record["text"] == {"preview_url": False, "body": "Привет"}
    assert record["body"] == "Привет"
    assert record["context"] is None
    assert record["typing"] is False
    assert isinstance(record["timestamp"], float)


async def test_reply_context_and_opaque_data_are_recorded(graph: httpx.AsyncClient) -> None:
    send = text("ok", context={"message_id": "wamid.IN"}, biz_opaque_callback_data="key-1")
    assert (await graph.post(URL, json=send)).status_code == 200
    (record,) = (await graph.get("/sandbox/messages")).json()["data"]
    assert record["context"] == {"message_id": "wamid.IN"}
    assert record["biz_opaque_callback_data"] == "key-1"


async def test_text_length_limit(graph: httpx.AsyncClient) -> None:
    assert (await graph.post(URL, json=text("я" * 4096))).status_code == 200
    details = await details_of(await graph.post(URL, json=text("я" * 4097)))
    assert "4096" in details
    assert "text['body']" in await details_of(await graph.post(URL, json=text("")))


async def test_body_validation(graph: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({**text("x"), "messaging_product": "sms"}, "messaging_product"),
        ({k: v for k, v in text("x").items() if k != "to"}, "to"),
        ({**text("x"), "to": "not a number"}, "to"),
        ({**text("x"), "recipient_type": "group"}, "recipient_type"),
        ({**text("x"), "type": "carrier_pigeon"}, "type"),
        ({**text("x"), "text": "just a string"}, "text"),
        ({**text("x"), "context": {"id": "wamid.X"}}, "context"),
        ({**text("x"), "biz_opaque_callback_data": "k" * 513}, "biz_opaque_callback_data"),
    ]
    for body, field in cases:
        assert field in await details_of(await graph.post(URL, json=body)), body
    assert (await graph.get("/sandbox/messages")).json() == {"data": []}


async def test_not_json(graph: httpx.AsyncClient) -> None:
    response = await graph.post(URL, content=b"{nope", headers={"content-type": "application/json"})
    assert "JSON" in await details_of(response)


async def test_type_defaults_to_text_and_bsuid_recipient(graph: httpx.AsyncClient) -> None:
    body = {"messaging_product": "whatsapp", "to": "US.13491208655302741918", "text": {"body": "x"}}
    response = await graph.post(URL, json=body)
    assert response.json()["contacts"][0]["wa_id"] == "US.13491208655302741918"


async def test_image_and_document_by_id_or_link(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    sends = [
        {"type": "image", "image": {"id": media_id, "caption": "card"}},
        {"type": "image", "image": {"link": "https://example.com/card.jpg"}},
        {"type": "document", "document": {"id": media_id, "filename": "card.jpg"}},
    ]
    for extra in sends:
        body = {"messaging_product": "whatsapp", "to": "15551234567", **extra}
        assert (await graph.post(URL, json=body)).status_code == 200, extra
    bad = [
        ({"type": "image", "image": {"id": "1234"}}, "image['id']"),
        ({"type": "image", "image": {"id": media_id, "link": "https://x"}}, "exactly one"),
        ({"type": "image", "image": {"link": "ftp://x"}}, "image['link']"),
        ({"type": "image", "image": {"id": media_id, "filename": "a"}}, "filename"),
    ]
    for extra, fragment in bad:
        body = {"messaging_product": "whatsapp", "to": "15551234567", **extra}
        assert fragment in await details_of(await graph.post(URL, json=body)), extra


async def test_template_is_accepted(graph: httpx.AsyncClient) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": "15551234567",
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }
    response = await graph.post(URL, json=body)
    assert response.json()["messages"][0]["message_status"] == "accepted"


async def test_mark_read_with_typing(graph: httpx.AsyncClient) -> None:
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN1"}
    assert (await graph.post(URL, json=read)).json() == {"success": True}
    typing = {**read, "message_id": "wamid.IN2", "typing_indicator": {"type": "text"}}
    assert (await graph.post(URL, json=typing)).json() == {"success": True}

    records = (await graph.get("/sandbox/messages", params={"kind": "read"})).json()["data"]
    assert [(r["kind"], r["id"], r["typing"]) for r in records] == [
        ("read", "wamid.IN1", False),
        ("read", "wamid.IN2", True),
    ]


async def test_mark_read_validation(graph: httpx.AsyncClient) -> None:
    base = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}
    assert "status" in await details_of(await graph.post(URL, json={**base, "status": "seen"}))
    no_id = {k: v for k, v in base.items() if k != "message_id"}
    assert "message_id" in await details_of(await graph.post(URL, json=no_id))
    bad_typing = {**base, "typing_indicator": {"type": "audio"}}
    assert "typing_indicator" in await details_of(await graph.post(URL, json=bad_typing))


async def test_list_filter_and_clear(graph: httpx.AsyncClient) -> None:
    await graph.post(URL, json=text("a", to="111111"))
    await graph.post(URL, json=text("b", to="222222"))
    only = (await graph.get("/sandbox/messages", params={"to": "222222"})).json()["data"]
    assert [r["text"]["body"] for r in only] == ["b"]
    assert (await graph.delete("/sandbox/messages")).json() == {"success": True}
    assert (await graph.get("/sandbox/messages")).json() == {"data": []}
