"""Long-lived clients live on ``app.state`` (made in the lifespan); endpoints reach them
through these aliases, declared once. ``SendMessages`` and ``ReadContacts`` guard the API:
a valid token whose scope grants the permission, within its rate limit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from gateway.auth.service import CHALLENGE, authenticate
from gateway.auth.tokens import Permission, Principal
from gateway.errors import Forbidden, TooManyRequests, Unauthorized
from gateway.ratelimit import TokenBuckets, retry_after
from gateway.settings import Settings


async def get_settings(request: Request) -> Settings:
    # async: a plain def dependency would hop to the thread pool on every request
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


class ApiLimits:
    """The API's rate limits (never the webhook's): per token, and per client address for
    failed authentications, so that guessing tokens is slow too."""

    def __init__(self, settings: Settings):
        self.per_token = TokenBuckets(settings.api_rate_per_s, settings.api_rate_burst)
        self.failed_auth = TokenBuckets(
            settings.api_failed_auth_per_s, settings.api_failed_auth_burst
        )


def _refuse(wait: float) -> TooManyRequests:
    return TooManyRequests(
        f"too many requests; retry in {retry_after(wait)} s",
        headers={"Retry-After": retry_after(wait)},
    )


def _spend(buckets: TokenBuckets, key: str) -> None:
    wait = buckets.take(key)
    if wait:
        raise _refuse(wait)


def _principal(request: Request) -> Principal:
    limits: ApiLimits = request.app.state.api_limits
    # The client's address: the peer, or what a trusted proxy says (IBBASE_TRUSTED_PROXIES).
    client = f"client:{request.client.host if request.client else 'unknown'}"
    # A client out of failed attempts is refused before its token is even looked up.
    wait = limits.failed_auth.wait(client)
    if wait:
        raise _refuse(wait)
    try:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized(
                "an API token is required: Authorization: Bearer <token>", headers=CHALLENGE
            )
        principal = authenticate(
            request.app.state.sessions,
            token,
            bootstrap=request.app.state.settings.admin_token.get_secret_value(),
        )
    except Unauthorized:
        _spend(limits.failed_auth, client)
        raise
    _spend(limits.per_token, f"token:{principal.token_id}")
    return principal


_DOES = {
    Permission.SEND_MESSAGES: "send messages",
    Permission.READ_CONTACTS: "read contacts",
    Permission.WRITE_CONTACTS: "change contacts",
}


def require(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency: the caller's principal, if its token's scope grants ``permission``.
    401 without a valid token, 403 with one of another scope, 429 past the rate limit."""

    def dependency(request: Request) -> Principal:
        principal = _principal(request)
        if not principal.can(permission):
            raise Forbidden(
                f"a token of scope {principal.scope.value!r} may not {_DOES[permission]} "
                f"({permission.value})"
            )
        return principal

    return dependency


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSessionDep = Annotated[Session, Depends(get_session)]
SendMessages = Depends(require(Permission.SEND_MESSAGES))
ReadContacts = Depends(require(Permission.READ_CONTACTS))
# The caller, for endpoints that scope what they do by the token's channels.
Sender = Annotated[Principal, SendMessages]
Reader = Annotated[Principal, ReadContacts]
