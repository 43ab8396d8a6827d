"""Deleting a channel: its registration at Meta is removed before the finalizer
(``ibbase.io/webhook-registration``) lets the channel go.

Only what still points at the channel's URL is removed (a WABA override or an app callback
it held for others has been handed to its successor before this runs: see
:meth:`~ibbase_operator.reconcile.Reconciler.cleanup`), and the app's subscription to the
WABA stays while another channel needs it. Meta saying it is gone (404) counts as removed.

Meta failing does not let the channel go with its registration left behind: the removal is
retried at the backoff's pace (capped at ``BACKOFF_MAX_S``) until Meta confirms it. After
``DELETE_ATTEMPTS`` attempts the channel says so — condition ``Deleting=False`` with Meta's
reason and a Warning event naming what is left and how to let go — so nothing waits in
silence. Two ways out remain the user's: the annotation ``ibbase.io/abandon-registration:
"true"`` (the operator lets the channel go at its next attempt with a Warning event naming
what it leaves at Meta, and removes its registry entry), or removing the finalizer by hand.
A channel whose credentials Secret is gone is let go at once with that Warning: nothing
could ever remove the registration, and a namespace being deleted must not hang on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, RegistrationStatus
from ibbase_operator.metrics import DELETIONS_STUCK
from ibbase_operator.registration import gone, recorded_target, target_of
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.sharing import label, plan_for, subscription_needed
from ibbase_operator.status import Event, Outcome, Pass, StatusWriter
from ibbase_operator.subscriptions import Credentials, Registrar, Target
from whatsapp_cloud.errors import GraphApiError


def abandoned(obj: dict[str, Any]) -> bool:
    annotations = obj["metadata"].get("annotations") or {}
    return str(annotations.get(res.ABANDON_REGISTRATION, "")).lower() == "true"


def registered_target(ch: Channel) -> tuple[Target, str]:
    """What the channel registered at Meta and at which URL (the spec's when the status
    recorded nothing, as after a crash between Meta's answer and the status write)."""
    recorded = ch.status.registration or RegistrationStatus()
    target = recorded_target(recorded, ch) or target_of(ch, ch.spec.callback_scope)
    return target, recorded.callback_url or ch.webhook_url


class Deregistration:
    def __init__(
        self,
        registrar: Registrar,
        settings: OperatorSettings,
        writer: StatusWriter,
        clock: Callable[[], float],
    ) -> None:
        self.registrar = registrar
        self.settings = settings
        self.writer = writer
        self._clock = clock
        self._stuck: set[str] = set()  # uids of channels past DELETE_ATTEMPTS

    async def deregister(
        self,
        obj: dict[str, Any],
        ch: Channel,
        creds: Credentials | None,
        attempt: int,
        items: list[dict[str, Any]],
    ) -> Outcome:
        """Remove the registration at Meta; ``retry_in`` None once the channel may go."""
        target, url = registered_target(ch)
        what = (
            f"{target.scope} registration of {url} (WABA {target.waba}, phone number "
            f"{target.phone})"
        )
        if abandoned(obj):
            return await self._let_go(
                obj,
                ch,
                f"the {what} is left at Meta as the annotation {res.ABANDON_REGISTRATION} "
                "asks: remove it in Meta's App Dashboard",
            )
        if creds is None:
            return await self._let_go(
                obj,
                ch,
                f"credentials Secret {ch.spec.credentials.name} is gone, so the {what} could "
                "not be removed: remove it in Meta's App Dashboard",
            )
        plan = plan_for(ch, items)
        successor = plan.successor(ch)
        # A WABA override or app callback held for others stays for the successor (which
        # has been reconciled to take it over); only what is the channel's alone goes.
        keep = frozenset({target.scope}) if successor and target.scope != "phone" else frozenset()
        keep_subscription = subscription_needed(ch, target.waba, target.app, items)
        try:
            removed = await self.registrar.release(
                target, url, creds, keep=keep, keep_subscription=keep_subscription
            )
        except GraphApiError as exc:
            if gone(exc):
                await self._post(
                    obj, "Normal", "RegistrationAlreadyGone", f"Meta no longer has the {what}"
                )
                return self._done(ch, "already gone")
            return await self._failing(obj, ch, what, exc, attempt)
        summary = ", ".join(removed) or "nothing (shared with other channels)"
        if successor is not None:
            summary += f"; the {target.scope} registration is handed to {label(successor)}"
        await self._post(obj, "Normal", "RegistrationRemoved", f"removed at Meta: {summary}")
        return self._done(ch, "removed")

    async def _failing(
        self, obj: dict[str, Any], ch: Channel, what: str, exc: GraphApiError, attempt: int
    ) -> Outcome:
        """Meta did not remove it: retry later; past DELETE_ATTEMPTS, say so."""
        delay = exc.retry_after_s or self.settings.backoff(attempt)
        attempts = attempt + 1
        if attempts >= self.settings.delete_attempts:
            p = Pass.of(ch)
            p.conds.set(
                c.DELETING,
                False,
                exc.reason,
                f"could not remove the {what} after {attempts} attempts: {exc}; retrying "
                f"every {self.settings.backoff_max_s:g} s at most until Meta confirms. To let "
                f"the channel go and leave it at Meta: kubectl annotate wac -n {ch.namespace} "
                f"{ch.name} {res.ABANDON_REGISTRATION}=true",
            )
            if ch.uid not in self._stuck:
                self._stuck.add(ch.uid)
                DELETIONS_STUCK.set(len(self._stuck))
                p.event(
                    "RegistrationRemovalFailing",
                    f"the {what} is still at Meta after {attempts} attempts ({exc}); the "
                    "channel stays until Meta confirms its removal or the annotation "
                    f"{res.ABANDON_REGISTRATION}=true lets it go",
                    warning=True,
                )
            await self.writer.write(obj, p)
        return Outcome(delay, str(exc))

    async def _let_go(self, obj: dict[str, Any], ch: Channel, message: str) -> Outcome:
        await self._post(obj, "Warning", "RegistrationLeftAtMeta", message)
        return self._done(ch, "let go")

    def _done(self, ch: Channel, message: str) -> Outcome:
        if ch.uid in self._stuck:
            self._stuck.discard(ch.uid)
            DELETIONS_STUCK.set(len(self._stuck))
        return Outcome(None, message)

    async def _post(self, obj: dict[str, Any], etype: str, reason: str, message: str) -> None:
        await self.writer.post_event(obj, Event(etype, reason, message))
