"""Who wrote: users keyed by the business-scoped user id when Meta sends one, else wa_id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.models import User
from whatsapp_cloud.webhook import InboundEvent


@dataclass(frozen=True)
class Sender:
    user_key: str
    bsuid: str | None
    wa_id: str | None
    profile_name: str | None

    @classmethod
    def of(cls, event: InboundEvent) -> Sender:
        msg = event.data
        wa_id = msg.get("from") or None
        bsuid = msg.get("from_user_id") or None
        contact: dict[str, Any] = {}
        for c in event.contacts:
            if (wa_id and c.get("wa_id") == wa_id) or (bsuid and c.get("user_id") == bsuid):
                contact = c
                break
        else:
            if len(event.contacts) == 1:
                contact = event.contacts[0]
        bsuid = bsuid or contact.get("user_id") or None
        wa_id = wa_id or contact.get("wa_id") or None
        raw_profile = contact.get("profile")
        profile: dict[str, Any] = raw_profile if isinstance(raw_profile, dict) else {}
        key = f"bsuid:{bsuid}" if bsuid else f"wa:{wa_id or 'unknown'}"
        return cls(user_key=key, bsuid=bsuid, wa_id=wa_id, profile_name=profile.get("name"))

    @property
    def address(self) -> str:
        """Where replies go: the phone number when we have it, else the user id."""
        return self.wa_id or self.bsuid or ""


def find_user(session: Session, sender: Sender, channel_id: str) -> User | None:
    """The sender as a user of one channel: one person on two channels is two users."""
    return session.scalar(
        select(User).where(User.channel_id == channel_id, User.user_key == sender.user_key)
    )


def upsert_user(
    session: Session,
    sender: Sender,
    channel_id: str,
    *,
    sent_at: datetime | None,
    lang: str | None,
) -> User:
    user = find_user(session, sender, channel_id)
    if user is None:
        try:
            with session.begin_nested():
                user = User(channel_id=channel_id, user_key=sender.user_key)
                session.add(user)
        except IntegrityError:
            # The user's other first message, handled at the same moment, created them.
            user = find_user(session, sender, channel_id)
            if user is None:
                raise
    user.bsuid = sender.bsuid or user.bsuid
    user.wa_id = sender.wa_id or user.wa_id
    user.profile_name = sender.profile_name or user.profile_name
    if not user.lang_chosen:  # a language chosen with /lang stays
        user.lang = lang or user.lang
    stamp = sent_at or datetime.now(UTC)
    last = user.last_inbound_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    if last is None or stamp > last:
        user.last_inbound_at = stamp
    session.flush()
    return user
