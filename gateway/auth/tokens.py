"""API tokens of the admin and contacts API, as values: their format, hash and scopes.

A token is ``ibb_<id>_<secret>``: ``id`` is 12 hex characters, not secret, and finds the row;
``secret`` is 256 random bits. Only SHA-256 of the whole token is stored. A fast hash is
right here: slow hashes (bcrypt, argon2) protect guessable passwords, and nobody can
enumerate 2^256 secrets, while every API request pays for the hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Scope(StrEnum):
    ADMIN = "admin"
    VIEWER = "viewer"


class Permission(StrEnum):
    SEND_MESSAGES = "messages:send"
    READ_CONTACTS = "contacts:read"
    WRITE_CONTACTS = "contacts:write"  # edit and delete (admin scope only)


GRANTS: dict[Scope, frozenset[Permission]] = {
    Scope.ADMIN: frozenset(Permission),
    Scope.VIEWER: frozenset({Permission.READ_CONTACTS}),
}

TOKEN_RE = re.compile(r"ibb_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


@dataclass(frozen=True)
class NewToken:
    id: str
    value: str  # shown to its owner once, never stored
    hash: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: a stored token, or the bootstrap ``IBBASE_ADMIN_TOKEN``."""

    token_id: str
    name: str
    scope: Scope
    # The channels the token may act on; None: every channel.
    channels: frozenset[str] | None = None

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.scope]

    def reaches(self, channel_id: str) -> bool:
        return self.channels is None or channel_id in self.channels


def new_token() -> NewToken:
    token_id = secrets.token_hex(6)
    value = f"ibb_{token_id}_{secrets.token_urlsafe(32)}"
    return NewToken(id=token_id, value=value, hash=hash_token(value))


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_id_of(value: str) -> str | None:
    """The lookup id of something shaped like a token, else None."""
    match = TOKEN_RE.fullmatch(value)
    return match.group(1) if match else None


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION_RE = re.compile(r"(?:\d+[smhdw])+")


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``1w2d``… as a timedelta; ValueError for anything else."""
    text = text.strip()
    if not _DURATION_RE.fullmatch(text):
        raise ValueError(f"not a duration: {text!r} (expected e.g. 30d, 12h, 1w, 90m)")
    seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([smhdw])", text))
    if seconds <= 0:
        raise ValueError(f"a duration must be positive: {text!r}")
    return timedelta(seconds=seconds)
