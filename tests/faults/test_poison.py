"""Poison messages: photos on which the card reader crashes (a real SIGSEGV in native code),
raises, or hangs. Each is dead-lettered after a bounded number of attempts and its sender
gets one polite reply, while the worker goes on serving everyone else."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter

import pytest
from sqlalchemy import select

from gateway.models import Contact, InboundMessage
from gateway.whatsapp import replies
from ibbase_dev.simulate import reply_text
from tests.cardgen import known
from tests.faults.poison import HANG, RAISE, SEGV, poisoned
from tests.faults.stack import REPO, Stack, eventually

pytestmark = [
    pytest.mark.faults,
    pytest.mark.timeout(240),
]
LAUNCHER = [sys.executable, str(REPO / "tests" / "faults" / "poison_worker.py")]
CARDS = ["qr_card", "set7_0006"]


def card(name: str) -> bytes:
    return known.card(name).jpeg


async def replies_by_message(stack: Stack) -> Counter[str]:
    return Counter((m.get("context") or {}).get("message_id") for m in await stack.sent())


async def test_poisoned_photos_are_dead_lettered_and_the_worker_serves_the_rest(
    make_stack,
) -> None:
    stack = await make_stack(card_read_timeout_s=8)
    worker = stack.start_worker([*LAUNCHER, "pool"])
    await stack.wait_pulling()
    poison: dict[str, str] = {}  # message id -> marker
    good: list[str] = []
    good_cards: list[str] = []
    for i, marker in enumerate((SEGV, RAISE, HANG)):
        user = stack.user(f"7900555030{i}")
        msg_id = await user.send_image(poisoned(card("ocr_card"), marker))
        poison[msg_id] = marker.decode()
        # Everyone else keeps writing meanwhile: commands and real cards.
        other = stack.user(f"7900555031{i}")
        good.append(await other.send_text("/start"))
        if i < len(CARDS):
            good_cards.append(await other.send_image(card(CARDS[i])))
            good.append(good_cards[-1])

    async def everyone_answered() -> bool:
        replied = await replies_by_message(stack)
        return all(replied[m] for m in [*good, *poison])

    await eventually(everyone_answered, 150, "a reply to every message", stack)
    await eventually(stack.settled, 60, "the consumer settles", stack)
    replied = await replies_by_message(stack)
    assert all(replied[m] == 1 for m in [*good, *poison]), replied
    for msg_id in poison:
        (reply,) = await stack.replies_to(msg_id)
        assert reply_text(reply) == replies.FAILED["ru"], poison[msg_id]
    for msg_id in good_cards:
        (reply,) = await stack.replies_to(msg_id)
        assert reply_text(reply).startswith("✅ Визитка получена!")

    letters = await stack.dead_letters()
    assert sorted(_message_id(entry) for entry in letters) == sorted(poison)
    assert all(
        e["headers"]["Ibbase-Deliveries"] == str(stack.settings.max_deliver) for e in letters
    )
    assert stack.count(Contact) == len(good_cards)
    stored = set(stack.scalars(select(InboundMessage.message_id)))
    assert stored == set(good)  # nothing stored for a poisoned photo
    # One worker process all along; each crash or hang cost one reader process.
    assert worker.alive()
    assert len(stack.workers) == 1
    failed_reads = [
        await stack.worker_metric(worker, "whatsapp_card_reads_total", outcome=outcome)
        for outcome in ("reader_crashed", "timeout")  # a hang is cut off by one or the other
    ]
    assert sum(failed_reads) == 2 * stack.settings.max_deliver  # segv and hang, each attempt
    assert await stack.worker_metric(worker, "whatsapp_dead_letters_total", reason="failed") == 3


async def test_a_photo_that_kills_an_in_process_reader_is_dead_lettered(make_stack) -> None:
    """With the reader in the worker's own process (``run_worker(reader=...)`` allows it), a
    crash takes the worker down with it. The worker is restarted, as Kubernetes would, and
    the event comes back each time; after max_deliver deaths the next worker dead-letters it
    without touching it, instead of dying once more and leaving JetStream to drop it
    silently, and the sender is told."""
    stack = await make_stack(ack_wait_s=3)
    argv = [*LAUNCHER, "in-process"]
    stack.start_worker(argv)
    await stack.wait_pulling()
    user = stack.user("79005550320")
    msg_id = await user.send_image(poisoned(card("ocr_card"), SEGV))

    async def supervise() -> None:
        while True:
            if not stack.workers[-1].alive():
                stack.start_worker(argv)
            await asyncio.sleep(0.2)

    supervisor = asyncio.create_task(supervise())
    try:
        reply = await eventually(lambda: stack.replies_to(msg_id), 150, "a polite reply", stack)
    finally:
        supervisor.cancel()
    assert reply_text(reply[0]) == replies.FAILED["ru"]
    letters = await eventually(stack.dead_letters, 30, "a dead letter", stack)
    assert [_message_id(e) for e in letters] == [msg_id]
    assert "abandoned" in letters[0]["headers"]["Ibbase-Reason"]
    # The first max_deliver workers died under it; the next one gave up on it.
    assert len(stack.workers) == stack.settings.max_deliver + 1
    assert stack.workers[-1].alive()
    await eventually(stack.settled, 30, "the consumer settles", stack)
    assert len(await stack.replies_to(msg_id)) == 1


def _message_id(entry: dict) -> str:
    import json

    return str(json.loads(entry["data"])["data"]["id"])
