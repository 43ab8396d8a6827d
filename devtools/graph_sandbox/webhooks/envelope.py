"""Statuses, contacts, the notification envelope, and its encoding and signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

from graph_sandbox.webhooks.messages import DEFAULT_DISPLAY_PHONE, DEFAULT_WABA_ID, error, now_ts


def status(
    wamid: str,
    recipient_id: str | None,
    status: str,
    *,
    timestamp: str | int | None = None,
    errors: list[dict[str, Any]] | None = None,
    recipient_user_id: str | None = None,
    biz_opaque_callback_data: str | None = None,
    conversation_id: str | None = None,
    category: str = "service",
) -> dict[str, Any]:
    """A ``statuses[]`` item: ``sent``, ``delivered``, ``read`` or ``failed`` (with errors)."""
    if status not in ("sent", "delivered", "read", "failed"):
        raise ValueError(f"unknown status {status!r}")
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp) if timestamp is not None else now_ts(),
    }
    if recipient_id is not None:
        item["recipient_id"] = recipient_id
    if recipient_user_id is not None:
        item["recipient_user_id"] = recipient_user_id
    if biz_opaque_callback_data is not None:
        item["biz_opaque_callback_data"] = biz_opaque_callback_data
    if status in ("sent", "delivered"):
        conversation: dict[str, Any] = {
            "id": conversation_id or secrets.token_hex(16),
            "origin": {"type": category},
        }
        if status == "sent":
            conversation["expiration_timestamp"] = str(int(time.time()) + 24 * 3600)
        item["conversation"] = conversation
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": category}
    if status == "failed":
        item["errors"] = errors or [
            error(131026, "Message undeliverable", "Message Undeliverable.")
        ]
    return item


def contact(
    wa_id: str | None,
    name: str,
    *,
    user_id: str | None = None,
    username: str | None = None,
) -> dict[str, Any]:
    """A ``contacts[]`` item: who sent the messages of the notification."""
    if wa_id is None and user_id is None:
        raise ValueError("a contact needs a wa_id, a user_id, or both")
    profile: dict[str, Any] = {"name": name}
    if username is not None:
        profile["username"] = username
    item: dict[str, Any] = {"profile": profile}
    if wa_id is not None:
        item["wa_id"] = wa_id
    if user_id is not None:
        item["user_id"] = user_id
    return item


def envelope(
    phone_number_id: str,
    *,
    messages: Sequence[dict[str, Any]] = (),
    statuses: Sequence[dict[str, Any]] = (),
    contacts: Sequence[dict[str, Any]] = (),
    errors: Sequence[dict[str, Any]] = (),
    display_phone_number: str = DEFAULT_DISPLAY_PHONE,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """One notification with one entry and one ``messages`` change.

    Meta leaves out the arrays that have nothing in them. For several changes or entries
    in one POST, merge the ``entry`` lists of several envelopes (``merge()``).
    """
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
    }
    for key, items in (
        ("contacts", contacts),
        ("messages", messages),
        ("statuses", statuses),
        ("errors", errors),
    ):
        if items:
            value[key] = list(items)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": "messages"}]}],
    }


def merge(*payloads: dict[str, Any]) -> dict[str, Any]:
    """One notification carrying the entries of several (Meta batches like this)."""
    return {
        "object": "whatsapp_business_account",
        "entry": [entry for payload in payloads for entry in payload["entry"]],
    }


def encode(payload: dict[str, Any], *, ascii_only: bool = True) -> bytes:
    """The bytes to POST: compact JSON; non-ASCII escaped as ``\\uXXXX`` like Meta's.

    A receiver must verify and parse these bytes as they are; ``ascii_only=False`` gives
    raw UTF-8 to check that it does not depend on either form.
    """
    return json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":")).encode()


def sign(body: bytes, app_secret: str) -> str:
    """``X-Hub-Signature-256`` for ``body``: HMAC-SHA256 of the raw bytes with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
