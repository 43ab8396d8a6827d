"""What the worker does with each inbound event. Work that talks to the outside (media,
card reading) happens first; everything it produced is committed in one transaction with the
inbound message's unique id; replies go out after the commit and are recorded as sent."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import count_contacts, upsert_contact
from gateway.metrics import CARD_READS, CARD_SECONDS, STATUS_UPDATES, record_message
from gateway.models import CardImage, InboundMessage, OutboundMessage
from gateway.reader_pool import ReaderCrashed
from gateway.whatsapp import replies
from gateway.whatsapp.client import GraphClient
from gateway.whatsapp.errors import GraphApiError, MediaError
from gateway.whatsapp.events import InboundEvent
from gateway.whatsapp.outbound import (
    apply_status,
    claim_notice,
    claim_replies,
    plan_replies,
    record_sent,
    release,
    seconds_until_claimable,
)
from gateway.whatsapp.phone_regions import fallback_regions
from gateway.whatsapp.shared_contacts import fields_of_shared_contact
from gateway.whatsapp.users import Sender, find_user, upsert_user
from gateway.worker_context import WorkerContext
from ocr_cluster.reader import ImageError

log = logging.getLogger(__name__)
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
SILENT_TYPES = {"reaction", "system", "request_welcome"}


@dataclass
class Plan:
    """Everything one inbound message produced, committed together."""

    lang: str | None = None
    replies: list[str] = field(default_factory=list)
    contacts: list[tuple[ContactFields, str, dict[str, float]]] = field(default_factory=list)
    image: dict[str, Any] | None = None


async def handle_event(
    ctx: WorkerContext, event: InboundEvent, heartbeat: Callable[[], Awaitable[None]]
) -> None:
    if event.kind == "message":
        await handle_message(ctx, event, heartbeat)
    elif event.kind == "status":
        effect = await ctx.db(lambda s: apply_status(s, event.data))
        STATUS_UPDATES.labels(status=str(event.data.get("status")), effect=effect).inc()
    else:
        # Errors and non-message fields stay recorded in the stream; nothing to act on.
        log.info("recorded %s event %s (field %s)", event.kind, event.event_id, event.field)


async def handle_message(
    ctx: WorkerContext, event: InboundEvent, heartbeat: Callable[[], Awaitable[None]]
) -> None:
    msg = event.data
    msg_id: str = msg["id"]
    msg_type = str(msg.get("type") or "unknown")
    sender = Sender.of(event)
    state = await ctx.db(
        lambda s: s.scalar(select(InboundMessage.state).where(InboundMessage.message_id == msg_id))
    )
    if state == "done":
        log.info("message %s already handled; dropping the redelivery", msg_id)
        return
    # The channel that received it answers it; UnknownChannel (final) before anything is stored.
    graph = ctx.graph_for(event.phone_number_id, event.channel_id)
    if state is None:
        plan = await make_plan(ctx, graph, event, sender, msg_type, heartbeat)
        await ctx.db(lambda s: commit_plan(s, ctx, event, sender, msg_type, plan))
        record_message(msg_type, ok=True)
    await send_replies(ctx, event, sender)


async def make_plan(
    ctx: WorkerContext,
    graph: GraphClient,
    event: InboundEvent,
    sender: Sender,
    msg_type: str,
    heartbeat: Callable[[], Awaitable[None]],
) -> Plan:
    msg = event.data
    user = await ctx.db(lambda s: find_user(s, sender))
    lang = user.lang if user and user.lang else None
    plan = Plan()
    if msg_type == "text":
        body = str((msg.get("text") or {}).get("body") or "")
        plan.lang = replies.detect_lang(body)
        lang = plan.lang or lang or "ru"
        plan.replies.append(await text_reply(ctx, body.strip(), lang))
        return plan
    lang = lang or "ru"
    if msg_type == "contacts":
        for shared in msg.get("contacts") or []:
            if isinstance(shared, dict):
                plan.contacts.append((fields_of_shared_contact(shared), "shared_contact", {}))
        if plan.contacts:
            text = "\n\n".join(replies.describe_fields(f.model_dump()) for f, _, _ in plan.contacts)
            plan.replies.append(f"{replies.CONTACT_HEADER[lang]}\n{text}")
        else:
            plan.replies.append(replies.UNSUPPORTED[lang])
        return plan
    media = msg.get(msg_type) if isinstance(msg.get(msg_type), dict) else {}
    if msg_type == "image" or (
        msg_type == "document" and str(media.get("mime_type", "")).startswith("image/")
    ):
        await read_card(ctx, graph, event, sender, media, plan, lang, heartbeat)
        return plan
    if msg_type == "document":
        plan.replies.append(replies.NOT_AN_IMAGE[lang])
    elif msg_type not in SILENT_TYPES:
        log.info("message %s of type %r: polite reply", msg["id"], msg_type)
        plan.replies.append(replies.UNSUPPORTED[lang])
    return plan


async def text_reply(ctx: WorkerContext, body: str, lang: str) -> str:
    command = body.split()[0].lower() if body.startswith("/") else ""
    if command in ("/start", "/help"):
        return replies.HELP[lang]
    if command == "/status":
        pending = await ctx.pending_events()
        contacts = await ctx.db(count_contacts)
        ok, bad = replies.READER_STATE[lang]
        return replies.STATUS[lang].format(
            pending=pending, reader=ok if ctx.reader_ready() else bad, contacts=contacts
        )
    return replies.TEXT_HINT[lang]


async def read_card(
    ctx: WorkerContext,
    graph: GraphClient,
    event: InboundEvent,
    sender: Sender,
    media: dict[str, Any],
    plan: Plan,
    lang: str,
    heartbeat: Callable[[], Awaitable[None]],
) -> None:
    msg = event.data
    started = time.perf_counter()
    try:
        await graph.mark_read(msg["id"], typing=True)
    except GraphApiError as exc:  # cosmetic: never worth failing the card for
        log.warning("mark-read failed for %s: %s", msg["id"], exc)
    media_id = str(media.get("id") or "")
    try:
        data, info = await graph.download_media(media_id, max_bytes=ctx.settings.max_media_bytes)
    except MediaError as exc:
        if exc.retryable:
            raise
        plan.replies.append(replies.MEDIA_FAILED[lang].format(reason=exc.message))
        CARD_READS.labels(source="none", outcome="media_error").inc()
        return
    await heartbeat()
    plan.image = {
        "media_id": media_id,
        "mime_type": info.mime_type,
        "sha256": info.sha256,
        "size": len(data),
        "data": data,
        "reading": {},
    }
    # For numbers printed without a country code on a card that shows no country either.
    regions = fallback_regions(sender.wa_id, event.display_phone_number)
    try:
        result = await ctx.read_card(data, heartbeat, regions)
    except ReaderCrashed:
        CARD_READS.labels(source="none", outcome="reader_crashed").inc()
        raise
    except TimeoutError:
        CARD_READS.labels(source="none", outcome="timeout").inc()
        raise
    except ImageError as exc:
        plan.image["reading"] = {"error": str(exc)}
        plan.replies.append(replies.BAD_IMAGE[lang].format(reason=str(exc)))
        CARD_READS.labels(source="none", outcome="bad_image").inc()
        return
    reading = result.to_dict()
    plan.image["reading"] = reading
    if not result.found_anything():
        plan.replies.append(replies.NOTHING_READ[lang])
        CARD_READS.labels(source="none", outcome="empty").inc()
    else:
        contact = reading["contact"]
        plan.contacts.append((ContactFields.from_reader(contact), "card", reading["confidence"]))
        plan.replies.append(replies.clip(replies.card_reply(contact)))
        sources = set(reading["source"].values())
        CARD_READS.labels(source="+".join(sorted(sources)) or "none", outcome="found").inc()
    CARD_SECONDS.observe(time.perf_counter() - started)


def commit_plan(
    session: Session,
    ctx: WorkerContext,
    event: InboundEvent,
    sender: Sender,
    msg_type: str,
    plan: Plan,
) -> None:
    msg = event.data
    sent_at = _sent_at(msg.get("timestamp"))
    user = upsert_user(session, sender, sent_at=sent_at, lang=plan.lang)
    row = InboundMessage(
        message_id=msg["id"],
        phone_number_id=event.phone_number_id,
        user_id=user.id,
        type=msg_type,
        sent_at=sent_at,
        payload=msg,
        state="stored",
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another worker committed this message meanwhile: its work stands, ours is dropped.
        return
    for fields, source, confidence in plan.contacts:
        contact, _ = upsert_contact(
            session, fields, owner_id=user.id, source=source, confidence=confidence
        )
        row.contact_id = contact.id
    if plan.image is not None:
        session.add(CardImage(message_id=msg["id"], contact_id=row.contact_id, **plan.image))
    plan_replies(session, msg["id"], sender.address, plan.replies, event.phone_number_id)


class RepliesPending(Exception):
    """Replies of a message are still claimed by another worker; retried later."""


# Rounds of "send what we can claim, wait for the rest" before the event is retried instead.
CLAIM_ROUNDS = 3


async def send_replies(ctx: WorkerContext, event: InboundEvent, sender: Sender) -> None:
    """Send every planned reply not sent yet, then mark the message done.

    A reply claimed by a worker that died before it could send (or record) it stays claimed
    until the claim is stale; this waits for that rather than marking the message done with
    the reply unsent. The worker keeps the event alive meanwhile (``Worker.process``).
    """
    msg_id: str = event.data["id"]
    stale = timedelta(seconds=ctx.settings.ack_wait_s)
    for _ in range(CLAIM_ROUNDS):
        claimed = await ctx.db(lambda s: claim_replies(s, msg_id, stale))
        for row in claimed:
            await _send_reply(ctx, event, sender, row)
        wait = await ctx.db(lambda s: seconds_until_claimable(s, msg_id, stale))
        if wait is None:
            await ctx.db(lambda s: _mark_done(s, msg_id))
            return
        log.info("replies to %s are claimed elsewhere; checking again in %.1fs", msg_id, wait)
        await asyncio.sleep(wait + 0.5)
    raise RepliesPending(f"replies to {msg_id} are still claimed by another worker")


async def _send_reply(
    ctx: WorkerContext, event: InboundEvent, sender: Sender, row: OutboundMessage
) -> None:
    msg_id: str = event.data["id"]
    try:
        # From the number the row was planned for: the one that received the message.
        graph = ctx.graph_for(row.phone_number_id or event.phone_number_id, event.channel_id)
        wamid = await graph.send_text(
            row.to_wa_id or sender.address,
            row.body or "",
            reply_to=msg_id,
            idempotency_key=row.idempotency_key,
        )
    except BaseException:
        await ctx.db(lambda s: release(s, row.id))
        raise
    await ctx.db(lambda s: record_sent(s, row.id, wamid))


async def tell_sender_it_failed(ctx: WorkerContext, event: InboundEvent) -> None:
    """Best effort, once per message: a polite reply to a message that is being given up
    on (dead-lettered) with nothing stored for it. A message whose work was stored already
    has its own reply planned; that one failing is why nothing more can be sent."""
    msg_id = str(event.data.get("id") or "")
    if not msg_id or str(event.data.get("type")) in SILENT_TYPES:
        return
    sender = Sender.of(event)
    try:
        row = await ctx.db(lambda s: _plan_failure_notice(s, event, sender))
        if row is None:
            return
        graph = ctx.graph_for(event.phone_number_id, event.channel_id)
        try:
            wamid = await graph.send_text(
                sender.address, row.body or "", reply_to=msg_id, idempotency_key=row.idempotency_key
            )
        except BaseException:
            await ctx.db(lambda s: release(s, row.id))
            raise
        await ctx.db(lambda s: record_sent(s, row.id, wamid))
    except Exception as exc:  # the event is dead-lettered whatever happens here
        log.warning("could not tell the sender of %s that it failed: %s", msg_id, exc)


def _plan_failure_notice(
    session: Session, event: InboundEvent, sender: Sender
) -> OutboundMessage | None:
    msg_id = str(event.data["id"])
    if session.scalar(select(InboundMessage.id).where(InboundMessage.message_id == msg_id)):
        return None
    user = find_user(session, sender)
    body = replies.FAILED[(user.lang if user else None) or "ru"]
    return claim_notice(session, msg_id, sender.address, body, event.phone_number_id)


def _mark_done(session: Session, msg_id: str) -> None:
    row = session.scalar(select(InboundMessage).where(InboundMessage.message_id == msg_id))
    if row is not None:
        row.state = "done"


def _sent_at(raw: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        return None
