"""PostgreSQL restarted while messages stream in: the worker waits the outage out and
retries; nothing is lost (no dead letter, every message answered and stored) and nothing is
doubled (one reply, one contact per message)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from gateway.models import Contact, InboundMessage
from graph_sandbox import webhooks as wh
from tests.faults.stack import eventually
from tests.faults.traffic import Traffic

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]


def command_or_contact(wa_id: str, i: int) -> dict[str, Any]:
    """Mostly /start; every fifth a shared contact (a contact stored without OCR)."""
    if i % 5 == 4:
        return wh.contacts_message(
            wa_id,
            [
                wh.shared_contact(
                    f"Contact {wa_id} {i}",
                    # Unique per sender (digits 4-6 of wa_id) and message: no merging.
                    phones=[f"+7495{int(wa_id[4:7]) % 10}{i:06d}"],
                    emails=[f"c{wa_id}.{i}@example.org"],
                )
            ],
        )
    return wh.text_message(wa_id, "/start")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_worker_rides_out_a_postgres_restart(make_stack, mode: str) -> None:
    stack = await make_stack()
    worker = stack.start_worker()
    await stack.wait_pulling()
    traffic = Traffic(stack, make=command_or_contact)
    senders = traffic.start(3)
    try:
        await eventually(
            lambda: stack.count(InboundMessage) >= 40, 90, "messages get stored", stack
        )
        # fast: sessions ended as an operator's restart does; immediate: a crash.
        stack.pg.stop(mode)
        await asyncio.sleep(3)  # webhooks keep arriving; the worker's transactions fail
        stored_before = len(traffic.answers)
        stack.pg.start()
        up_at = time.monotonic()
        await eventually(
            lambda: traffic.count(200, up_at) >= 40, 60, "traffic after the restart", stack
        )
    finally:
        await traffic.stop(senders)
    assert len(traffic.answers) > stored_before
    assert {s for _, s in traffic.log} <= {200, 503}
    for msg_id in [m for m, a in traffic.answers.items() if 200 not in a]:
        assert await traffic.post(msg_id) == 200  # Meta delivers again what was refused

    await eventually(stack.settled, 120, "the consumer settles", stack)
    await eventually(traffic.all_answered, 60, "a reply to every message", stack)
    assert await traffic.doubled() == {}
    assert await stack.dead_letters() == []
    assert stack.count(InboundMessage) == len(traffic.answers)
    contacts = sum(1 for p in traffic.payloads.values() if _type(p) == "contacts")
    assert stack.count(Contact) == contacts
    assert worker.alive(), stack.logs()


def _type(payload: dict[str, Any]) -> str:
    return str(payload["entry"][0]["changes"][0]["value"]["messages"][0]["type"])
