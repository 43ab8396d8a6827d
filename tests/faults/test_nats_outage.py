"""nats-server stopped while webhooks arrive: the gateway answers 503 (Meta retries) and
never 200 for an event it has not stored; when the server is back on the same port and
store, gateway and worker recover on their own and no acknowledged event is missing."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from gateway.models import InboundMessage
from tests.faults.stack import Stack, eventually
from tests.faults.traffic import Traffic

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]


def stop_nats(stack: Stack, how: str) -> None:
    if how == "crash":  # SIGKILL: nothing flushed on the way out
        proc = stack.nats.proc
        assert proc is not None
        proc.kill()
        proc.wait(10)
        stack.nats.proc = None
    else:
        stack.nats.stop()  # SIGTERM: a graceful shutdown


@pytest.mark.parametrize("how", ["graceful", "crash"])
async def test_gateway_refuses_while_nats_is_down_and_recovers(make_stack, how: str) -> None:
    stack = await make_stack()
    worker = stack.start_worker()
    await stack.wait_pulling()
    traffic = Traffic(stack)
    senders = traffic.start(4)
    try:
        await eventually(lambda: traffic.count(200) >= 40, 60, "traffic flows", stack)
        stop_nats(stack, how)
        down_at = time.monotonic()
        await eventually(lambda: traffic.count(503, down_at) >= 10, 60, "503s while down", stack)
        ready = await stack.http.get(f"{stack.gateway_url}/readyz")
        assert ready.status_code == 503, ready.text
        await asyncio.sleep(2)  # webhooks keep arriving during the outage
        stack.nats.start()
        up_at = time.monotonic()
        await eventually(lambda: traffic.count(200, up_at) >= 40, 90, "200s again", stack)
    finally:
        await traffic.stop(senders)

    answers = Counter(s for _, s in traffic.log)
    assert set(answers) <= {200, 503}, answers  # never a 500, never a hang
    assert worker.alive(), stack.logs()
    # Every event answered 200 was stored: each one gets its reply, with no retry from Meta.
    acknowledged = traffic.acknowledged()

    async def all_acknowledged_answered() -> bool:
        replied = {(m.get("context") or {}).get("message_id") for m in await stack.sent()}
        return all(m in replied for m in acknowledged)

    await eventually(all_acknowledged_answered, 120, "a reply to every 200", stack)

    # Meta retries the rest until it gets a 200; each message is then answered exactly once.
    refused = [m for m, a in traffic.answers.items() if 200 not in a]
    assert refused, "the outage refused nothing"
    for msg_id in refused:
        assert await traffic.post(msg_id) == 200
    await eventually(stack.settled, 120, "the consumer settles", stack)

    await eventually(traffic.all_answered, 120, "a reply to every message", stack)
    assert await traffic.doubled() == {}
    assert stack.count(InboundMessage) == len(traffic.answers)
    assert await stack.dead_letters() == []
    print(
        f"\nNATS outage ({how}): {len(traffic.answers)} messages, answers {dict(answers)}, "
        f"{len(refused)} refused then retried"
    )
