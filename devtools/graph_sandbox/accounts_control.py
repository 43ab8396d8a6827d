"""``/sandbox/…`` routes that provision accounts and look at (or break) subscriptions.

The HTTP face of ``Sandbox.accounts`` and ``Sandbox.subscriptions`` for tests that run the
sandbox in another process. Order matters as it does at Meta: an app, then its WABAs, then
tokens that target them. No authentication, like every ``/sandbox`` route.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from graph_sandbox.accounts import WHATSAPP_SCOPES, ProvisioningError, Token, TokenType
from graph_sandbox.errors import GraphError
from graph_sandbox.state import SandboxDep

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


class AppSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app_id: str
    app_secret: str | None = None
    name: str | None = None


class WabaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waba_id: str
    phone_number_ids: list[str] = Field(default_factory=list)
    app_id: str | None = None


class TokenSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str | None = None  # None: the sandbox issues a random one
    app_id: str
    scopes: list[str] = Field(default_factory=lambda: list(WHATSAPP_SCOPES))
    waba_ids: list[str] = Field(default_factory=list)
    expires_at: int | None = Field(default=None, ge=0)  # Unix seconds, 0 = never
    expires_in_s: float | None = None
    type: TokenType = "SYSTEM_USER"


@contextmanager
def _as_graph_errors() -> Iterator[None]:
    try:
        yield
    except ProvisioningError as exc:
        raise GraphError(400, 100, "(#100) Invalid parameter", details=str(exc)) from exc
    except KeyError as exc:
        raise GraphError(404, 100, f"Not found (sandbox): {exc.args[0]}") from exc


def _token_view(token: Token) -> dict[str, Any]:
    return {
        "app_id": token.app_id,
        "type": token.type,
        "scopes": list(token.scopes),
        "waba_ids": sorted(token.waba_ids),
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "invalidated": token.invalidated,
    }


@router.post("/apps")
async def add_app(spec: AppSpec, sandbox: SandboxDep) -> dict[str, Any]:
    with _as_graph_errors():
        app = sandbox.accounts.add_app(spec.app_id, spec.app_secret, name=spec.name)
    return {"success": True, "app_id": app.app_id, "name": app.name}


@router.post("/wabas")
async def add_waba(spec: WabaSpec, sandbox: SandboxDep) -> dict[str, Any]:
    with _as_graph_errors():
        waba = sandbox.accounts.add_waba(spec.waba_id, spec.phone_number_ids, app_id=spec.app_id)
    return {
        "success": True,
        "waba_id": waba.waba_id,
        "phone_number_ids": sorted(waba.phone_number_ids),
        "app_id": waba.app_id,
    }


@router.post("/tokens")
async def add_token(spec: TokenSpec, sandbox: SandboxDep) -> dict[str, Any]:
    """Issue a token; the answer carries it (``access_token``), as Meta's UI shows it once."""
    with _as_graph_errors():
        token = sandbox.accounts.add_token(
            spec.token,
            app_id=spec.app_id,
            scopes=spec.scopes,
            waba_ids=spec.waba_ids,
            expires_at=spec.expires_at,
            expires_in_s=spec.expires_in_s,
            type=spec.type,
        )
    return {"success": True, "access_token": token.value, **_token_view(token)}


@router.post("/tokens/{token}/invalidate")
async def invalidate_token(token: str, sandbox: SandboxDep) -> dict[str, Any]:
    with _as_graph_errors():
        return {"success": True, **_token_view(sandbox.accounts.invalidate_token(token))}


@router.post("/tokens/{token}/expire")
async def expire_token(token: str, sandbox: SandboxDep) -> dict[str, Any]:
    with _as_graph_errors():
        return {"success": True, **_token_view(sandbox.accounts.expire_token(token))}


@router.get("/subscriptions")
async def subscription_state(sandbox: SandboxDep) -> dict[str, Any]:
    """App callbacks, WABA subscriptions, per-number overrides and where each number's
    events would go (``effective_callback_uri``); verify tokens as SHA-256 fingerprints."""
    return sandbox.subscription_state()


@router.post("/wabas/{waba_id}/disable-subscription")
async def disable_subscription(
    waba_id: str, sandbox: SandboxDep, app_id: str | None = None
) -> dict[str, Any]:
    """Play Meta disabling the WABA's subscription (every app's, or ``?app_id=``'s)."""
    with _as_graph_errors():
        disabled = sandbox.disable_subscription(waba_id, app_id)
    return {"success": True, "disabled_app_ids": disabled}
