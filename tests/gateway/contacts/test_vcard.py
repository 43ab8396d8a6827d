"""vCard output checked with a small reader of our own: unfold, split, unescape."""

from __future__ import annotations

import re

from business_card.contact import CONTACT_FIELDS, LIST_FIELDS
from gateway.contacts.vcard import NOT_EXPORTED, escape, fold, to_vcard
from gateway.models import Contact, ContactEmail, ContactPhone


def _contact(**fields: object) -> Contact:
    phones = fields.pop("phones", [])
    emails = fields.pop("emails", [])
    fields.setdefault("websites", [])
    return Contact(
        id=7,
        source="card",
        phones=[ContactPhone(phone=p) for p in phones],  # type: ignore[attr-defined]
        emails=[ContactEmail(email=e) for e in emails],  # type: ignore[attr-defined]
        **fields,
    )


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] in "nN" else m[1], value)


def _split_unescaped(value: str, sep: str) -> list[str]:
    return [_unescape(p) for p in re.split(rf"(?<!\\){sep}", value)]


def _parse(card: str) -> list[tuple[str, str]]:
    """(name with parameters, raw value) per content line, after unfolding (RFC 2425 §5.8.1)."""
    assert card.endswith("\r\n")
    assert "\n" not in card.replace("\r\n", "")  # only CRLF line breaks
    unfolded = card.replace("\r\n ", "").replace("\r\n\t", "")
    lines = unfolded.split("\r\n")[:-1]
    return [tuple(line.split(":", 1)) for line in lines]  # type: ignore[misc]


def _values(card: str, name: str) -> list[str]:
    return [v for n, v in _parse(card) if n == name]


def test_full_card_round_trips_russian_text() -> None:
    card = to_vcard(
        _contact(
            name="Мария Сергеевна Иванова",
            first_name="Мария",
            last_name="Иванова",
            middle_name="Сергеевна",
            title="Руководитель отдела продаж; региональное направление",
            company="ООО «Ромашка», филиал",
            phones=["+74951234567", "+79001234567"],
            fax="+74951234568",
            emails=["m.ivanova@romashka.example.ru"],
            websites=["romashka.example.ru"],
            address="г. Москва, ул. Ленина, д. 1\nофис 5",
        )
    )
    parsed = _parse(card)
    assert parsed[0] == ("BEGIN", "VCARD") and parsed[1] == ("VERSION", "3.0")
    assert parsed[-1] == ("END", "VCARD")
    assert _split_unescaped(_values(card, "N")[0], ";") == [
        "Иванова",
        "Мария",
        "Сергеевна",
        "",
        "",
    ]
    assert _unescape(_values(card, "FN")[0]) == "Мария Сергеевна Иванова"
    assert _unescape(_values(card, "ORG")[0]) == "ООО «Ромашка», филиал"
    assert _unescape(_values(card, "TITLE")[0]) == (
        "Руководитель отдела продаж; региональное направление"
    )
    assert _values(card, "TEL;TYPE=WORK,VOICE") == ["+74951234567", "+79001234567"]
    assert _values(card, "TEL;TYPE=WORK,FAX") == ["+74951234568"]
    assert _values(card, "EMAIL;TYPE=INTERNET") == ["m.ivanova@romashka.example.ru"]
    assert _values(card, "URL") == ["https://romashka.example.ru"]
    adr = _split_unescaped(_values(card, "ADR;TYPE=WORK")[0], ";")
    assert adr == ["", "", "г. Москва, ул. Ленина, д. 1\nофис 5", "", "", "", ""]


def test_every_contact_field_is_written_or_named_as_left_out() -> None:
    """A field added to the contact schema fails here until the vCard writes it."""
    values = {
        f: ([f"+7495000000{i}"] if f == "phones" else [f"{f}{i}@x.example"] if f == "emails"
            else [f"{f}{i}.example"] if f == "websites" else f"+7495111111{i}" if f == "fax"
            else f"value-of-{f}-{i}")
        for i, f in enumerate(CONTACT_FIELDS)
    }  # fmt: skip
    card = to_vcard(_contact(**values)).replace("\r\n ", "")
    for field, value in values.items():
        shown = all(v in card for v in value) if field in LIST_FIELDS else str(value) in card
        assert shown != (field in NOT_EXPORTED), field


def test_escaping() -> None:
    assert escape("a\\b,c;d\ne\r\nf") == "a\\\\b\\,c\\;d\\ne\\nf"
    card = to_vcard(_contact(name="Smith, John; Jr.\\"))
    assert "FN:Smith\\, John\\; Jr.\\\\\r\n" in card


def test_lines_fold_at_75_octets_without_splitting_characters() -> None:
    long_title = "Заместитель генерального директора по развитию бизнеса и работе с клиентами"
    card = to_vcard(_contact(name="Иван Иванов", title=long_title, company="x" * 200))
    physical = card.split("\r\n")[:-1]
    assert any(line.startswith(" ") for line in physical)
    for line in physical:
        assert len(line.encode("utf-8")) <= 75
    assert _unescape(_values(card, "TITLE")[0]) == long_title
    assert _values(card, "ORG") == ["x" * 200]


def test_fold_keeps_multibyte_characters_whole() -> None:
    line = "TITLE:" + "€" * 60  # 3 octets each
    parts = fold(line).split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert parts[0] == "TITLE:" + "€" * 23  # 6 + 69 octets; a 24th would make 78
    assert "".join(p.removeprefix(" ") for p in parts) == line
    assert fold("short") == "short"


def test_fn_falls_back_to_company_email_phone() -> None:
    assert _values(to_vcard(_contact(first_name="John", last_name="Smith")), "FN") == ["John Smith"]
    assert _values(to_vcard(_contact(company="Acme GmbH", emails=["a@x.example"])), "FN") == [
        "Acme GmbH"
    ]
    assert _values(to_vcard(_contact(emails=["a@x.example"], phones=["+1202"])), "FN") == [
        "a@x.example"
    ]
    assert _values(to_vcard(_contact(phones=["+12025550123"])), "FN") == ["+12025550123"]
    assert _values(to_vcard(_contact()), "FN") == ["Contact 7"]
    assert _values(to_vcard(_contact()), "N") == [";;;;"]


def test_line_breaks_in_uri_values_cannot_forge_properties() -> None:
    card = to_vcard(_contact(name="X", websites=["evil.example\r\nFN:forged"]))
    assert _values(card, "FN") == ["X"]
