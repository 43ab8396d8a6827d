from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.contacts.schemas import ContactFields


def test_from_reader_normalises_and_tolerates_the_reader_shape() -> None:
    fields = ContactFields.from_reader(
        {
            "file": "dev_0001.jpg",
            "name": "  Мария Иванова ",
            "title": "",
            "phones": "+74951234567",
            "emails": [" Maria@Romashka.Example.RU", "maria@romashka.example.ru", None],
            "websites": ["https://www.Romashka.example.ru/", "http://romashka.example.ru"],
            "fax": 74951234568,
            "alt": {"name": ["Mariya Ivanova"]},
            "lang": "ru",
        }
    )
    assert fields.name == "Мария Иванова"
    assert fields.title is None
    assert fields.phones == ["+74951234567"]
    assert fields.emails == ["maria@romashka.example.ru"]
    assert fields.websites == ["romashka.example.ru"]
    assert fields.fax is None  # wrong type: dropped, not fatal
    assert fields.lang == "ru"


def test_fields_are_immutable() -> None:
    fields = ContactFields(name="John Smith")
    with pytest.raises(ValidationError):
        fields.name = "Jane"  # type: ignore[misc]


def test_empty_by_default() -> None:
    fields = ContactFields()
    assert all(getattr(fields, k) is None for k in ("name", "company", "title", "address"))
    assert fields.phones == [] and fields.emails == [] and fields.websites == []


def test_what_a_reader_returns_is_validated_again() -> None:
    """The worker does not trust the OCR cluster (or a shared contact): text is one clean
    line cut to its column, phones and fax are E.164, e-mails and websites have their shape."""
    fields = ContactFields.from_reader(
        {
            "name": "Ann\x1b[2J\r\nSmith" + "x" * 300,
            "phones": ["+74951234567", "call me", "+7 495 123", "+1" + "9" * 30],
            "fax": "ring twice",
            "emails": ["ann@example.com", "not-an-email", "a@b", "x@y.z\nBcc: all"],
            "websites": ["https://example.com/", "java script:alert(1)", "nodot"],
        }
    )
    assert fields.name is not None and fields.name.startswith("Ann Smith")
    assert len(fields.name) <= 256 and "\x1b" not in fields.name
    assert fields.phones == ["+74951234567"] and fields.fax is None
    assert fields.emails == ["ann@example.com"]
    assert fields.websites == ["example.com"]
