"""Meta's webhook envelope split into the events we store, one per message, status and error.

Every level of the envelope is an array and one POST may carry several entries and changes.
The shape is checked strictly enough to refuse garbage (400, nothing published) and loosely
enough that unknown message types and unknown fields pass through untouched.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from gateway.errors import BadRequest, Forbidden

_SUBJECT_SAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class InboundEvent:
    """One event as stored in JetStream; ``event_id`` becomes ``Nats-Msg-Id``."""

    kind: str  # message | status | error | other
    event_id: str
    phone_number_id: str
    data: dict[str, Any]
    field: str = "messages"
    waba_id: str = ""
    display_phone_number: str = ""
    contacts: tuple[dict[str, Any], ...] = ()
    received_at: float = 0.0
    # The registry channel whose webhook route received it; "" on the single-channel route.
    channel_id: str = ""

    def subject(self, prefix: str) -> str:
        phone = _SUBJECT_SAFE.sub("_", self.phone_number_id) or "unknown"
        return f"{prefix}.{phone}.{self.kind}"

    def to_json(self) -> bytes:
        fields: dict[str, Any] = {
            "kind": self.kind,
            "event_id": self.event_id,
            "field": self.field,
            "phone_number_id": self.phone_number_id,
            "waba_id": self.waba_id,
            "display_phone_number": self.display_phone_number,
            "contacts": list(self.contacts),
            "data": self.data,
            "received_at": self.received_at,
        }
        if self.channel_id:  # single-channel events stay exactly as they were
            fields["channel_id"] = self.channel_id
        return json.dumps(
            fields,
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> InboundEvent:
        d = json.loads(raw)
        return cls(
            kind=d["kind"],
            event_id=d["event_id"],
            field=d.get("field", "messages"),
            phone_number_id=d.get("phone_number_id", ""),
            waba_id=d.get("waba_id", ""),
            display_phone_number=d.get("display_phone_number", ""),
            contacts=tuple(d.get("contacts") or ()),
            data=d["data"],
            received_at=float(d.get("received_at") or 0),
            channel_id=str(d.get("channel_id") or ""),
        )


def _digest(obj: Any) -> str:
    canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _list_of_objects(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadRequest(f"{where} must be an array of objects")
    return value


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def split_envelope(
    body: dict[str, Any], *, now: float | None = None, channel_id: str = ""
) -> list[InboundEvent]:
    """All events of one webhook POST, or ``BadRequest`` if the envelope has the wrong shape."""
    if body.get("object") != "whatsapp_business_account":
        raise BadRequest('"object" must be "whatsapp_business_account"')
    received = time.time() if now is None else now
    events: list[InboundEvent] = []
    entries = _list_of_objects(body.get("entry"), "entry")
    if not entries:
        raise BadRequest('"entry" must be a non-empty array')
    for i, entry in enumerate(entries):
        waba_id = str(entry.get("id", ""))
        changes = _list_of_objects(entry.get("changes"), f"entry[{i}].changes")
        for j, change in enumerate(changes):
            where = f"entry[{i}].changes[{j}]"
            value = change.get("value")
            field = change.get("field")
            if not isinstance(field, str) or not isinstance(value, dict):
                raise BadRequest(f'{where} needs a string "field" and an object "value"')
            events.extend(_events_of_change(value, field, waba_id, received, where, channel_id))
    return events


def require_owner(body: dict[str, Any], *, phone_number_id: str, business_account_id: str) -> None:
    """``Forbidden`` unless every entry is for this WABA and every change that names a phone
    number names this one. A valid signature only proves the app: channels of one Meta app
    share its secret, so the ids in the payload must match the channel it was posted to.

    Call after :func:`split_envelope`, which has checked the shape.
    """
    for i, entry in enumerate(body["entry"]):
        waba_id = str(entry.get("id", ""))
        if waba_id != business_account_id:
            raise Forbidden(
                f"entry[{i}].id {waba_id!r} is not this channel's WhatsApp business account"
            )
        for j, change in enumerate(entry.get("changes") or []):
            metadata = change["value"].get("metadata")
            if not isinstance(metadata, dict) or "phone_number_id" not in metadata:
                continue
            phone = str(metadata["phone_number_id"])
            if phone != phone_number_id:
                raise Forbidden(
                    f"entry[{i}].changes[{j}] is for phone number id {phone!r}, not this channel's"
                )


def _events_of_change(
    value: dict[str, Any],
    field: str,
    waba_id: str,
    received: float,
    where: str,
    channel_id: str,
) -> list[InboundEvent]:
    metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
    common = {
        "phone_number_id": str(metadata.get("phone_number_id", "")),
        "display_phone_number": str(metadata.get("display_phone_number", "")),
        "waba_id": waba_id,
        "field": field,
        "received_at": received,
        "channel_id": channel_id,
    }
    if field != "messages":
        # Account, template and other webhooks: recorded as they are.
        return [
            InboundEvent(
                kind="other", event_id=f"other:{field}:{_digest(value)}", data=value, **common
            )
        ]
    contacts = tuple(_list_of_objects(value.get("contacts"), f"{where}.value.contacts"))
    events = []
    for k, msg in enumerate(_list_of_objects(value.get("messages"), f"{where}.value.messages")):
        msg_id = msg.get("id")
        if not isinstance(msg_id, str) or not msg_id:
            raise BadRequest(f'{where}.value.messages[{k}] has no "id"')
        events.append(
            InboundEvent(
                kind="message", event_id=f"msg:{msg_id}", data=msg, contacts=contacts, **common
            )
        )
    for k, status in enumerate(_list_of_objects(value.get("statuses"), f"{where}.value.statuses")):
        wamid, state = status.get("id"), status.get("status")
        if not isinstance(wamid, str) or not isinstance(state, str):
            raise BadRequest(f'{where}.value.statuses[{k}] needs string "id" and "status"')
        events.append(
            InboundEvent(kind="status", event_id=f"status:{wamid}:{state}", data=status, **common)
        )
    for error in _list_of_objects(value.get("errors"), f"{where}.value.errors"):
        events.append(
            InboundEvent(kind="error", event_id=f"error:{_digest(error)}", data=error, **common)
        )
    return events
