"""Generated card photos through the whole pipeline: webhook → JetStream → worker →
sandbox media → card reader → database → reply; and a worker killed in the middle."""

import os
import signal

import pytest
from sqlalchemy import func, select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import CardImage, Contact, InboundMessage
from ibbase_dev.simulate import reply_text
from tests.cardgen import known
from tests.harness import WorkerTask, sandbox_messages, spawn_worker, wait_for

pytestmark = pytest.mark.slow

# Three cards of different kinds: English with a MeCard QR, Russian, a dark Japanese card in
# two scripts; compared with the generator's truth.
CARDS = [known.QR_CARD, known.card("set7_0006"), known.card("set7_0002")]


def count(url: str, model) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        n = int(s.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return n


async def test_card_photos_become_contacts(pipeline, worker, database_url) -> None:
    user = pipeline.user()
    for card in CARDS:
        expected = card.truth
        msg_id = await user.send_image(card.jpeg)
        reply = reply_text(await user.wait_reply(msg_id, timeout=90))
        assert reply.startswith("✅ Визитка получена!"), reply
        headers = {"Authorization": f"Bearer {pipeline.settings.admin_token.get_secret_value()}"}
        query = (
            {"email": expected["emails"][0]}
            if expected["emails"]
            else {"phone": expected["phones"][0]}
        )
        found = (
            await pipeline.http.get(
                f"{pipeline.gateway.url}/api/contacts", params=query, headers=headers
            )
        ).json()["items"]
        assert len(found) == 1, (card.name, reply)
        assert sorted(found[0]["phones"]) == sorted(expected["phones"]), card.name
        assert sorted(found[0]["emails"]) == sorted(expected["emails"]), card.name
        vcard = await pipeline.http.get(
            f"{pipeline.gateway.url}/api/contacts/{found[0]['id']}/vcard", headers=headers
        )
        assert vcard.status_code == 200 and "BEGIN:VCARD" in vcard.text
    assert count(database_url, CardImage) == len(CARDS)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_worker_killed_mid_card_completes_exactly_once(
    pipeline, card_reader, database_url
) -> None:
    # The first media download stalls, so the worker is surely in the middle of the card.
    await pipeline.http.post(
        f"{pipeline.sandbox_url}/sandbox/faults",
        json={"endpoint": "media_download", "delay_s": 20, "count": 1},
    )
    doomed = spawn_worker(pipeline.settings)
    try:
        user = pipeline.user("79005550001")
        msg_id = await user.send_image(CARDS[0].jpeg)

        async def marked_read() -> bool:
            reads = await sandbox_messages(pipeline.http, pipeline.sandbox_url, kind="read")
            return any(r["message_id"] == msg_id for r in reads)

        await wait_for(marked_read, timeout=60)  # the worker has the card in hand
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
    finally:
        if doomed.poll() is None:
            os.kill(doomed.pid, signal.SIGKILL)
    assert await user.replies_to(msg_id) == []
    survivor = WorkerTask(pipeline.settings, card_reader)
    try:
        reply = await user.wait_reply(msg_id, timeout=90)  # redelivered after ack_wait
        assert reply_text(reply).startswith("✅")
        await wait_for(lambda: count(database_url, InboundMessage) == 1)
    finally:
        await survivor.stop()
    assert len(await user.replies_to(msg_id)) == 1
    assert count(database_url, Contact) == 1
    assert count(database_url, CardImage) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_corrupt_photo_gets_a_clear_reply_and_is_kept(pipeline, worker, database_url) -> None:
    user = pipeline.user("79005550002")
    jpeg = CARDS[0].jpeg
    msg_id = await user.send_image(jpeg[: len(jpeg) // 3])  # truncated JPEG
    reply = reply_text(await user.wait_reply(msg_id, timeout=60))
    assert reply.startswith("⚠️"), reply
    garbage = await user.send_image(b"this is not an image at all")
    assert reply_text(await user.wait_reply(garbage, timeout=60)).startswith("⚠️")
    await wait_for(lambda: count(database_url, CardImage) == 2)
    assert count(database_url, Contact) == 0
