"""A worker killed with SIGKILL in the middle of a card: the event is redelivered to the
other worker (already running, as a second replica would be) and completed exactly once:
one contact, one stored photo, one reply."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from gateway.models import CardImage, Contact, InboundMessage, OutboundMessage
from ibbase_dev.simulate import reply_text
from tests.cardgen.known import QR_CARD
from tests.faults.stack import eventually

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]
CARD = QR_CARD


async def _exactly_once(stack, msg_id: str) -> None:
    await eventually(stack.settled, 60, "the consumer settles", stack)
    assert len(await stack.replies_to(msg_id)) == 1, await stack.replies_to(msg_id)
    assert stack.count(InboundMessage) == 1
    assert stack.count(Contact) == 1
    assert stack.count(CardImage) == 1
    states = stack.scalars(select(InboundMessage.state))
    assert states == ["done"]
    assert await stack.dead_letters() == []


async def test_killed_while_fetching_the_photo(make_stack) -> None:
    stack = await make_stack()
    # The first download stalls, so the worker surely holds the card when it dies.
    await stack.fault(endpoint="media_download", delay_s=60, count=1)
    doomed = stack.start_worker()
    await stack.wait_pulling()
    user = stack.user("79005550101")
    msg_id = await user.send_image(CARD.jpeg)

    async def downloading() -> bool:
        return bool(await stack.calls(endpoint="media_download"))

    await eventually(downloading, 60, "the worker starts the download", stack)
    survivor = stack.start_worker()
    await stack.wait_pulling(workers=2)
    doomed.kill(signal.SIGKILL)
    assert await stack.replies_to(msg_id) == []
    assert stack.count(InboundMessage) == 0

    reply = await eventually(lambda: stack.replies_to(msg_id), 90, "the reply", stack)
    assert reply_text(reply[0]).startswith("✅ Визитка получена!")
    await _exactly_once(stack, msg_id)
    assert await stack.worker_metric(survivor, "whatsapp_redeliveries_total") >= 1


async def test_killed_while_sending_the_reply(make_stack) -> None:
    """The contact is committed and the reply claimed when the worker dies: the next
    worker must still send it, once (the send that was cut off never reached Meta)."""
    stack = await make_stack()
    user = stack.user("79005550102")
    # The reply's send stalls, then fails: Meta never accepted it.
    await stack.fault(endpoint="messages", to=user.wa_id, delay_s=60, http_status=503, count=1)
    doomed = stack.start_worker()
    await stack.wait_pulling()
    msg_id = await user.send_image(CARD.jpeg)

    async def sending() -> bool:
        return bool(await stack.calls(endpoint="messages", to=user.wa_id))

    await eventually(sending, 90, "the worker starts sending the reply", stack)
    stack.start_worker()
    await stack.wait_pulling(workers=2)
    doomed.kill(signal.SIGKILL)
    assert stack.count(Contact) == 1  # committed before the reply was sent
    claimed = stack.scalars(select(OutboundMessage.status))
    assert claimed == ["sending"]

    reply = await eventually(lambda: stack.replies_to(msg_id), 90, "the reply", stack)
    assert reply_text(reply[0]).startswith("✅ Визитка получена!")
    await _exactly_once(stack, msg_id)
