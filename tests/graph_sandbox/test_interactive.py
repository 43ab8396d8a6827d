"""Interactive (reply buttons, lists) and contacts sends: Meta's limits, each refused with
its documented code (100 for a missing or mistyped field, 131009 for a value out of bounds).
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.graph_sandbox.sandbox_support import MESSAGES_URL as URL
from tests.graph_sandbox.sandbox_support import meta_error, upload


def send(kind: str, content: Any, to: str = "15551234567") -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": to, "type": kind, kind: content}


def reply(n: int, title: str | None = None) -> dict[str, Any]:
    return {"type": "reply", "reply": {"id": f"b{n}", "title": title or f"Choice {n}"}}


BUTTONS: dict[str, Any] = {
    "type": "button",
    "header": {"type": "text", "text": "Card read"},
    "body": {"text": "Is this right?"},
    "footer": {"text": "ibbase"},
    "action": {"buttons": [reply(1), reply(2), reply(3)]},
}


def rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"r{i}", "title": f"Row {i}", "description": "what it is"} for i in range(n)]


LIST: dict[str, Any] = {
    "type": "list",
    "body": {"text": "Which field?"},
    "action": {"button": "Choose a field", "sections": [{"title": "Fields", "rows": rows(10)}]},
}


def changed(base: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with the item at ``path`` replaced (or dropped: ``...``)."""
    out = copy.deepcopy(base)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


async def test_buttons_and_list_are_accepted_and_recorded(graph: httpx.AsyncClient) -> None:
    for content in (BUTTONS, LIST):
        response = await graph.post(URL, json=send("interactive", content))
        assert response.status_code == 200, response.text
        assert response.json()["messages"][0]["id"].startswith("wamid.")
    records = (await graph.get("/sandbox/messages")).json()["data"]
    assert [(r["type"], r["interactive"]["type"], r["body"]) for r in records] == [
        ("interactive", "button", "Is this right?"),
        ("interactive", "list", "Which field?"),
    ]


LIMITS = [
    # (what, base, path, value, fragment of the details)
    ("4 buttons", BUTTONS, ("action", "buttons"), [reply(i) for i in range(4)], "buttons"),
    ("no buttons", BUTTONS, ("action", "buttons"), [], "buttons"),
    (
        "button title 21",
        BUTTONS,
        ("action", "buttons", 0, "reply", "title"),
        "x" * 21,
        "Max length: 20",
    ),
    (
        "button id 257",
        BUTTONS,
        ("action", "buttons", 0, "reply", "id"),
        "i" * 257,
        "Max length: 256",
    ),
    ("same titles", BUTTONS, ("action", "buttons"), [reply(1, "Same"), reply(2, "Same")], "unique"),
    ("body 1025", BUTTONS, ("body", "text"), "b" * 1025, "Max length: 1024"),
    ("header 61", BUTTONS, ("header", "text"), "h" * 61, "Max length: 60"),
    ("footer 61", BUTTONS, ("footer", "text"), "f" * 61, "Max length: 60"),
    ("11 rows", LIST, ("action", "sections", 0, "rows"), rows(11), "max allowed count: 10"),
    (
        "11 rows in 2 sections",
        LIST,
        ("action", "sections"),
        [{"title": "A", "rows": rows(6)}, {"title": "B", "rows": rows(5)}],
        "count: 10",
    ),
    (
        "row title 25",
        LIST,
        ("action", "sections", 0, "rows", 0, "title"),
        "t" * 25,
        "Max length: 24",
    ),
    (
        "row description 73",
        LIST,
        ("action", "sections", 0, "rows", 0, "description"),
        "d" * 73,
        "Max length: 72",
    ),
    ("row id 201", LIST, ("action", "sections", 0, "rows", 0, "id"), "i" * 201, "Max length: 200"),
    ("list button 21", LIST, ("action", "button"), "b" * 21, "Max length: 20"),
    ("section title 25", LIST, ("action", "sections", 0, "title"), "s" * 25, "Max length: 24"),
    (
        "11 sections",
        LIST,
        ("action", "sections"),
        [{"title": f"S{i}", "rows": rows(1)} for i in range(11)],
        "sections",
    ),
    (
        "same row ids",
        LIST,
        ("action", "sections", 0, "rows"),
        [{"id": "r", "title": "A"}, {"id": "r", "title": "B"}],
        "unique",
    ),
]


@pytest.mark.parametrize(
    ("base", "path", "value", "fragment"),
    [case[1:] for case in LIMITS],
    ids=[case[0] for case in LIMITS],
)
async def test_limits_are_131009(
    graph: httpx.AsyncClient, base: dict[str, Any], path: tuple[Any, ...], value: Any, fragment: str
) -> None:
    response = await graph.post(URL, json=send("interactive", changed(base, path, value)))
    error = meta_error(response, 400, 131009)
    assert error["message"] == "(#131009) Parameter value is not valid"
    assert fragment in error["error_data"]["details"]
    assert (await graph.get("/sandbox/messages")).json() == {"data": []}


MALFORMED = [
    ("unknown type", BUTTONS, ("type",), "carousel", "interactive['type']"),
    ("no body", BUTTONS, ("body",), ..., "interactive['body']"),
    ("no action", LIST, ("action",), ..., "interactive['action']"),
    ("button of another type", BUTTONS, ("action", "buttons", 0, "type"), "url", "['type']"),
    ("button without id", BUTTONS, ("action", "buttons", 0, "reply", "id"), ..., "['id']"),
    (
        "image header on a list",
        LIST,
        ("header",),
        {"type": "image", "image": {"id": "1"}},
        "interactive['header']['type']",
    ),
    (
        "two sections, one untitled",
        LIST,
        ("action", "sections"),
        [{"rows": rows(1)}, {"title": "B", "rows": [{"id": "x", "title": "X"}]}],
        "['title']",
    ),
]


@pytest.mark.parametrize(
    ("base", "path", "value", "fragment"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
async def test_malformed_interactive_is_100(
    graph: httpx.AsyncClient, base: dict[str, Any], path: tuple[Any, ...], value: Any, fragment: str
) -> None:
    response = await graph.post(URL, json=send("interactive", changed(base, path, value)))
    error = meta_error(response, 400, 100)
    assert fragment in error["error_data"]["details"]


async def test_media_header_on_buttons_needs_a_valid_media_id(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    ok = changed(BUTTONS, ("header",), {"type": "image", "image": {"id": media_id}})
    assert (await graph.post(URL, json=send("interactive", ok))).status_code == 200
    bad = changed(BUTTONS, ("header",), {"type": "image", "image": {"id": "404"}})
    meta_error(await graph.post(URL, json=send("interactive", bad)), 400, 100)


CARD = {
    "name": {"formatted_name": "Анна Петрова", "first_name": "Анна", "last_name": "Петрова"},
    "org": {"company": "ACME", "title": "CTO"},
    "phones": [{"phone": "+79161234567", "type": "CELL", "wa_id": "79161234567"}],
    "emails": [{"email": "anna@acme.test", "type": "WORK"}],
    "urls": [{"url": "https://acme.test", "type": "WORK"}],
    "addresses": [{"street": "Тверская 1", "city": "Москва", "type": "WORK"}],
}


async def test_contacts_message(graph: httpx.AsyncClient) -> None:
    response = await graph.post(URL, json=send("contacts", [CARD]))
    assert response.status_code == 200, response.text
    (record,) = (await graph.get("/sandbox/messages")).json()["data"]
    assert record["type"] == "contacts"
    assert record["contacts"] == [CARD]
    assert record["body"] == "Анна Петрова"


async def test_contacts_validation(graph: httpx.AsyncClient) -> None:
    no_formatted = {**CARD, "name": {"first_name": "Анна"}}
    only_formatted = {**CARD, "name": {"formatted_name": "Анна"}}
    cases: list[tuple[Any, int, str]] = [
        ([], 131009, "contacts"),
        ([CARD] * 258, 131009, "Max allowed: 257"),
        ({"name": "x"}, 100, "contacts"),
        ([{**CARD, "name": ...}], 100, "['name']"),
        ([no_formatted], 100, "formatted_name"),
        ([only_formatted], 131009, "first_name"),
        ([{**CARD, "phones": [{"type": "CELL"}]}], 100, "['phone']"),
        ([{**CARD, "emails": "anna@acme.test"}], 100, "['emails']"),
        ([{**CARD, "birthday": "01.02.1990"}], 131009, "YYYY-MM-DD"),
    ]
    for cards, code, fragment in cases:
        if isinstance(cards, list):
            cards = [{k: v for k, v in c.items() if v is not ...} for c in cards]
        error = meta_error(await graph.post(URL, json=send("contacts", cards)), 400, code)
        assert fragment in error["error_data"]["details"], (cards, error)


async def test_document_by_uploaded_id_with_filename(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph, b"%PDF-1.4 card export", "application/pdf")
    document = {"id": media_id, "filename": "contacts.pdf", "caption": "3 contacts"}
    assert (await graph.post(URL, json=send("document", document))).status_code == 200
    (record,) = (await graph.get("/sandbox/messages")).json()["data"]
    assert record["document"] == document
    assert record["body"] == "3 contacts"
    long_caption = {**document, "caption": "c" * 1025}
    error = meta_error(await graph.post(URL, json=send("document", long_caption)), 400, 131009)
    assert "1024" in error["error_data"]["details"]
    bad_name = {**document, "filename": 42}
    meta_error(await graph.post(URL, json=send("document", bad_name)), 400, 100)
