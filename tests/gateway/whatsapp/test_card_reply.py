"""The card's reply: fields listed, the uncertain ones shown marked, three buttons that
name the card; and the text fixes people write."""

from __future__ import annotations

import pytest

from gateway.contacts.service import EDIT
from gateway.models import Contact, ContactPhone
from gateway.whatsapp import replies
from gateway.whatsapp.conversation import card_reply, fix_value, parse_fix


def contact(**columns: object) -> Contact:
    phones = columns.pop("phones", [])
    c = Contact(channel_id="default", source="card", **columns)
    c.phones = [ContactPhone(phone=p) for p in phones]  # type: ignore[attr-defined]
    return c


def test_only_shown_uncertain_fields_are_marked_and_edits_clear_them() -> None:
    read = contact(
        name="Olivia Hartley",
        company="Harbourside",
        phones=["+441134960381"],
        confidence={"company": 0.41, "first_name": 0.2, "name": 0.97},
        strengths={"company": 1.41},
    )
    reply = card_reply(read, "wamid.X", "en", header=replies.CARD_HEADER["en"])
    assert "🏢 Harbourside ❓" in reply.text and "👤 Olivia Hartley\n" in reply.text
    assert replies.UNCERTAIN_HINT["en"] in reply.text
    assert reply.message is not None
    buttons = reply.message["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == [
        "card:confirm:wamid.X",
        "card:fix:wamid.X",
        "card:delete:wamid.X",
    ]
    read.strengths = {"company": EDIT}  # a person set it: no longer in doubt
    assert "❓" not in card_reply(read, "wamid.X", "en", header="h").text


@pytest.mark.parametrize(
    ("text", "picked", "expected"),
    [
        ("телефон +7 916 123-45-67", None, ("phones", "+7 916 123-45-67")),
        ("Company: ACME", None, ("company", "ACME")),
        ("e-mail=olivia@example.com", None, ("emails", "olivia@example.com")),
        ("ACME Group", "company", ("company", "ACME Group")),
        ("ACME Group", None, None),
    ],
)
def test_fixes_name_their_field_or_follow_the_picked_one(
    text: str, picked: str | None, expected: tuple[str, str] | None
) -> None:
    assert parse_fix(text, picked) == expected


def test_fixed_numbers_become_e164_with_the_senders_country() -> None:
    assert fix_value("phones", "8 916 123-45-67, +44 113 496 0381", ("RU",)) == [
        "+79161234567",
        "+441134960381",
    ]
    assert fix_value("fax", "+44 113 496 0000", ()) == "+441134960000"
    assert fix_value("company", "", ()) is None
