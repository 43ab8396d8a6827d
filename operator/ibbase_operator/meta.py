"""Meta's Graph API as the operator uses it: token checks and refreshes, which numbers a
WABA holds, webhook subscriptions and callback overrides. Every call is versioned; calls
with the channel's own token carry ``appsecret_proof``; no token is ever put into an error
message or a log line.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

import httpx

from ibbase_operator.metrics import META_CALLS
from whatsapp_cloud.errors import GraphApiError, from_response

MANAGEMENT = "whatsapp_business_management"
MESSAGING = "whatsapp_business_messaging"
# A WABA has a few numbers; more pages than this is not a WABA Meta would serve.
MAX_PAGES = 50


@dataclass(frozen=True)
class GranularScope:
    """One of debug_token's ``granular_scopes``: a permission and the objects it was granted
    on. No ``target_ids`` (None): not limited to listed objects."""

    scope: str
    target_ids: frozenset[str] | None


@dataclass(frozen=True)
class TokenInfo:
    is_valid: bool
    expires_at: int  # unix seconds; 0 = never expires
    error: str | None = None
    error_subcode: int | None = None
    app_id: str | None = None
    granular_scopes: tuple[GranularScope, ...] = ()

    @property
    def expired(self) -> bool:
        return self.error_subcode == 463

    def acts_for(self, scope: str, target_id: str) -> bool:
        """Whether the token holds ``scope`` on ``target_id`` (a WABA id)."""
        return any(
            g.scope == scope and (g.target_ids is None or target_id in g.target_ids)
            for g in self.granular_scopes
        )


def _granular(raw: Any) -> tuple[GranularScope, ...]:
    scopes: list[GranularScope] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("scope"), str):
            continue
        targets = item.get("target_ids")
        if targets is None:
            scopes.append(GranularScope(item["scope"], None))
        else:  # anything but a list of ids grants nothing
            ids = targets if isinstance(targets, list) else []
            scopes.append(GranularScope(item["scope"], frozenset(str(t) for t in ids)))
    return tuple(scopes)


def appsecret_proof(app_secret: str, access_token: str) -> str:
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def outcome(exc: GraphApiError | None) -> str:
    """A call's outcome as ``ibbase_operator_meta_calls_total`` counts it."""
    if exc is None:
        return "ok"
    if exc.http_status is None:
        return "no_answer"
    if exc.rate_limited:
        return "rate_limited"
    return "temporary" if exc.temporary else "permanent"


class MetaAdmin:
    def __init__(
        self,
        graph_url: str,
        *,
        timeout_s: float = 15.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=graph_url.rstrip("/"), timeout=timeout_s, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        call: str,
        method: str,
        path: str,
        token: str,
        *,
        app_secret: str | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        try:
            result = await self._send(method, path, token, app_secret, params, json)
        except GraphApiError as exc:
            META_CALLS.labels(call, outcome(exc)).inc()
            raise
        META_CALLS.labels(call, "ok").inc()
        return result

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        app_secret: str | None,
        params: dict[str, Any] | None,
        json: Any,
    ) -> dict[str, Any]:
        query = dict(params or {})
        if app_secret and "|" not in token:
            query["appsecret_proof"] = appsecret_proof(app_secret, token)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            response = await self._http.request(
                method, path, params=query, json=json, headers=headers
            )
        except httpx.TimeoutException:
            raise GraphApiError.no_answer(f"{method} {path} timed out") from None
        except httpx.TransportError as exc:
            raise GraphApiError.no_answer(f"{method} {path}: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or "error" in body:
            raise from_response(response, redact=token)
        result: dict[str, Any] = body
        return result

    # Tokens -----------------------------------------------------------------------------

    async def debug_token(
        self, version: str, app_id: str, app_secret: str, token: str
    ) -> TokenInfo:
        body = await self._call(
            "debug_token",
            "GET",
            f"/{version}/debug_token",
            f"{app_id}|{app_secret}",
            params={"input_token": token},
        )
        data = body.get("data", {})
        error = data.get("error") or {}
        return TokenInfo(
            is_valid=bool(data.get("is_valid")),
            expires_at=int(data.get("expires_at") or 0),
            error=error.get("message"),
            error_subcode=error.get("subcode") or error.get("error_subcode"),
            app_id=str(data["app_id"]) if data.get("app_id") is not None else None,
            granular_scopes=_granular(data.get("granular_scopes")),
        )

    async def exchange_token(
        self, version: str, app_id: str, app_secret: str, token: str
    ) -> tuple[str, int]:
        """A fresh 60-day token for a still-valid one: (token, expires_in seconds)."""
        body = await self._call(
            "exchange_token",
            "GET",
            f"/{version}/oauth/access_token",
            f"{app_id}|{app_secret}",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": app_id,
                "client_secret": app_secret,
                "fb_exchange_token": token,
            },
        )
        return str(body["access_token"]), int(body.get("expires_in") or 0)

    # Phone numbers ----------------------------------------------------------------------

    async def waba_phone_numbers(
        self, version: str, waba_id: str, token: str, app_secret: str
    ) -> set[str]:
        """The ids of the phone numbers Meta lists in the WABA, every page, asked with the
        channel's own token."""
        found: set[str] = set()
        params: dict[str, Any] = {"fields": "id", "limit": 100}
        for _ in range(MAX_PAGES):
            body = await self._call(
                "phone_numbers",
                "GET",
                f"/{version}/{waba_id}/phone_numbers",
                token,
                app_secret=app_secret,
                params=params,
            )
            found |= {str(n["id"]) for n in body.get("data", []) if n.get("id") is not None}
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {**params, "after": after}
        return found

    # Webhooks ---------------------------------------------------------------------------

    async def waba_subscriptions(
        self, version: str, waba_id: str, token: str, app_secret: str
    ) -> list[dict[str, Any]]:
        body = await self._call(
            "get_subscribed_apps",
            "GET",
            f"/{version}/{waba_id}/subscribed_apps",
            token,
            app_secret=app_secret,
        )
        data: list[dict[str, Any]] = body.get("data", [])
        return data

    async def subscribe_waba(
        self,
        version: str,
        waba_id: str,
        token: str,
        app_secret: str,
        *,
        override_callback_uri: str | None = None,
        verify_token: str | None = None,
    ) -> None:
        payload: dict[str, str] = {}
        if override_callback_uri:
            payload = {"override_callback_uri": override_callback_uri}
            payload["verify_token"] = verify_token or ""
        await self._call(
            "subscribe_waba",
            "POST",
            f"/{version}/{waba_id}/subscribed_apps",
            token,
            app_secret=app_secret,
            json=payload or None,
        )

    async def unsubscribe_waba(
        self, version: str, waba_id: str, token: str, app_secret: str
    ) -> None:
        await self._call(
            "unsubscribe_waba",
            "DELETE",
            f"/{version}/{waba_id}/subscribed_apps",
            token,
            app_secret=app_secret,
        )

    async def phone_webhook(
        self, version: str, phone_id: str, token: str, app_secret: str
    ) -> dict[str, Any]:
        body = await self._call(
            "get_phone_webhook",
            "GET",
            f"/{version}/{phone_id}",
            token,
            app_secret=app_secret,
            params={"fields": "webhook_configuration"},
        )
        config: dict[str, Any] = body.get("webhook_configuration", {})
        return config

    async def set_phone_override(
        self,
        version: str,
        phone_id: str,
        token: str,
        app_secret: str,
        uri: str,
        verify_token: str,
    ) -> None:
        """Set (or with ``uri=""`` delete) the phone number's callback override."""
        config = {"override_callback_uri": uri}
        if uri:
            config["verify_token"] = verify_token
        await self._call(
            "set_phone_override",
            "POST",
            f"/{version}/{phone_id}",
            token,
            app_secret=app_secret,
            json={"webhook_configuration": config},
        )

    async def app_subscriptions(
        self, version: str, app_id: str, app_secret: str
    ) -> list[dict[str, Any]]:
        body = await self._call(
            "get_app_subscriptions",
            "GET",
            f"/{version}/{app_id}/subscriptions",
            f"{app_id}|{app_secret}",
        )
        data: list[dict[str, Any]] = body.get("data", [])
        return data

    async def subscribe_app(
        self, version: str, app_id: str, app_secret: str, callback_url: str, verify_token: str
    ) -> None:
        await self._call(
            "subscribe_app",
            "POST",
            f"/{version}/{app_id}/subscriptions",
            f"{app_id}|{app_secret}",
            json={
                "object": "whatsapp_business_account",
                "callback_url": callback_url,
                "verify_token": verify_token,
                "fields": "messages",
            },
        )

    async def unsubscribe_app(self, version: str, app_id: str, app_secret: str) -> None:
        await self._call(
            "unsubscribe_app",
            "DELETE",
            f"/{version}/{app_id}/subscriptions",
            f"{app_id}|{app_secret}",
            params={"object": "whatsapp_business_account"},
        )
