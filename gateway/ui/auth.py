"""Who is looking at ``/ui``, and whether a form really came from its page.

The login form takes an API token; a cookie (HttpOnly, SameSite=Strict, Path=/ui, Secure on
https) carries it back. Every request presents it to ``gateway.deps.require`` as if it were
the API's bearer header, so the check is the API's own, not a copy: revoked and expired
tokens stop at once, scopes and channels apply, and both rate limits (per token, and per
client for failed attempts) are the API's buckets.

Every POST carries a CSRF token: an HMAC of the cookie's value under a key derived from the
bootstrap admin token (set in every production deployment, so every replica of the gateway
agrees), or under a key of this process when there is none (development). SameSite=Strict
already keeps other sites' forms from sending the cookie; the CSRF token does not rely on
every browser honouring it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from gateway.auth.tokens import Permission, Principal
from gateway.deps import require
from gateway.errors import Forbidden, Unauthorized
from gateway.settings import Settings

PREFIX = "/ui"
COOKIE = "ibbase_ui"
# Editing and deleting; reading needs what the contacts API needs.
WRITE = Permission.WRITE_CONTACTS
_PROCESS_KEY = secrets.token_bytes(32)


class LoginRequired(Exception):
    """No valid token: the page answers with a redirect to the login form."""


def principal_of(request: Request, token: str, permission: Permission) -> Principal:
    """The principal behind ``token``, checked by the API's own dependency; raises its
    ``Unauthorized``, ``Forbidden`` or ``TooManyRequests``."""
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"authorization"]
    # A header is latin-1: anything else cannot be a token, and stays an invalid one.
    headers.append((b"authorization", b"Bearer " + token.strip().encode("latin-1", "replace")))
    return require(permission)(Request({**request.scope, "headers": headers}))


def signed_in(request: Request) -> Principal:
    """A dependency: the principal of the cookie's token, allowed to read contacts."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise LoginRequired
    try:
        return principal_of(request, token, Permission.READ_CONTACTS)
    except Unauthorized as exc:
        raise LoginRequired from exc


Reader = Annotated[Principal, Depends(signed_in)]


def _signed(request: Request, value: str) -> str:
    settings: Settings = request.app.state.settings
    secret = settings.admin_token.get_secret_value()
    key = (
        hmac.new(secret.encode(), b"ibbase ui csrf", hashlib.sha256).digest()
        if secret
        else _PROCESS_KEY
    )
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token every form of this session carries."""
    return _signed(request, request.cookies.get(COOKIE, ""))


# The login form has no session yet: its CSRF token signs a nonce in a cookie of its own,
# so a form posted from another site (which carries no SameSite=Strict cookie) signs
# nobody in, not even into the attacker's account.
LOGIN_COOKIE = "ibbase_ui_login"


def login_csrf(request: Request, response: Response) -> str:
    """A fresh nonce for the login form (set on ``response``) and the token signing it."""
    nonce = secrets.token_urlsafe(24)
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return _signed(request, "login:" + nonce)


def login_form_is_genuine(request: Request, csrf: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return bool(nonce) and hmac.compare_digest(
        csrf.encode(), _signed(request, "login:" + nonce).encode()
    )


def check_csrf(request: Request, csrf: Annotated[str, Form()] = "") -> None:
    """A dependency of every POST made while signed in."""
    if not request.cookies.get(COOKIE) or not hmac.compare_digest(
        csrf.encode(), csrf_token(request).encode()
    ):
        raise Forbidden("this form did not come from this page, or has expired: reload the page")


def writer(caller: Reader, _csrf: Annotated[None, Depends(check_csrf)]) -> Principal:
    """A dependency: the signed-in principal, if the form is genuine and it may edit."""
    if not caller.can(WRITE):
        raise Forbidden(f"a token of scope {caller.scope.value!r} may only read contacts")
    return caller


Writer = Annotated[Principal, Depends(writer)]


def remember(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token.strip(),
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
