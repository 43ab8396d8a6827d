"""POST /api/whatsapp/send: admins only, and free-form text only inside the 24-hour window."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.models import OutboundMessage, User
from tests.harness import admin_headers, sandbox_messages


def send_url(pipeline) -> str:
    return f"{pipeline.gateway.url}/api/whatsapp/send"


async def test_only_admins_may_send(pipeline) -> None:
    body = {"to": "79001234567", "message": "hi"}
    missing = await pipeline.http.post(send_url(pipeline), json=body)
    assert missing.status_code == 401
    wrong = await pipeline.http.post(
        send_url(pipeline), json=body, headers={"Authorization": "Bearer not-the-admin-token"}
    )
    assert wrong.status_code == 401
    assert await sandbox_messages(pipeline.http, pipeline.sandbox_url) == []


async def test_outside_the_window_a_template_is_needed(pipeline) -> None:
    response = await pipeline.http.post(
        send_url(pipeline),
        headers=admin_headers(pipeline.settings),
        json={"to": "79001234567", "message": "hi"},
    )
    assert response.status_code == 409
    assert "template" in response.json()["error"]["message"]
    assert await sandbox_messages(pipeline.http, pipeline.sandbox_url) == []


async def test_inside_the_window_the_text_is_sent(pipeline, database_url) -> None:
    engine = make_engine(database_url)
    with transaction(make_sessionmaker(engine)) as s:
        s.add(
            User(
                user_key="wa:79001234567",
                wa_id="79001234567",
                last_inbound_at=datetime.now(UTC) - timedelta(hours=2),
            )
        )
        s.add(
            User(
                user_key="wa:79009999999",
                wa_id="79009999999",
                last_inbound_at=datetime.now(UTC) - timedelta(hours=25),
            )
        )
    response = await pipeline.http.post(
        send_url(pipeline),
        headers=admin_headers(pipeline.settings),
        json={"to": "+7 900 123-45-67", "message": "Добрый день!"},
    )
    assert response.status_code == 200, response.text
    wamid = response.json()["message_id"]
    sent = await sandbox_messages(pipeline.http, pipeline.sandbox_url, to="79001234567")
    assert [m["text"]["body"] for m in sent] == ["Добрый день!"]
    stale = await pipeline.http.post(
        send_url(pipeline),
        headers=admin_headers(pipeline.settings),
        json={"to": "79009999999", "message": "late"},
    )
    assert stale.status_code == 409
    with make_sessionmaker(engine)() as s:
        row = s.scalar(select(OutboundMessage).where(OutboundMessage.wamid == wamid))
        assert row.kind == "admin" and row.status == "sent"
    engine.dispose()


async def test_invalid_bodies_are_422(pipeline) -> None:
    for body in (
        {"to": "79001234567"},
        {"to": "abc", "message": "x"},
        {"to": "79001234567", "message": "x" * 4097},
        {"to": "79001234567", "message": "  "},
    ):
        response = await pipeline.http.post(
            send_url(pipeline), json=body, headers=admin_headers(pipeline.settings)
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["message"]
    bad_json = await pipeline.http.post(
        send_url(pipeline),
        content=b"{",
        headers={**admin_headers(pipeline.settings), "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 422
