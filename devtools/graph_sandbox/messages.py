"""Validation of ``POST /{version}/{phone-number-id}/messages`` bodies, as Meta checks them.

Two kinds of body share the endpoint: a message send, and a read receipt
(``{"status": "read", "message_id": …}``, optionally with ``typing_indicator``).
A missing or mistyped field is error 100 (invalid parameter), a value outside Meta's limits
131009 (see ``interactive``), each with a ``details`` that names the field; templates are
checked against the WABA's approved ones (``templates``: 132001, 132000, 132018).
The 24-hour window (131047) is the endpoint's, after validation (``window``).
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from typing import Any

from graph_sandbox.errors import invalid_parameter, invalid_value
from graph_sandbox.interactive import validate_contacts, validate_interactive
from graph_sandbox.media import MediaStore
from graph_sandbox.templates import Templates, validate_template

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")
SEND_TYPES = ("text", "template", "reaction", "interactive", "contacts", *MEDIA_TYPES)
CAPTIONED = ("image", "document", "video")
MAX_CAPTION = 1024
PHONE_RE = re.compile(r"\+?[0-9][0-9 ()-]{4,30}")
# Business-scoped user id: ISO country code, a dot, then alphanumerics (e.g. US.1349…).
BSUID_RE = re.compile(r"[A-Z]{2}\.[A-Za-z0-9.]{1,140}")
MAX_OPAQUE_LEN = 512


def new_wamid() -> str:
    return (
        "wamid." + base64.b64encode(b"\x15\x02\x00\x11\x18\x12" + secrets.token_bytes(18)).decode()
    )


def _require(obj: dict[str, Any], key: str, name: str | None = None) -> Any:
    if obj.get(key) in (None, ""):
        raise invalid_parameter(f"The parameter {name or key} is required.")
    return obj[key]


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid_parameter(f"Param {name} must be a JSON object.")
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise invalid_parameter(f"Param {name} must be a string.")
    return value


def validate_read(body: dict[str, Any]) -> dict[str, Any]:
    if body["status"] != "read":
        got = body["status"]
        raise invalid_parameter(f'Param status must be one of {{READ}} - got "{got}".')
    message_id = _string(_require(body, "message_id"), "message_id")
    typing = False
    if "typing_indicator" in body:
        indicator = _object(body["typing_indicator"], "typing_indicator")
        if indicator.get("type") != "text":
            raise invalid_parameter("Param typing_indicator['type'] must be one of {TEXT}.")
        typing = True
    return {"kind": "read", "message_id": message_id, "typing": typing}


def _validate_text(content: dict[str, Any], max_len: int) -> None:
    text = _string(_require(content, "body", "text['body']"), "text['body']")
    if len(text) > max_len:
        raise invalid_parameter(f"Param text['body'] must be at most {max_len} characters long.")
    if "preview_url" in content and not isinstance(content["preview_url"], bool):
        raise invalid_parameter("Param text['preview_url'] must be a boolean.")


def _validate_media(kind: str, content: dict[str, Any], media: MediaStore, phone_id: str) -> None:
    has_id, has_link = "id" in content, "link" in content
    if has_id == has_link:
        raise invalid_parameter(f"Param {kind} must have exactly one of id or link.")
    if has_id:
        stored = media.get(_string(content["id"], f"{kind}['id']"))
        if stored is None or stored.phone_number_id != phone_id:
            raise invalid_parameter(f"Param {kind}['id'] is not a valid media id for this number.")
    else:
        link = _string(content["link"], f"{kind}['link']")
        if not link.startswith(("https://", "http://")):
            raise invalid_parameter(f"Param {kind}['link'] must be an http(s) URL.")
    if "caption" in content:
        if kind not in CAPTIONED:
            raise invalid_parameter(
                f"Param {kind}['caption'] is not supported for {kind} messages."
            )
        caption = _string(content["caption"], f"{kind}['caption']")
        if len(caption) > MAX_CAPTION:
            raise invalid_value(
                f"{kind}['caption']: length invalid. Max length: {MAX_CAPTION}; got {len(caption)}."
            )
    if "filename" in content:
        if kind != "document":
            raise invalid_parameter(f"Param {kind}['filename'] is only supported for documents.")
        _string(content["filename"], f"{kind}['filename']")


def _validate_recipient(value: Any) -> str:
    to = _string(value, "to")
    if not (PHONE_RE.fullmatch(to) or BSUID_RE.fullmatch(to)):
        raise invalid_parameter(f'Param to is not a valid phone number or user id: "{to}".')
    return to


def wa_id_of(to: str) -> str:
    return to if BSUID_RE.fullmatch(to) else re.sub(r"\D", "", to)


def validate_send(
    body: dict[str, Any],
    *,
    media: MediaStore,
    phone_number_id: str,
    max_text_len: int,
    templates: Templates | None = None,
    waba_id: str = "",
) -> dict[str, Any]:
    recipient_type = body.get("recipient_type", "individual")
    if recipient_type != "individual":
        raise invalid_parameter(
            f'Param recipient_type must be one of {{INDIVIDUAL}} - got "{recipient_type}".'
        )
    to = _validate_recipient(_require(body, "to"))
    kind = body.get("type", "text")
    if kind not in SEND_TYPES:
        allowed = ", ".join(SEND_TYPES)
        raise invalid_parameter(f'Param type must be one of {{{allowed}}} - got "{kind}".')
    if kind == "contacts":
        content: Any = _require(body, kind)
        readable: str | None = validate_contacts(content)
    else:
        content = _object(_require(body, kind), kind)
        readable = _validate_content(
            kind, content, media=media, phone_number_id=phone_number_id,
            max_text_len=max_text_len, templates=templates or Templates(), waba_id=waba_id,
        )  # fmt: skip
    context = None
    if "context" in body:
        context = _object(body["context"], "context")
        _string(_require(context, "message_id", "context['message_id']"), "context['message_id']")
    opaque = body.get("biz_opaque_callback_data")
    if opaque is not None and (not isinstance(opaque, str) or len(opaque) > MAX_OPAQUE_LEN):
        raise invalid_parameter(
            "Param biz_opaque_callback_data must be a string of at most "
            f"{MAX_OPAQUE_LEN} characters."
        )
    return {
        "kind": "message",
        "to": to,
        "type": kind,
        kind: content,
        "context": context,
        "biz_opaque_callback_data": opaque,
        "body": readable,
    }


def _validate_content(
    kind: str,
    content: dict[str, Any],
    *,
    media: MediaStore,
    phone_number_id: str,
    max_text_len: int,
    templates: Templates,
    waba_id: str,
) -> str | None:
    """Check one message's content; the readable part the record keeps (text, caption,
    interactive body, rendered template)."""

    def media_check(media_kind: str, media_content: dict[str, Any]) -> None:
        _validate_media(media_kind, media_content, media, phone_number_id)

    if kind == "text":
        _validate_text(content, max_text_len)
        return str(content["body"])
    if kind in MEDIA_TYPES:
        media_check(kind, content)
        caption = content.get("caption")
        return caption if isinstance(caption, str) else None
    if kind == "interactive":
        return validate_interactive(content, media_check)
    if kind == "template":
        approved, values = validate_template(content, templates, waba_id)
        return approved.render(values)
    _require(content, "message_id", "reaction['message_id']")
    return None


def validate(body: Any, **kwargs: Any) -> dict[str, Any]:
    body = _object(body, "the request body")
    if body.get("messaging_product") != "whatsapp":
        raise invalid_parameter(
            'The parameter messaging_product is required and must be "whatsapp".'
        )
    if "status" in body:
        return validate_read(body)
    return validate_send(body, **kwargs)


def accept(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored record (with id and timestamp) and Meta's response for a valid body."""
    stamped = {**record, "timestamp": time.time()}
    if record["kind"] == "read":
        stamped.update(id=record["message_id"], to=None, type=None, context=None, body=None)
        return stamped, {"success": True}
    wamid = new_wamid()
    stamped["id"] = wamid
    stamped["typing"] = False
    message: dict[str, Any] = {"id": wamid}
    if record["type"] == "template":
        message["message_status"] = "accepted"
    response = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": record["to"], "wa_id": wa_id_of(record["to"])}],
        "messages": [message],
    }
    return stamped, response
