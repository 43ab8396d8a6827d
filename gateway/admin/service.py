"""Admin sends: free-form messages only inside the 24-hour customer-service window, templates
at any time, and at most once per ``Idempotency-Key``.

The window is judged from our records (the recipient's ``last_inbound_at`` in the channel)
and, should Meta disagree, from its 131047: then the request's template goes instead, or
the send is refused with :class:`TemplateNeeded`.

Idempotency is durable: the key (hashed with the channel) is the unique
``idempotency_key`` of the ``outbound_messages`` row, claimed (``sending``) before the call
to Meta and completed with the wamid after it; a failed send gives the claim back. The same
key again finds the row: the same request gets the first answer without a second send, a
different one (another recipient, channel or message) is :class:`KeyReused`, and one that
comes while the first is still being sent is :class:`SendInProgress`.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.admin.channels import Channel, Channels
from gateway.admin.schemas import SendRequest
from gateway.db import transaction
from gateway.models import DEFAULT_CHANNEL, OutboundMessage, User
from whatsapp_cloud import messages as wa
from whatsapp_cloud.errors import OutsideCustomerWindow

CUSTOMER_WINDOW = timedelta(hours=24)
TEMPLATE_NEEDED = (
    "{to} has not written to this number in the last 24 hours, so WhatsApp only accepts an "
    "approved message template now (Meta error 131047): send a `template` (name, language, "
    "parameters), alone or alongside the message, instead of a free-form message"
)


class TemplateNeeded(Exception):
    """Outside the recipient's window: by our records, or by Meta's answer (131047)."""

    def __init__(self, to: str) -> None:
        super().__init__(TEMPLATE_NEEDED.format(to=to))


class KeyReused(Exception):
    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used for a different request (another "
            "recipient, channel or message): use a new key for a new message"
        )


class SendInProgress(Exception):
    def __init__(self) -> None:
        super().__init__(
            "a send with this Idempotency-Key is still in progress (or was interrupted); "
            "retry with the same key later to get its result"
        )


@dataclass(frozen=True)
class Sent:
    wamid: str
    type: str
    channel: str
    replayed: bool = False


def last_inbound(
    session: Session, wa_id: str, channel_id: str = DEFAULT_CHANNEL
) -> datetime | None:
    """When ``wa_id`` last wrote to the channel's number."""
    stmt = select(User.last_inbound_at).where(User.wa_id == wa_id, User.channel_id == channel_id)
    stamps = session.scalars(stmt).all()
    known = [s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps if s is not None]
    return max(known, default=None)


def inside_window(
    session: Session,
    wa_id: str,
    now: datetime | None = None,
    channel_id: str = DEFAULT_CHANNEL,
) -> bool:
    last = last_inbound(session, wa_id, channel_id)
    now = now or datetime.now(UTC)
    return last is not None and now - last < CUSTOMER_WINDOW


def stored_key(channel_id: str, key: str) -> str:
    """The row's ``idempotency_key``: per channel, and of a fixed length whatever the key."""
    return "admin:" + hashlib.sha256(f"{channel_id}\n{key}".encode()).hexdigest()


def readable(message: dict[str, Any]) -> str:
    """The ``body`` kept for people reading the table: the text, or what was sent."""
    kind = message["type"]
    content = message[kind]
    if kind == "text":
        return str(content["body"])
    if kind == "template":
        parameters = [
            p["text"] for c in content.get("components", []) for p in c.get("parameters", [])
        ]
        head = f"[template {content['name']}/{content['language']['code']}]"
        return " ".join([head, *parameters])
    if kind == "contacts":
        return "[contact] " + ", ".join(c["name"]["formatted_name"] for c in content)
    label = content.get("filename") or content.get("id") or content.get("link") or ""
    caption = content.get("caption")
    return f"[{kind}] {label}" + (f" — {caption}" if caption else "")


def _as_row(message: dict[str, Any]) -> dict[str, Any]:
    """Text goes in ``body`` alone, as before; any other message in ``payload`` too."""
    payload = None if message["type"] == "text" else message
    return {"body": readable(message), "payload": payload}


def _sent_message(row: OutboundMessage) -> dict[str, Any]:
    return row.payload if row.payload is not None else wa.text(row.body or "")


class AdminSender:
    """Send a message as the business and record it. Raises ``TemplateNeeded``,
    ``KeyReused``, ``SendInProgress``, or the Graph client's errors."""

    def __init__(self, sessions: sessionmaker[Session], channels: Channels) -> None:
        self.sessions = sessions
        self.channels = channels

    async def send(self, request: SendRequest, channel: Channel, key: str | None = None) -> Sent:
        free, template = request.free_form(), request.template_message()
        candidates = [m for m in (free, template) if m is not None]
        row_key = stored_key(channel.id, key) if key is not None else None
        if row_key is not None:
            earlier = await asyncio.to_thread(
                self._earlier, row_key, request.to, channel, candidates
            )
            if earlier is not None:
                return earlier
        inside = await asyncio.to_thread(self._inside_window, request.to, channel.id)
        message = free if free is not None and inside else template
        if message is None:
            raise TemplateNeeded(request.to)
        claim: int | None = None
        if row_key is not None:
            claim = await asyncio.to_thread(self._claim, row_key, request.to, channel, message)
            if claim is None:  # another request with this key got there first
                earlier = await asyncio.to_thread(
                    self._earlier, row_key, request.to, channel, candidates
                )
                if earlier is not None:
                    return earlier
                raise SendInProgress
        try:
            message, wamid = await self._deliver(request.to, channel, message, template, row_key)
        except BaseException:
            if claim is not None:
                await asyncio.to_thread(self._release, claim)
            raise
        await asyncio.to_thread(self._record, claim, wamid, request.to, channel, message)
        return Sent(wamid, message["type"], channel.id)

    async def _deliver(
        self,
        to: str,
        channel: Channel,
        message: dict[str, Any],
        template: dict[str, Any] | None,
        key: str | None,
    ) -> tuple[dict[str, Any], str]:
        async with self.channels.graph(channel) as graph:
            try:
                return message, await graph.send_message(to, message, idempotency_key=key)
            except OutsideCustomerWindow:
                # Meta knows of no message from them in 24 h, whatever our records say.
                if template is None or message is template:
                    raise TemplateNeeded(to) from None
            return template, await graph.send_message(to, template, idempotency_key=key)

    # The database is synchronous: these run in the thread pool, off the event loop.

    def _inside_window(self, to: str, channel_id: str) -> bool:
        with self.sessions() as session:
            return inside_window(session, to, channel_id=channel_id)

    def _earlier(
        self, row_key: str, to: str, channel: Channel, candidates: list[dict[str, Any]]
    ) -> Sent | None:
        """The first answer for this key, if it was this request's; None if the key is new."""
        with self.sessions() as session:
            row = session.scalar(
                select(OutboundMessage).where(OutboundMessage.idempotency_key == row_key)
            )
            if row is None:
                return None
            same = row.channel_id == channel.id and row.to_wa_id == to
            if not same or _sent_message(row) not in candidates:
                raise KeyReused
            if row.wamid is None:
                raise SendInProgress
            return Sent(row.wamid, _sent_message(row)["type"], channel.id, replayed=True)

    def _claim(
        self, row_key: str, to: str, channel: Channel, message: dict[str, Any]
    ) -> int | None:
        try:
            with transaction(self.sessions) as session:
                row = OutboundMessage(
                    idempotency_key=row_key,
                    channel_id=channel.id,
                    phone_number_id=channel.phone_number_id,
                    to_wa_id=to,
                    kind="admin",
                    status="sending",
                    status_rank=0,
                    **_as_row(message),
                )
                session.add(row)
                session.flush()
                return row.id
        except IntegrityError:
            return None

    def _release(self, row_id: int) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                delete(OutboundMessage).where(
                    OutboundMessage.id == row_id, OutboundMessage.wamid.is_(None)
                )
            )

    def _record(
        self, claim: int | None, wamid: str, to: str, channel: Channel, message: dict[str, Any]
    ) -> None:
        with transaction(self.sessions) as session:
            row = session.get(OutboundMessage, claim) if claim is not None else None
            if row is None:
                row = OutboundMessage(
                    channel_id=channel.id,
                    phone_number_id=channel.phone_number_id,
                    to_wa_id=to,
                    kind="admin",
                )
                session.add(row)
            for name, value in _as_row(message).items():
                setattr(row, name, value)
            row.wamid = wamid
            row.status = "sent"
            row.status_rank = 1
            row.status_at = datetime.now(UTC)
