"""Who exists and who may do what: apps, WhatsApp Business Accounts, access tokens.

Meta's model, reduced to what the Cloud API and its webhook endpoints check:

- an **app** has an id and a secret; ``{app_id}|{app_secret}`` is its app access token;
- a **WABA** holds phone numbers (a number belongs to exactly one WABA);
- a **token** belongs to an app, is a system-user token, expires at ``expires_at`` (Unix
  seconds, 0 = never) unless invalidated first, and carries scopes whose granular targets
  are the WABA ids it may touch (the same targets for every WhatsApp scope).

Provisioning (``add_app``, ``add_waba``, ``add_token``, ``invalidate_token``,
``expire_token``) is the sandbox's own; ``authenticate`` and ``exchange`` are what Meta
does on each call. Secrets are kept out of ``repr`` so that no log line shows them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from graph_sandbox.errors import (
    GraphError,
    bad_app_token,
    expired_token,
    invalid_token,
    invalidated_token,
)

MANAGEMENT = "whatsapp_business_management"
MESSAGING = "whatsapp_business_messaging"
WHATSAPP_SCOPES = (MANAGEMENT, MESSAGING)
# A token from fb_exchange_token lives 60 days.
EXCHANGED_TTL_S = 60 * 24 * 3600

TokenType = Literal["SYSTEM_USER", "USER"]


class ProvisioningError(ValueError):
    """A sandbox set-up request that cannot describe a real Meta account."""


@dataclass
class App:
    app_id: str
    secret: str | None = field(repr=False)
    name: str

    @property
    def link(self) -> str:
        return f"https://www.facebook.com/games/?app_id={self.app_id}"


@dataclass
class Waba:
    waba_id: str
    phone_number_ids: set[str]
    # The app whose business owns the WABA; informational, as in Business Manager.
    app_id: str | None = None


@dataclass
class Token:
    value: str = field(repr=False)
    app_id: str
    scopes: tuple[str, ...]
    waba_ids: frozenset[str]
    issued_at: int
    user_id: str
    expires_at: int = 0  # 0 = never
    type: TokenType = "SYSTEM_USER"
    invalidated: bool = False

    def error(self, now: float, *, http_status: int = 401) -> GraphError | None:
        """Why Meta would refuse this token now, or None while it is valid."""
        if self.invalidated:
            return invalidated_token(http_status=http_status)
        if self.expires_at and now >= self.expires_at:
            return expired_token(self.expires_at, now, http_status=http_status)
        return None

    def reaches(self, waba_id: str, scope: str) -> bool:
        return scope in self.scopes and waba_id in self.waba_ids


@dataclass(frozen=True)
class AppToken:
    """The caller presented ``{app_id}|{app_secret}``."""

    app: App


Principal = Token | AppToken


def new_token_value() -> str:
    # Meta's user and system-user tokens start with "EAA" and are alphanumeric.
    alphabet = string.ascii_letters + string.digits
    return "EAA" + "".join(secrets.choice(alphabet) for _ in range(120))


class Accounts:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.apps: dict[str, App] = {}
        self.wabas: dict[str, Waba] = {}
        self.tokens: dict[str, Token] = {}
        self._waba_of_phone: dict[str, str] = {}
        # The operator's tests drive the sandbox from several threads at once.
        self._lock = threading.RLock()

    # --- provisioning -----------------------------------------------------------------

    def add_app(
        self, app_id: str, app_secret: str | None = None, *, name: str | None = None
    ) -> App:
        """Create or replace an app (a new secret invalidates the old app access token)."""
        if not app_id or "|" in app_id:
            raise ProvisioningError("app_id must be a non-empty id without '|'")
        with self._lock:
            app = App(app_id, app_secret, name or f"Sandbox app {app_id}")
            self.apps[app_id] = app
            return app

    def add_waba(
        self, waba_id: str, phone_number_ids: Iterable[str], *, app_id: str | None = None
    ) -> Waba:
        """Create a WABA or replace its numbers; a number can belong to one WABA only."""
        phones = set(phone_number_ids)
        if not waba_id:
            raise ProvisioningError("waba_id must not be empty")
        with self._lock:
            if app_id is not None and app_id not in self.apps:
                raise ProvisioningError(f"unknown app {app_id}")
            taken = sorted(p for p in phones if self._waba_of_phone.get(p, waba_id) != waba_id)
            if taken:
                raise ProvisioningError(f"phone numbers already in another WABA: {taken}")
            old = self.wabas.get(waba_id)
            if old is not None:
                for phone in old.phone_number_ids - phones:
                    del self._waba_of_phone[phone]
                if app_id is None:
                    app_id = old.app_id
            waba = Waba(waba_id, phones, app_id)
            self.wabas[waba_id] = waba
            self._waba_of_phone.update(dict.fromkeys(phones, waba_id))
            return waba

    def add_token(
        self,
        token: str | None = None,
        *,
        app_id: str,
        scopes: Iterable[str] = WHATSAPP_SCOPES,
        waba_ids: Iterable[str] = (),
        expires_at: int | None = None,
        expires_in_s: float | None = None,
        type: TokenType = "SYSTEM_USER",
        user_id: str | None = None,
    ) -> Token:
        """Issue a token (a new random value unless ``token`` is given). No expiry = never."""
        if expires_at is not None and expires_in_s is not None:
            raise ProvisioningError("give expires_at or expires_in_s, not both")
        value = token or new_token_value()
        if "|" in value or value != value.strip() or any(c.isspace() for c in value):
            raise ProvisioningError("a token must be one word without '|'")
        now = self.clock()
        with self._lock:
            if app_id not in self.apps:
                raise ProvisioningError(f"unknown app {app_id}")
            targets = frozenset(waba_ids)
            unknown = sorted(targets - self.wabas.keys())
            if unknown:
                raise ProvisioningError(f"unknown WABAs {unknown}")
            if expires_in_s is not None:
                expires_at = int(now + expires_in_s)
            issued = Token(
                value=value,
                app_id=app_id,
                scopes=tuple(dict.fromkeys(scopes)),
                waba_ids=targets,
                issued_at=int(now),
                user_id=user_id or str(61550000000000 + secrets.randbelow(10**9)),
                expires_at=expires_at or 0,
                type=type,
            )
            self.tokens[value] = issued
            return issued

    def _token(self, value: str) -> Token:
        token = self.tokens.get(value)
        if token is None:
            raise KeyError("no such token")  # never the value itself: it is a secret
        return token

    def invalidate_token(self, value: str) -> Token:
        """As when the system user's session is revoked: every later call gets 190/460."""
        token = self._token(value)
        token.invalidated = True
        return token

    def expire_token(self, value: str) -> Token:
        """Make the token expired as of now: every later call gets 190/463."""
        token = self._token(value)
        token.expires_at = int(self.clock())
        return token

    # --- lookups ------------------------------------------------------------------------

    def waba_of_phone(self, phone_number_id: str) -> Waba | None:
        waba_id = self._waba_of_phone.get(phone_number_id)
        return self.wabas.get(waba_id) if waba_id is not None else None

    def authenticate(self, presented: str | None) -> Principal:
        """The caller behind a presented token, or Meta's 190 error for it."""
        if not presented:
            raise invalid_token()
        if "|" in presented:
            app_id, _, secret = presented.partition("|")
            app = self.apps.get(app_id)
            if app is None or app.secret is None or not _same(secret, app.secret):
                raise bad_app_token()
            return AppToken(app)
        token = self.tokens.get(presented)
        if token is None:
            raise invalid_token()
        error = token.error(self.clock())
        if error is not None:
            raise error
        return token

    def check_proof(self, token: Token, proof: str) -> None:
        """``appsecret_proof`` = HMAC-SHA256(app secret, token), checked when it is sent."""
        app = self.apps.get(token.app_id)
        expected = (
            hmac.new(app.secret.encode(), token.value.encode(), hashlib.sha256).hexdigest()
            if app is not None and app.secret is not None
            else None
        )
        if expected is None or not _same(proof, expected):
            raise GraphError(
                400,
                100,
                "Invalid appsecret_proof provided in the API argument",
                type="GraphMethodException",
            )

    def check_client(self, client_id: str, client_secret: str) -> App:
        """The app behind OAuth client credentials, or Meta's OAuth error (HTTP 400)."""
        app = self.apps.get(client_id)
        if app is None:
            raise GraphError(400, 101, "Error validating application. Invalid application ID.")
        if app.secret is None or not _same(client_secret, app.secret):
            raise GraphError(400, 1, "Error validating client secret.")
        return app

    def exchange(self, client_id: str, client_secret: str, presented: str) -> Token:
        """``fb_exchange_token``: a fresh 60-day token with the same app, scopes, targets.

        The old token stays valid until its own expiry; an expired or invalidated one
        cannot be exchanged. Errors are Meta's OAuth errors (HTTP 400).
        """
        self.check_client(client_id, client_secret)
        token = self.tokens.get(presented)
        if token is None or token.app_id != client_id:
            raise invalid_token(http_status=400)
        error = token.error(self.clock(), http_status=400)
        if error is not None:
            raise error
        return self.add_token(
            app_id=token.app_id,
            scopes=token.scopes,
            waba_ids=token.waba_ids,
            expires_in_s=EXCHANGED_TTL_S,
            type=token.type,
            user_id=token.user_id,
        )


def _same(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())
