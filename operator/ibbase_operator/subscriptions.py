"""Meta's side of a channel's webhook: the subscriptions and callback overrides of the three
callback scopes, made and undone idempotently.

Order matters at Meta: the app is subscribed to the WABA first, then an override is set on
the WABA or the phone number (error #100 otherwise); the app scope uses the app's own
callback. ``ensure`` reads what Meta has and writes only what differs, so the periodic drift
check is the same call; ``remove`` leaves alone what another channel still relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ibbase_operator.channel import Channel
from ibbase_operator.meta import MetaAdmin


@dataclass(frozen=True)
class Credentials:
    access_token: str
    app_secret: str


@dataclass(frozen=True)
class Sharing:
    """What other (not deleted) channels use the same Meta objects as this one."""

    waba: bool = False
    waba_override: bool = False
    app_callback: bool = False

    @classmethod
    def among(cls, me: Channel, others: list[Channel]) -> Sharing:
        same_waba = [o for o in others if o.spec.business_account_id == me.spec.business_account_id]
        return cls(
            waba=bool(same_waba),
            waba_override=any(o.spec.callback_scope == "waba" for o in same_waba),
            app_callback=any(
                o.spec.app_id == me.spec.app_id and o.spec.callback_scope == "app" for o in others
            ),
        )


def _ours(subscriptions: list[dict[str, Any]], app_id: str) -> dict[str, Any] | None:
    for sub in subscriptions:
        if str(sub.get("whatsapp_business_api_data", {}).get("id")) == app_id:
            return sub
    return None


class Registrar:
    def __init__(self, meta: MetaAdmin) -> None:
        self.meta = meta

    async def ensure(
        self, ch: Channel, creds: Credentials, verify_token: str, *, force: bool
    ) -> list[str]:
        """Make Meta send the channel's webhooks to its URL. Returns what had to change
        (empty when Meta already matched); ``force`` re-registers even then, which a new
        verify token needs (Meta cannot be asked which token it holds)."""
        spec, version = ch.spec, ch.spec.graph_api_version
        token, secret = creds.access_token, creds.app_secret
        changed: list[str] = []
        subs = await self.meta.waba_subscriptions(version, spec.business_account_id, token, secret)
        ours = _ours(subs, spec.app_id)
        if spec.callback_scope == "waba":
            if force or ours is None or ours.get("override_callback_uri") != ch.webhook_url:
                await self.meta.subscribe_waba(
                    version,
                    spec.business_account_id,
                    token,
                    secret,
                    override_callback_uri=ch.webhook_url,
                    verify_token=verify_token,
                )
                changed.append("WABA override" if ours else "WABA subscription with override")
            return changed
        if ours is None:
            await self.meta.subscribe_waba(version, spec.business_account_id, token, secret)
            changed.append("WABA subscription")
        if spec.callback_scope == "phone":
            config = await self.meta.phone_webhook(version, spec.phone_number_id, token, secret)
            if force or config.get("phone_number") != ch.webhook_url:
                await self.meta.set_phone_override(
                    version, spec.phone_number_id, token, secret, ch.webhook_url, verify_token
                )
                changed.append("phone number override")
            return changed
        apps = await self.meta.app_subscriptions(version, spec.app_id, secret)
        current = next((a for a in apps if a.get("object") == "whatsapp_business_account"), None)
        if (
            force
            or current is None
            or current.get("callback_url") != ch.webhook_url
            or not current.get("active", True)
        ):
            await self.meta.subscribe_app(
                version, spec.app_id, secret, ch.webhook_url, verify_token
            )
            changed.append("app callback")
        return changed

    async def remove(self, ch: Channel, creds: Credentials, sharing: Sharing) -> list[str]:
        """Undo this channel's registration; returns what was removed."""
        spec, version = ch.spec, ch.spec.graph_api_version
        token, secret = creds.access_token, creds.app_secret
        removed: list[str] = []
        if spec.callback_scope == "phone":
            await self.meta.set_phone_override(version, spec.phone_number_id, token, secret, "", "")
            removed.append("phone number override")
        elif spec.callback_scope == "app" and not sharing.app_callback:
            await self.meta.unsubscribe_app(version, spec.app_id, secret)
            removed.append("app callback")
        if spec.callback_scope == "waba" and sharing.waba_override:
            return removed  # another channel's override on this WABA: leave it
        if sharing.waba:
            if spec.callback_scope == "waba":
                # Re-subscribing without an override drops ours and keeps the subscription.
                await self.meta.subscribe_waba(version, spec.business_account_id, token, secret)
                removed.append("WABA override")
            return removed
        await self.meta.unsubscribe_waba(version, spec.business_account_id, token, secret)
        removed.append("WABA subscription")
        return removed
