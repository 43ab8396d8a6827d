"""Meta's webhook envelope split into the events we store, one per message, status and error.

Every level of the envelope is an array and one POST may carry several entries and changes.
The shape is checked strictly enough to refuse garbage (``MalformedDelivery``: nothing is
stored) and loosely enough that unknown message types and unknown fields pass through.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

from whatsapp_cloud.errors import DeliveryTooLarge, MalformedDelivery, NotThisChannel

_SUBJECT_SAFE = re.compile(r"[^A-Za-z0-9_-]")
# Meta's envelopes nest about a dozen levels; anything far deeper is garbage, and deep
# enough nesting breaks json.loads/json.dumps (RecursionError) here or in the worker.
MAX_DEPTH = 64
# Ids become Nats-Msg-Id headers, subjects and database keys (at most 256 and 64 chars).
MAX_ID_LENGTH = 256
MAX_PHONE_NUMBER_ID_LENGTH = 64
# Every message event carries its change's contacts[]: one big contacts array shared by
# thousands of tiny messages would multiply a 1 MB body into gigabytes of events.
MAX_REPEATED_CONTACTS_BYTES = 1_000_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A \uD800-\uDFFF escape: the only way a lone surrogate (unencodable as UTF-8) gets in.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# An integer literal orjson would turn into a float (past 64 bits: 20 digits or more). Also
# matches such digits inside strings; those bodies merely take the slower exact path.
_LONG_INTEGER = re.compile(rb"[:,\[]\s*-?\d{20}")


@dataclass(frozen=True)
class InboundEvent:
    """One event as stored in JetStream; ``event_id`` becomes ``Nats-Msg-Id``."""

    KINDS: ClassVar[tuple[str, ...]] = ("message", "status", "error", "other")

    kind: str  # one of KINDS
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
        try:
            return orjson.dumps(fields)
        except orjson.JSONEncodeError:  # an integer past 64 bits (kept exact by parse_body)
            return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()

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
        raise MalformedDelivery(f"{where} must be an array of objects")
    return value


def _refuse_constant(name: str) -> Any:
    raise MalformedDelivery(f"the body is not valid JSON: {name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise MalformedDelivery(f"the body is not valid JSON: {text[:40]} is out of range")
    return value


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``MalformedDelivery``: strict UTF-8 JSON (no NaN, no
    infinities, no lone surrogates), nested at most ``MAX_DEPTH`` levels.

    orjson reads the usual body; whatever it refuses, and integers it would round, go to the
    standard library's exact reading, which decides and says why."""
    body: Any = None
    if _LONG_INTEGER.search(raw) is None:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
    if body is None:
        body = _parse_exactly(raw)
    if not isinstance(body, dict):
        raise MalformedDelivery("the body must be a JSON object")
    strings = _SURROGATE_ESCAPE.search(raw) is not None
    # Fewer brackets than MAX_DEPTH (brackets in strings count too) cannot nest too deep.
    if strings or raw.count(b"{") + raw.count(b"[") > MAX_DEPTH:
        _check_tree(body, strings=strings)
    return body


def _parse_exactly(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
        body = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except UnicodeDecodeError as exc:
        raise MalformedDelivery(f"the body is not UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise MalformedDelivery(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedDelivery(f"the body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise MalformedDelivery(f"the body is not valid JSON: {exc}") from None
    return body


def _check_tree(body: Any, *, strings: bool) -> None:
    """Depth at most ``MAX_DEPTH``; with ``strings``, no key or value holds a lone surrogate
    (JSON allows the escape, UTF-8 cannot carry it: publishing would fail later)."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            items: Any = value.items()
        elif isinstance(value, list):
            items = ((None, v) for v in value)
        else:
            if strings and isinstance(value, str) and _LONE_SURROGATE.search(value):
                raise MalformedDelivery("the body holds a lone UTF-16 surrogate escape")
            continue
        if depth > MAX_DEPTH:
            raise MalformedDelivery(f"the body is nested deeper than {MAX_DEPTH} levels")
        for key, item in items:
            if strings and key is not None and _LONE_SURROGATE.search(key):
                raise MalformedDelivery("the body holds a lone UTF-16 surrogate escape")
            if isinstance(item, dict | list) or strings:
                stack.append((item, depth + 1))


def _id(value: Any, where: str, *, max_length: int = MAX_ID_LENGTH) -> str:
    """A non-empty id string that can be a NATS header value and a database key."""
    if not isinstance(value, str) or not value:
        raise MalformedDelivery(f"{where} must be a non-empty string")
    if len(value) > max_length or _CONTROL.search(value):
        raise MalformedDelivery(
            f"{where} must be at most {max_length} characters, without control characters"
        )
    return value


def split_envelope(
    body: dict[str, Any], *, now: float | None = None, channel_id: str = ""
) -> list[InboundEvent]:
    """All events of one webhook POST; ``MalformedDelivery`` if the envelope is misshapen."""
    if body.get("object") != "whatsapp_business_account":
        raise MalformedDelivery('"object" must be "whatsapp_business_account"')
    received = time.time() if now is None else now
    events: list[InboundEvent] = []
    budget = [MAX_REPEATED_CONTACTS_BYTES]  # bytes of repeated contacts left for this POST
    entries = _list_of_objects(body.get("entry"), "entry")
    if not entries:
        raise MalformedDelivery('"entry" must be a non-empty array')
    for i, entry in enumerate(entries):
        waba_id = str(entry.get("id", ""))
        changes = _list_of_objects(entry.get("changes"), f"entry[{i}].changes")
        for j, change in enumerate(changes):
            where = f"entry[{i}].changes[{j}]"
            value = change.get("value")
            field = change.get("field")
            if not isinstance(field, str) or not isinstance(value, dict):
                raise MalformedDelivery(f'{where} needs a string "field" and an object "value"')
            _id(field, f"{where}.field", max_length=64)  # part of the event id
            events.extend(
                _events_of_change(value, field, waba_id, received, where, channel_id, budget)
            )
    return events


def require_owner(body: dict[str, Any], *, phone_number_id: str, business_account_id: str) -> None:
    """``NotThisChannel`` unless every entry is for this WABA and every change that names a
    phone number names this one. A valid signature only proves the app: channels of one Meta app
    share its secret, so the ids in the payload must match the channel it was posted to.

    An empty ``business_account_id`` checks the phone number only (ids of phone numbers are
    unique across WABAs). Call after :func:`split_envelope`, which has checked the shape.
    """
    for i, entry in enumerate(body["entry"]):
        waba_id = str(entry.get("id", ""))
        if business_account_id and waba_id != business_account_id:
            raise NotThisChannel(
                f"entry[{i}].id {waba_id!r} is not this channel's WhatsApp business account"
            )
        for j, change in enumerate(entry.get("changes") or []):
            metadata = change["value"].get("metadata")
            if not isinstance(metadata, dict) or "phone_number_id" not in metadata:
                continue
            phone = str(metadata["phone_number_id"])
            if phone != phone_number_id:
                raise NotThisChannel(
                    f"entry[{i}].changes[{j}] is for phone number id {phone!r}, not this channel's"
                )


def owned_events(
    body: dict[str, Any],
    *,
    phone_number_id: str,
    business_account_id: str,
    channel_id: str = "",
    now: float | None = None,
) -> list[InboundEvent]:
    """The events of a delivery posted to one channel's route: :func:`split_envelope`, then
    :func:`require_owner` for that channel's phone number and WABA."""
    events = split_envelope(body, now=now, channel_id=channel_id)
    require_owner(body, phone_number_id=phone_number_id, business_account_id=business_account_id)
    return events


def _events_of_change(
    value: dict[str, Any],
    field: str,
    waba_id: str,
    received: float,
    where: str,
    channel_id: str,
    budget: list[int],
) -> list[InboundEvent]:
    raw_metadata = value.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    phone_number_id = str(metadata.get("phone_number_id", ""))
    if len(phone_number_id) > MAX_PHONE_NUMBER_ID_LENGTH:
        raise MalformedDelivery(
            f"{where}.value.metadata.phone_number_id is longer than "
            f"{MAX_PHONE_NUMBER_ID_LENGTH} characters"
        )
    common: dict[str, Any] = {
        "phone_number_id": phone_number_id,
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
    messages = _list_of_objects(value.get("messages"), f"{where}.value.messages")
    events = []
    for k, msg in enumerate(messages):
        at = f"{where}.value.messages[{k}]"
        msg_id = _id(msg.get("id"), f"{at}.id")
        for key in ("from", "from_user_id"):
            if msg.get(key) is not None and not isinstance(msg[key], str):
                raise MalformedDelivery(f"{at}.{key} must be a string")
        events.append(
            InboundEvent(
                kind="message", event_id=f"msg:{msg_id}", data=msg, contacts=contacts, **common
            )
        )
    if contacts and len(messages) > 1:
        repeated = len(json.dumps(contacts, ensure_ascii=False).encode()) * len(messages)
        if repeated > budget[0]:
            raise DeliveryTooLarge(
                f"{where}: its contacts, repeated in each of its {len(messages)} messages, "
                f"would make {repeated} bytes of events"
            )
        budget[0] -= repeated
    for k, status in enumerate(_list_of_objects(value.get("statuses"), f"{where}.value.statuses")):
        at = f"{where}.value.statuses[{k}]"
        wamid, state = status.get("id"), status.get("status")
        if not isinstance(wamid, str) or not isinstance(state, str):
            raise MalformedDelivery(f'{at} needs string "id" and "status"')
        _id(wamid, f"{at}.id")
        _id(state, f"{at}.status", max_length=32)
        events.append(
            InboundEvent(kind="status", event_id=f"status:{wamid}:{state}", data=status, **common)
        )
    for error in _list_of_objects(value.get("errors"), f"{where}.value.errors"):
        events.append(
            InboundEvent(kind="error", event_id=f"error:{_digest(error)}", data=error, **common)
        )
    return events
