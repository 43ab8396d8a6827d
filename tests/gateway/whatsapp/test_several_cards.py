"""A photo of several cards, end to end (webhook → JetStream → worker → Graph API sandbox,
real reader and database): each card is a contact of its own, with its own reply."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import CardImage, Contact, InboundMessage
from gateway.whatsapp import replies
from ibbase_dev.simulate import SimulatedUser, reply_text
from tests.cardgen import known
from tests.cardgen.photo import Photo
from tests.cardgen.several import from_the_set
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


async def all_replies(user: SimulatedUser, message_id: str, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = await user.replies_to(message_id)
        return found if len(found) >= count else None

    return await wait_for(enough, timeout=90)


async def test_two_cards_on_one_photo_become_two_contacts_with_a_reply_each(
    pipeline, worker, database_url
) -> None:
    photo = Photo(angle=-3, tilt=0.02, background="paper", seed=2, fast=True)
    jpeg, truths = from_the_set(7, (2, 3), photo)
    user = pipeline.user("447700900123", name="Sam")
    earlier = await user.send_image(known.QR_CARD.jpeg)
    await all_replies(user, earlier, 1)
    # "The back" in the caption, just after a card: still two cards of their own, neither
    # the other side of the earlier card nor of each other.
    card_id = await user.send_image(jpeg, caption="оборот")
    first, second = await all_replies(user, card_id, 2)

    # Each reply lists its card; the first carries the buttons, which name the message and
    # so act on the message's contact: the first card's.
    for reply, truth in ((first, truths[0]), (second, truths[1])):
        assert reply_text(reply).startswith(replies.CARD_HEADER["ru"])
        assert all(phone in reply_text(reply) for phone in truth["phones"])
    assert first["type"] == "interactive" and second["type"] == "text"

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine=engine)() as s:
            earlier_contact, *contacts = s.scalars(select(Contact).order_by(Contact.id)).all()
            assert earlier_contact.phones[0].phone == "+441134960381"
            assert [sorted(p.phone for p in c.phones) for c in contacts] == [
                sorted(t["phones"]) for t in truths
            ]
            assert all(c.source == "card" for c in contacts)
            row = s.scalar(select(InboundMessage).where(InboundMessage.message_id == card_id))
            assert row is not None and row.state == "done"
            assert row.contact_id == contacts[0].id
            image = s.scalar(select(CardImage).where(CardImage.message_id == card_id))
            assert image is not None and len(image.reading["others"]) == 1
    finally:
        engine.dispose()
