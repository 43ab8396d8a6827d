"""Which objects a caller may reach, with the error Meta gives when it may not.

Graph hides what a token cannot see behind "does not exist, cannot be loaded due to missing
permissions" (100/33): that is what sends and media answer. The WABA management endpoints
tell a known WABA without access apart (#200 Permissions error), as the operator must.
"""

from __future__ import annotations

from graph_sandbox.accounts import MANAGEMENT, MESSAGING, App, AppToken, Principal, Token, Waba
from graph_sandbox.errors import (
    app_token_required,
    permission_denied,
    permissions_error,
    unknown_object,
)
from graph_sandbox.state import Sandbox


def phone_for_messaging(
    sandbox: Sandbox, principal: Principal, phone_number_id: str, method: str
) -> Waba:
    """Sends and media: the token must reach the number's WABA and may send messages."""
    waba = sandbox.accounts.waba_of_phone(phone_number_id)
    if waba is None or not isinstance(principal, Token):
        raise unknown_object(phone_number_id, method)
    if waba.waba_id not in principal.waba_ids:
        raise unknown_object(phone_number_id, method)
    if MESSAGING not in principal.scopes:
        raise permission_denied()
    return waba


def may_read_phone(sandbox: Sandbox, principal: Principal, phone_number_id: str) -> bool:
    waba = sandbox.accounts.waba_of_phone(phone_number_id)
    return (
        waba is not None
        and isinstance(principal, Token)
        and (
            principal.reaches(waba.waba_id, MESSAGING)
            or principal.reaches(waba.waba_id, MANAGEMENT)
        )
    )


def waba_for_management(sandbox: Sandbox, principal: Principal, waba_id: str, method: str) -> Token:
    """The token that may manage this WABA (subscribed_apps), or Meta's refusal."""
    if waba_id not in sandbox.accounts.wabas:
        raise unknown_object(waba_id, method)
    if not isinstance(principal, Token) or not principal.reaches(waba_id, MANAGEMENT):
        raise permissions_error()
    return principal


def phone_for_management(
    sandbox: Sandbox, principal: Principal, phone_number_id: str, method: str
) -> tuple[Waba, Token]:
    waba = sandbox.accounts.waba_of_phone(phone_number_id)
    if waba is None:
        raise unknown_object(phone_number_id, method)
    return waba, waba_for_management(sandbox, principal, waba.waba_id, method)


def app_for_app_token(sandbox: Sandbox, principal: Principal, app_id: str, method: str) -> App:
    """``/{app-id}/subscriptions`` takes only that app's own app access token."""
    app = sandbox.accounts.apps.get(app_id)
    if app is None:
        raise unknown_object(app_id, method)
    if not isinstance(principal, AppToken):
        raise app_token_required()
    if principal.app.app_id != app_id:
        raise unknown_object(app_id, method)
    return app
