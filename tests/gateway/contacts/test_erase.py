"""Erasing a person (``POST /api/contacts/erase``): every contact with their phone or
e-mail, its photos and the content of the messages that brought it, and what they sent as
a sender; in the token's channels only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.tokens import Scope
from gateway.models import CardImage, Contact, InboundMessage, User
from tests.gateway.contacts.support import AUTH, Issue

AddContact = Callable[..., int]
OLIVIA = "+441134960381"


def _names(sessions: sessionmaker[Session]) -> list[str | None]:
    with sessions() as s:
        return list(s.scalars(select(Contact.name).order_by(Contact.id)))


async def test_a_person_is_erased_from_cards_and_as_a_sender(
    client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    add_contact: AddContact,
    add_user: Callable[..., int],
    add_photo: Callable[..., int],
    add_message: Callable[..., int],
) -> None:
    salesperson = add_user("447700900123")
    olivia_sender = add_user(OLIVIA.removeprefix("+"), profile_name="Olivia")
    card = add_contact(name="Olivia Hartley", phones=[OLIVIA], owner=salesperson)
    by_mail = add_contact(name="O. Hartley", emails=["olivia@harbourside.example"])
    add_contact(name="Kept", phones=["+441134960000"], owner=salesperson)
    add_contact(name="Her own lead", phones=["+441134960999"], owner=olivia_sender)
    add_photo(card, b"front")
    add_photo(by_mail, b"card")
    add_message("wamid.card", contact_id=card, user_id=salesperson)

    answer = await client.post(
        "/api/contacts/erase",
        json={"phone": OLIVIA, "email": "Olivia@Harbourside.example"},
        headers=AUTH,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"contacts": 3, "photos": 2, "messages": 1, "senders": 1}
    assert _names(sessions) == ["Kept"]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CardImage)) == 0
        row = s.scalar(select(InboundMessage).where(InboundMessage.message_id == "wamid.card"))
        assert row is not None and row.payload == {} and row.contact_id is None
        assert s.get(User, olivia_sender).profile_name is None  # type: ignore[union-attr]


async def test_erasure_stays_in_the_tokens_channels_and_needs_write(
    client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    add_contact: AddContact,
    issue: Issue,
) -> None:
    add_contact(name="In A", phones=[OLIVIA], channel="crm.a")
    add_contact(name="In B", phones=[OLIVIA], channel="crm.b")
    token_a = issue(Scope.ADMIN, ["crm.a"])
    answer = await client.post("/api/contacts/erase", json={"phone": OLIVIA}, headers=token_a)
    assert answer.json()["contacts"] == 1 and _names(sessions) == ["In B"]
    # Naming another channel finds nothing there, as for any unknown channel.
    other = await client.post(
        "/api/contacts/erase", json={"phone": OLIVIA, "channel": "crm.b"}, headers=token_a
    )
    assert other.status_code == 404 and _names(sessions) == ["In B"]
    viewer = issue(Scope.VIEWER, None)
    assert (
        await client.post("/api/contacts/erase", json={"phone": OLIVIA}, headers=viewer)
    ).status_code == 403
    for bad in ({}, {"phone": "0113 496 0381"}, {"phone": OLIVIA, "extra": 1}):
        assert (
            await client.post("/api/contacts/erase", json=bad, headers=AUTH)
        ).status_code == 422, bad
    assert _names(sessions) == ["In B"]
