"""What the worker does with one inbound event, read top to bottom.

A message goes through five stages, each one function below, in this order:

1. ``plan_message``: read what the message needs (what is stored of it already, the
   sender's language, its media and the card on it) into a ``Plan``. Nothing is written.
2. ``commit_message``: store the plan in one transaction under the message's unique id:
   the user, the message, its contacts and card image, its replies as rows not sent yet.
3. ``claim_replies`` and ``send_reply``: each reply not sent yet is claimed
   (compare-and-set) and sent with its idempotency key; a send that fails gives its claim
   back.
4. ``record_reply``: the sent reply's wamid is stored before the next reply goes out.
5. ``settle_message``: the message is marked done once every reply went out; the worker
   then acks the event (``Worker._handle``).

Each stage does its database work through ``WorkerContext.transaction``, which waits a
database outage out instead of failing the event. Every stage is safe to run again (unique
message ids, compare-and-set claims), so a redelivered event finds its work stored (and goes
straight to sending) or done (and stops). A status event is one transaction; other events
are only logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from business_card.contact import CardResult
from business_card.reading import ImageError, is_card_mime
from gateway import jetstream
from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import count_contacts, merge_into, upsert_contact
from gateway.metrics import (
    CARD_READS,
    CARD_SECONDS,
    CARDS,
    REPLY_SECONDS,
    STATUS_UPDATES,
    record_message,
)
from gateway.models import (
    DEFAULT_CHANNEL,
    NOTE_LENGTH,
    CardImage,
    Contact,
    InboundMessage,
    OutboundMessage,
    User,
)
from gateway.reader_pool import ReaderCrashed
from gateway.whatsapp import conversation, outbound, replies
from gateway.whatsapp.conversation import Step
from gateway.whatsapp.phone_regions import fallback_regions
from gateway.whatsapp.replies import Reply
from gateway.whatsapp.senders import SenderPolicy
from gateway.whatsapp.shared_contacts import fields_of_shared_contact
from gateway.whatsapp.users import Sender, find_user, upsert_user
from gateway.worker_context import WorkerContext
from whatsapp_cloud import messages as wa
from whatsapp_cloud.client import GraphClient
from whatsapp_cloud.errors import GraphApiError, MediaError
from whatsapp_cloud.webhook import InboundEvent

log = logging.getLogger(__name__)
SILENT_TYPES = frozenset({"reaction", "system", "request_welcome"})
# Rounds of "send what we can claim, wait for the rest" before the event is retried instead.
CLAIM_ROUNDS = 3
Heartbeat = Callable[[], Awaitable[None]]


class RepliesPending(Exception):
    """Replies of a message are still claimed by another worker; retried later."""


@dataclass(frozen=True)
class Message:
    """The parts of an inbound message event that the stages act on."""

    event: InboundEvent
    id: str
    type: str
    sender: Sender
    text: str  # the body of a text message, else ""
    media: dict[str, Any]  # the object named by the type (image, document…), else {}
    caption: str  # a photo's or document's caption, else ""
    choice: str  # the id of a tapped reply button or picked list row, else ""
    shared_contacts: tuple[dict[str, Any], ...]
    sent_at: datetime | None

    @classmethod
    def of(cls, event: InboundEvent) -> Message:
        data = event.data
        kind = str(data.get("type") or "unknown")
        text, media, shared = data.get("text"), data.get(kind), data.get("contacts")
        media = media if isinstance(media, dict) else {}
        return cls(
            event=event,
            id=str(data["id"]),  # the webhook publishes no message without one
            type=kind,
            sender=Sender.of(event),
            text=str(text.get("body") or "") if isinstance(text, dict) else "",
            media=media,
            caption=str(media.get("caption") or "").strip() if kind != "interactive" else "",
            choice=_choice(media) if kind == "interactive" else "",
            shared_contacts=tuple(c for c in shared if isinstance(c, dict))
            if isinstance(shared, list)
            else (),
            sent_at=_timestamp(data.get("timestamp")),
        )

    @property
    def channel(self) -> str:
        """The channel whose route received it: everything stored for it belongs there."""
        return self.event.channel_id or DEFAULT_CHANNEL

    @property
    def command(self) -> str:
        """``/start``, ``/help``, ``/status``… in lower case; "" for other text."""
        body = self.text.strip()
        return body.split()[0].lower() if body.startswith("/") else ""

    @property
    def argument(self) -> str:
        """What follows a command: ``/find Иванов`` → ``Иванов``."""
        return self.text.strip().partition(" ")[2].strip()

    @property
    def is_card(self) -> bool:
        """A photo, or a document the reader opens (an image, a PDF, a HEIC photo)."""
        return self.type == "image" or (
            self.type == "document" and is_card_mime(str(self.media.get("mime_type", "")))
        )


@dataclass
class Plan:
    """What stage 1 found: the message's state in the database, and for a new message
    everything it produced, committed together by stage 2."""

    state: str | None  # None (new), "stored" (replies may be unsent) or "done"
    policy: SenderPolicy = field(default_factory=SenderPolicy)
    lang: str | None = None  # the language the message is written in, kept on the user
    reply_lang: str = "ru"  # the language the replies are in
    replies: list[Reply] = field(default_factory=list)
    # Conversation steps (conversation.py), run in the commit's transaction: each changes
    # what it acts on and returns its replies, committed with the change.
    steps: list[Step] = field(default_factory=list)
    # Did the sender get what they asked for (telegram_messages_counter{status})?
    ok: bool = True
    merged: bool = False  # the card was stored as the other side of the previous one
    several_cards: bool = False  # the photo shows several cards: each is a contact of its own
    # Fields, their source ("card", "shared_contact"), the reader's confidence and its source
    # per field ("qr", "ocr"…): how strongly each value may overwrite a stored one.
    contacts: list[tuple[ContactFields, str, dict[str, float], dict[str, str]]] = field(
        default_factory=list
    )
    image: dict[str, Any] | None = None

    def say(self, text: str) -> None:
        self.replies.append(Reply(text))

    def fail(self, text: str) -> None:
        """A reply saying the sender did not get what they asked for."""
        self.ok = False
        self.say(text)


async def handle_event(ctx: WorkerContext, event: InboundEvent, heartbeat: Heartbeat) -> None:
    if event.kind == "message":
        await handle_message(ctx, Message.of(event), heartbeat)
    elif event.kind == "status":
        channel = event.channel_id or DEFAULT_CHANNEL
        effect = await ctx.transaction(lambda s: outbound.apply_status(s, event.data, channel))
        STATUS_UPDATES.labels(status=str(event.data.get("status")), effect=effect).inc()
    else:
        # Errors and non-message fields stay recorded in the stream; nothing to act on.
        log.info("recorded %s event %s (field %s)", event.kind, event.event_id, event.field)


async def handle_message(ctx: WorkerContext, message: Message, heartbeat: Heartbeat) -> None:
    started = time.perf_counter()
    plan = await plan_message(ctx, message, heartbeat)
    if plan.state == "done":
        return
    if plan.state is None:
        await commit_message(ctx, message, plan)
    # A reply claimed by a worker that died before it could send (or record) it stays
    # claimed until the claim is stale: wait for that rather than settle with it unsent.
    for _ in range(CLAIM_ROUNDS):
        for reply in await claim_replies(ctx, message):
            wamid = await send_reply(ctx, message, reply)
            await record_reply(ctx, reply, wamid)
            if plan.state is None and started:
                REPLY_SECONDS.observe(time.perf_counter() - started)
                started = 0.0
        wait = await settle_message(ctx, message)
        if wait is None:
            return
        log.info("replies to %s are claimed elsewhere; checking again in %.1fs", message.id, wait)
        await asyncio.sleep(wait + 0.5)
    raise RepliesPending(f"replies to {message.id} are still claimed by another worker")


# -- 1. plan ---------------------------------------------------------------------------


async def plan_message(ctx: WorkerContext, message: Message, heartbeat: Heartbeat) -> Plan:
    """What the message asks for, from what is stored and what the outside world says.

    Writes nothing, so the slow and failing work (media, card reading) holds no transaction
    and may be repeated freely."""

    policy = ctx.sender_policy(message.channel)

    def look_up(session: Session) -> tuple[str | None, str | None, bool, int, int]:
        state = session.scalar(
            select(InboundMessage.state).where(InboundMessage.message_id == message.id)
        )
        user = find_user(session, message.sender, message.channel)
        contacts = added = 0
        if message.command == "/status" and policy.may_add(message.sender):
            # The channel's count for the shared CRM's senders; a sender's own otherwise.
            if policy.shared_crm:
                contacts = count_contacts(session, message.channel)
            elif user is not None:
                contacts = count_contacts(session, message.channel, user.id)
        if user is not None and (message.is_card or message.type == "contacts"):
            added = _added_last_hour(session, user.id, message.channel)
        # A language chosen with /lang wins over the script of the message.
        chosen = user is not None and user.lang_chosen
        return state, (user.lang if user else None), chosen, contacts, added

    state, known_lang, chosen, contacts, added = await ctx.transaction(look_up)
    plan = Plan(state=state, policy=policy)
    if state == "done":
        log.info("message %s already handled; dropping the redelivery", message.id)
        return plan
    # The channel that received it answers it; UnknownChannel (final) before anything is stored.
    graph = ctx.graph_for(message.event.phone_number_id, message.event.channel_id)
    if state == "stored":
        return plan  # its work is committed: only replies may be left to send
    if message.type == "text":
        plan.lang = replies.detect_lang(message.text)
        written = None if chosen else plan.lang
        lang = plan.reply_lang = written or known_lang or "ru"
        await _plan_text(ctx, graph, message, plan, lang, contacts)
        return plan
    lang = plan.reply_lang = known_lang or "ru"
    if message.is_card or message.type == "contacts":
        if not policy.may_add(message.sender):
            log.info(
                "message %s: the sender is not on channel %s's list", message.id, message.channel
            )
            plan.fail(replies.NOT_LISTED[lang])
            return plan
        if policy.over_quota(added):
            plan.fail(replies.OVER_QUOTA[lang].format(limit=policy.cards_per_hour))
            return plan
    if message.type == "contacts":
        _plan_shared_contacts(message, plan, lang)
    elif message.is_card:
        await _read_card(ctx, graph, message, plan, lang, heartbeat)
    elif message.type == "interactive" and message.choice:
        send_card = ctx.contact_card(message.channel) == "on_confirm"
        plan.steps.append(conversation.on_button(message.choice, lang, send_card=send_card))
    elif message.type == "document":
        plan.fail(replies.NOT_AN_IMAGE[lang])
    elif message.type not in SILENT_TYPES:
        log.info("message %s of type %r: polite reply", message.id, message.type)
        plan.fail(replies.UNSUPPORTED[lang])
    return plan


async def _plan_text(
    ctx: WorkerContext,
    graph: GraphClient,
    message: Message,
    plan: Plan,
    lang: str,
    contacts: int,
) -> None:
    """A command, a fix of the card being fixed, or a hint."""
    policy = plan.policy
    own = policy.may_add(message.sender)  # a refused sender has no contacts to act on
    command, argument = message.command, message.argument
    if command in ("/start", "/help", "/status"):
        plan.say(await _reply_to_command(ctx, message, lang, contacts))
    elif command == "/last":
        plan.steps.append(conversation.command_last(lang))
    elif command == "/find":
        shared = policy.shared_crm and own
        plan.steps.append(conversation.command_find(argument, lang, shared_crm=shared))
    elif command == "/undo":
        plan.steps.append(conversation.command_undo(lang))
    elif command == "/lang":
        plan.lang = None  # the choice, not the script of "/lang en", sets the language
        plan.steps.append(conversation.command_lang(argument.lower(), lang))
    elif command == "/forget":
        plan.steps.append(conversation.command_forget(lang))
    elif command == "/export":
        await _plan_export(ctx, graph, message, plan, lang)
    elif command:
        plan.fail(replies.TEXT_HINT[lang])
    else:
        regions = fallback_regions(message.sender.wa_id, message.event.display_phone_number)
        hint = replies.TEXT_HINT[lang]
        plan.steps.append(conversation.on_text(message.text, lang, regions, fallback=hint))


async def _plan_export(
    ctx: WorkerContext, graph: GraphClient, message: Message, plan: Plan, lang: str
) -> None:
    """The sender's contacts in this channel as one .vcf document, uploaded to Meta."""

    def collect(session: Session) -> tuple[int, str]:
        user = find_user(session, message.sender, message.channel)
        if user is None:
            return 0, ""
        return conversation.export_vcards(session, user)

    count, text = await ctx.transaction(collect)
    if not count:
        plan.say(replies.NO_CONTACTS[lang])
        return
    # Meta takes no text/vcard upload: the file goes as plain text named .vcf, which
    # phones open as contacts.
    media_id = await graph.upload_media(text.encode(), "text/plain", "contacts.vcf")
    caption = replies.EXPORT_CAPTION[lang].format(count=count)
    document = wa.document(media_id, "contacts.vcf", caption)
    plan.replies.append(Reply(f"[contacts.vcf] {caption}", document))


async def _reply_to_command(ctx: WorkerContext, message: Message, lang: str, contacts: int) -> str:
    if message.command in ("/start", "/help"):
        return replies.HELP[lang]
    if message.command == "/status":
        pending: int | str
        try:
            pending = await jetstream.pending_events(ctx.js, ctx.settings)
        except Exception:  # the status command must answer even when JetStream does not
            pending = "?"
        ok, bad = replies.READER_STATE[lang]
        reader = ok if ctx.reader.ready else bad
        if not ctx.sender_policy(message.channel).may_add(message.sender):
            return replies.STATUS_BRIEF[lang].format(reader=reader)  # no counts for strangers
        return replies.STATUS[lang].format(pending=pending, reader=reader, contacts=contacts)
    raise AssertionError(f"not a status command: {message.command}")


def _plan_shared_contacts(message: Message, plan: Plan, lang: str) -> None:
    regions = fallback_regions(message.sender.wa_id, message.event.display_phone_number)
    for shared in message.shared_contacts:
        fields = fields_of_shared_contact(shared, regions)
        plan.contacts.append((fields, "shared_contact", {}, {}))
    if plan.contacts:
        text = "\n\n".join(replies.describe_fields(c[0].model_dump()) for c in plan.contacts)
        plan.say(f"{replies.CONTACT_HEADER[lang]}\n{text}")
    else:
        plan.fail(replies.UNSUPPORTED[lang])


async def _read_card(
    ctx: WorkerContext,
    graph: GraphClient,
    message: Message,
    plan: Plan,
    lang: str,
    heartbeat: Heartbeat,
) -> None:
    started = time.perf_counter()
    try:
        await graph.mark_read(message.id, typing=True)
    except GraphApiError as exc:  # cosmetic: never worth failing the card for
        log.warning("mark-read failed for %s: %s", message.id, exc)
    media_id = str(message.media.get("id") or "")
    try:
        data, info = await graph.download_media(media_id, max_bytes=ctx.settings.max_media_bytes)
    except MediaError as exc:
        if exc.retryable:
            raise
        plan.fail(replies.MEDIA_FAILED[lang].format(reason=exc.message))
        CARD_READS.labels(source="none", outcome="media_error").inc()
        CARDS.labels(outcome="media_error").inc()
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
    regions = fallback_regions(message.sender.wa_id, message.event.display_phone_number)
    try:
        result = await _read_with_heartbeat(ctx, data, regions, heartbeat)
    except ReaderCrashed:
        CARD_READS.labels(source="none", outcome="reader_crashed").inc()
        raise
    except TimeoutError:
        CARD_READS.labels(source="none", outcome="timeout").inc()
        raise
    except ImageError as exc:
        plan.image["reading"] = {"error": str(exc)}
        plan.fail(replies.BAD_IMAGE[lang].format(reason=str(exc)))
        CARD_READS.labels(source="none", outcome="bad_image").inc()
        CARDS.labels(outcome="bad_image").inc()
        return
    plan.image["reading"] = result.to_dict()
    # A photo of several cards: the reader left out the other cards with nothing on them.
    found = [card for card in (result, *result.others) if card.found_anything()]
    if not found:
        plan.fail(replies.NOTHING_READ[lang])
        CARD_READS.labels(source="none", outcome="empty").inc()
        CARDS.labels(outcome="empty").inc()
    plan.several_cards = len(found) > 1
    for card in found:
        fields = ContactFields.from_reader(card.contact.to_dict())
        # Its reply (the contact as stored, with buttons) is made when it is stored.
        plan.contacts.append((fields, "card", dict(card.confidence), dict(card.source)))
        sources = set(card.source.values())
        CARD_READS.labels(source="+".join(sorted(sources)) or "none", outcome="found").inc()
    CARD_SECONDS.observe(time.perf_counter() - started)


async def _read_with_heartbeat(
    ctx: WorkerContext, data: bytes, regions: Sequence[str], heartbeat: Heartbeat
) -> CardResult:
    """Read a card in the reader's thread pool, telling JetStream we are still at it, for at
    most ``card_read_timeout_s``. ``regions`` (ISO codes, most likely first) are for numbers
    printed without a country code on a card that shows no country itself."""
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(
        ctx.executor, partial(ctx.reader.read, data, fallback_regions=tuple(regions))
    )
    interval = max(1.0, ctx.settings.ack_wait_s / 3)
    deadline = loop.time() + ctx.settings.card_read_timeout_s
    while True:
        done, _ = await asyncio.wait({future}, timeout=interval)
        if done:
            return future.result()
        if loop.time() > deadline:
            raise TimeoutError(f"card reading took over {ctx.settings.card_read_timeout_s}s")
        await heartbeat()


# -- 2. commit -------------------------------------------------------------------------


async def commit_message(ctx: WorkerContext, message: Message, plan: Plan) -> None:
    """Store the plan in one transaction, keyed by the message's unique id: a worker that
    committed it first wins, and ours is dropped whole."""

    def store(session: Session) -> None:
        out = list(plan.replies)  # this attempt's: a retried transaction starts again
        user = upsert_user(
            session, message.sender, message.channel, sent_at=message.sent_at, lang=plan.lang
        )
        row = InboundMessage(
            message_id=message.id,
            channel_id=message.channel,
            phone_number_id=message.event.phone_number_id,
            user_id=user.id,
            type=message.type,
            sent_at=message.sent_at,
            payload=message.event.data,
            state="stored",
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            return  # another worker committed this message meanwhile: its work stands
        cards_stored = 0
        for fields, source, confidence, field_sources in plan.contacts:
            if source == "card":
                contact = _store_card(
                    ctx, session, user, message, plan, row, fields, confidence, field_sources
                )
                # The buttons name the message, so they act on its first card alone.
                out += _card_replies(ctx, contact, message, plan, buttons=not cards_stored)
                cards_stored += 1
                continue
            contact, _ = upsert_contact(
                session,
                fields,
                owner_id=user.id,
                source=source,
                confidence=confidence,
                field_sources=field_sources,
                channel_id=message.channel,
                across_owners=plan.policy.shared_crm,
            )
            row.contact_id = contact.id
        if plan.image is not None:
            session.add(
                CardImage(
                    message_id=message.id,
                    channel_id=message.channel,
                    contact_id=row.contact_id,
                    **plan.image,
                )
            )
        for step in plan.steps:
            out += step(session, user)
        outbound.plan_replies(
            session,
            message.id,
            message.sender.address,
            out,
            message.event.phone_number_id,
            message.channel,
        )

    await ctx.transaction(store)
    # Counted once committed: a transaction retried through a database outage runs again.
    record_message(message.type, ok=plan.ok)
    cards = sum(source == "card" for _, source, _, _ in plan.contacts)
    if cards:
        CARDS.labels(outcome="merged" if plan.merged else "read").inc(cards)


def _store_card(
    ctx: WorkerContext,
    session: Session,
    user: User,
    message: Message,
    plan: Plan,
    row: InboundMessage,
    fields: ContactFields,
    confidence: dict[str, float],
    field_sources: dict[str, str],
) -> Contact:
    """Store a card's reading: as the other side of the sender's previous card when it says
    so ("оборот", "back") or shows no phone or e-mail and came within the window; else as a
    contact of its own (merged with one sharing an e-mail or phone, as always). A card of a
    photo showing several is never a side of another. The caption becomes the contact's
    note. The message's contact is its first card's."""
    back = conversation.says_back_side(message.caption) and not plan.several_cards
    # A side with a phone or an e-mail is a card of its own (merged with the contact that
    # shares one, as any card is): two cards sent in a row stay two contacts.
    bare = not (fields.phones or fields.emails)
    window = ctx.settings.card_back_window_s if back else ctx.settings.card_sides_window_s
    other_side = None
    if (back or bare) and window > 0 and not plan.several_cards:
        other_side = conversation.previous_card(
            session, user, within=timedelta(seconds=window), message_id=message.id
        )
    if other_side is not None:
        contact = merge_into(
            session,
            other_side,
            fields,
            source="card",
            confidence=confidence,
            field_sources=field_sources,
        )
        plan.merged = True
    else:
        contact, _ = upsert_contact(
            session,
            fields,
            owner_id=user.id,
            source="card",
            confidence=confidence,
            field_sources=field_sources,
            channel_id=message.channel,
            across_owners=plan.policy.shared_crm,
        )
    if message.caption and not back:
        contact.note = "\n".join(n for n in (contact.note, message.caption) if n)[:NOTE_LENGTH]
    if row.contact_id is None:
        row.contact_id = contact.id
    user.fixing_contact_id = user.fixing_field = None  # a new card ends fixing the last one
    return contact


def _card_replies(
    ctx: WorkerContext, contact: Contact, message: Message, plan: Plan, *, buttons: bool
) -> list[Reply]:
    """The stored card listed, with ✅ / ✏️ / 🗑 buttons unless ``buttons`` is False (the
    other cards of a photo of several: the buttons would act on the first); its contact
    card when the channel sends it at once."""
    lang = plan.reply_lang
    header = replies.MERGED_HEADER[lang] if plan.merged else replies.CARD_HEADER[lang]
    listed = conversation.card_reply(contact, message.id, lang, header=header)
    out = [listed if buttons else Reply(listed.text)]
    if ctx.contact_card(message.channel) == "immediately":
        out.append(conversation.contact_card(contact))
    return out


# -- 3. send ---------------------------------------------------------------------------


async def claim_replies(ctx: WorkerContext, message: Message) -> list[OutboundMessage]:
    """The message's replies not sent yet, claimed for this worker (compare-and-set); a
    claim older than ``ack_wait_s`` belongs to a worker that died and is taken over."""
    stale = timedelta(seconds=ctx.settings.ack_wait_s)
    return await ctx.transaction(lambda s: outbound.claim_replies(s, message.id, stale))


async def send_reply(ctx: WorkerContext, message: Message, reply: OutboundMessage) -> str:
    """Send one claimed reply (or notice) and return its wamid; on failure give the claim
    back so that a retry can take it."""
    try:
        # From the number the row was planned for: the one that received the message.
        graph = ctx.graph_for(
            reply.phone_number_id or message.event.phone_number_id, message.event.channel_id
        )
        to = reply.to_wa_id or message.sender.address
        if reply.payload is not None:
            return await graph.send_message(
                to, reply.payload, reply_to=message.id, idempotency_key=reply.idempotency_key
            )
        return await graph.send_text(
            to, reply.body or "", reply_to=message.id, idempotency_key=reply.idempotency_key
        )
    except BaseException:
        await ctx.transaction(lambda s: outbound.release(s, reply.id))
        raise


# -- 4. record -------------------------------------------------------------------------


async def record_reply(ctx: WorkerContext, reply: OutboundMessage, wamid: str) -> None:
    """The reply went out: store its wamid, so that it is never claimed and sent again."""
    await ctx.transaction(lambda s: outbound.record_sent(s, reply.id, wamid))


# -- 5. settle -------------------------------------------------------------------------


async def settle_message(ctx: WorkerContext, message: Message) -> float | None:
    """Mark the message done if every reply of it was sent, and return None; else return
    how long until the replies claimed elsewhere may be taken over."""
    stale = timedelta(seconds=ctx.settings.ack_wait_s)

    def settle(session: Session) -> float | None:
        wait = outbound.seconds_until_claimable(session, message.id, stale)
        if wait is None:
            row = session.scalar(
                select(InboundMessage).where(InboundMessage.message_id == message.id)
            )
            if row is not None:
                row.state = "done"
        return wait

    return await ctx.transaction(settle)


# -- giving up -------------------------------------------------------------------------


async def tell_sender_it_failed(ctx: WorkerContext, event: InboundEvent) -> None:
    """Best effort, once per message: a polite reply to a message that is being given up
    on (dead-lettered) with nothing stored for it. A message whose work was stored already
    has its own reply planned; that one failing is why nothing more can be sent."""
    msg_id = str(event.data.get("id") or "")
    if not msg_id or str(event.data.get("type")) in SILENT_TYPES:
        return
    try:
        message = Message.of(event)
        notice = await ctx.transaction(partial(_claim_failure_notice, message=message))
        if notice is None:
            return
        wamid = await send_reply(ctx, message, notice)
        await record_reply(ctx, notice, wamid)
    except Exception as exc:  # the event is dead-lettered whatever happens here
        log.warning("could not tell the sender of %s that it failed: %s", msg_id, exc)


def _claim_failure_notice(session: Session, message: Message) -> OutboundMessage | None:
    stored = select(InboundMessage.id).where(InboundMessage.message_id == message.id)
    if session.scalar(stored):
        return None
    user = find_user(session, message.sender, message.channel)
    body = replies.FAILED[(user.lang if user else None) or "ru"]
    return outbound.claim_notice(
        session,
        message.id,
        message.sender.address,
        body,
        message.event.phone_number_id,
        message.channel,
    )


def _added_last_hour(session: Session, user_id: int, channel_id: str) -> int:
    """Cards and shared contacts this user sent the channel in the last hour (its quota)."""
    since = datetime.now(UTC) - timedelta(hours=1)
    stmt = select(func.count()).where(
        InboundMessage.user_id == user_id,
        InboundMessage.channel_id == channel_id,
        InboundMessage.type.in_(("image", "document", "contacts")),
        InboundMessage.created_at >= since,
    )
    return session.scalar(stmt) or 0


def _choice(interactive: dict[str, Any]) -> str:
    """The id of the tapped button or picked row of an ``interactive`` message."""
    picked = interactive.get(str(interactive.get("type") or ""))
    return str(picked.get("id") or "") if isinstance(picked, dict) else ""


def _timestamp(raw: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw), UTC)
    except (TypeError, ValueError, OverflowError):
        return None
