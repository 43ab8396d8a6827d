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
