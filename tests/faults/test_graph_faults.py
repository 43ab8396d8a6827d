"""The Graph API failing in the ways Meta's does, injected in the sandbox: throttling
(130429, and 131056 with its per-recipient backoff), Retry-After, 5xx, timeouts, an expired
media URL, an invalid token. Each ends in one reply sent after bounded, spaced retries, or in
a clear terminal state (a dead letter with its reason, a metric); the sandbox's call log
shows there was no retry storm. One stack serves the module: each test has users of its own,
and counts what it caused (calls to its user, its dead letters, metric deltas)."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from gateway.models import CardImage, InboundMessage, OutboundMessage
from gateway.whatsapp import replies
from graph_sandbox import webhooks as wh
from ibbase_dev.simulate import reply_text
from tests.cardgen.known import QR_CARD
from tests.faults.stack import PHONE_ID, TOKEN, Stack, eventually, open_stack
from whatsapp_cloud.client import GraphClient
from whatsapp_cloud.errors import RateLimited

pytestmark = [pytest.mark.faults, pytest.mark.timeout(180)]
# The worker's Graph client: 4 attempts, backoff 0.5 s × 2ⁿ (× 4ⁿ for 131056), ≤ 20 % jitter.
ATTEMPTS = 4
BACKOFF_S = 0.5


@pytest.fixture(scope="module")
async def shared(tmp_path_factory, pg_cluster) -> AsyncIterator[Stack]:
    async with open_stack(tmp_path_factory.mktemp("graph-faults"), pg_cluster) as stack:
        stack.start_worker()
        await stack.wait_pulling()
        yield stack


@pytest.fixture
async def stack(shared: Stack) -> AsyncIterator[Stack]:
    await shared.clear_faults()
    yield shared
    await shared.clear_faults()
    await eventually(shared.settled, 60, "the consumer settles after the test", shared)


async def metric(stack: Stack, name: str, **labels: str) -> float:
    return await stack.worker_metric(stack.workers[0], name, **labels)


async def letters_of(stack: Stack, msg_id: str) -> list[dict[str, Any]]:
    return [e for e in await stack.dead_letters() if json.loads(e["data"])["data"]["id"] == msg_id]


async def upload_card(stack: Stack, wa_id: str) -> dict[str, Any]:
    user = stack.user(wa_id)
    return await user.upload(QR_CARD.jpeg, "image/jpeg", "card.jpg")


async def send_card(stack: Stack, wa_id: str, media: dict[str, Any]) -> str:
    message = wh.image_message(wa_id, media["id"], sha256=media["sha256_b64"])
    return await stack.user(wa_id).send(message)


async def sends_to(stack: Stack, wa_id: str) -> list[dict[str, Any]]:
    """Send attempts to ``wa_id`` that reached the sandbox (read receipts have no ``to``)."""
    return await stack.calls(endpoint="messages", to=wa_id)


def gaps(calls: list[dict[str, Any]]) -> list[float]:
    return [b["at"] - a["at"] for a, b in itertools.pairwise(calls)]


async def reply_to(stack: Stack, msg_id: str, timeout: float = 60) -> dict[str, Any]:
    found = await eventually(lambda: stack.replies_to(msg_id), timeout, "the reply", stack)
    return found[0]


async def test_throughput_limit_is_retried_with_backoff(stack) -> None:
    user = stack.user("79005550201")
    await stack.fault(endpoint="messages", to=user.wa_id, code=130429, count=2)
    msg_id = await user.send_text("/start")
    assert reply_text(await reply_to(stack, msg_id)) == replies.HELP["ru"]
    calls = await sends_to(stack, user.wa_id)
    assert [c["fault"] for c in calls] == [130429, 130429, None]
    first, second = gaps(calls)
    assert first >= BACKOFF_S and second >= 2 * BACKOFF_S  # exponential, never hammering
    await eventually(stack.settled, 30, "the consumer settles", stack)
    assert len(await stack.replies_to(msg_id)) == 1


async def test_retry_after_is_honoured(stack) -> None:
    user = stack.user("79005550202")
    await stack.fault(
        endpoint="messages", to=user.wa_id, code=130429, http_status=429, retry_after_s=3
    )
    msg_id = await user.send_text("/help")
    await reply_to(stack, msg_id)
    calls = await sends_to(stack, user.wa_id)
    assert [c["fault"] for c in calls] == [130429, None]
    assert gaps(calls)[0] >= 2.9  # not the 0.5 s of its own backoff


async def test_a_long_retry_after_is_not_waited_out_in_the_client(stack) -> None:
    """Over ``max_wait_s`` the client gives the work back at once, with the wait, for the
    worker to reschedule the event (nak with that delay) instead of holding a slot."""
    to = "79005550203"
    await stack.fault(endpoint="messages", to=to, code=130429, http_status=429, retry_after_s=120)
    async with httpx.AsyncClient() as http:
        client = GraphClient(
            http, f"{stack.sandbox_url}/v25.0", PHONE_ID, SecretStr(TOKEN), max_wait_s=5
        )
        with pytest.raises(RateLimited) as raised:
            await client.send_text(to, "hello")
    assert raised.value.retry_after_s == 120
    assert len(await stack.calls(endpoint="messages", to=to)) == 1


async def test_pair_rate_limit_backs_off_for_that_recipient_only(stack) -> None:
    slow, other = stack.user("79005550204"), stack.user("79005550205")
    await stack.fault(endpoint="messages", to=slow.wa_id, code=131056, count=3)
    slow_id = await slow.send_text("/start")

    async def throttled() -> bool:
        return bool(await sends_to(stack, slow.wa_id))

    await eventually(throttled, 60, "the first throttled send", stack)
    other_id = await other.send_text("/start")
    other_reply = await reply_to(stack, other_id)
    slow_reply = await reply_to(stack, slow_id)
    # Meta's advice for 131056: back off 1, 4, 16… (×4 each time), for that user only.
    calls = await sends_to(stack, slow.wa_id)
    assert [c["fault"] for c in calls] == [131056, 131056, 131056, None]
    g = gaps(calls)
    assert g[0] >= BACKOFF_S and g[1] >= 4 * BACKOFF_S and g[2] >= 16 * BACKOFF_S, g
    assert other_reply["timestamp"] < slow_reply["timestamp"]  # nobody else waited
    assert len(await sends_to(stack, other.wa_id)) == 1


async def test_server_errors_are_retried(stack) -> None:
    user = stack.user("79005550206")
    await stack.fault(endpoint="messages", to=user.wa_id, http_status=503)
    await stack.fault(endpoint="messages", to=user.wa_id, code=131000)  # Meta's 500
    msg_id = await user.send_text("/start")
    await reply_to(stack, msg_id)
    calls = await sends_to(stack, user.wa_id)
    assert [c["fault"] for c in calls] == [503, 131000, None]
    await eventually(stack.settled, 30, "the consumer settles", stack)
    assert len(await stack.replies_to(msg_id)) == 1


async def test_a_send_that_times_out_is_retried_once_and_sent_once(stack) -> None:
    """The client gives up after its 20 s timeout; the event stays in this worker's hands
    meanwhile (ack_wait is 5 s here), so it is not handed to a second attempt in parallel."""
    user = stack.user("79005550207")
    redelivered = await metric(stack, "whatsapp_redeliveries_total")
    await stack.fault(endpoint="messages", to=user.wa_id, delay_s=30, http_status=504)
    msg_id = await user.send_text("/start")
    await reply_to(stack, msg_id, timeout=90)
    calls = await sends_to(stack, user.wa_id)
    assert [c["fault"] for c in calls] == [504, None]
    await eventually(stack.settled, 30, "the consumer settles", stack)
    assert len(await stack.replies_to(msg_id)) == 1
    assert await metric(stack, "whatsapp_redeliveries_total") == redelivered


async def test_an_expired_media_url_is_fetched_again(stack) -> None:
    wa_id = "79005550208"
    media = await upload_card(stack, wa_id)
    # Meta answers 404 for a download URL that has expired.
    await stack.fault(endpoint="media_download", object_id=media["id"], http_status=404)
    msg_id = await send_card(stack, wa_id, media)
    reply = await reply_to(stack, msg_id, timeout=90)
    assert reply_text(reply).startswith("✅ Визитка получена!")
    metadata = [c for c in await stack.calls(endpoint="media") if c["object_id"] == media["id"]]
    downloads = [
        c for c in await stack.calls(endpoint="media_download") if c["object_id"] == media["id"]
    ]
    assert [c["fault"] for c in metadata] == [None, None]  # a fresh URL was asked for
    assert [c["fault"] for c in downloads] == [404, None]
    contact = stack.scalars(select(CardImage.contact_id).where(CardImage.message_id == msg_id))
    assert len(contact) == 1 and contact[0] is not None


async def test_an_invalid_token_ends_in_a_dead_letter(stack) -> None:
    """190 is never retried by the client; the worker tries the event again after its
    longest backoff (a rotated token may have arrived), then dead-letters it."""
    user = stack.user("79005550209")
    dead = await metric(stack, "whatsapp_dead_letters_total", reason="token_invalid")
    refused = await metric(
        stack, "whatsapp_graph_api_requests_total", endpoint="messages", outcome="401"
    )
    await stack.fault(endpoint="messages", to=user.wa_id, code=190, count=1000)
    msg_id = await user.send_text("/start")
    letters = await eventually(lambda: letters_of(stack, msg_id), 60, "a dead letter", stack)
    assert len(letters) == 1
    assert "TokenInvalid" in letters[0]["headers"]["Ibbase-Reason"]
    max_deliver = stack.settings.max_deliver
    # One attempt per delivery, and no polite notice tried with a token that cannot work.
    assert len(await sends_to(stack, user.wa_id)) == max_deliver
    assert await metric(stack, "whatsapp_dead_letters_total", reason="token_invalid") == dead + 1
    after = await metric(
        stack, "whatsapp_graph_api_requests_total", endpoint="messages", outcome="401"
    )
    assert after == refused + max_deliver
    assert await stack.replies_to(msg_id) == []
    # The work is kept: the message is stored, its reply waits for a replay.
    state = select(InboundMessage.state).where(InboundMessage.message_id == msg_id)
    assert stack.scalars(state) == ["stored"]
    status = select(OutboundMessage.status).where(OutboundMessage.reply_to == msg_id)
    assert stack.scalars(status) == ["pending"]


async def test_persistent_server_errors_are_bounded_then_dead_lettered(stack) -> None:
    user = stack.user("79005550210")
    dead = await metric(stack, "whatsapp_dead_letters_total", reason="failed")
    await stack.fault(endpoint="messages", to=user.wa_id, http_status=500, count=1000)
    msg_id = await user.send_text("/start")
    letters = await eventually(lambda: letters_of(stack, msg_id), 90, "a dead letter", stack)
    assert len(letters) == 1
    await eventually(stack.settled, 30, "the consumer settles", stack)
    # Exactly attempts × deliveries calls: bounded, whatever the outage's length.
    assert len(await sends_to(stack, user.wa_id)) == ATTEMPTS * stack.settings.max_deliver
    assert await metric(stack, "whatsapp_dead_letters_total", reason="failed") == dead + 1


async def test_media_that_cannot_be_fetched_ends_with_a_polite_reply(stack) -> None:
    """Nothing was stored for the card: the sender is told, once, and the event is kept in
    the dead-letter stream."""
    wa_id = "79005550211"
    media = await upload_card(stack, wa_id)
    await stack.fault(endpoint="media", object_id=media["id"], http_status=500, count=1000)
    msg_id = await send_card(stack, wa_id, media)
    reply = await reply_to(stack, msg_id, timeout=90)
    assert reply_text(reply) == replies.FAILED["ru"]
    letters = await eventually(lambda: letters_of(stack, msg_id), 30, "a dead letter", stack)
    assert len(letters) == 1
    metadata = [c for c in await stack.calls(endpoint="media") if c["object_id"] == media["id"]]
    assert len(metadata) == ATTEMPTS * stack.settings.max_deliver
    await eventually(stack.settled, 30, "the consumer settles", stack)
    assert len(await stack.replies_to(msg_id)) == 1
    assert stack.count(InboundMessage, InboundMessage.message_id == msg_id) == 0
