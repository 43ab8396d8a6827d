"""``GET /debug_token`` and ``GET /oauth/access_token``: inspecting and refreshing tokens.

Both are also served unversioned, as Meta serves them (clients commonly call
``graph.facebook.com/debug_token``), and under ``/{version}/``.

``debug_token`` answers 200 even for a dead input token: ``is_valid`` is false and ``data``
carries an ``error`` (190 with the subcode: 463 expired, 460 invalidated). Only a bad
*caller* token, or an input token of another app, is an error response.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from graph_sandbox.accounts import (
    EXCHANGED_TTL_S,
    WHATSAPP_SCOPES,
    AppToken,
    Principal,
    Token,
)
from graph_sandbox.errors import CATALOGUE, GraphError
from graph_sandbox.state import PrincipalDep, Sandbox, SandboxDep, Versioned

router = APIRouter()


def _app_mismatch() -> GraphError:
    return GraphError(
        400, 100, "(#100) The App_id in the input_token did not match the Viewing App"
    )


def _token_data(sandbox: Sandbox, token: Token) -> dict[str, Any]:
    app = sandbox.accounts.apps.get(token.app_id)
    data: dict[str, Any] = {
        "app_id": token.app_id,
        "type": token.type,
        "application": app.name if app else "",
        # System users have no data-access expiry; a user's lasts 90 days.
        "data_access_expires_at": 0 if token.type == "SYSTEM_USER" else token.issued_at + 7776000,
    }
    error = token.error(sandbox.accounts.clock())
    if error is not None:
        data["error"] = {"code": error.code, "message": error.message, "subcode": error.subcode}
    data.update(
        expires_at=token.expires_at,
        is_valid=error is None,
        issued_at=token.issued_at,
        scopes=list(token.scopes),
        granular_scopes=[
            {"scope": scope, "target_ids": sorted(token.waba_ids)}
            for scope in token.scopes
            if scope in WHATSAPP_SCOPES and token.waba_ids
        ],
        user_id=token.user_id,
    )
    return data


def _debug(sandbox: Sandbox, caller: Principal, input_token: str) -> dict[str, Any]:
    viewing_app = caller.app.app_id if isinstance(caller, AppToken) else caller.app_id
    if "|" in input_token:
        try:
            subject = sandbox.accounts.authenticate(input_token)
        except GraphError as exc:
            return {
                "error": {"code": exc.code, "message": exc.message},
                "is_valid": False,
                "scopes": [],
            }
        assert isinstance(subject, AppToken)
        if subject.app.app_id != viewing_app:
            raise _app_mismatch()
        app = subject.app
        return {"app_id": app.app_id, "type": "APP", "application": app.name, "is_valid": True}
    token = sandbox.accounts.tokens.get(input_token)
    if token is None:
        message = CATALOGUE[190].title
        return {"error": {"code": 190, "message": message}, "is_valid": False, "scopes": []}
    if token.app_id != viewing_app:
        raise _app_mismatch()
    return _token_data(sandbox, token)


@router.get("/debug_token")
@router.get("/{version}/debug_token", dependencies=[Versioned])
async def debug_token(
    sandbox: SandboxDep, caller: PrincipalDep, input_token: str = ""
) -> dict[str, Any]:
    """What Meta knows about ``input_token``; the caller: an app token or a valid token."""
    await sandbox.faults.trigger("debug_token", method="GET")
    if not input_token:
        raise GraphError(400, 100, "(#100) The parameter input_token is required")
    return {"data": _debug(sandbox, caller, input_token)}


@router.get("/oauth/access_token")
@router.get("/{version}/oauth/access_token", dependencies=[Versioned])
async def access_token(request: Request, sandbox: SandboxDep) -> dict[str, Any]:
    """``fb_exchange_token``: a new 60-day token; ``client_credentials``: the app token.

    The client's own credentials are the parameters: no access token is needed.
    """
    await sandbox.faults.trigger("oauth_access_token", method="GET")
    params = request.query_params
    grant_type = params.get("grant_type", "")
    if grant_type not in ("fb_exchange_token", "client_credentials"):
        raise GraphError(400, 100, "(#100) Unsupported grant_type: expected fb_exchange_token")
    client_id = params.get("client_id", "")
    if not client_id:
        raise GraphError(400, 101, "Missing client_id parameter.")
    client_secret = params.get("client_secret", "")
    if grant_type == "client_credentials":
        sandbox.accounts.check_client(client_id, client_secret)
        return {"access_token": f"{client_id}|{client_secret}", "token_type": "bearer"}
    presented = params.get("fb_exchange_token", "")
    if not presented:
        raise GraphError(400, 100, "(#100) The parameter fb_exchange_token is required")
    token = sandbox.accounts.exchange(client_id, client_secret, presented)
    return {"access_token": token.value, "token_type": "bearer", "expires_in": EXCHANGED_TTL_S}
