"""GraphClient.send_message / upload_media with the builders, against the Graph API sandbox."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from graph_sandbox import webhooks as wh
from graph_sandbox.app import create_app
from graph_sandbox.config import SandboxConfig
from whatsapp_cloud import messages as wa
from whatsapp_cloud.client import GraphClient
from whatsapp_cloud.errors import GraphApiError, OutsideCustomerWindow

TOKEN = "EAAG-send-message-test-token"
PHONE_ID = "106540352242922"
HOST = "http://graph.test"
API = f"{HOST}/v25.0"
USER = "79161234567"


def make_sandbox(**overrides: Any) -> FastAPI:
    config = SandboxConfig(
        access_token=SecretStr(TOKEN), phone_number_id=PHONE_ID, public_url=HOST, **overrides
    )
    return create_app(config)


@pytest.fixture
def app() -> FastAPI:
    return make_sandbox()


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


@pytest.fixture
def calls() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def client(http: httpx.AsyncClient, calls: list[tuple[str, str]]) -> GraphClient:
    def on_call(endpoint: str, outcome: str) -> None:
        calls.append((endpoint, outcome))

    return GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), backoff_s=0.001, on_call=on_call)


async def recorded(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return list((await http.get(f"{HOST}/sandbox/messages")).json()["data"])


async def test_every_kind_of_message(client: GraphClient, http: httpx.AsyncClient) -> None:
    sends = [
        wa.buttons(
            "Is this right?",
            [("card:confirm:w1", "✅ Верно"), ("card:fix:w1", "✏️ Fix")],
            header="Card read",
            footer="ibbase",
        ),
        wa.choice_list(
            "Which field?",
            "Choose a field",
            [("field:name", "Name", None), ("field:phones", "Phones", "all numbers")],
            section="Fields",
        ),
        wa.contact_card(
            {
                "formatted_name": "Анна Петрова",
                "company": "ACME",
                "title": "CTO",
                "phones": ["+79161234567"],
                "emails": ["anna@acme.test"],
                "websites": ["https://acme.test"],
                "address": "Москва, Тверская 1",
            }
        ),
        wa.media("image", link="https://example.com/card.jpg", caption="card"),
        wa.template("card_followup", "ru", ["Анна"]),
        wa.text("plain"),
    ]
    wamids = [await client.send_message(USER, m, reply_to="wamid.IN") for m in sends]
    records = await recorded(http)
    assert [r["id"] for r in records] == wamids
    assert [r["type"] for r in records] == [
        "interactive",
        "interactive",
        "contacts",
        "image",
        "template",
        "text",
    ]
    assert all(r["context"] == {"message_id": "wamid.IN"} for r in records)
    assert records[2]["contacts"][0]["name"] == {
        "formatted_name": "Анна Петрова",
        "first_name": "Анна Петрова",
    }
    assert "Анна" in records[4]["body"]


async def test_send_message_is_idempotent_by_key(
    client: GraphClient, http: httpx.AsyncClient
) -> None:
    message = wa.buttons("?", [("a", "A"), ("b", "B")])
    first, second = await asyncio.gather(
        client.send_message(USER, message, idempotency_key="card:wamid.IN:0"),
        client.send_message(USER, message, idempotency_key="card:wamid.IN:0"),
    )
    assert first == second
    (record,) = await recorded(http)
    assert record["biz_opaque_callback_data"] == "card:wamid.IN:0"
    # The text path shares the same memory of keys.
    assert await client.send_text(USER, "x", idempotency_key="card:wamid.IN:0") == first
    assert len(await recorded(http)) == 1
    other = await client.send_message(USER, message, idempotency_key="card:wamid.IN:1")
    assert other != first
    with pytest.raises(ValueError, match="512"):
        await client.send_message(USER, message, idempotency_key="k" * 513)


async def test_send_message_refuses_what_it_sets_itself(client: GraphClient) -> None:
    for bad in ({"to": "1", **wa.text("x")}, {"type": "text"}, {"text": {"body": "x"}}):
        with pytest.raises(ValueError):
            await client.send_message(USER, bad)
    with pytest.raises(ValueError, match="recipient"):
        await client.send_message("", wa.text("x"))


async def test_upload_then_send_the_document(
    client: GraphClient, http: httpx.AsyncClient, calls: list[tuple[str, str]]
) -> None:
    data = b"%PDF-1.4\n" + bytes(range(256)) * 8
    media_id = await client.upload_media(data, "application/pdf", "contacts.pdf")
    assert media_id.isdigit()
    assert ("media_upload", "200") in calls
    info = await client.get_media(media_id)
    assert (info.mime_type, info.file_size) == ("application/pdf", len(data))
    wamid = await client.send_message(USER, wa.document(media_id, "contacts.pdf", "3 contacts"))
    (record,) = await recorded(http)
    assert record["id"] == wamid
    assert record["document"] == {
        "id": media_id,
        "filename": "contacts.pdf",
        "caption": "3 contacts",
    }


async def test_upload_refusals(client: GraphClient) -> None:
    with pytest.raises(GraphApiError) as refused:
        await client.upload_media(b"BEGIN:VCARD", "text/x-unknown", "c.vcf")
    assert refused.value.code == 100 and not refused.value.retryable
    with pytest.raises(ValueError):
        await client.upload_media(b"", "application/pdf", "empty.pdf")


async def test_document_of_a_media_id_of_no_one(client: GraphClient) -> None:
    with pytest.raises(GraphApiError) as refused:
        await client.send_message(USER, wa.document("1234567", "x.pdf"))
    assert refused.value.code == 100


async def test_templates(client: GraphClient, http: httpx.AsyncClient) -> None:
    await client.send_message(USER, wa.template("card_followup", "en", ["Ann"]))
    with pytest.raises(GraphApiError) as unknown:
        await client.send_message(USER, wa.template("card_followup", "de", ["Ann"]))
    assert (unknown.value.code, unknown.value.http_status) == (132001, 404)
    assert not unknown.value.retryable
    with pytest.raises(GraphApiError) as count:
        await client.send_message(USER, wa.template("card_followup", "en", ["a", "b"]))
    assert count.value.code == 132000
    assert "expected number of params (1)" in str(count.value)
    assert len(await recorded(http)) == 1


async def test_outside_the_window_only_templates_go() -> None:
    app = make_sandbox(unseen_users="closed")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), backoff_s=0.001)
        with pytest.raises(OutsideCustomerWindow) as outside:
            await client.send_message(USER, wa.buttons("?", [("a", "A")]))
        assert outside.value.code == 131047
        await client.send_message(USER, wa.template("card_followup", "ru", ["Анна"]))
        message = wh.text_message(USER, "привет", timestamp=int(time.time()) - 3600)
        notification = wh.envelope(PHONE_ID, messages=[message])
        await http.post(f"{HOST}/sandbox/inbound", json=notification)
        await client.send_text(USER, "Здравствуйте!")
        assert [r["type"] for r in await recorded(http)] == ["template", "text"]
