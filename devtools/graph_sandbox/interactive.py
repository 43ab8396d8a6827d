"""Validation of ``interactive`` (reply buttons, lists) and ``contacts`` message bodies.

Missing or mistyped fields are error 100 (invalid parameter), as elsewhere in the sandbox;
values outside Meta's documented limits (lengths, counts, duplicate ids) are 131009
(parameter value is not valid), with a ``details`` that names the field and the limit.

Limits, from Meta's "Interactive reply buttons messages", "Interactive list messages" and
"Contacts messages" pages: body ≤ 1024 characters, header and footer ≤ 60; 1 to 3 reply
buttons, id ≤ 256 and title ≤ 20 characters, both unique in the message; a list has a
button label ≤ 20, 1 to 10 sections with at most 10 rows in all, row id ≤ 200 (unique),
title ≤ 24, description ≤ 72, section title ≤ 24 (required when there are several
sections), and only a text header; a contacts message holds 1 to 257 cards, each with a
``name`` whose ``formatted_name`` is required along with at least one other name part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from graph_sandbox.errors import invalid_parameter, invalid_value

MAX_BODY = 1024
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON_ID = 256
MAX_BUTTON_TITLE = 20
MAX_LIST_BUTTON = 20
MAX_SECTIONS = 10
MAX_ROWS = 10
MAX_ROW_ID = 200
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_SECTION_TITLE = 24
MAX_CONTACTS = 257
NAME_PARTS = ("first_name", "last_name", "middle_name", "suffix", "prefix")
INTERACTIVE_TYPES = ("button", "list")
HEADER_TYPES = {"button": ("text", "image", "video", "document"), "list": ("text",)}


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Param {path} must be a JSON object.")
    return value


def _array(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise invalid_parameter(f"Param {path} must be an array.")
    return value


def _text(obj: dict[str, Any], key: str, path: str, limit: int, *, required: bool = True) -> Any:
    value = obj.get(key)
    if value is None and not required:
        return None
    if value is None or value == "":
        raise invalid_parameter(f"The parameter {path} is required.")
    if not isinstance(value, str):
        raise invalid_parameter(f"Param {path} must be a string.")
    if len(value) > limit:
        raise invalid_value(
            f"{path}: length invalid. Min length: 1, Max length: {limit}; got {len(value)}."
        )
    return value


def _count(items: list[Any], path: str, what: str, limit: int) -> None:
    if not 1 <= len(items) <= limit:
        raise invalid_value(
            f"Invalid {what} count in {path}. Min allowed: 1, Max allowed: {limit}; "
            f"got {len(items)}."
        )


def _unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise invalid_value(f"{what} must be unique within the message: {value!r} repeats.")
        seen.add(value)


def _header(interactive: dict[str, Any], kind: str, media_check: Callable[..., None]) -> None:
    if "header" not in interactive:
        return
    header = _object(interactive["header"], "interactive['header']")
    allowed = HEADER_TYPES[kind]
    header_type = header.get("type")
    if header_type not in allowed:
        names = ", ".join(t.upper() for t in allowed)
        raise invalid_parameter(
            f"Param interactive['header']['type'] must be one of {{{names}}} for {kind} "
            f'messages - got "{header_type}".'
        )
    if header_type == "text":
        _text(header, "text", "interactive['header']['text']", MAX_HEADER)
    else:
        media = _object(header.get(header_type), f"interactive['header']['{header_type}']")
        media_check(header_type, media)


def _buttons(action: dict[str, Any]) -> None:
    buttons = _array(action.get("buttons"), "interactive['action']['buttons']")
    _count(buttons, "interactive['action']['buttons']", "buttons", MAX_BUTTONS)
    ids, titles = [], []
    for n, raw in enumerate(buttons):
        path = f"interactive['action']['buttons'][{n}]"
        button = _object(raw, path)
        if button.get("type") != "reply":
            raise invalid_parameter(f"Param {path}['type'] must be one of {{REPLY}}.")
        reply = _object(button.get("reply"), f"{path}['reply']")
        ids.append(_text(reply, "id", f"{path}['reply']['id']", MAX_BUTTON_ID))
        titles.append(_text(reply, "title", f"{path}['reply']['title']", MAX_BUTTON_TITLE))
    _unique(ids, "Button ids")
    _unique(titles, "Button titles")


def _list(action: dict[str, Any]) -> None:
    _text(action, "button", "interactive['action']['button']", MAX_LIST_BUTTON)
    sections = _array(action.get("sections"), "interactive['action']['sections']")
    _count(sections, "interactive['action']['sections']", "sections", MAX_SECTIONS)
    row_ids: list[str] = []
    for s, raw in enumerate(sections):
        path = f"interactive['action']['sections'][{s}]"
        section = _object(raw, path)
        title_needed = len(sections) > 1
        _text(section, "title", f"{path}['title']", MAX_SECTION_TITLE, required=title_needed)
        rows = _array(section.get("rows"), f"{path}['rows']")
        if not rows:
            raise invalid_value(f"Invalid rows count in {path}['rows']. Min allowed: 1.")
        for r, raw_row in enumerate(rows):
            row_path = f"{path}['rows'][{r}]"
            row = _object(raw_row, row_path)
            row_ids.append(_text(row, "id", f"{row_path}['id']", MAX_ROW_ID))
            _text(row, "title", f"{row_path}['title']", MAX_ROW_TITLE)
            _text(row, "description", f"{row_path}['description']", MAX_ROW_DESCRIPTION,
                  required=False)  # fmt: skip
    if len(row_ids) > MAX_ROWS:
        raise invalid_value(
            f"Total row count exceed max allowed count: {MAX_ROWS}; got {len(row_ids)}."
        )
    _unique(row_ids, "Row ids")


def validate_interactive(content: dict[str, Any], media_check: Callable[..., None]) -> str:
    """Check an ``interactive`` object; its body text (what the record shows)."""
    kind = content.get("type")
    if kind not in INTERACTIVE_TYPES:
        raise invalid_parameter(
            f"Param interactive['type'] must be one of {{BUTTON, LIST}} - got \"{kind}\" "
            "(the sandbox models reply buttons and lists)."
        )
    body = _object(content.get("body"), "interactive['body']")
    text = str(_text(body, "text", "interactive['body']['text']", MAX_BODY))
    _header(content, kind, media_check)
    if "footer" in content:
        footer = _object(content["footer"], "interactive['footer']")
        _text(footer, "text", "interactive['footer']['text']", MAX_FOOTER)
    action = _object(content.get("action"), "interactive['action']")
    if kind == "button":
        _buttons(action)
    else:
        _list(action)
    return text


_BIRTHDAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_LISTS = {"phones": "phone", "emails": "email", "urls": "url"}


def _contact(card: dict[str, Any], path: str) -> str:
    name = _object(card.get("name"), f"{path}['name']")
    formatted = _text(name, "formatted_name", f"{path}['name']['formatted_name']", 10_000)
    for part in NAME_PARTS:
        if part in name and not isinstance(name[part], str):
            raise invalid_parameter(f"Param {path}['name']['{part}'] must be a string.")
    if not any(name.get(part) for part in NAME_PARTS):
        raise invalid_value(
            f"{path}['name'] needs at least one of {', '.join(NAME_PARTS)} besides formatted_name."
        )
    for key, field in _LISTS.items():
        if key not in card:
            continue
        for n, raw in enumerate(_array(card[key], f"{path}['{key}']")):
            item = _object(raw, f"{path}['{key}'][{n}]")
            _text(item, field, f"{path}['{key}'][{n}]['{field}']", 10_000)
    for n, raw in enumerate(_array(card.get("addresses", []), f"{path}['addresses']")):
        _object(raw, f"{path}['addresses'][{n}]")
    if "org" in card:
        _object(card["org"], f"{path}['org']")
    birthday = card.get("birthday")
    if birthday is not None and not (isinstance(birthday, str) and _BIRTHDAY.fullmatch(birthday)):
        raise invalid_value(f"{path}['birthday'] must be formatted YYYY-MM-DD.")
    return str(formatted)


def validate_contacts(cards: Any) -> str:
    """Check a ``contacts`` array; the names it carries (what the record shows)."""
    items = _array(cards, "contacts")
    _count(items, "contacts", "contacts", MAX_CONTACTS)
    return ", ".join(_contact(_object(c, f"contacts[{n}]"), f"contacts[{n}]")
                     for n, c in enumerate(items))  # fmt: skip
