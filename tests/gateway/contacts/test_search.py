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


# -- the search columns: what folding finds, on both databases -----------------------------


@pytest.mark.parametrize(
    ("stored", "query", "found"),
    [
        ("Алексей Иванов", "иванов", True),
        ("алексей иванов", "ИВАНОВ", True),
        ("Семён Ёлкин", "елкин", True),  # ё = е, either way round
        ("Семен Елкин", "ЁЛКИН", True),
        ("José García", "josé", True),
        # Diacritics count, as they always did: «jose» is not «josé».
        ("José García", "jose", False),
        ("Bäckerei Straße", "STRASSE", True),  # casefold: ß = ss
        ("Bäckerei STRASSE", "straße", True),
        # Casefold keeps İ's dot (i + U+0307): İ finds İ, and a plain i does not.
        ("İbrahim Yılmaz", "İBRAHİM", False),  # İBRAHİM: its second İ is not the stored i
        ("İbrahim Yılmaz", "İbrahim", True),
        ("İbrahim Yılmaz", "ibrahim", False),
        ("Anna  Maria", "anna maria", True),  # runs of spaces are one
        ("ﬁne Ltd", "fine", True),  # NFKC: the ligature is two letters
        ("Jo", "Jo", True),  # shorter than a trigram
        ("Jo", "o", True),
        ("Жу", "ж", True),
    ],
)
def test_name_folding(
    sessions: sessionmaker[Session], add_contact: AddContact, stored: str, query: str, found: bool
) -> None:
    cid = add_contact(name=stored)
    expected = ([cid], 1) if found else ([], 0)
    assert _search(sessions, name=query) == expected
    assert _search(sessions, q=query) == expected


def test_company_folding(sessions: sessionmaker[Session], add_contact: AddContact) -> None:
    cid = add_contact(name="Hans", company="Löwenbräu Straße GmbH")
    assert _search(sessions, company="STRASSE") == ([cid], 1)
    assert _search(sessions, q="löwenbräu") == ([cid], 1)
    assert _search(sessions, company="lowenbrau") == ([], 0)


def test_email_substring(sessions: sessionmaker[Session], add_contact: AddContact) -> None:
    cid = add_contact(name="X", emails=["ivan.petrov@sub.example.ru", "ip@other.example"])
    assert _search(sessions, email="PETROV@SUB") == ([cid], 1)
    assert _search(sessions, q="ip@other") == ([cid], 1)
    assert _search(sessions, email="@") == ([cid], 1)  # shorter than a trigram
    # No match spans two of a contact's e-mails.
    assert _search(sessions, email="ru\nip") == ([], 0)
    assert _search(sessions, email="_") == ([], 0)  # LIKE wildcards are literal


@pytest.mark.parametrize("query", ["9161234", "+7 (916) 123-45-67", "916 123", "45-67", "79"])
def test_phone_digits_with_formatting(
    sessions: sessionmaker[Session], add_contact: AddContact, query: str
) -> None:
    cid = add_contact(name="Y", phones=["+79161234567"])
    other = add_contact(name="Z", phones=["+4930901820"])
    assert _search(sessions, phone=query) == ([cid], 1)
    assert _search(sessions, q=query) == ([cid], 1)
    assert other not in _search(sessions, q=query)[0]


def test_phone_digits_do_not_span_two_numbers(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    add_contact(name="Y", phones=["+79161234567", "+4930901820"])
    assert _search(sessions, phone="67493") == ([], 0)


@pytest.mark.parametrize("query", ["%", "_", "a%b", "\\", '"', "x\x00y"])
def test_special_characters_are_literal(
    sessions: sessionmaker[Session], add_contact: AddContact, query: str
) -> None:
    add_contact(name="Abc Def", company="Q")
    assert _search(sessions, q=query) == ([], 0)
    assert _search(sessions, name=query) == ([], 0)


def test_quotes_and_percent_in_stored_text(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    cid = add_contact(name='Ivan "The Great" 100%', company="ООО «Ромашка»")
    assert _search(sessions, q='"the great"') == ([cid], 1)
    assert _search(sessions, q="100%") == ([cid], 1)
    assert _search(sessions, company="«ромашка»") == ([cid], 1)


def test_search_stays_in_the_callers_channels_and_owner(
    sessions: sessionmaker[Session], add_contact: AddContact, add_user: Callable[..., int]
) -> None:
    alice, bob = add_user("1"), add_user("2")
    mine = add_contact(name="Иван Смирнов", phones=["+79161234567"], owner=alice)
    theirs = add_contact(name="Иван Смирнов", phones=["+79161234568"], owner=bob)
    foreign = add_contact(
        name="Иван Смирнов", phones=["+79161234569"], channel="ns.other", emails=["i@s.ru"]
    )
    default = frozenset({"default"})
    for query in ("смирнов", "иван", "9161234", "и"):
        assert _search(sessions, q=query, channels=default) == ([theirs, mine], 2)
        assert _search(sessions, q=query, channels=default, owner_id=alice) == ([mine], 1)
        assert _search(sessions, q=query, channels=frozenset({"ns.other"})) == ([foreign], 1)
        assert _search(sessions, q=query, channel_id="ns.other", channels=default) == ([], 0)
    assert _search(sessions, email="i@s.ru", channels=default) == ([], 0)


def test_edits_and_merges_keep_the_search_in_step(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    from gateway.contacts.schemas import ContactFields
    from gateway.contacts.service import edit_contact, merge_into, upsert_contact
    from gateway.db import transaction
    from gateway.models import Contact

    cid = add_contact(name="Old Name", company="Old Co", phones=["+79161234567"])
    with transaction(sessions) as session:
        contact = session.get(Contact, cid)
        assert contact is not None
        edit_contact(session, contact, {"name": "Пётр Новый", "phones": ["+4930901820"]}, by="api")
    assert _search(sessions, q="old name") == ([], 0)
    assert _search(sessions, q="петр новый") == ([cid], 1)
    assert _search(sessions, phone="9161234") == ([], 0)
    assert _search(sessions, phone="30901820") == ([cid], 1)
    # A card with the same phone merges into it: its e-mail and company are found.
    with transaction(sessions) as session:
        _, created = upsert_contact(
            session,
            ContactFields(emails=["p@new.example"], phones=["+4930901820"], company="Acme"),
            owner_id=None,
            source="card",
        )
        assert not created
    assert _search(sessions, q="p@new") == ([cid], 1)
    assert _search(sessions, company="acme") == ([cid], 1)
    assert _search(sessions, q="old co") == ([], 0)  # replaced by a reading as strong
    with transaction(sessions) as session:
        contact = session.get(Contact, cid)
        assert contact is not None
        merge_into(session, contact, ContactFields(emails=["back@side.example"]), source="card")
    assert _search(sessions, email="back@side") == ([cid], 1)
    assert _search(sessions, email="p@new") == ([cid], 1)


def test_deleted_contact_is_not_found(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    from gateway.contacts.service import delete_contact
    from gateway.db import transaction
    from gateway.models import Contact

    cid = add_contact(name="Удалённый Контакт")
    keep = add_contact(name="Удалённый Тоже")
    with transaction(sessions) as session:
        contact = session.get(Contact, cid)
        assert contact is not None
        delete_contact(session, contact)
    assert _search(sessions, q="удаленный") == ([keep], 1)


def test_text_search_pages_and_counts(
    sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    ids = [add_contact(name=f"Сотрудник {i}", company="Ромашка") for i in range(7)]
    newest_first = ids[::-1]
    for criteria in ({"q": "сотрудник"}, {"q": "с"}):
        assert _search(sessions, limit=3, offset=3, **criteria) == (newest_first[3:6], 7)
        assert _search(sessions, limit=7, **criteria) == (newest_first, 7)
        assert _search(sessions, limit=3, offset=7, **criteria) == ([], 7)
