"""Meta's side of a channel's webhook: the subscriptions and callback overrides of the three
callback scopes, made and undone idempotently.

Order matters at Meta: the app is subscribed to the WABA first, then an override is set on
the WABA or the phone number (error #100 otherwise); the app scope uses the app's own
callback. ``ensure`` reads what Meta has and writes only what differs, so the periodic drift
check is the same call. ``release`` removes only what still points at the channel's own URL
(another channel may hold a WABA override or an app callback by now) and keeps the app's
subscription to the WABA while another channel needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ibbase_operator.meta import MetaAdmin

Scope = Literal["waba", "phone", "app"]


@dataclass(frozen=True)
class Credentials:
    access_token: str
    app_secret: str


@dataclass(frozen=True)
class Target:
    """Where at Meta a registration lives: its scope and the ids of the Meta objects."""

    scope: Scope
    waba: str
    phone: str
    app: str
    version: str

    @property
    def ids(self) -> tuple[str, str, str]:
        return self.waba, self.phone, self.app


def _ours(subscriptions: list[dict[str, Any]], app_id: str) -> dict[str, Any] | None:
    for sub in subscriptions:
        api_data = sub.get("whatsapp_business_api_data")
        if isinstance(api_data, dict) and str(api_data.get("id")) == app_id:
            return sub
    return None


class Registrar:
    def __init__(self, meta: MetaAdmin) -> None:
        self.meta = meta

    async def ensure(
        self, t: Target, url: str, creds: Credentials, verify_token: str, *, force: bool
    ) -> list[str]:
        """Make Meta send ``t``'s webhooks to ``url``. Returns what had to change (empty
        when Meta already matched); ``force`` re-registers even then, which a new verify
        token needs (Meta cannot be asked which token it holds)."""
        token, secret = creds.access_token, creds.app_secret
        changed: list[str] = []
        subs = await self.meta.waba_subscriptions(t.version, t.waba, token, secret)
        ours = _ours(subs, t.app)
        if t.scope == "waba":
            if force or ours is None or ours.get("override_callback_uri") != url:
                await self.meta.subscribe_waba(
                    t.version,
                    t.waba,
                    token,
                    secret,
                    override_callback_uri=url,
                    verify_token=verify_token,
                )
                changed.append("WABA override" if ours else "WABA subscription with override")
            return changed
        if ours is None:
            await self.meta.subscribe_waba(t.version, t.waba, token, secret)
            changed.append("WABA subscription")
        if t.scope == "phone":
            config = await self.meta.phone_webhook(t.version, t.phone, token, secret)
            if force or config.get("phone_number") != url:
                await self.meta.set_phone_override(
                    t.version, t.phone, token, secret, url, verify_token
                )
                changed.append("phone number override")
            return changed
        apps = await self.meta.app_subscriptions(t.version, t.app, secret)
        current = next((a for a in apps if a.get("object") == "whatsapp_business_account"), None)
        if (
            force
            or current is None
            or current.get("callback_url") != url
            or not current.get("active", True)
        ):
            await self.meta.subscribe_app(t.version, t.app, secret, url, verify_token)
            changed.append("app callback")
        return changed

    async def release(
        self,
        t: Target,
        url: str,
        creds: Credentials,
        *,
        keep: frozenset[Scope] = frozenset(),
        keep_subscription: bool,
    ) -> list[str]:
        """Remove what at Meta still sends ``t``'s number's events to ``url`` — the phone
        number override, the WABA override, the app callback, except the scopes in ``keep``
        — and the app's subscription to the WABA unless ``keep_subscription``. One read
        (the number's ``webhook_configuration`` names all three). Returns what was removed."""
        token, secret = creds.access_token, creds.app_secret
        config = await self.meta.phone_webhook(t.version, t.phone, token, secret)
        removed: list[str] = []
        if "phone" not in keep and config.get("phone_number") == url:
            await self.meta.set_phone_override(t.version, t.phone, token, secret, "", "")
            removed.append("phone number override")
        if "app" not in keep and config.get("application") == url:
            await self.meta.unsubscribe_app(t.version, t.app, secret)
            removed.append("app callback")
        if not keep_subscription:
            # Unsubscribing drops the app's WABA override with it.
            await self.meta.unsubscribe_waba(t.version, t.waba, token, secret)
            removed.append("WABA subscription")
        elif "waba" not in keep and config.get("whatsapp_business_account") == url:
            # Re-subscribing without an override drops ours and keeps the subscription.
            await self.meta.subscribe_waba(t.version, t.waba, token, secret)
            removed.append("WABA override")
        return removed
