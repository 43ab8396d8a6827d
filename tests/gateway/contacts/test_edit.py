"""A person's edit of a contact (``edit_contact``): checked like a card reading but refused
rather than dropped, held against later readings, counted; and ``confirm_contact``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import (
    EDIT,
    QR,
    confirm_contact,
    edit_contact,
    get_contact,
    merge_into,
    uncertain_fields,
    upsert_contact,
)
from gateway.db import transaction
from gateway.models import NOTE_LENGTH, Contact

AddContact = Callable[..., int]


def _edit(sessions: sessionmaker[Session], contact_id: int, **changes: Any) -> list[str]:
    with transaction(sessions) as session:
        contact = get_contact(session, contact_id, None)
        assert contact is not None
        return edit_contact(session, contact, changes, by="api")


def _load(sessions: sessionmaker[Session], contact_id: int) -> dict[str, Any]:
    with sessions() as session:
        c = get_contact(session, contact_id, None)
        assert c is not None
        return {
            "name": c.name,
            "title": c.title,
            "company": c.company,
            "fax": c.fax,
            "address": c.address,
            "note": c.note,
            "phones": [p.phone for p in c.phones],
            "emails": [e.email for e in c.emails],
            "websites": list(c.websites or []),
            "strengths": dict(c.strengths or {}),
            "confirmed_at": c.confirmed_at,
        }


def _corrected(field: str, by: str = "api") -> float:
    value = REGISTRY.get_sample_value("ibbase_fields_corrected_total", {"field": field, "by": by})
    return value or 0.0


@pytest.fixture
def card(add_contact: AddContact) -> int:
    return add_contact(
        name="Olivia Hartley",
        title="Head of Sales",
        company="Harbourside",
        phones=["+441134960000", "+441134960001"],
        emails=["olivia@harbourside.example.com"],
        websites=["harbourside.example.com"],
    )


def test_edit_changes_and_returns_only_what_differs(
    sessions: sessionmaker[Session], card: int
) -> None:
    changed = _edit(
        sessions,
        card,
        name="Olivia Hartley",  # as stored: no change
        company="  Harbourside   Group\x1b[31m ",
        phones=["+441134960999", "+441134960000"],
        emails=["Olivia@Harbourside.example.com", "  "],
        websites=["https://www.harbourside.example.com/"],
        note="met at Innoprom\n\nwants a demo",
    )
    assert changed == ["company", "phones", "note"]
    stored = _load(sessions, card)
    assert stored["company"] == "Harbourside Group"  # cleaned as any stored text
    assert stored["phones"] == ["+441134960999", "+441134960000"]  # replaced, in order
    assert stored["emails"] == ["olivia@harbourside.example.com"]
    assert stored["note"] == "met at Innoprom\nwants a demo"
    for key in changed:
        assert stored["strengths"][key] == EDIT
    assert stored["strengths"]["name"] < EDIT  # sent unchanged: still the reader's


def test_numbers_written_with_separators_are_stored_in_e164(
    sessions: sessionmaker[Session], card: int
) -> None:
    """People type "+7 (916) 123-45-67"; with its country code it is a number."""
    assert _edit(sessions, card, phones=["+7 (916) 123-45-67"], fax="+44 113 496.0002") == [
        "phones",
        "fax",
    ]
    stored = _load(sessions, card)
    assert stored["phones"] == ["+79161234567"] and stored["fax"] == "+441134960002"


def test_none_or_blank_clears(sessions: sessionmaker[Session], card: int) -> None:
    assert _edit(sessions, card, company="", websites=None, emails=[]) == [
        "company",
        "websites",
        "emails",
    ]
    stored = _load(sessions, card)
    assert stored["company"] is None and stored["websites"] == [] and stored["emails"] == []
    assert _edit(sessions, card, company=None) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phones": ["+441134960999", "0113 496 0999"]}, "phones: '0113 496 0999' is not a"),
        ({"phones": "+7 916"}, "phones: '+7 916' is not a phone number"),
        ({"fax": "fax me"}, "fax: 'fax me' is not a phone number"),
        ({"emails": ["olivia at example"]}, "emails: 'olivia at example' is not an e-mail"),
        ({"emails": ["a@b.c" + "d" * 400]}, "emails: "),
        ({"websites": ["not a site"]}, "websites: 'not a site' is not a website"),
        ({"name": "x" * 257}, "name: at most 256 characters, not 257"),
        ({"lang": "english please"}, "lang: at most 8 characters"),
        ({"note": "n" * (NOTE_LENGTH + 1)}, f"note: at most {NOTE_LENGTH} characters"),
        ({"company": 42}, "company: expected text, not int"),
        ({"phones": [1]}, "phones: expected a list of text values"),
        ({"phones": ["+4411349600" + f"{i:02}" for i in range(21)]}, "phones: at most 20"),
        ({"colour": "red"}, "there is no contact field 'colour'"),
        ({"qr": "BEGIN:VCARD"}, "there is no contact field 'qr'"),
    ],
)
def test_invalid_edit_is_refused_and_changes_nothing(
    sessions: sessionmaker[Session], card: int, changes: dict[str, Any], message: str
) -> None:
    before = _load(sessions, card)
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        # A valid change alongside: it must not be stored either.
        _edit(sessions, card, address="Changed", **changes)
    assert _load(sessions, card) == before


def test_edit_survives_later_readings(sessions: sessionmaker[Session], card: int) -> None:
    _edit(sessions, card, company="Harbourside Group", phones=["+441134960999"], title=None)
    # The same card read again, from its QR code (the strongest reading there is).
    reading = ContactFields(
        name="Olivia Hartley",
        title="CEO",
        company="Harbourside",
        phones=["+441134960000"],
        emails=["olivia@harbourside.example.com"],
        websites=["harbourside.example.com/new"],
    )
    sources = dict.fromkeys(("name", "title", "company"), "qr")
    with transaction(sessions) as session:
        contact, created = upsert_contact(
            session, reading, owner_id=None, source="card", field_sources=sources
        )
        assert not created and contact.id == card
    stored = _load(sessions, card)
    assert stored["company"] == "Harbourside Group"
    assert stored["phones"] == ["+441134960999"]  # a number the person removed stays removed
    assert stored["strengths"]["company"] == EDIT
    # What the person did not touch still takes a stronger reading; a field they cleared
    # stays cleared.
    assert stored["strengths"]["name"] == QR
    assert stored["title"] is None
    assert stored["websites"] == ["harbourside.example.com", "harbourside.example.com/new"]

    # The other side of the same card, merged in directly: the same rule.
    with transaction(sessions) as session:
        other_side = session.get(Contact, card)
        assert other_side is not None
        merge_into(
            session,
            other_side,
            ContactFields(company="Other", phones=["+441134960002"]),
            source="card",
            field_sources={"company": "qr"},
        )
    stored = _load(sessions, card)
    assert stored["company"] == "Harbourside Group" and stored["phones"] == ["+441134960999"]


def test_corrections_are_counted(sessions: sessionmaker[Session], card: int) -> None:
    before = {key: _corrected(key) for key in ("company", "phones", "name", "note")}
    chat_before = _corrected("company", "chat")
    _edit(sessions, card, company="Harbourside Group", phones=["+441134960999"], name=None)
    _edit(sessions, card, company="Harbourside Group", note="a note")  # company unchanged
    with transaction(sessions) as session:
        contact = session.get(Contact, card)
        assert contact is not None
        edit_contact(session, contact, {"company": "By Chat"}, by="chat")
    assert _corrected("company") - before["company"] == 1
    assert _corrected("phones") - before["phones"] == 1
    assert _corrected("name") - before["name"] == 1
    assert _corrected("note") == before["note"]  # the person's own text, not a correction
    assert _corrected("company", "chat") - chat_before == 1
    # A refused edit counts nothing.
    with pytest.raises(ValueError, match="phones"):
        _edit(sessions, card, company="Again", phones=["nope"])
    assert _corrected("company") - before["company"] == 1


def test_uncertain_fields_until_edited(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    contact_id = add_contact(
        name="Olivia Hartley",
        company="Harbourside",
        title="CEO",
        confidence={"name": 0.95, "company": 0.4, "title": 0.59, "address": 0.1},
    )
    with sessions() as session:
        contact = get_contact(session, contact_id, None)
        assert contact is not None
        assert uncertain_fields(contact) == ["title", "company", "address"]
    _edit(sessions, contact_id, company="Harbourside Group")
    with sessions() as session:
        contact = get_contact(session, contact_id, None)
        assert contact is not None
        assert uncertain_fields(contact) == ["title", "address"]


def test_confirm_keeps_the_first_time(sessions: sessionmaker[Session], card: int) -> None:
    with transaction(sessions) as session:
        contact = session.get(Contact, card)
        assert contact is not None
        confirm_contact(session, contact)
    first = _load(sessions, card)["confirmed_at"]
    assert first is not None
    with transaction(sessions) as session:
        contact = session.get(Contact, card)
        assert contact is not None
        confirm_contact(session, contact)
    assert _load(sessions, card)["confirmed_at"] == first
