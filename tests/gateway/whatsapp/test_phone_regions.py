"""The sender's and the channel's countries from their numbers, as the card reader's fallback."""

import pytest

from gateway.whatsapp.phone_regions import fallback_regions, region_of_number, to_e164
from gateway.whatsapp.shared_contacts import fields_of_shared_contact


@pytest.mark.parametrize(
    ("wa_id", "region"),
    [
        ("5511987654321", "BR"),  # São Paulo mobile
        ("819012345678", "JP"),
        ("84912345678", "VN"),
        ("6591234567", "SG"),
        ("79161234567", "RU"),
        ("12025550123", "US"),  # +1 202: Washington
        ("14165550123", "CA"),  # +1 416: Toronto, the same +1 as the US
        ("442079460000", "GB"),  # London
        ("447911123456", "GG"),  # a +44 7911 mobile is Guernsey's, as phonenumbers says
        ("15550000000", "US"),  # +1 555 is invalid: the main country of +1
        ("+55 (11) 98765-4321", "BR"),  # a display number, formatted
    ],
)
def test_region_of_a_number(wa_id: str, region: str) -> None:
    assert region_of_number(wa_id) == region


@pytest.mark.parametrize(
    "wa_id",
    [
        None,
        "",
        "7",  # a country code alone
        "123",  # too short for +1
        "4412",  # too short for +44
        "0000000",  # no country code starts with 0
        "999999999999999999",  # +999 is no country
        "80012345678",  # +800 freephone: a number of no country
        "US.13491208655302741918",  # a business-scoped user id, not a number
        "5511９８７６５４３２１",  # full-width digits
    ],
)
def test_numbers_of_no_country_give_none(wa_id: str | None) -> None:
    assert region_of_number(wa_id) is None


def test_the_sender_first_then_the_channel() -> None:
    assert fallback_regions("5511987654321", "15550000000") == ("BR", "US")
    assert fallback_regions("84912345678", "+65 9123 4567") == ("VN", "SG")


def test_a_region_comes_once_and_unknowns_are_dropped() -> None:
    assert fallback_regions("79161234567", "74951234567") == ("RU",)
    assert fallback_regions(None, "15550000000") == ("US",)  # a username-only sender
    assert fallback_regions("123", "") == ()
    assert fallback_regions("80012345678", "819012345678") == ("JP",)


@pytest.mark.parametrize(
    ("written", "regions", "strict", "e164"),
    [
        ("8 495 123-45-67", ("RU",), True, "+74951234567"),  # a Russian phone book
        ("(312) 555-0147", ("US", "RU"), False, "+13125550147"),
        ("+44 113 496 0381", ("RU",), True, "+441134960381"),  # its own code wins
        ("4915123456789", ("US",), True, "+4915123456789"),  # international digits, no "+"
        ("12345", ("RU",), True, None),
    ],
)
def test_numbers_as_written_become_e164(
    written: str, regions: tuple[str, ...], strict: bool, e164: str | None
) -> None:
    assert to_e164(written, regions, strict=strict) == e164


def test_a_shared_contact_is_read_in_the_senders_country() -> None:
    shared = {
        "name": {"formatted_name": "Ivan Petrov"},
        "phones": [
            {"phone": "8 (495) 123-45-67", "type": "WORK"},
            {"phone": "", "wa_id": "79161234567"},
        ],
    }
    fields = fields_of_shared_contact(shared, fallback_regions("79001234567", None))
    assert fields.phones == ["+74951234567", "+79161234567"]
