"""The channel's webhook at Meta: registered only once its public URL answers Meta's
challenge over TLS and the access token is valid; re-registered when Meta dropped it or the
verify token changed; not retried after a permanent refusal until something changes; and
removed when the channel is deleted, without ever holding the deletion up for good."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, RegistrationStatus, digest
from ibbase_operator.kube import KubeClient
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.status import Event, Outcome, Pass, StatusWriter, Stop, iso
from ibbase_operator.subscriptions import Credentials, Registrar, Sharing
from whatsapp_cloud.errors import GraphApiError
from whatsapp_cloud.probe import ProbeResult


class Probe(Protocol):
    """Meta's verification request to a webhook URL, as
    :func:`whatsapp_cloud.probe.probe_callback` sends it."""

    def __call__(
        self,
        url: str,
        verify_token: str,
        *,
        ca_bundle: str | None = ...,
        resolve: Mapping[str, str] | None = ...,
        timeout_s: float = ...,
    ) -> Awaitable[ProbeResult]: ...


def blocked_key(ch: Channel, credentials_version: str, verify_token: str) -> str:
    """What a permanent refusal by Meta is tied to: retried once any part of it changes."""
    return f"{ch.generation}:{credentials_version}:{digest(verify_token)}"


def build_registration(ch: Channel, verify_token: str, *, registered_at: str) -> RegistrationStatus:
    """``status.registration`` after a successful registration (``blockedOn`` cleared)."""
    return RegistrationStatus(
        scope=ch.spec.callback_scope,
        callbackUrl=ch.webhook_url,
        verifyTokenDigest=digest(verify_token),
        registeredAt=registered_at,
        blockedOn=None,
    )


def _differs(recorded: RegistrationStatus, ch: Channel, verify_token: str) -> bool:
    return (
        recorded.scope != ch.spec.callback_scope
        or recorded.callback_url != ch.webhook_url
        or not hmac.compare_digest(recorded.verify_token_digest or "", digest(verify_token))
    )


class Registration:
    def __init__(
        self,
        kube: KubeClient,
        registrar: Registrar,
        settings: OperatorSettings,
        writer: StatusWriter,
        *,
        probe: Probe,
        clock: Callable[[], float],
    ) -> None:
        self.kube = kube
        self.registrar = registrar
        self.settings = settings
        self.writer = writer
        self._probe = probe
        self._clock = clock

    async def verified(self, p: Pass, verify_token: str) -> None:
        """Go on only once the public URL answers Meta's challenge with this token."""
        result = await self._probe(
            p.ch.webhook_url,
            verify_token,
            ca_bundle=self.settings.probe_ca_bundle,
            resolve=self.settings.probe_resolve or None,
            timeout_s=self.settings.probe_timeout_s,
        )
        if result.ok:
            p.conds.set(
                c.WEBHOOK_VERIFIED, True, "ChallengeAnswered", f"{p.ch.webhook_url} answers"
            )
            return
        p.conds.set(c.WEBHOOK_VERIFIED, False, "ChallengeFailed", result.detail)
        if not p.conds.is_true(c.WEBHOOK_SUBSCRIBED):
            p.conds.set(
                c.WEBHOOK_SUBSCRIBED,
                False,
                "WaitingForWebhook",
                "Meta is only told about the webhook once it answers the challenge",
            )
        raise Stop(f"webhook does not answer yet: {result.detail}")

    @staticmethod
    def require_valid_token(p: Pass) -> None:
        """Go on only with an access token that the token check found valid."""
        token = p.conds.get(c.TOKEN_VALID) or {}
        if token.get("status") == "False":
            p.conds.set(
                c.WEBHOOK_SUBSCRIBED,
                None,
                token.get("reason", "TokenInvalid"),
                "cannot check or change the registration without a valid access token",
            )
            raise Stop("access token is not valid", retry=False)
        if token.get("status") != "True":
            raise Stop("access token could not be checked")

    async def register(
        self, p: Pass, creds: Credentials, verify_token: str, *, force: bool
    ) -> None:
        """Make Meta's registration match the spec (``force``: re-register even when it
        seems to, as a new verify token needs)."""
        ch = p.ch
        recorded = ch.status.registration or RegistrationStatus()
        blocked = blocked_key(ch, p.status.credentials_version, verify_token)
        if recorded.blocked_on == blocked:
            raise Stop("registration refused by Meta; waiting for a change", retry=False)
        force = force or _differs(recorded, ch, verify_token)
        try:
            old_scope = recorded.scope
            if old_scope and old_scope != ch.spec.callback_scope:
                # The scope moved: take down what the old one registered first.
                old = replace(ch, spec=ch.spec.model_copy(update={"callback_scope": old_scope}))
                removed = await self.registrar.remove(old, creds, await self.sharing(old))
                p.event(
                    "WebhookScopeChanged",
                    f"{old_scope} → {ch.spec.callback_scope}; "
                    f"removed {', '.join(removed) or 'nothing'}",
                )
            changed = await self.registrar.ensure(ch, creds, verify_token, force=force)
        except GraphApiError as exc:
            p.conds.set(c.WEBHOOK_SUBSCRIBED, False, exc.reason, str(exc))
            if exc.temporary:
                raise Stop(str(exc), delay=exc.retry_after_s) from None
            p.status.registration = recorded.model_copy(update={"blocked_on": blocked})
            p.event(
                "RegistrationRefused",
                f"{exc}; not retried until the spec or the credentials change",
                warning=True,
            )
            raise Stop(str(exc), retry=False) from None
        if changed:
            drifted = not force
            p.status.registration = build_registration(
                ch, verify_token, registered_at=iso(self._clock())
            )
            if drifted:
                p.event(
                    "WebhookResubscribed",
                    f"Meta no longer had the registration; restored: {', '.join(changed)}",
                    warning=True,
                )
            else:
                p.event("WebhookRegistered", f"{', '.join(changed)} → {ch.webhook_url}")
        p.conds.set(
            c.WEBHOOK_SUBSCRIBED,
            True,
            "Subscribed",
            f"{ch.spec.callback_scope} scope → {ch.webhook_url}",
        )

    async def deregister(
        self, obj: dict[str, Any], ch: Channel, creds: Credentials | None, attempt: int
    ) -> Outcome:
        """Remove the registration at Meta. Every branch ends: Meta says it is gone (404) or
        removes it; a temporary failure is retried a bounded number of times; after that, or
        without credentials (None), a Warning event names what is left at Meta."""
        what = (
            f"{ch.spec.callback_scope} registration of {ch.webhook_url} (WABA "
            f"{ch.spec.business_account_id}, phone number {ch.spec.phone_number_id})"
        )
        if creds is None:
            await self._post(
                obj,
                "Warning",
                "RegistrationLeftAtMeta",
                f"credentials Secret {ch.spec.credentials.name} is gone, so the {what} could "
                "not be removed: remove it in Meta's App Dashboard",
            )
            return Outcome(None, "let go without credentials")
        try:
            removed = await self.registrar.remove(ch, creds, await self.sharing(ch))
        except GraphApiError as exc:
            if exc.http_status == 404 or (exc.code == 100 and exc.subcode == 33):
                await self._post(
                    obj, "Normal", "RegistrationAlreadyGone", f"Meta no longer has the {what}"
                )
                return Outcome(None, "already gone")
            if exc.temporary and attempt + 1 < self.settings.delete_attempts:
                return Outcome(exc.retry_after_s or self.settings.backoff(attempt), str(exc))
            await self._post(
                obj,
                "Warning",
                "RegistrationLeftAtMeta",
                f"could not remove the {what} after {attempt + 1} attempt(s): {exc}; "
                "remove it in Meta's App Dashboard",
            )
            return Outcome(None, "let go after failures")
        await self._post(
            obj,
            "Normal",
            "RegistrationRemoved",
            f"removed at Meta: {', '.join(removed) or 'nothing (shared with other channels)'}",
        )
        return Outcome(None, "removed")

    async def _post(self, obj: dict[str, Any], etype: str, reason: str, message: str) -> None:
        await self.writer.post_event(obj, Event(etype, reason, message))

    async def sharing(self, ch: Channel) -> Sharing:
        """What the other channels (not being deleted) share with this one at Meta."""
        namespaces: list[str | None] = list(self.settings.namespaces) or [None]
        others: list[Channel] = []
        for ns in namespaces:
            for item in await self.kube.list(res.API_VERSION, res.PLURAL, ns):
                other = Channel.from_object(item)
                if other.uid != ch.uid and not other.deleting:
                    others.append(other)
        return Sharing.among(ch, others)
