from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import count_contacts, get_contact, upsert_contact
from gateway.db import transaction
from gateway.models import Contact

AddContact = Callable[..., int]


def _phones(contact: Contact) -> list[str]:
    return [p.phone for p in contact.phones]


def _emails(contact: Contact) -> list[str]:
    return [e.email for e in contact.emails]


def test_new_contact_is_created(sessions: sessionmaker[Session]) -> None:
    fields = ContactFields(
        name="John Smith",
        company="Acme GmbH",
        phones=["+12025550123"],
        emails=["John@Acme.example.com"],
        websites=["https://www.acme.example.com/"],
    )
    with transaction(sessions) as session:
        contact, created = upsert_contact(
            session, fields, owner_id=None, source="card", confidence={"name": 0.9}
        )
    assert created
    with sessions() as session:
        stored = get_contact(session, contact.id, None)
        assert stored is not None
        assert stored.name == "John Smith"
        assert _phones(stored) == ["+12025550123"]
        assert _emails(stored) == ["john@acme.example.com"]
        assert stored.websites == ["acme.example.com"]
        assert stored.confidence == {"name": 0.9}
        assert stored.source == "card"


def test_merge_by_email_case_insensitive(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    first = add_contact(name="Мария Иванова", emails=["maria@romashka.example.ru"])
    with transaction(sessions) as session:
        contact, created = upsert_contact(
            session,
            ContactFields(emails=["MARIA@Romashka.example.ru"], phones=["+74951234567"]),
            owner_id=None,
            source="card",
        )
    assert not created and contact.id == first
    with sessions() as session:
        assert count_contacts(session) == 1
        stored = get_contact(session, first, None)
        assert stored is not None
        assert stored.name == "Мария Иванова"
        assert _phones(stored) == ["+74951234567"]
        assert _emails(stored) == ["maria@romashka.example.ru"]


def test_merge_by_phone_unions_lists_in_order(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    first = add_contact(
        name="John Smith",
        phones=["+12025550123", "+12025550124"],
        emails=["john@acme.example.com"],
        websites=["acme.example.com"],
    )
    second = add_contact(
        title="CTO",
        phones=["+12025550124", "+12025550199"],
        emails=["j.smith@acme.example.com", "john@acme.example.com"],
        websites=["www.acme.example.com", "blog.acme.example.com"],
    )
    assert second == first
    with sessions() as session:
        assert count_contacts(session) == 1
        stored = get_contact(session, first, None)
        assert stored is not None
        assert _phones(stored) == ["+12025550123", "+12025550124", "+12025550199"]
        assert _emails(stored) == ["john@acme.example.com", "j.smith@acme.example.com"]
        assert stored.websites == ["acme.example.com", "blog.acme.example.com"]
        assert stored.title == "CTO"


def test_different_people_are_not_merged(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    a = add_contact(name="John Smith", company="Acme", phones=["+12025550123"])
    b = add_contact(name="John Smith", company="Acme", phones=["+12025550124"])
    c = add_contact(name="John Smith", company="Acme")  # nothing to match on
    assert len({a, b, c}) == 3
    with sessions() as session:
        assert count_contacts(session) == 3


def test_empty_values_never_erase(sessions: sessionmaker[Session], add_contact: AddContact) -> None:
    first = add_contact(
        name="Пётр Сидоров",
        title="Директор",
        company="ООО «Ромашка»",
        address="Москва, ул. Ленина, 1",
        fax="+74951234568",
        phones=["+74951234567"],
    )
    again = add_contact(name="", title="Генеральный директор", phones=["+74951234567"])
    assert again == first
    with sessions() as session:
        stored = get_contact(session, first, None)
        assert stored is not None
        assert stored.name == "Пётр Сидоров"
        assert stored.title == "Генеральный директор"  # a new non-empty value wins
        assert stored.company == "ООО «Ромашка»"
        assert stored.address == "Москва, ул. Ленина, 1"
        assert stored.fax == "+74951234568"


def test_card_matching_two_contacts_merges_into_the_oldest(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    by_email = add_contact(name="A", emails=["a@example.com"])
    by_phone = add_contact(name="B", phones=["+12025550123"])
    with transaction(sessions) as session:  # make the later-inserted one the oldest
        older = get_contact(session, by_phone, None)
        assert older is not None
        older.created_at = older.created_at - timedelta(days=1)
    merged = add_contact(name="AB", emails=["a@example.com"], phones=["+12025550123"])
    assert merged == by_phone
    with sessions() as session:
        assert count_contacts(session) == 2  # the other one is left alone
        other = get_contact(session, by_email, None)
        assert other is not None and other.name == "A"


def test_merge_keeps_owner_and_merges_confidence(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        contact, _ = upsert_contact(
            session,
            ContactFields(emails=["x@example.com"]),
            owner_id=None,
            source="card",
            confidence={"name": 0.5, "emails": 0.9},
        )
        _, created = upsert_contact(
            session,
            ContactFields(emails=["x@example.com"], name="X"),
            owner_id=None,
            source="shared_contact",
            confidence={"name": 0.8},
        )
    assert not created
    with sessions() as session:
        stored = get_contact(session, contact.id, None)
        assert stored is not None
        assert stored.confidence == {"name": 0.8, "emails": 0.9}
        assert stored.source == "card"


def test_over_long_values_are_clipped_not_fatal(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    contact_id = add_contact(title="x" * 1000, phones=["+1" + "2" * 40, "+12025550123"])
    with sessions() as session:
        stored = get_contact(session, contact_id, None)
        assert stored is not None
        assert stored.title == "x" * 256
        assert _phones(stored) == ["+12025550123"]
