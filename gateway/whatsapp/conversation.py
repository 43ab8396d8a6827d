"""The conversation after a card: confirm, fix or delete what was read, and the commands.

A card's reply carries three buttons whose ids name the action and the card's message
(``card:confirm:<wamid>``): the ids come back in an ``interactive`` webhook, and the card
they act on is found from its message, which must be this sender's in this channel: an id
typed by hand, or one of another sender's cards, acts on nothing.

"✏️ Fix" puts the user in a fixing state (``User.fixing_contact_id``): their next texts are
fixes, ``телефон +7 916 123-45-67`` or ``company ACME``, or the bare value once a field was
picked from the list. A fix is a human edit (``edit_contact``), which automatic reads
never overwrite. The state ends with ✅, 🗑 or the next card.

Every step runs inside the transaction that stores the inbound message, so a change and the
reply that reports it are committed together, once per message id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.contacts.export import to_vcards
from gateway.contacts.service import (
    confirm_contact,
    delete_contact,
    edit_contact,
    field_values,
    search_contacts,
    uncertain_fields,
)
from gateway.contacts.vcard import display_name
from gateway.models import Contact, InboundMessage, User
from gateway.privacy import forget_sender
from gateway.whatsapp import replies
from gateway.whatsapp.phone_regions import to_e164
from gateway.whatsapp.replies import Reply
from whatsapp_cloud import messages as wa

CARD_ACTIONS = ("confirm", "fix", "delete")
CARD_TYPES = ("image", "document")


# A step of the conversation: (session, the sender's user row) -> the replies it makes.
Step = Callable[[Session, User], list[Reply]]


# -- the card's reply ------------------------------------------------------------------


# The fields a reply lists, in its order (replies.describe_fields).
SHOWN = ("name", "title", "company", "phones", "fax", "emails", "websites", "address")


def contact_fields(contact: Contact) -> dict[str, Any]:
    """The stored contact as the reply lists it."""
    return field_values(contact, SHOWN)


def card_reply(contact: Contact, card_message_id: str, lang: str, *, header: str) -> Reply:
    """The fields read, uncertain ones marked, with ✅ / ✏️ / 🗑 buttons."""
    fields = contact_fields(contact)
    # Only fields the reply shows, with a value, are marked (a name part or the QR text
    # the reader was unsure of is not on the list).
    unsure = uncertain_fields(contact) if contact.confirmed_at is None else []
    marked = [key for key in unsure if fields.get(key)]
    listing = replies.describe_fields(fields, uncertain=marked)
    if contact.note:
        listing += f"\n📝 {contact.note}"
    hint = f"\n\n{replies.UNCERTAIN_HINT[lang]}" if marked else ""
    text = f"{header}\n{listing}{hint}"
    labels = replies.CARD_BUTTONS[lang]
    choices = [(f"card:{action}:{card_message_id}", labels[action]) for action in CARD_ACTIONS]
    body = wa.clip(text, wa.MAX_BODY)
    return Reply(text, wa.buttons(body, choices))


def contact_card(contact: Contact) -> Reply:
    """The contact as a WhatsApp contact card: one tap saves it in the phone."""
    fields = contact_fields(contact)
    fields.update(
        first_name=contact.first_name,
        last_name=contact.last_name,
        middle_name=contact.middle_name,
        formatted_name=display_name(contact),
    )
    return Reply(f"[contact] {display_name(contact)}", wa.contact_card(fields))


# -- buttons and lists -----------------------------------------------------------------


def own_card(session: Session, user: User, card_message_id: str) -> Contact | None:
    """The contact of one of this user's card messages in this channel, else None."""
    row = session.scalar(
        select(InboundMessage).where(
            InboundMessage.message_id == card_message_id,
            InboundMessage.channel_id == user.channel_id,
            InboundMessage.user_id == user.id,
        )
    )
    if row is None or row.contact_id is None:
        return None
    return session.get(Contact, row.contact_id)


def on_button(reply_id: str, lang: str, *, send_card: bool) -> Step:
    """A tapped button or picked list row (``interactive`` webhook)."""

    def step(session: Session, user: User) -> list[Reply]:
        kind, _, rest = reply_id.partition(":")
        if kind == "card":
            action, _, card_id = rest.partition(":")
            contact = own_card(session, user, card_id)
            if contact is None or action not in CARD_ACTIONS:
                return [Reply(replies.CARD_GONE[lang])]
            if action == "confirm":
                confirm_contact(session, contact)
                _stop_fixing(user)
                out = [Reply(replies.CONFIRMED[lang])]
                return [*out, contact_card(contact)] if send_card else out
            if action == "delete":
                photos = delete_contact(session, contact)
                _stop_fixing(user)
                return [Reply(replies.DELETED[lang].format(photos=photos))]
            user.fixing_contact_id, user.fixing_field = contact.id, None
            return [field_menu(lang)]
        if kind == "field" and rest in replies.FIELD_NAMES[lang]:
            if user.fixing_contact_id is None:
                return [Reply(replies.CARD_GONE[lang])]
            user.fixing_field = rest
            return [Reply(replies.SEND_VALUE[lang].format(field=replies.FIELD_NAMES[lang][rest]))]
        return [Reply(replies.UNSUPPORTED[lang])]

    return step


def field_menu(lang: str) -> Reply:
    names = replies.FIELD_NAMES[lang]
    rows = [(f"field:{key}", names[key], None) for key in FIXABLE]
    text = replies.FIX_PROMPT[lang]
    message = wa.choice_list(text, replies.FIELD_BUTTON[lang], rows, section=replies.FIELDS[lang])
    return Reply(text, message)


def _stop_fixing(user: User) -> None:
    user.fixing_contact_id = user.fixing_field = None


# -- fixes by text ---------------------------------------------------------------------

FIXABLE = ("name", "title", "company", "phones", "emails", "websites", "address", "fax", "note")
# What people call the fields, in both languages, lower case.
FIELD_WORDS = {
    "name": ("имя", "фио", "name"),
    "title": ("должность", "title", "position", "job"),
    "company": ("компания", "организация", "фирма", "company", "org", "organization"),
    "phones": ("телефон", "тел", "моб", "мобильный", "phone", "tel", "mobile", "cell"),
    "emails": ("почта", "email", "e-mail", "mail", "емейл", "имейл"),
    "websites": ("сайт", "website", "site", "web", "url"),
    "address": ("адрес", "address"),
    "fax": ("факс", "fax"),
    "note": ("заметка", "комментарий", "note", "comment"),
}
_WORD_TO_FIELD = {word: key for key, words in FIELD_WORDS.items() for word in words}
_LEADING_WORD = re.compile(r"\s*([^\s:=]+)\s*[:=]?\s*(.*)", re.S)
_LIST_SPLIT = re.compile(r"\s*[,;]\s*")


def parse_fix(text: str, field: str | None) -> tuple[str, str] | None:
    """``(field, value)`` from "телефон +7 916 …" / "company: ACME", or the whole text for
    the field picked from the list; None when it names no field."""
    match = _LEADING_WORD.match(text)
    if match is not None:
        key = _WORD_TO_FIELD.get(match.group(1).lower())
        if key is not None:
            return key, match.group(2).strip()
    if field is not None:
        return field, text.strip()
    return None


def fix_value(key: str, value: str, regions: Sequence[str]) -> Any:
    """The value ``edit_contact`` takes: lists from commas, phones in E.164 (read with the
    sender's country for numbers written without a country code)."""
    if key in ("phones", "fax"):
        numbers = [_e164(part, regions) for part in _LIST_SPLIT.split(value) if part]
        return numbers if key == "phones" else (numbers[0] if numbers else None)
    if key in ("emails", "websites"):
        return [part for part in _LIST_SPLIT.split(value) if part]
    return value or None


def _e164(text: str, regions: Sequence[str]) -> str:
    # Unreadable: kept as typed, for edit_contact to refuse with its reason.
    return to_e164(text, regions, strict=False) or text


def on_text(text: str, lang: str, regions: Sequence[str], *, fallback: str) -> Step:
    """Plain text: a fix while the user is fixing a card, else ``fallback``."""

    def step(session: Session, user: User) -> list[Reply]:
        contact = session.get(Contact, user.fixing_contact_id) if user.fixing_contact_id else None
        if contact is None or contact.channel_id != user.channel_id:
            return [Reply(fallback)]
        parsed = parse_fix(text, user.fixing_field)
        if parsed is None:
            return [field_menu(lang)]
        key, value = parsed
        try:
            changed = edit_contact(
                session, contact, {key: fix_value(key, value, regions)}, by="chat"
            )
        except ValueError as exc:
            return [Reply(replies.FIX_REFUSED[lang].format(reason=exc))]
        user.fixing_field = None
        card_id = _card_message_of(session, contact)
        header = replies.FIXED[lang] if changed else replies.UNCHANGED[lang]
        return [card_reply(contact, card_id, lang, header=header)] if card_id else [Reply(header)]

    return step


def _card_message_of(session: Session, contact: Contact) -> str | None:
    return session.scalar(
        select(InboundMessage.message_id)
        .where(InboundMessage.contact_id == contact.id, InboundMessage.type.in_(CARD_TYPES))
        .order_by(InboundMessage.id.desc())
        .limit(1)
    )


# -- commands --------------------------------------------------------------------------


def last_card(session: Session, user: User) -> tuple[str, Contact] | None:
    """The newest of the user's card messages in this channel that still has a contact."""
    row = session.execute(
        select(InboundMessage.message_id, InboundMessage.contact_id)
        .where(
            InboundMessage.user_id == user.id,
            InboundMessage.channel_id == user.channel_id,
            InboundMessage.contact_id.is_not(None),
            InboundMessage.type.in_((*CARD_TYPES, "contacts")),
        )
        .order_by(InboundMessage.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    contact = session.get(Contact, row.contact_id)
    return (row.message_id, contact) if contact is not None else None


def command_last(lang: str) -> Step:
    def step(session: Session, user: User) -> list[Reply]:
        found = last_card(session, user)
        if found is None:
            return [Reply(replies.NO_CONTACTS[lang])]
        card_id, contact = found
        return [card_reply(contact, card_id, lang, header=replies.LAST_HEADER[lang])]

    return step


def command_undo(lang: str) -> Step:
    def step(session: Session, user: User) -> list[Reply]:
        found = last_card(session, user)
        if found is None:
            return [Reply(replies.NO_CONTACTS[lang])]
        _, contact = found
        name = display_name(contact)
        photos = delete_contact(session, contact)
        _stop_fixing(user)
        return [Reply(replies.UNDONE[lang].format(name=name, photos=photos))]

    return step


FIND_LIMIT = 5


def command_find(query: str, lang: str, *, shared_crm: bool) -> Step:
    def step(session: Session, user: User) -> list[Reply]:
        if not query:
            return [Reply(replies.FIND_USAGE[lang])]
        found, total = search_contacts(
            session,
            q=query,
            limit=FIND_LIMIT,
            channels=frozenset({user.channel_id}),
            owner_id=None if shared_crm else user.id,
        )
        if not found:
            return [Reply(replies.FOUND_NONE[lang].format(query=query))]
        blocks = [replies.describe_fields(contact_fields(c)) for c in found]
        head = replies.FOUND[lang].format(total=total, shown=len(found))
        return [Reply(replies.clip(head + "\n\n" + "\n\n".join(blocks)))]

    return step


# The most contacts one /export sends: a document WhatsApp delivers (100 MB) and a phone
# imports without trouble.
EXPORT_LIMIT = 5000


def export_vcards(session: Session, user: User) -> tuple[int, str]:
    """The user's own contacts in this channel as one multi-contact vCard file."""
    owned = session.scalars(
        select(Contact)
        .where(Contact.channel_id == user.channel_id, Contact.owner_id == user.id)
        .order_by(Contact.id)
        .limit(EXPORT_LIMIT)
    ).all()
    return len(owned), to_vcards(owned)


def command_lang(arg: str, lang: str) -> Step:
    def step(session: Session, user: User) -> list[Reply]:
        if arg not in replies.LANGS:
            return [Reply(replies.LANG_USAGE[lang])]
        user.lang, user.lang_chosen = arg, True
        return [Reply(replies.LANG_SET[arg])]

    return step


def command_forget(lang: str) -> Step:
    """Everything this sender sent the channel (gateway/privacy.py)."""

    def step(session: Session, user: User) -> list[Reply]:
        erased = forget_sender(session, user)
        text = replies.FORGOTTEN[lang].format(contacts=erased.contacts, photos=erased.photos)
        return [Reply(text)]

    return step


# -- both sides of a card --------------------------------------------------------------

BACK_WORDS = frozenset({"оборот", "обратная", "back", "reverse", "другая", "other"})


def says_back_side(caption: str) -> bool:
    words = re.findall(r"\w+", caption.lower())
    return bool(words) and words[0] in BACK_WORDS


def previous_card(
    session: Session, user: User, *, within: timedelta, message_id: str
) -> Contact | None:
    """The contact of this user's previous card in this channel, sent within ``within``."""
    since = datetime.now(UTC) - within
    contact_id = session.scalar(
        select(InboundMessage.contact_id)
        .where(
            InboundMessage.user_id == user.id,
            InboundMessage.channel_id == user.channel_id,
            InboundMessage.type.in_(CARD_TYPES),
            InboundMessage.contact_id.is_not(None),
            InboundMessage.message_id != message_id,
            InboundMessage.created_at >= since,
        )
        .order_by(InboundMessage.id.desc())
        .limit(1)
    )
    return session.get(Contact, contact_id) if contact_id is not None else None
