"""The worker end to end: real JetStream, real database, the Graph API sandbox over HTTP."""

import json
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from sqlalchemy import func, select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import Contact, InboundMessage, OutboundMessage
from gateway.whatsapp import replies
from graph_sandbox import webhooks as wh
from ibbase_dev.simulate import reply_text
from tests.harness import sandbox_messages, wait_for

DATA = Path(__file__).resolve().parents[2] / "data" / "whatsapp"


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def first_message(payload: dict) -> dict:
    return payload["entry"][0]["changes"][0]["value"]["messages"][0]


class Db:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(engine=self.engine)

    def count(self, model, *where) -> int:
        with self.sessions() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    def done(self, message_id: str) -> bool:
        with self.sessions() as s:
            return (
                s.scalar(
                    select(InboundMessage.state).where(InboundMessage.message_id == message_id)
                )
                == "done"
            )

    def scalar(self, stmt):
        with self.sessions() as s:
            return s.scalar(stmt)


@pytest.fixture
def db(database_url: str) -> Iterator[Db]:
    handle = Db(database_url)
    yield handle
    handle.engine.dispose()


async def post(pipeline, payload: dict) -> None:
    body = wh.encode(payload)
    secret = pipeline.settings.whatsapp_app_secret.get_secret_value()
    response = await pipeline.http.post(
        pipeline.webhook, content=body, headers={"X-Hub-Signature-256": wh.sign(body, secret)}
    )
    assert response.status_code == 200, response.text


async def replies_to(pipeline, message_id: str) -> list[dict]:
    msgs = await sandbox_messages(pipeline.http, pipeline.sandbox_url, kind="message")
    return [m for m in msgs if (m.get("context") or {}).get("message_id") == message_id]


async def handled(pipeline, db: Db, name: str) -> tuple[dict, list[dict]]:
    payload = load(name)
    msg = first_message(payload)
    await post(pipeline, payload)
    await wait_for(lambda: db.done(msg["id"]), timeout=30)
    return msg, [reply_text(m) for m in await replies_to(pipeline, msg["id"])]


EXPECTED_REPLY = {
    "message_text": replies.TEXT_HINT["ru"],
    "message_text_command_start": replies.HELP["ru"],
    "message_audio": replies.UNSUPPORTED["ru"],
    "message_video": replies.UNSUPPORTED["ru"],
    "message_sticker": replies.UNSUPPORTED["ru"],
    "message_location": replies.UNSUPPORTED["ru"],
    "message_interactive_button_reply": replies.UNSUPPORTED["ru"],
    "message_interactive_list_reply": replies.UNSUPPORTED["ru"],
    "message_button": replies.UNSUPPORTED["ru"],
    "message_unsupported": replies.UNSUPPORTED["ru"],
    "message_unknown_type": replies.UNSUPPORTED["ru"],
    "message_text_username_only": replies.TEXT_HINT["en"],
}


async def test_every_message_type_gets_its_answer(pipeline, worker, db) -> None:
    for name, expected in EXPECTED_REPLY.items():
        _, texts = await handled(pipeline, db, name)
        assert texts == [expected], name
    # A reaction is acknowledged silently.
    _msg, texts = await handled(pipeline, db, "message_reaction")
    assert texts == []
    # Images whose media does not exist: a clear reply, no crash, message done.
    for name in ("message_image", "message_document_image", "message_document_pdf"):
        _, texts = await handled(pipeline, db, name)
        assert len(texts) == 1 and texts[0].startswith("⚠️"), texts
    # A shared contact becomes a contact directly.
    _, texts = await handled(pipeline, db, "message_contacts")
    assert texts[0].startswith(replies.CONTACT_HEADER["ru"])
    contact = db.scalar(select(Contact).where(Contact.source == "shared_contact"))
    assert contact.company == "ООО «Ромашка»"
    assert [p.phone for p in contact.phones] == ["+74951234567"]
    assert [e.email for e in contact.emails] == ["p.sidorov@romashka.example.ru"]


async def test_commands_are_case_insensitive_and_english_when_written_in_english(
    pipeline, worker, db
) -> None:
    user = pipeline.user("447700900123", name="Jane")
    hello = await user.send_text("Hello there")
    assert reply_text(await user.wait_reply(hello)) == replies.TEXT_HINT["en"]
    help_ = await user.send_text("  /HELP  ")
    assert reply_text(await user.wait_reply(help_)) == replies.HELP["en"]
    status = await user.send_text("/Status")
    body = reply_text(await user.wait_reply(status))
    assert body.startswith("📊 Status") and "Card reader: ready" in body
    assert db.count(InboundMessage) == 3


async def test_statuses_only_move_forward(pipeline, worker, db) -> None:
    wamid = wh.new_wamid()
    phone = pipeline.settings.whatsapp_phone_id
    for state in ("sent", "read", "delivered"):  # out of order: 'delivered' arrives last
        await post(pipeline, wh.envelope(phone, statuses=[wh.status(wamid, "79001234567", state)]))
        await wait_for(
            lambda: (
                db.scalar(select(OutboundMessage.status).where(OutboundMessage.wamid == wamid))
                is not None
            )
        )
    await wait_for(
        lambda: (
            db.scalar(select(OutboundMessage.status).where(OutboundMessage.wamid == wamid))
            == "read"
        )
    )
    nc = await nats.connect(pipeline.settings.nats_url)
    js = nc.jetstream()
    await wait_for(lambda: _no_pending(js, pipeline.settings))
    await nc.close()
    assert db.scalar(select(OutboundMessage.status).where(OutboundMessage.wamid == wamid)) == "read"


async def _no_pending(js, settings) -> bool:
    info = await js.consumer_info(settings.stream, settings.consumer)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_reply_statuses_update_our_outbound_row(pipeline, worker, db) -> None:
    user = pipeline.user()
    msg_id = await user.send_text("/start")
    reply = await user.wait_reply(msg_id)
    await wait_for(lambda: db.done(msg_id))
    await post(
        pipeline,
        wh.envelope(
            pipeline.settings.whatsapp_phone_id,
            statuses=[wh.status(reply["id"], user.wa_id, "delivered")],
        ),
    )
    await wait_for(
        lambda: (
            db.scalar(select(OutboundMessage.status).where(OutboundMessage.wamid == reply["id"]))
            == "delivered"
        )
    )
    assert db.count(OutboundMessage, OutboundMessage.wamid == reply["id"]) == 1
    assert (
        db.scalar(select(OutboundMessage.kind).where(OutboundMessage.wamid == reply["id"]))
        == "reply"
    )


async def test_late_redelivery_yields_no_second_contact_or_reply(pipeline, worker, db) -> None:
    """Beyond JetStream's dedup window (simulated with a new Nats-Msg-Id) the database holds."""
    payload = load("message_contacts")
    msg = first_message(payload)
    await post(pipeline, payload)
    await wait_for(lambda: db.done(msg["id"]))
    await post(pipeline, payload)  # Meta's retry inside the window: dropped by JetStream
    nc = await nats.connect(pipeline.settings.nats_url)
    from whatsapp_cloud.webhook import split_envelope

    (event,) = split_envelope(payload)
    await nc.jetstream().publish(
        event.subject(pipeline.settings.subject_prefix),
        event.to_json(),
        headers={"Nats-Msg-Id": "days-later-" + event.event_id},
    )
    await wait_for(lambda: _no_pending(nc.jetstream(), pipeline.settings))
    await nc.close()
    assert len(await replies_to(pipeline, msg["id"])) == 1
    assert db.count(Contact) == 1
    assert db.count(InboundMessage) == 1


async def test_transient_graph_errors_are_retried(pipeline, worker, db) -> None:
    await pipeline.http.post(
        f"{pipeline.sandbox_url}/sandbox/faults",
        json={"endpoint": "messages", "code": 131000, "count": 5},
    )
    user = pipeline.user()
    msg_id = await user.send_text("/help")
    reply = await user.wait_reply(msg_id, timeout=30)
    assert reply_text(reply) == replies.HELP["ru"]
    assert len(await replies_to(pipeline, msg_id)) == 1


async def test_persistent_failure_is_dead_lettered(pipeline, worker, db) -> None:
    await pipeline.http.post(
        f"{pipeline.sandbox_url}/sandbox/faults",
        json={"endpoint": "messages", "http_status": 500, "count": 1000},
    )
    user = pipeline.user()
    await user.send_text("/help")
    nc = await nats.connect(pipeline.settings.nats_url)
    js = nc.jetstream()

    async def dead_lettered() -> bool:
        info = await js.stream_info(pipeline.settings.dlq_stream)
        return info.state.messages == 1

    await wait_for(dead_lettered, timeout=60)
    await wait_for(lambda: _no_pending(js, pipeline.settings))
    await nc.close()
    await pipeline.http.delete(f"{pipeline.sandbox_url}/sandbox/faults")
    metrics = (await pipeline.http.get(f"{pipeline.gateway.url}/metrics")).text
    assert "whatsapp_webhook_requests_total" in metrics
