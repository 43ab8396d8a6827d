"""Tables of the WhatsApp channel. One module so that Alembic sees the whole schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from business_card.contact import EMAIL_LENGTH, LANG_LENGTH, MAX_LENGTH, PHONE_LENGTH
from gateway.db import Base, utcnow

# The channel everything belongs to: a registry channel's id, or the single channel of the
# WHATSAPP_* settings. No query crosses it (see SECURITY.md).
DEFAULT_CHANNEL = "default"
CHANNEL_ID_LENGTH = 253
# A contact's note (the captions of its photos): a few captions, never a document.
NOTE_LENGTH = 4000
# The contact's folded text columns that one trigram index covers (migration 0005).
SEARCH_TEXT_COLUMNS = ("search_name", "search_company", "search_emails")


def _channel_column() -> Mapped[str]:
    return mapped_column(
        String(CHANNEL_ID_LENGTH), default=DEFAULT_CHANNEL, server_default=DEFAULT_CHANNEL
    )


class User(Base):
    """A WhatsApp user, keyed by the business-scoped user id when Meta sends one, else wa_id."""

    __tablename__ = "users"
    # One person writing to two channels is two users: nothing of one channel reaches the other.
    __table_args__ = (UniqueConstraint("channel_id", "user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = _channel_column()
    user_key: Mapped[str] = mapped_column(String(128))
    bsuid: Mapped[str | None] = mapped_column(String(128), index=True)
    wa_id: Mapped[str | None] = mapped_column(String(32), index=True)
    profile_name: Mapped[str | None] = mapped_column(String(256))
    lang: Mapped[str | None] = mapped_column(String(8))
    # Chosen with /lang: then the script a message is written in no longer changes it.
    lang_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The conversation's one piece of state: after "✏️ Fix" the user's next text is a fix
    # of this contact (and of this field, once picked from the list).
    fixing_contact_id: Mapped[int | None] = mapped_column(Integer)
    fixing_field: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class InboundMessage(Base):
    """One inbound WhatsApp message. The unique message id makes redeliveries harmless,
    however late they come (JetStream's dedup window is only minutes)."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(256), unique=True)
    channel_id: Mapped[str] = _channel_column()
    phone_number_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # stored: the work is committed; done: the reply went out too.
    state: Mapped[str] = mapped_column(String(16), default="stored")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Contact(Base):
    __tablename__ = "contacts"

    __table_args__ = (
        Index("ix_contacts_channel_owner", "channel_id", "owner_id"),
        # Substring search on the folded columns (migration 0005). SQLite's counterpart is
        # the FTS5 table ``contacts_fts``, which only the migration creates.
        Index(
            "ix_contacts_search_text",
            *SEARCH_TEXT_COLUMNS,
            postgresql_using="gin",
            postgresql_ops={c: "gin_trgm_ops" for c in SEARCH_TEXT_COLUMNS},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_contacts_search_phones",
            "search_phones",
            postgresql_using="gin",
            postgresql_ops={"search_phones": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = _channel_column()
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(MAX_LENGTH["name"]), index=True)
    first_name: Mapped[str | None] = mapped_column(String(MAX_LENGTH["first_name"]))
    last_name: Mapped[str | None] = mapped_column(String(MAX_LENGTH["last_name"]))
    middle_name: Mapped[str | None] = mapped_column(String(MAX_LENGTH["middle_name"]))
    title: Mapped[str | None] = mapped_column(String(MAX_LENGTH["title"]))
    company: Mapped[str | None] = mapped_column(String(MAX_LENGTH["company"]), index=True)
    fax: Mapped[str | None] = mapped_column(String(PHONE_LENGTH))
    websites: Mapped[list[str]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(Text)
    qr: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(LANG_LENGTH))
    source: Mapped[str] = mapped_column(String(32))  # card | shared_contact
    confidence: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # How sure each stored field is (gateway.contacts.service.strength): a weaker reading
    # never overwrites a stronger one.
    strengths: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    # The caption(s) of the card's photos ("met at Innoprom, wants a demo").
    note: Mapped[str | None] = mapped_column(Text)
    # When the sender confirmed what was read (✅), or None.
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What a search compares (gateway.contacts.folding): the folded name and company, the
    # e-mails, the phones' digits; kept in step by every write of a contact.
    search_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_company: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_emails: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_phones: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    phones: Mapped[list[ContactPhone]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ContactPhone.id"
    )
    emails: Mapped[list[ContactEmail]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ContactEmail.id"
    )


class ContactPhone(Base):
    __tablename__ = "contact_phones"
    __table_args__ = (UniqueConstraint("contact_id", "phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(PHONE_LENGTH), index=True)  # E.164


class ContactEmail(Base):
    __tablename__ = "contact_emails"
    __table_args__ = (UniqueConstraint("contact_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), index=True)  # lower-case


class CardImage(Base):
    """The original photo, kept whether or not anything could be read from it."""

    __tablename__ = "card_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(256), unique=True)
    channel_id: Mapped[str] = _channel_column()
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(128))
    mime_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    reading: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboundMessage(Base):
    """A message we send. ``idempotency_key`` keeps a retried job from sending twice;
    ``status_rank`` only ever grows, so a late 'delivered' never undoes 'read'."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(256), unique=True)
    wamid: Mapped[str | None] = mapped_column(String(256), unique=True)
    channel_id: Mapped[str] = _channel_column()
    phone_number_id: Mapped[str | None] = mapped_column(String(64))
    to_wa_id: Mapped[str | None] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reply | admin | external
    body: Mapped[str | None] = mapped_column(Text)
    # A message other than text: the Graph API message object without ``messaging_product``
    # and ``to`` ({"type": "interactive", "interactive": {…}}, contacts, document…); ``body``
    # then holds its text for people reading the table.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reply_to: Mapped[str | None] = mapped_column(String(256), index=True)  # claims look it up
    status: Mapped[str] = mapped_column(String(16), default="pending")
    status_rank: Mapped[int] = mapped_column(Integer, default=0)
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ApiToken(Base):
    """A token of the admin and contacts API (``gateway.auth``). Only its SHA-256 is kept;
    ``id`` is the token's own non-secret part, so a token can be matched to its row."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(String(16))  # admin | viewer
    # The channels the token may act on; None: every channel (`--all-channels`).
    channels: Mapped[list[str] | None] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
