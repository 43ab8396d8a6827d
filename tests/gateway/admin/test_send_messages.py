"""POST /api/whatsapp/send beyond text: media, contact cards and templates, the 24-hour
window with a template to fall back on, Idempotency-Key, and channels with token scope;
against the real gateway (HTTP), the Graph API sandbox and the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.auth.service import create_token
from gateway.auth.tokens import Scope
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.models import DEFAULT_CHANNEL, OutboundMessage, User
from graph_sandbox.config import DEFAULT_APP_ID
from ibbase_dev.nats_server import NatsServer
from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN, Pipeline
from tests.gateway.channel_volume import SecretVolume, make_channel
from tests.harness import ServerThread, admin_headers, pipeline_settings, sandbox_messages

TO = "79001234567"
FOLLOWUP = {"name": "card_followup", "language": "ru", "parameters": ["Анна"]}


def url(p: Pipeline) -> str:
    return f"{p.gateway.url}/api/whatsapp/send"


_engines: dict[str, Any] = {}


def sessions_of(p: Pipeline) -> Any:
    url = p.settings.database_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return make_sessionmaker(_engines[url])


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    while _engines:
        _engines.popitem()[1].dispose()


def wrote(p: Pipeline, wa_id: str = TO, *, hours_ago: float = 1, channel: str = DEFAULT_CHANNEL):
    with transaction(sessions_of(p)) as s:
        s.add(
            User(
                channel_id=channel,
                user_key=f"wa:{wa_id}",
                wa_id=wa_id,
                last_inbound_at=datetime.now(UTC) - timedelta(hours=hours_ago),
            )
        )


def rows(p: Pipeline) -> list[OutboundMessage]:
    with sessions_of(p)() as s:
        return list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


async def send(p: Pipeline, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await p.http.post(url(p), json=body, headers={**admin_headers(p.settings), **headers})


async def sent(p: Pipeline) -> list[dict[str, Any]]:
    return await sandbox_messages(p.http, p.sandbox_url, kind="message")


async def upload(p: Pipeline, data: bytes, mime: str, name: str) -> str:
    response = await p.http.post(
        f"{p.sandbox_url}/v25.0/{SANDBOX_PHONE_ID}/media",
        data={"messaging_product": "whatsapp", "type": mime},
        files={"file": (name, data, mime)},
        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
    )
    return str(response.json()["id"])


# -- what can be sent -------------------------------------------------------------------


async def test_text_image_document_and_contact(pipeline: Pipeline) -> None:
    wrote(pipeline)
    media_id = await upload(pipeline, b"%PDF-1.4 export", "application/pdf", "c.pdf")
    bodies = [
        {"to": TO, "text": "Добрый день!"},
        {"to": TO, "image": {"link": "https://example.com/card.jpg", "caption": "визитка"}},
        {"to": TO, "document": {"id": media_id, "filename": "contacts.pdf", "caption": "3"}},
        {
            "to": TO,
            "contact": {
                "formatted_name": "Анна Петрова",
                "company": "ACME",
                "phones": ["+79161234567"],
                "emails": ["anna@acme.test"],
            },
        },
    ]
    answers = [await send(pipeline, body) for body in bodies]
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert [a.json()["type"] for a in answers] == ["text", "image", "document", "contacts"]
    assert {a.json()["channel"] for a in answers} == {"default"}
    out = await sent(pipeline)
    assert [m["id"] for m in out] == [a.json()["message_id"] for a in answers]
    assert out[1]["image"] == {"link": "https://example.com/card.jpg", "caption": "визитка"}
    assert out[2]["document"] == {"id": media_id, "filename": "contacts.pdf", "caption": "3"}
    assert out[3]["contacts"][0]["org"] == {"company": "ACME"}
    stored = rows(pipeline)
    assert [(r.kind, r.status, r.channel_id) for r in stored] == [("admin", "sent", "default")] * 4
    assert stored[0].payload is None and stored[0].body == "Добрый день!"
    assert [r.payload["type"] for r in stored[1:]] == ["image", "document", "contacts"]
    assert stored[3].body == "[contact] Анна Петрова"


async def test_invalid_messages_are_422_before_any_send(pipeline: Pipeline) -> None:
    for body in (
        {"to": TO, "text": "a", "image": {"link": "https://x.test/a.jpg"}},
        {"to": TO, "text": "a", "message": "b"},
        {"to": TO, "image": {"link": "https://x.test/a.jpg", "id": "1"}},
        {"to": TO, "image": {"link": "ftp://x.test/a.jpg"}},
        {"to": TO, "image": {"id": "1", "filename": "a.jpg"}},
        {"to": TO, "image": {"link": "https://x.test/a.jpg", "caption": "c" * 1025}},
        {"to": TO, "contact": {"company": "no name"}},
        {"to": TO, "contact": {"formatted_name": "A", "phones": 5}},
        {"to": TO, "contact": {"formatted_name": "A", "org": "ACME"}},
        {"to": TO, "contact": {"formatted_name": "A", "emails": [{"email": "a@b", "x": 1}]}},
        {"to": TO, "contact": {"formatted_name": "A", "addresses": [{"city": 5}]}},
        {"to": TO, "text": "nul\x00"},
        {"to": TO, "template": {"name": "card_followup", "language": "ru", "parameters": ["\x00"]}},
        {"to": TO, "template": {"name": "Card Followup", "language": "ru"}},
        {"to": TO, "template": {"name": "card_followup", "language": "ru", "parameters": ["a\nb"]}},
        {"to": TO, "video": {"link": "https://x.test/a.mp4"}},
        {"to": TO},
    ):
        response = await send(pipeline, body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    assert await sent(pipeline) == []


# -- the 24-hour window and templates ---------------------------------------------------


async def test_outside_the_window_only_a_template(pipeline: Pipeline) -> None:
    wrote(pipeline, hours_ago=25)
    refused = await send(pipeline, {"to": TO, "image": {"link": "https://x.test/a.jpg"}})
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "24 hours" in message and "template" in message and "131047" in message
    assert await sent(pipeline) == []

    fallback = await send(pipeline, {"to": TO, "text": "hi", "template": FOLLOWUP})
    assert fallback.status_code == 200, fallback.text
    assert fallback.json()["type"] == "template"
    alone = await send(pipeline, {"to": "79005550000", "template": FOLLOWUP})
    assert alone.status_code == 200 and alone.json()["type"] == "template"
    out = await sent(pipeline)
    assert [m["type"] for m in out] == ["template", "template"]
    assert out[0]["template"]["components"][0]["parameters"] == [{"type": "text", "text": "Анна"}]
    assert "Анна" in out[0]["body"]
    assert rows(pipeline)[0].payload["template"]["name"] == "card_followup"
    assert rows(pipeline)[0].body == "[template card_followup/ru] Анна"


async def test_inside_the_window_the_free_form_message_wins(pipeline: Pipeline) -> None:
    wrote(pipeline)
    answer = await send(pipeline, {"to": TO, "text": "hi", "template": FOLLOWUP})
    assert answer.json()["type"] == "text"


async def test_meta_says_outside_although_we_saw_a_message(pipeline: Pipeline) -> None:
    wrote(pipeline)
    fault = {"endpoint": "messages", "code": 131047, "to": TO, "count": 2}
    await pipeline.http.post(f"{pipeline.sandbox_url}/sandbox/faults", json=fault)
    refused = await send(pipeline, {"to": TO, "text": "hi"})
    assert refused.status_code == 409 and "template" in refused.json()["error"]["message"]
    fell_back = await send(pipeline, {"to": TO, "text": "hi", "template": FOLLOWUP})
    assert fell_back.status_code == 200 and fell_back.json()["type"] == "template"
    assert [m["type"] for m in await sent(pipeline)] == ["template"]


async def test_templates_meta_refuses_are_422(pipeline: Pipeline) -> None:
    for template, code in (
        ({"name": "no_such_template", "language": "ru"}, "132001"),
        ({"name": "card_followup", "language": "de", "parameters": ["x"]}, "132001"),
        ({"name": "card_followup", "language": "ru", "parameters": []}, "132000"),
        ({"name": "card_followup", "language": "ru", "parameters": ["a", "b"]}, "132000"),
    ):
        response = await send(pipeline, {"to": TO, "template": template})
        assert response.status_code == 422, response.text
        assert code in response.json()["error"]["message"]
    assert await sent(pipeline) == [] and rows(pipeline) == []


async def test_unknown_media_id_is_422(pipeline: Pipeline) -> None:
    wrote(pipeline)
    response = await send(pipeline, {"to": TO, "document": {"id": "123", "filename": "a.pdf"}})
    assert response.status_code == 422 and "media id" in response.json()["error"]["message"]


# -- Idempotency-Key --------------------------------------------------------------------


async def test_same_key_same_body_sends_once(pipeline: Pipeline) -> None:
    wrote(pipeline)
    body = {"to": TO, "contact": {"formatted_name": "Анна"}}
    first = await send(pipeline, body, **{"Idempotency-Key": "crm-42"})
    again = await send(pipeline, body, **{"Idempotency-Key": "crm-42"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(await sent(pipeline)) == 1
    (row,) = rows(pipeline)
    assert row.idempotency_key and row.idempotency_key.startswith("admin:")
    assert "crm-42" not in row.idempotency_key
    # A new key is a new message.
    other = await send(pipeline, body, **{"Idempotency-Key": "crm-43"})
    assert other.json()["message_id"] != first.json()["message_id"]


async def test_same_key_other_body_is_422(pipeline: Pipeline) -> None:
    wrote(pipeline)
    wrote(pipeline, "79005550000")
    key = {"Idempotency-Key": "crm-7"}
    assert (await send(pipeline, {"to": TO, "text": "one"}, **key)).status_code == 200
    for body in (
        {"to": TO, "text": "two"},
        {"to": "79005550000", "text": "one"},
        {"to": TO, "image": {"link": "https://x.test/a.jpg"}},
    ):
        response = await send(pipeline, body, **key)
        assert response.status_code == 422, body
        assert "Idempotency-Key" in response.json()["error"]["message"]
    # The same text in another spelling of the number is the same request.
    assert (
        await send(pipeline, {"to": "+7 900 123-45-67", "text": "one"}, **key)
    ).status_code == 200
    assert len(await sent(pipeline)) == 1


async def test_the_template_fallback_replays_too(pipeline: Pipeline) -> None:
    body = {"to": TO, "text": "hi", "template": FOLLOWUP}
    first = await send(pipeline, body, **{"Idempotency-Key": "k"})
    wrote(pipeline)  # the user writes: inside the window now, but the key was used
    again = await send(pipeline, body, **{"Idempotency-Key": "k"})
    assert again.json() == first.json() and first.json()["type"] == "template"
    assert len(await sent(pipeline)) == 1


async def test_concurrent_requests_with_one_key_send_once(pipeline: Pipeline) -> None:
    wrote(pipeline)
    body = {"to": TO, "text": "once"}
    answers = await asyncio.gather(
        *(send(pipeline, body, **{"Idempotency-Key": "race"}) for _ in range(4))
    )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 409} and 200 in statuses, [a.text for a in answers]
    assert len({a.json()["message_id"] for a in answers if a.status_code == 200}) == 1
    assert len(await sent(pipeline)) == 1


async def test_a_failed_send_gives_the_key_back(pipeline: Pipeline) -> None:
    wrote(pipeline)
    await pipeline.http.post(
        f"{pipeline.sandbox_url}/sandbox/faults", json={"endpoint": "messages", "code": 131026}
    )
    body, key = {"to": TO, "text": "retry me"}, {"Idempotency-Key": "retry"}
    failed = await send(pipeline, body, **key)
    assert failed.status_code == 502, failed.text
    assert rows(pipeline) == []
    retried = await send(pipeline, body, **key)
    assert retried.status_code == 200 and "idempotent-replayed" not in retried.headers
    assert len(await sent(pipeline)) == 1


async def test_bad_keys_are_422(pipeline: Pipeline) -> None:
    wrote(pipeline)
    response = await send(pipeline, {"to": TO, "text": "x"}, **{"Idempotency-Key": "k" * 256})
    assert response.status_code == 422


# -- channels and token scope -----------------------------------------------------------


def token(p: Pipeline, channels: list[str] | None, scope: Scope = Scope.ADMIN) -> dict[str, str]:
    with transaction(sessions_of(p)) as s:
        new, _ = create_token(
            s, name="t", scope=scope, channels=channels, expires_in=timedelta(hours=1)
        )
    return {"Authorization": f"Bearer {new.value}"}


REGISTRY_PHONE = "111000000000077"
REGISTRY_WABA = "211000000000077"
REGISTRY_TOKEN = "EAAG-registry-channel-token"


@pytest.fixture
async def registry(
    nats_server: NatsServer, database_url: str, sandbox: ServerThread, tmp_path: Path
) -> AsyncIterator[Pipeline]:
    """A gateway with one registry channel (crm/sales-z) whose number lives in the sandbox."""
    from gateway.app import create_app

    async with httpx.AsyncClient(timeout=30) as http:
        control = f"{sandbox.url}/sandbox"
        waba = {
            "waba_id": REGISTRY_WABA,
            "phone_number_ids": [REGISTRY_PHONE],
            "app_id": DEFAULT_APP_ID,
        }
        assert (await http.post(f"{control}/wabas", json=waba)).status_code == 200
        grant = {"token": REGISTRY_TOKEN, "app_id": DEFAULT_APP_ID, "waba_ids": [REGISTRY_WABA]}
        assert (await http.post(f"{control}/tokens", json=grant)).status_code == 200
        volume = SecretVolume(tmp_path / "registry")
        channel = make_channel(
            "sales-z",
            phone_number_id=REGISTRY_PHONE,
            business_account_id=REGISTRY_WABA,
            graph_api_url=f"{sandbox.url}/v25.0",
            access_token=REGISTRY_TOKEN,
        )
        volume.write_channels(channel)
        settings = pipeline_settings(
            nats_url=nats_server.url,
            database_url=database_url,
            api_url=f"{sandbox.url}/v25.0",
            phone_id=SANDBOX_PHONE_ID,
            access_token=SANDBOX_TOKEN,
            channels_dir=volume.directory,
        )
        gateway = ServerThread(create_app(settings)).start()
        await http.delete(f"{control}/messages")
        try:
            yield Pipeline(settings=settings, gateway=gateway, sandbox_url=sandbox.url, http=http)
        finally:
            gateway.stop()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_send_from_a_registry_channel(registry: Pipeline) -> None:
    wrote(registry, channel="crm.sales-z")
    wrote(registry, "79005550000")  # wrote to the default channel only
    scoped = token(registry, ["crm.sales-z"])
    body = {"channel": "crm.sales-z", "to": TO, "text": "from sales"}
    answer = await registry.http.post(url(registry), json=body, headers=scoped)
    assert answer.status_code == 200, answer.text
    assert answer.json()["channel"] == "crm.sales-z"
    (message,) = await sent(registry)
    assert message["id"] == answer.json()["message_id"]
    calls = await registry.http.get(
        f"{registry.sandbox_url}/sandbox/calls", params={"endpoint": "messages"}
    )
    assert calls.json()["data"][-1]["object_id"] == REGISTRY_PHONE
    (row,) = rows(registry)
    assert (row.channel_id, row.phone_number_id) == ("crm.sales-z", REGISTRY_PHONE)
    # The window is the channel's: a message to the default channel does not open it.
    other = {"channel": "crm.sales-z", "to": "79005550000", "text": "hi"}
    refused = await registry.http.post(url(registry), json=other, headers=scoped)
    assert refused.status_code == 409


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_token_scope_and_unknown_channels(registry: Pipeline) -> None:
    wrote(registry)
    wrote(registry, channel="crm.sales-z")
    scoped = token(registry, ["crm.sales-z"])
    text = {"to": TO, "text": "hi"}
    # A token of channel sales-z may not send from the default channel, or any other.
    for channel in (None, "default", "crm.other", "crm.sales-y"):
        body = {**text, "channel": channel} if channel else text
        refused = await registry.http.post(url(registry), json=body, headers=scoped)
        assert refused.status_code == 403, (channel, refused.text)
    # The bootstrap admin reaches every channel: an unknown one is "not found".
    missing = await send(registry, {**text, "channel": "crm.nope"})
    assert missing.status_code == 404 and "crm.nope" in missing.json()["error"]["message"]
    default_only = token(registry, [DEFAULT_CHANNEL])
    body = {**text, "channel": "crm.sales-z"}
    assert (
        await registry.http.post(url(registry), json=body, headers=default_only)
    ).status_code == 403
    viewer = token(registry, None, Scope.VIEWER)
    assert (await registry.http.post(url(registry), json=text, headers=viewer)).status_code == 403
    assert await sent(registry) == []
    # Idempotency keys are per channel: one key in two channels is two messages.
    everywhere = token(registry, None)
    key = {"Idempotency-Key": "same", **everywhere}
    for channel in ("default", "crm.sales-z"):
        ok = await registry.http.post(url(registry), json={**text, "channel": channel}, headers=key)
        assert ok.status_code == 200, ok.text
    assert len(await sent(registry)) == 2
