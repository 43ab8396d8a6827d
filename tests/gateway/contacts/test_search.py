from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.contacts.service import search_contacts

AddContact = Callable[..., int]


@pytest.fixture
def people(add_contact: AddContact) -> dict[str, int]:
    """Three contacts, inserted oldest first."""
    return {
        "ivanova": add_contact(
            name="Мария Сергеевна Иванова",
            company="ООО «Ромашка»",
            phones=["+79001234567"],
            emails=["m.ivanova@romashka.example.ru"],
        ),
        "smith": add_contact(
            name="JOHN SMITH",
            company="Acme GmbH",
            phones=["+12025550123"],
            emails=["John.Smith@Acme.example.com"],
        ),
        "petrov": add_contact(
            name="Пётр Петров",
            company="АО «Ромашка-Трейд»",
            phones=["+74951234567"],
            emails=["petrov@trade.example.ru"],
        ),
    }


def _search(sessions: sessionmaker[Session], **criteria: object) -> tuple[list[int], int]:
    with sessions() as session:
        contacts, total = search_contacts(session, **criteria)  # type: ignore[arg-type]
        return [c.id for c in contacts], total


def test_no_criteria_lists_everything_newest_first(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    ids, total = _search(sessions)
    assert ids == [people["petrov"], people["smith"], people["ivanova"]]
    assert total == 3


@pytest.mark.parametrize("query", ["иванова", "ИВАНОВА", "Мария сергеевна", "ванов"])
def test_name_is_case_insensitive_in_cyrillic(
    sessions: sessionmaker[Session], people: dict[str, int], query: str
) -> None:
    assert _search(sessions, name=query) == ([people["ivanova"]], 1)


def test_name_latin_and_yo(sessions: sessionmaker[Session], people: dict[str, int]) -> None:
    assert _search(sessions, name="john smith") == ([people["smith"]], 1)
    assert _search(sessions, name="петр") == ([people["petrov"]], 1)  # ё = е


def test_company(sessions: sessionmaker[Session], people: dict[str, int]) -> None:
    assert _search(sessions, company="ромашка") == ([people["petrov"], people["ivanova"]], 2)
    assert _search(sessions, company="acme") == ([people["smith"]], 1)
    assert _search(sessions, company="nothing like it") == ([], 0)


@pytest.mark.parametrize(
    "phone", ["+7 900 123-45-67", "79001234567", "+79001234567", "(900) 123-45-67"]
)
def test_phone_by_digits(
    sessions: sessionmaker[Session], people: dict[str, int], phone: str
) -> None:
    assert _search(sessions, phone=phone) == ([people["ivanova"]], 1)


def test_phone_without_digits_finds_nothing(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    assert _search(sessions, phone="abc") == ([], 0)


def test_email_case_insensitive_substring(
    sessions: sessionmaker[Session], people: dict[str, int]
) -> None:
    assert _search(sessions, email="JOHN.SMITH@acme") == ([people["smith"]], 1)
    assert _search(sessions, email="example.ru") == ([people["petrov"], people["ivanova"]], 2)
    assert _search(sessions, email="%") == ([], 0)  # LIKE wildcards are literal


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("иванова", "ivanova"),
        ("ACME", "smith"),
        ("trade.example", "petrov"),
        ("+1 202 555-0123", "smith"),
        ("4951234567", "petrov"),
    ],
)
def test_q_searches_name_company_email_and_phone(
    sessions: sessionmaker[Session], people: dict[str, int], query: str, who: str
) -> None:
    assert _search(sessions, q=query) == ([people[who]], 1)


def test_criteria_combine(sessions: sessionmaker[Session], people: dict[str, int]) -> None:
    assert _search(sessions, company="ромашка", phone="+74951234567") == ([people["petrov"]], 1)
    assert _search(sessions, name="иванова", email="acme") == ([], 0)
    assert _search(sessions, q="ромашка", name="мария") == ([people["ivanova"]], 1)


def test_pagination_totals(sessions: sessionmaker[Session], add_contact: AddContact) -> None:
    ids = [add_contact(name=f"Сотрудник {i}", company="Ромашка") for i in range(7)]
    newest_first = ids[::-1]
    # SQL path (no text criteria) and the text-scan path must page the same way.
    for criteria in ({}, {"company": "РОМАШКА"}):
        assert _search(sessions, limit=3, offset=0, **criteria) == (newest_first[:3], 7)
        assert _search(sessions, limit=3, offset=6, **criteria) == (newest_first[6:], 7)
        assert _search(sessions, limit=3, offset=10, **criteria) == ([], 7)
