"""Message objects for ``GraphClient.send_message``: pure builders, no I/O.

Each builder returns the type-specific part of a send (``{"type": …, <type>: {…}}``);
``send_message`` adds the recipient, the reply context and the idempotency key. They
raise ``ValueError`` on what Meta would refuse (its limits are below, from the Cloud API's
message reference), so a mistake shows where the message is built, not as an error 100
or 131009 from Meta later. ``clip`` fits a free text into a limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Interactive messages (reply buttons and lists).
MAX_BODY = 1024
MAX_HEADER = 60
MAX_FOOTER = 60
MAX_BUTTONS = 3
MAX_BUTTON_ID = 256
MAX_BUTTON_TITLE = 20
MAX_ROWS = 10  # across all sections
MAX_ROW_ID = 200
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_LIST_BUTTON = 20
MAX_SECTION_TITLE = 24
# Media captions (image, video, document).
MAX_CAPTION = 1024
# Templates: names are lower-case letters, digits and underscores.
MAX_TEMPLATE_NAME = 512
TEMPLATE_NAME_RE = re.compile(r"[a-z0-9_]+")
# Meta refuses text parameters with new lines, tabs or more than 4 spaces in a row (132018).
_BAD_PARAM_TEXT = re.compile(r"[\n\t]| {5,}")
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(_[A-Za-z]{2,4})?")
ELLIPSIS = "…"


def clip(text: str, n: int) -> str:
    """``text`` in at most ``n`` characters: cut with "…" when longer, stripped either way."""
    if n < 1:
        raise ValueError("clip needs room for at least one character")
    text = text.strip()
    if len(text) <= n:
        return text
    return text[: n - 1].rstrip() + ELLIPSIS


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    if len(value) > limit:
        raise ValueError(
            f"{what} is {len(value)} characters; WhatsApp allows {limit} (clip it first)"
        )
    return value


def _unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} must be unique within the message: {value!r} repeats")
        seen.add(value)


def _interactive(kind: str, body: str, action: dict[str, Any], **parts: Any) -> dict[str, Any]:
    interactive: dict[str, Any] = {"type": kind}
    if parts.get("header") is not None:
        header = _text(parts["header"], "header", MAX_HEADER)
        interactive["header"] = {"type": "text", "text": header}
    interactive["body"] = {"text": _text(body, "body", MAX_BODY)}
    if parts.get("footer") is not None:
        interactive["footer"] = {"text": _text(parts["footer"], "footer", MAX_FOOTER)}
    interactive["action"] = action
    return {"type": "interactive", "interactive": interactive}


def buttons(
    body: str,
    choices: Sequence[tuple[str, str]],
    *,
    header: str | None = None,
    footer: str | None = None,
) -> dict[str, Any]:
    """Reply buttons: 1 to 3 ``(id, title)``; the id comes back in the webhook when tapped."""
    if not 1 <= len(choices) <= MAX_BUTTONS:
        raise ValueError(f"reply buttons take 1 to {MAX_BUTTONS} choices, got {len(choices)}")
    items = []
    for reply_id, title in choices:
        _text(reply_id, "button id", MAX_BUTTON_ID)
        _text(title, "button title", MAX_BUTTON_TITLE)
        items.append({"type": "reply", "reply": {"id": reply_id, "title": title}})
    _unique((reply_id for reply_id, _ in choices), "button ids")
    _unique((title for _, title in choices), "button titles")
    return _interactive("button", body, {"buttons": items}, header=header, footer=footer)


def choice_list(
    body: str,
    button: str,
    rows: Sequence[tuple[str, str, str | None]],
    *,
    section: str,
) -> dict[str, Any]:
    """A list message with one section: 1 to 10 ``(id, title, description or None)`` rows
    behind a ``button`` that opens them."""
    _text(button, "list button", MAX_LIST_BUTTON)
    _text(section, "section title", MAX_SECTION_TITLE)
    if not 1 <= len(rows) <= MAX_ROWS:
        raise ValueError(f"a list message takes 1 to {MAX_ROWS} rows, got {len(rows)}")
    items = []
    for row_id, title, description in rows:
        row = {
            "id": _text(row_id, "row id", MAX_ROW_ID),
            "title": _text(title, "row title", MAX_ROW_TITLE),
        }
        if description is not None:
            row["description"] = _text(description, "row description", MAX_ROW_DESCRIPTION)
        items.append(row)
    _unique((row[0] for row in rows), "row ids")
    action = {"button": button, "sections": [{"title": section, "rows": items}]}
    return _interactive("list", body, action)


# -- contacts --------------------------------------------------------------------------

_NAME_PARTS = ("first_name", "middle_name", "last_name", "prefix", "suffix")
# The keys each kind of entry of a card may have (all string values), as Meta lists them.
_ENTRY_KEYS = {
    "phone": frozenset({"phone", "type", "wa_id"}),
    "email": frozenset({"email", "type"}),
    "url": frozenset({"url", "type"}),
    "address": frozenset({"street", "city", "state", "zip", "country", "country_code", "type"}),
    "org": frozenset({"company", "department", "title"}),
}


def _listed(value: Any, what: str) -> list[Any]:
    """One item or a list of them, as a list; anything else is refused."""
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise ValueError(f"the contact's {what} must be a string, an object or a list of them")


def _entry(item: Mapping[str, Any], kind: str, default_type: str | None) -> dict[str, str]:
    allowed = _ENTRY_KEYS[kind]
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise ValueError(f"a contact {kind} takes {', '.join(sorted(allowed))}; not {unknown}")
    entry: dict[str, str] = {}
    for key, value in item.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise ValueError(f"the contact {kind}'s {key} must be a string")
        entry[str(key)] = value.strip()
    if default_type is not None:
        entry.setdefault("type", default_type)
    return entry


def _strings(value: Any, what: str) -> list[str]:
    """A field given as one string or a list of them: the non-blank ones."""
    items = _listed(value, what)
    if not all(isinstance(item, str) for item in items):
        raise ValueError(f"the contact's {what} must be strings")
    return [item.strip() for item in items if item.strip()]


def _typed(value: Any, key: str, default_type: str) -> list[dict[str, Any]]:
    """``["a", "b"]`` or ``[{key: "a", "type": …}]`` as Meta's ``[{key, type}]`` list."""
    out: list[dict[str, Any]] = []
    for item in _listed(value, f"{key}s"):
        if isinstance(item, Mapping):
            entry = _entry(item, key, default_type)
            if not entry.get(key):
                raise ValueError(f"each of the contact's {key}s needs a non-empty {key!r}")
            out.append(entry)
        elif isinstance(item, str):
            if item.strip():
                out.append({key: item.strip(), "type": default_type})
        else:
            raise ValueError(f"the contact's {key}s must be strings or objects")
    return out


def _addresses(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in _listed(fields.get("addresses"), "addresses"):
        if not isinstance(item, Mapping):
            raise ValueError("addresses must be objects (street, city, zip, country…)")
        out.append(_entry(item, "address", "WORK"))
    for line in _strings(fields.get("address"), "address"):
        out.append({"street": line, "type": "WORK"})
    return out


def contact_card(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A ``contacts`` message with one card.

    ``formatted_name`` (or ``name``) is required; Meta also wants one more name part, so
    without ``first_name``/``last_name``/``middle_name`` the formatted name serves as the
    first name. Optional: ``company`` and ``title`` (or an ``org`` object), ``phones``
    (strings or ``{phone, type, wa_id}``), ``fax``, ``emails``, ``urls``/``websites``,
    ``addresses`` (objects) or ``address`` (one line), ``birthday`` (YYYY-MM-DD).
    """
    formatted = fields.get("formatted_name") or fields.get("name")
    if not isinstance(formatted, str) or not formatted.strip():
        raise ValueError("a contact card needs a formatted_name (the name shown)")
    name: dict[str, str] = {"formatted_name": formatted.strip()}
    for part in _NAME_PARTS:
        value = fields.get(part)
        if isinstance(value, str) and value.strip():
            name[part] = value.strip()
    if len(name) == 1:
        name["first_name"] = name["formatted_name"]
    card: dict[str, Any] = {"name": name}
    raw_org = fields.get("org") or {}
    if not isinstance(raw_org, Mapping):
        raise ValueError("the contact's org must be an object (company, department, title)")
    org = _entry(raw_org, "org", None)
    for key in ("company", "department", "title"):
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            org[key] = value.strip()
    if org:
        card["org"] = org
    phones = _typed(fields.get("phones"), "phone", "CELL")
    phones += [{"phone": fax, "type": "FAX"} for fax in _strings(fields.get("fax"), "fax")]
    optional: dict[str, list[dict[str, Any]]] = {
        "phones": phones,
        "emails": _typed(fields.get("emails"), "email", "WORK"),
        "urls": _typed(fields.get("urls") or fields.get("websites"), "url", "WORK"),
        "addresses": _addresses(fields),
    }
    card.update({key: items for key, items in optional.items() if items})
    birthday = fields.get("birthday")
    if birthday:
        if not isinstance(birthday, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", birthday):
            raise ValueError("birthday must be YYYY-MM-DD")
        card["birthday"] = birthday
    return {"type": "contacts", "contacts": [card]}


# -- media and templates ---------------------------------------------------------------

MEDIA_KINDS = ("image", "document", "audio", "video", "sticker")
_CAPTIONED = ("image", "document", "video")


def media(
    kind: str,
    *,
    media_id: str | None = None,
    link: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """A media message by uploaded ``media_id`` or by public HTTPS ``link`` (one of them)."""
    if kind not in MEDIA_KINDS:
        raise ValueError(f"media kind must be one of {', '.join(MEDIA_KINDS)}, not {kind!r}")
    if (media_id is None) == (link is None):
        raise ValueError(f"a {kind} message needs exactly one of a media id or a link")
    content: dict[str, Any] = {}
    if media_id is not None:
        content["id"] = _text(media_id, "media id", 256)
    elif link is not None:
        if not link.startswith(("https://", "http://")):
            raise ValueError(f"a {kind} link must be an http(s) URL")
        content["link"] = link
    if caption is not None:
        if kind not in _CAPTIONED:
            raise ValueError(f"{kind} messages take no caption")
        content["caption"] = _text(caption, "caption", MAX_CAPTION)
    if filename is not None:
        if kind != "document":
            raise ValueError("only documents take a filename")
        content["filename"] = _text(filename, "filename", 240)
    return {"type": kind, kind: content}


def document(media_id: str, filename: str, caption: str | None = None) -> dict[str, Any]:
    """An uploaded document (``GraphClient.upload_media``), shown under ``filename``."""
    return media("document", media_id=media_id, filename=filename, caption=caption)


def template(name: str, language: str, parameters: Sequence[str]) -> dict[str, Any]:
    """An approved template by ``name`` and ``language`` (``ru``, ``en_US``), its body
    variables ``{{1}}``, ``{{2}}``… filled with ``parameters`` in order."""
    if not TEMPLATE_NAME_RE.fullmatch(name or "") or len(name) > MAX_TEMPLATE_NAME:
        raise ValueError(
            f"template name {name!r} must be lower-case letters, digits and underscores"
        )
    if not LANGUAGE_RE.fullmatch(language or ""):
        raise ValueError(f"template language {language!r} must be a code like ru or en_US")
    body: dict[str, Any] = {"name": name, "language": {"code": language}}
    values = []
    for n, value in enumerate(parameters, start=1):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"template parameter {n} must be a non-empty string")
        if _BAD_PARAM_TEXT.search(value):
            raise ValueError(
                f"template parameter {n} may not hold new lines, tabs or more than 4 spaces "
                "in a row (Meta refuses it with 132018)"
            )
        values.append({"type": "text", "text": value})
    if values:
        body["components"] = [{"type": "body", "parameters": values}]
    return {"type": "template", "template": body}


def text(body: str, *, preview_url: bool = False) -> dict[str, Any]:
    """A text message (``send_text`` checks the 4096-character limit)."""
    return {"type": "text", "text": {"preview_url": preview_url, "body": body}}
