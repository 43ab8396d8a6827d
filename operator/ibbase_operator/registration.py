"""The channel's webhook at Meta: registered only once its public URL answers Meta's
challenge over TLS and the access token is valid; re-registered when Meta dropped it, the
verify token changed or the channel's place among channels sharing a WABA or an app moved
(:mod:`~ibbase_operator.sharing`); not retried after a permanent refusal until something
changes; read back for drift only as often as Meta's call budget allows
(:mod:`~ibbase_operator.drift`). A registration that the spec no longer describes (other
ids, another scope) is removed from Meta, so nothing is left behind at Meta by an edit.
Deletion is :mod:`~ibbase_operator.deregistration`."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast

from ibbase_operator import conditions as c
from ibbase_operator.channel import Channel, RegistrationStatus, digest
from ibbase_operator.drift import READS, DriftBudget, drift_due
from ibbase_operator.kube import KubeClient
from ibbase_operator.metrics import DRIFT_CHECKS
from ibbase_operator.ownership import list_channels
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.sharing import Plan, plan_for, subscription_needed
from ibbase_operator.status import Pass, Stop, iso
from ibbase_operator.subscriptions import Credentials, Registrar, Scope, Target
from whatsapp_cloud.errors import GraphApiError
from whatsapp_cloud.probe import ProbeResult

SCOPES = ("waba", "phone", "app")


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


def target_of(ch: Channel, scope: Scope) -> Target:
    spec = ch.spec
    return Target(
        scope,
        spec.business_account_id,
        spec.phone_number_id,
        spec.app_id,
        spec.graph_api_version,
    )


def recorded_target(recorded: RegistrationStatus, ch: Channel) -> Target | None:
    """What ``status.registration`` says is registered at Meta (None: nothing). A status
    written before the ids were recorded names none: those are the spec's."""
    if recorded.scope not in SCOPES:
        return None
    spec = ch.spec
    return Target(
        cast(Scope, recorded.scope),
        recorded.business_account_id or spec.business_account_id,
        recorded.phone_number_id or spec.phone_number_id,
        recorded.app_id or spec.app_id,
        spec.graph_api_version,
    )


def gone(exc: GraphApiError) -> bool:
    """Meta says the object does not exist (any more)."""
    return exc.http_status == 404 or (exc.code == 100 and exc.subcode == 33)


def _differs(recorded: RegistrationStatus, t: Target, url: str, verify_token: str) -> bool:
    return (
        recorded.scope != t.scope
        or recorded.callback_url != url
        or not hmac.compare_digest(recorded.verify_token_digest or "", digest(verify_token))
    )


def build_registration(
    ch: Channel, verify_token: str, *, registered_at: str, scope: Scope | None = None
) -> RegistrationStatus:
    """``status.registration`` after a successful registration of ``scope`` (the spec's by
    default), ``blockedOn`` cleared."""
    return RegistrationStatus(
        scope=scope or ch.spec.callback_scope,
        callbackUrl=ch.webhook_url,
        verifyTokenDigest=digest(verify_token),
        registeredAt=registered_at,
        blockedOn=None,
    )


def with_placement(
    registration: RegistrationStatus, ch: Channel, t: Target, plan: Plan, *, checked_at: str | None
) -> RegistrationStatus:
    """The registration with the ids it was made for and its place among the channels
    sharing a WABA override or an app callback."""
    return registration.model_copy(
        update={
            "phone_number_id": t.phone,
            "business_account_id": t.waba,
            "app_id": t.app,
            "held_by": plan.held_by(ch),
            "shared_with": plan.shared_with,
            "checked_at": checked_at,
        }
    )


class Registration:
    def __init__(
        self,
        kube: KubeClient,
        registrar: Registrar,
        settings: OperatorSettings,
        *,
        probe: Probe,
        clock: Callable[[], float],
    ) -> None:
        self.kube = kube
        self.registrar = registrar
        self.settings = settings
        self.budget = DriftBudget(settings.drift_calls_per_hour)
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
        """Make Meta's registration match the spec and the channel's place among the
        channels it shares a WABA or an app with (``force``: re-register even when it seems
        to, as a new verify token needs)."""
        ch, url = p.ch, p.ch.webhook_url
        recorded = ch.status.registration or RegistrationStatus()
        blocked = blocked_key(ch, p.status.credentials_version, verify_token)
        if recorded.blocked_on == blocked:
            raise Stop("registration refused by Meta; waiting for a change", retry=False)
        if p.peers is None:
            p.peers = await list_channels(self.kube, self.settings.namespaces)
        plan = plan_for(ch, p.peers)
        target = target_of(ch, plan.scope)
        old = recorded_target(recorded, ch)
        old_url = recorded.callback_url or url
        try:
            if old is not None and old.ids != target.ids:
                # Other ids (a CRD without the immutability rule let them change): the old
                # registration is removed first, or it would send the old number's events
                # to this channel for good.
                await self._move_away(p, old, old_url, target, creds)
                recorded, old = RegistrationStatus(), None
            force = force or _differs(recorded, target, url, verify_token)
            # Meta is asked when something changed, when the last attempt did not end in a
            # registration (refused for an older spec or credentials, or failed), or when a
            # drift check is due and the budget allows it; otherwise the status stands.
            settled = recorded.blocked_on is None and p.conds.is_true(c.WEBHOOK_SUBSCRIBED)
            if not force and settled and not self._drift_check_due(p, recorded, target):
                p.status.registration = with_placement(
                    recorded, ch, target, plan, checked_at=recorded.checked_at
                )
                self._subscribed(p, plan, target)
                return
            changed = await self.registrar.ensure(target, url, creds, verify_token, force=force)
            if old is not None and old.scope != target.scope:
                # Same ids, another scope: the new registration is in place first, so that
                # the number's events never fall through to a route that drops them.
                removed = await self.registrar.release(
                    old, old_url, creds, keep=frozenset({target.scope}), keep_subscription=True
                )
                p.event(
                    "WebhookScopeChanged",
                    f"{old.scope} → {target.scope}; removed {', '.join(removed) or 'nothing'}",
                )
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
        now = iso(self._clock())
        if changed:
            if force:
                p.event("WebhookRegistered", f"{', '.join(changed)} → {url}")
            else:
                p.event(
                    "WebhookResubscribed",
                    f"Meta no longer had the registration; restored: {', '.join(changed)}",
                    warning=True,
                )
            if target.scope != "phone" and plan.peers:
                # The shared registration may have pointed at one of them: let them move to
                # their own phone-number overrides now rather than at their next resync.
                p.nudge = list(plan.peers)
        registered = build_registration(
            ch,
            verify_token,
            registered_at=now if changed else recorded.registered_at or now,
            scope=target.scope,
        )
        p.status.registration = with_placement(registered, ch, target, plan, checked_at=now)
        self._subscribed(p, plan, target)

    def _subscribed(self, p: Pass, plan: Plan, target: Target) -> None:
        ch, url = p.ch, p.ch.webhook_url
        holder = plan.held_by(ch)
        if holder is not None:
            message = (
                f"the {ch.spec.callback_scope} registration is held by {holder} (an older "
                f"channel); this number has its own phone-number override → {url}"
            )
        else:
            message = f"{target.scope} scope → {url}"
            if plan.shared_with:
                message += f"; shared with {', '.join(plan.shared_with)}"
        p.conds.set(c.WEBHOOK_SUBSCRIBED, True, "Subscribed", message)

    def _drift_check_due(self, p: Pass, recorded: RegistrationStatus, target: Target) -> bool:
        """Whether to read the registration back from Meta in this pass."""
        s = self.settings
        if not drift_due(p.ch, recorded, self._clock(), s.drift_every_s, s.drift_jitter):
            return False
        if not self.budget.spend(target.app, target.waba, READS[target.scope]):
            DRIFT_CHECKS.labels("skipped_budget").inc()
            return False
        DRIFT_CHECKS.labels("checked").inc()
        return True

    async def _move_away(
        self, p: Pass, old: Target, old_url: str, new: Target, creds: Credentials
    ) -> None:
        """Remove the registration of the channel's former ids from Meta. Temporary errors
        propagate (the pass is retried); a refusal is reported and not retried."""
        ch = p.ch
        assert p.peers is not None
        keep_subscription = (old.waba, old.app) == (new.waba, new.app) or subscription_needed(
            ch, old.waba, old.app, p.peers
        )
        what = f"WABA {old.waba}, phone number {old.phone}, app {old.app}"
        try:
            removed = await self.registrar.release(
                old, old_url, creds, keep_subscription=keep_subscription
            )
        except GraphApiError as exc:
            if exc.temporary:
                raise
            if not gone(exc):
                p.event(
                    "RegistrationLeftAtMeta",
                    f"the ids changed, and the registration of {what} could not be removed: "
                    f"{exc}; remove it in Meta's App Dashboard",
                    warning=True,
                )
                p.status.registration = None
                return
            removed = []
        p.event(
            "WebhookMoved",
            f"the ids changed: removed the registration of {what} first "
            f"({', '.join(removed) or 'nothing was left'})",
        )
        p.status.registration = None

    @staticmethod
    def successor(ch: Channel, items: list[dict[str, Any]]) -> Channel | None:
        """The channel that takes over the registration ``ch`` holds for others."""
        return plan_for(ch, items).successor(ch)
