"""API tokens in the database: create, list, revoke, and authenticate a presented token."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.tokens import NewToken, Principal, Scope, hash_token, new_token, token_id_of
from gateway.db import transaction
from gateway.errors import Unauthorized
from gateway.models import ApiToken

BOOTSTRAP = Principal(token_id="bootstrap", name="IBBASE_ADMIN_TOKEN", scope=Scope.ADMIN)
# last_used_at is written at most this often per token: a write per request would make every
# read contend with the worker's writes (SQLite in particular).
TOUCH_EVERY = timedelta(seconds=60)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never its value or its hash."""

    id: str
    name: str
    scope: str
    channels: tuple[str, ...] | None  # None: every channel
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def _aware(stamp: datetime | None) -> datetime | None:
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        scope=row.scope,
        channels=tuple(row.channels) if row.channels is not None else None,
        created_at=_aware(row.created_at) or row.created_at,
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at),
        last_used_at=_aware(row.last_used_at),
    )


def create_token(
    session: Session,
    *,
    name: str,
    scope: Scope,
    channels: Sequence[str] | None,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[NewToken, TokenInfo]:
    """``channels``: the channel ids the token may act on, at least one; None: every one."""
    if channels is not None and not channels:
        raise ValueError("a token needs at least one channel, or every channel")
    now = now or datetime.now(UTC)
    token = new_token()
    row = ApiToken(
        id=token.id,
        name=name,
        scope=scope.value,
        channels=sorted(set(channels)) if channels is not None else None,
        secret_hash=token.hash,
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(row)
    session.flush()
    return token, _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    rows = session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id))
    return [_info(row) for row in rows]


def revoke_token(session: Session, token_id: str, now: datetime | None = None) -> TokenInfo | None:
    """Revoke one token (again is harmless); None if there is no such token."""
    row = session.get(ApiToken, token_id)
    if row is None:
        return None
    if row.revoked_at is None:
        row.revoked_at = now or datetime.now(UTC)
    return _info(row)


def _same_secret(presented: str, expected: str) -> bool:
    # Digests first: equal lengths, so the comparison does not even reveal the length.
    return hmac.compare_digest(
        hashlib.sha256(presented.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


def authenticate(
    sessions: sessionmaker[Session],
    presented: str,
    *,
    bootstrap: str,
    now: datetime | None = None,
) -> Principal:
    """The principal behind ``presented``, or ``Unauthorized``. Revoked and expired are
    named only to a caller who holds the real token; anyone else learns nothing."""
    if bootstrap and _same_secret(presented, bootstrap):
        return BOOTSTRAP
    unknown = Unauthorized("this API token is not valid", headers=CHALLENGE)
    token_id = token_id_of(presented)
    if token_id is None:
        raise unknown
    now = now or datetime.now(UTC)
    with transaction(sessions) as session:
        row = session.get(ApiToken, token_id)
        if row is None or not hmac.compare_digest(row.secret_hash, hash_token(presented)):
            raise unknown
        if row.revoked_at is not None:
            raise Unauthorized("this API token was revoked", headers=CHALLENGE)
        expires_at = _aware(row.expires_at)
        if expires_at is not None and expires_at <= now:
            raise Unauthorized(
                f"this API token expired at {expires_at.isoformat(timespec='seconds')}",
                headers=CHALLENGE,
            )
        last_used = _aware(row.last_used_at)
        if last_used is None or now - last_used >= TOUCH_EVERY:
            row.last_used_at = now
        channels = frozenset(row.channels) if row.channels is not None else None
        return Principal(token_id=row.id, name=row.name, scope=Scope(row.scope), channels=channels)
