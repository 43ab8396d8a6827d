"""The message builders: Meta's shapes, and ValueError on what Meta would refuse."""

from __future__ import annotations

import pytest

from whatsapp_cloud import messages as wa


def test_clip() -> None:
    assert wa.clip("  short  ", 20) == "short"
    assert wa.clip("x" * 30, 20) == "x" * 19 + "…"
    assert len(wa.clip("Исправить поле компании", 20)) == 20
    with pytest.raises(ValueError):
        wa.clip("x", 0)


def test_buttons_shape() -> None:
    message = wa.buttons("Body", [("a", "A"), ("b", "B")], header="H", footer="F")
    assert message == {
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "H"},
            "body": {"text": "Body"},
            "footer": {"text": "F"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "a", "title": "A"}},
                    {"type": "reply", "reply": {"id": "b", "title": "B"}},
                ]
            },
        },
    }


@pytest.mark.parametrize(
    ("choices", "kwargs", "fragment"),
    [
        ([], {}, "1 to 3"),
        ([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")], {}, "1 to 3"),
        ([("a", "x" * 21)], {}, "button title"),
        ([("i" * 257, "A")], {}, "button id"),
        ([("a", "Same"), ("b", "Same")], {}, "unique"),
        ([("a", "A"), ("a", "B")], {}, "unique"),
        ([("a", "A")], {"header": "h" * 61}, "header"),
        ([("a", "A")], {"footer": "f" * 61}, "footer"),
        ([("a", " ")], {}, "non-empty"),
    ],
)
def test_buttons_refusals(
    choices: list[tuple[str, str]], kwargs: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        wa.buttons("Body", choices, **kwargs)
    with pytest.raises(ValueError, match="body"):
        wa.buttons("b" * 1025, [("a", "A")])


def test_choice_list() -> None:
    message = wa.choice_list(
        "Pick", "Fields", [("r1", "Name", None), ("r2", "Phones", "all")], section="Card"
    )
    action = message["interactive"]["action"]
    assert message["interactive"]["type"] == "list"
    assert action == {
        "button": "Fields",
        "sections": [
            {
                "title": "Card",
                "rows": [
                    {"id": "r1", "title": "Name"},
                    {"id": "r2", "title": "Phones", "description": "all"},
                ],
            }
        ],
    }
    ten = [(f"r{i}", f"Row {i}", None) for i in range(10)]
    wa.choice_list("Pick", "Fields", ten, section="Card")
    refusals = [
        ("Fields", [*ten, ("r10", "Row", None)], "Card", "1 to 10"),
        ("Fields", [("r", "t" * 25, None)], "Card", "row title"),
        ("Fields", [("r", "t", "d" * 73)], "Card", "row description"),
        ("Fields", [("i" * 201, "t", None)], "Card", "row id"),
        ("F" * 21, [("r", "t", None)], "Card", "list button"),
        ("Fields", [("r", "t", None)], "S" * 25, "section title"),
        ("Fields", [("r", "a", None), ("r", "b", None)], "Card", "unique"),
    ]
    for button, rows, section, fragment in refusals:
        with pytest.raises(ValueError, match=fragment):
            wa.choice_list("Pick", button, rows, section=section)


def test_contact_card() -> None:
    message = wa.contact_card(
        {
            "formatted_name": "Анна Петрова",
            "first_name": "Анна",
            "last_name": "Петрова",
            "company": "ACME",
            "title": "CTO",
            "phones": ["+79161234567", {"phone": "+7495", "type": "WORK", "wa_id": "7495"}],
            "fax": "+74950000000",
            "emails": ["a@acme.test"],
            "websites": ["https://acme.test"],
            "address": "Москва, Тверская 1",
            "note": "ignored",
            "middle_name": None,
        }
    )
    assert message["type"] == "contacts"
    (card,) = message["contacts"]
    assert card["name"] == {
        "formatted_name": "Анна Петрова",
        "first_name": "Анна",
        "last_name": "Петрова",
    }
    assert card["org"] == {"company": "ACME", "title": "CTO"}
    assert card["phones"] == [
        {"phone": "+79161234567", "type": "CELL"},
        {"phone": "+7495", "type": "WORK", "wa_id": "7495"},
        {"phone": "+74950000000", "type": "FAX"},
    ]
    assert card["emails"] == [{"email": "a@acme.test", "type": "WORK"}]
    assert card["urls"] == [{"url": "https://acme.test", "type": "WORK"}]
    assert card["addresses"] == [{"street": "Москва, Тверская 1", "type": "WORK"}]
    only_name = wa.contact_card({"name": "ACME Support"})["contacts"][0]
    assert only_name == {"name": {"formatted_name": "ACME Support", "first_name": "ACME Support"}}
    for bad in (
        {},
        {"formatted_name": "  "},
        {"name": "A", "phones": [{"type": "CELL"}]},
        {"name": "A", "birthday": "1.2.1990"},
        {"name": "A", "addresses": ["x"]},
        {"name": "A", "phones": 5},
        {"name": "A", "org": "ACME"},
        {"name": "A", "org": {"company": 1}},
        {"name": "A", "emails": [{"email": "a@b", "extra": "x"}]},
        {"name": "A", "urls": [3]},
        {"name": "A", "fax": [1]},
        {"formatted_name": 5},
    ):
        with pytest.raises(ValueError):
            wa.contact_card(bad)


def test_media_and_document() -> None:
    assert wa.document("123", "c.pdf", "caption") == {
        "type": "document",
        "document": {"id": "123", "filename": "c.pdf", "caption": "caption"},
    }
    assert wa.media("image", link="https://x.test/a.jpg") == {
        "type": "image",
        "image": {"link": "https://x.test/a.jpg"},
    }
    for kwargs in (
        {},
        {"media_id": "1", "link": "https://x"},
        {"link": "ftp://x"},
        {"media_id": "1", "filename": "a.jpg"},
        {"media_id": "1", "caption": "c" * 1025},
    ):
        with pytest.raises(ValueError):
            wa.media("image", **kwargs)
    with pytest.raises(ValueError, match="caption"):
        wa.media("audio", media_id="1", caption="no")
    with pytest.raises(ValueError, match="kind"):
        wa.media("gif", media_id="1")


def test_template() -> None:
    assert wa.template("hello_world", "en_US", []) == {
        "type": "template",
        "template": {"name": "hello_world", "language": {"code": "en_US"}},
    }
    message = wa.template("card_followup", "ru", ["Анна"])
    assert message["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Анна"}]}
    ]
    for name, language, params in (
        ("Card", "ru", []),
        ("card", "russian", []),
        ("card", "ru", [""]),
        ("card", "ru", ["two\nlines"]),
        ("card", "ru", ["a     b"]),
    ):
        with pytest.raises(ValueError):
            wa.template(name, language, params)
