"""``messages[]`` items of Meta's webhook notifications, one builder per message type."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Sequence
from typing import Any

DEFAULT_WABA_ID = "102290129340398"
DEFAULT_DISPLAY_PHONE = "15550000000"
ERROR_CODES_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def new_wamid() -> str:
    return (
        "wamid." + base64.b64encode(b"\x15\x02\x00\x12\x18\x14" + secrets.token_bytes(18)).decode()
    )


def now_ts() -> str:
    return str(int(time.time()))


def sha256_b64(data: bytes) -> str:
    """The media digest as webhooks carry it (base64; the media endpoint answers hex)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _message(
    wa_id: str | None,
    type_: str,
    content: Any,
    *,
    msg_id: str | None,
    timestamp: str | int | None,
    user_id: str | None,
    context_id: str | None = None,
    context_from: str | None = None,
) -> dict[str, Any]:
    if wa_id is None and user_id is None:
        raise ValueError("a message needs a wa_id, a user_id, or both")
    message: dict[str, Any] = {}
    if wa_id is not None:
        message["from"] = wa_id
    if user_id is not None:
        message["from_user_id"] = user_id
    message["id"] = msg_id or new_wamid()
    message["timestamp"] = str(timestamp) if timestamp is not None else now_ts()
    if context_id is not None:
        message["context"] = {"from": context_from or DEFAULT_DISPLAY_PHONE, "id": context_id}
    # Meta's key order: the content object, then "type".
    if content is not None:
        message[type_] = content
    message["type"] = type_
    return message


def text_message(
    wa_id: str | None,
    body: str,
    *,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
    context_id: str | None = None,
) -> dict[str, Any]:
    return _message(
        wa_id, "text", {"body": body},
        msg_id=msg_id, timestamp=timestamp, user_id=user_id, context_id=context_id,
    )  # fmt: skip


def _media(
    kind: str,
    wa_id: str | None,
    media_id: str,
    *,
    mime_type: str,
    sha256: str,
    extra: dict[str, Any],
    msg_id: str | None,
    timestamp: str | int | None,
    user_id: str | None,
) -> dict[str, Any]:
    content: dict[str, Any] = {"mime_type": mime_type, "sha256": sha256, "id": media_id}
    content.update({k: v for k, v in extra.items() if v is not None})
    return _message(wa_id, kind, content, msg_id=msg_id, timestamp=timestamp, user_id=user_id)


def image_message(
    wa_id: str | None,
    media_id: str,
    *,
    sha256: str,
    mime_type: str = "image/jpeg",
    caption: str | None = None,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return _media(
        "image", wa_id, media_id, mime_type=mime_type, sha256=sha256,
        extra={"caption": caption}, msg_id=msg_id, timestamp=timestamp, user_id=user_id,
    )  # fmt: skip


def document_message(
    wa_id: str | None,
    media_id: str,
    *,
    sha256: str,
    mime_type: str = "application/pdf",
    filename: str | None = None,
    caption: str | None = None,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return _media(
        "document", wa_id, media_id, mime_type=mime_type, sha256=sha256,
        extra={"caption": caption, "filename": filename},
        msg_id=msg_id, timestamp=timestamp, user_id=user_id,
    )  # fmt: skip


def audio_message(
    wa_id: str | None,
    media_id: str,
    *,
    sha256: str,
    mime_type: str = "audio/ogg; codecs=opus",
    voice: bool = True,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return _media(
        "audio", wa_id, media_id, mime_type=mime_type, sha256=sha256,
        extra={"voice": voice}, msg_id=msg_id, timestamp=timestamp, user_id=user_id,
    )  # fmt: skip


def video_message(
    wa_id: str | None,
    media_id: str,
    *,
    sha256: str,
    mime_type: str = "video/mp4",
    caption: str | None = None,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return _media(
        "video", wa_id, media_id, mime_type=mime_type, sha256=sha256,
        extra={"caption": caption}, msg_id=msg_id, timestamp=timestamp, user_id=user_id,
    )  # fmt: skip


def sticker_message(
    wa_id: str | None,
    media_id: str,
    *,
    sha256: str,
    animated: bool = False,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return _media(
        "sticker", wa_id, media_id, mime_type="image/webp", sha256=sha256,
        extra={"animated": animated}, msg_id=msg_id, timestamp=timestamp, user_id=user_id,
    )  # fmt: skip


def location_message(
    wa_id: str | None,
    latitude: float,
    longitude: float,
    *,
    name: str | None = None,
    address: str | None = None,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if name is not None:
        content["name"] = name
    if address is not None:
        content["address"] = address
    return _message(wa_id, "location", content, msg_id=msg_id, timestamp=timestamp, user_id=user_id)


def shared_contact(
    formatted_name: str,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    company: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """One card of a ``contacts`` message (a contact the user shared from their phone)."""
    name: dict[str, Any] = {"formatted_name": formatted_name}
    if first_name:
        name["first_name"] = first_name
    if last_name:
        name["last_name"] = last_name
    card: dict[str, Any] = {"name": name}
    if phones:
        card["phones"] = [{"phone": p, "type": "CELL"} for p in phones]
    if emails:
        card["emails"] = [{"email": e, "type": "WORK"} for e in emails]
    if company or title:
        card["org"] = {k: v for k, v in (("company", company), ("title", title)) if v}
    return card


def contacts_message(
    wa_id: str | None,
    cards: list[dict[str, Any]],
    *,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return _message(wa_id, "contacts", cards, msg_id=msg_id, timestamp=timestamp, user_id=user_id)


def interactive_reply(
    wa_id: str | None,
    reply_id: str,
    title: str,
    *,
    context_id: str,
    context_from: str | None = None,
    list_reply: bool = False,
    description: str | None = None,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """The user tapped a reply button (or picked a list row) of our interactive message
    ``context_id``, sent from ``context_from`` (the business number; a default one)."""
    kind = "list_reply" if list_reply else "button_reply"
    reply: dict[str, Any] = {"id": reply_id, "title": title}
    if list_reply and description is not None:
        reply["description"] = description
    return _message(
        wa_id, "interactive", {"type": kind, kind: reply},
        msg_id=msg_id, timestamp=timestamp, user_id=user_id,
        context_id=context_id, context_from=context_from,
    )  # fmt: skip


def button_message(
    wa_id: str | None,
    payload: str,
    text: str,
    *,
    context_id: str,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """The user tapped a quick-reply button of a template."""
    return _message(
        wa_id, "button", {"payload": payload, "text": text},
        msg_id=msg_id, timestamp=timestamp, user_id=user_id, context_id=context_id,
    )  # fmt: skip


def reaction_message(
    wa_id: str | None,
    message_id: str,
    emoji: str | None,
    *,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """A reaction to ``message_id``; ``emoji=None`` is a removed reaction (no emoji key)."""
    content: dict[str, Any] = {"message_id": message_id}
    if emoji is not None:
        content["emoji"] = emoji
    return _message(wa_id, "reaction", content, msg_id=msg_id, timestamp=timestamp, user_id=user_id)


def unsupported_message(
    wa_id: str | None,
    *,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """What Meta sends for a message type the Cloud API does not support (code 131051)."""
    message = _message(
        wa_id, "unsupported", None, msg_id=msg_id, timestamp=timestamp, user_id=user_id
    )
    message["errors"] = [
        error(131051, "Message type unknown", "Message type is currently not supported.")
    ]
    return message


def unknown_type_message(
    wa_id: str | None,
    type_: str,
    content: Any,
    *,
    msg_id: str | None = None,
    timestamp: str | int | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    """A type this code base has never heard of (Meta adds types over time)."""
    return _message(wa_id, type_, content, msg_id=msg_id, timestamp=timestamp, user_id=user_id)


def error(code: int, title: str, details: str) -> dict[str, Any]:
    """One ``errors[]`` item, as in statuses, messages and ``value.errors``."""
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": ERROR_CODES_HREF,
    }
