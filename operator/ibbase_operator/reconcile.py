"""The level-based reconciler: read the channel, bring the world in line, write the status.

One pass runs the steps in the pipeline's order — credentials and tokens
(:mod:`~ibbase_operator.tokens`), ownership of the phone number
(:mod:`~ibbase_operator.ownership`: nothing routes a number before Meta confirms the
credentials may act for it and no older channel claims it), the children
(:mod:`~ibbase_operator.children`), the webhook at Meta
(:mod:`~ibbase_operator.registration`) — and stops at the first that cannot go on yet
(credentials missing, not the owner, certificate not issued, webhook not answering): the
conditions say which, and the returned :class:`Outcome` says when to look again. The status
and the events are written once, at the end (:mod:`~ibbase_operator.status`). kopf's
handlers and timer only call :meth:`Reconciler.reconcile` and :meth:`Reconciler.cleanup`; a
per-channel lock keeps a timer pass and a change pass from interleaving.

Channels sharing a WABA override or an app callback (:mod:`~ibbase_operator.sharing`) reach
into each other's passes twice: a channel that took such a registration over runs its peers'
passes at once, so they move to their own phone-number overrides; and a holder being deleted
runs its successor's pass first, which takes the registration over before the holder's is
removed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel
from ibbase_operator.children import Children, new_verify_token
from ibbase_operator.deregistration import Deregistration, abandoned
from ibbase_operator.kube import KubeClient
from ibbase_operator.meta import MetaAdmin
from ibbase_operator.metrics import RECONCILE_ERRORS, RECONCILE_SECONDS, RECONCILES, forget_channel
from ibbase_operator.ownership import Ownership, list_channels
from ibbase_operator.registration import Probe, Registration
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.status import Outcome, Pass, StatusWriter, Stop, iso
from ibbase_operator.subscriptions import Registrar
from ibbase_operator.tokens import Tokens
from whatsapp_cloud.probe import probe_callback

log = logging.getLogger("ibbase.operator")


class Reconciler:
    def __init__(
        self,
        kube: KubeClient,
        meta: MetaAdmin,
        settings: OperatorSettings,
        *,
        probe: Probe = probe_callback,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kube = kube
        self.settings = settings
        self.writer = StatusWriter(kube, clock)
        self.tokens = Tokens(kube, meta, clock)
        self.ownership = Ownership(kube, meta, settings, clock)
        self.children = Children(kube, settings, clock)
        registrar = Registrar(meta)
        self.registration = Registration(kube, registrar, settings, probe=probe, clock=clock)
        self.deregistration = Deregistration(registrar, settings, self.writer, clock)
        self._clock = clock
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._nudges: set[asyncio.Task[Any]] = set()

    def _lock(self, namespace: str, name: str) -> asyncio.Lock:
        return self._locks.setdefault((namespace, name), asyncio.Lock())

    async def reconcile(self, namespace: str, name: str, *, attempt: int = 0) -> Outcome:
        async with self._lock(namespace, name):
            obj = await self.kube.get_or_none(res.API_VERSION, res.PLURAL, namespace, name)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                return Outcome(None, "channel is gone or being deleted")
            p = Pass.of(Channel.from_object(obj))
            started = time.monotonic()
            try:
                outcome = await self._steps(p)
                RECONCILES.labels("ready").inc()
            except Stop as stop:
                delay = stop.delay if stop.delay is not None else self.settings.backoff(attempt)
                outcome = Outcome(delay if stop.retry else None, str(stop))
                RECONCILES.labels("waiting" if stop.retry else "blocked").inc()
            except Exception as exc:
                RECONCILES.labels("error").inc()
                RECONCILE_ERRORS.labels(type(exc).__name__).inc()
                raise
            finally:
                RECONCILE_SECONDS.observe(time.monotonic() - started)
                await self.writer.write(obj, p)
            for peer in p.nudge:
                self._nudge(peer)
            return outcome

    def _nudge(self, ch: Channel) -> None:
        """Run a peer's pass now, in the background (its own lock orders it)."""

        async def run() -> None:
            try:
                await self.reconcile(ch.namespace, ch.name)
            except Exception:  # its own timer retries it
                log.exception("pass of %s/%s failed", ch.namespace, ch.name)

        task = asyncio.create_task(run(), name=f"nudge {ch.namespace}/{ch.name}")
        self._nudges.add(task)
        task.add_done_callback(self._nudges.discard)

    async def _steps(self, p: Pass) -> Outcome:
        ch, children = p.ch, self.children
        creds = await self.tokens.credentials(p)
        current, previous = await children.verify_tokens(p)
        p.conds.set(
            c.SECRETS_READY,
            True,
            "SecretsReady",
            f"verify token in Secret {res.webhook_secret_name(ch.name)}, "
            f"credentials from Secret {ch.spec.credentials.name}",
        )
        creds = await self.tokens.check(p, creds)
        try:
            await self.ownership.require(p, creds)
        except Stop:
            # Not (or no longer) the one to route this number: the gateway must not serve
            # it, nor answer its users, through this channel.
            await children.remove_registry_entry(ch)
            raise
        await children.put_registry_entry(ch, creds, [current, previous])
        ingress_ready = await children.ingress(p)
        await children.certificate(p)

        # Rotating the verify token: the gateway accepts both tokens until Meta has the new
        # one (a forced re-registration below), then the old one is dropped.
        if previous is None and self.tokens.rotation_due(p):
            previous, current = current, new_verify_token()
            await children.set_verify_tokens(ch, current, previous, rotated_at=None)
            await children.put_registry_entry(ch, creds, [current, previous])
            p.event(
                "VerifyTokenRotating",
                "new webhook verify token issued; the old one is "
                "accepted until Meta has the new one",
            )

        await self.registration.verified(p, current)
        self.registration.require_valid_token(p)
        await self.registration.register(p, creds, current, force=previous is not None)
        if previous is not None:
            now = iso(self._clock())
            await children.set_verify_tokens(ch, current, None, rotated_at=now)
            await children.put_registry_entry(ch, creds, [current, None])
            p.status.verify_token_rotated_at = now
            p.event("VerifyTokenRotated", "Meta has the new verify token; the old one is dropped")
        if not ingress_ready:
            raise Stop("waiting for the ingress to be admitted")
        return Outcome(None, "ready")

    async def cleanup(self, obj: dict[str, Any], *, attempt: int = 0) -> Outcome:
        """Hand a registration held for other channels to its successor, remove the
        channel's own from Meta, then the registry entry once that is settled (see
        :mod:`~ibbase_operator.deregistration`)."""
        ch = Channel.from_object(obj)
        try:
            items = await list_channels(self.kube, self.settings.namespaces)
            successor = self.registration.successor(ch, items)
            if successor is not None and not abandoned(obj):
                # Its own pass (under its own lock) takes the registration over; whatever it
                # could not do is retried by its handlers, and this channel's removal then
                # leaves the shared registration alone for it.
                try:
                    await self.reconcile(successor.namespace, successor.name)
                except Exception:
                    log.exception("hand-over to %s/%s failed", successor.namespace, successor.name)
            async with self._lock(ch.namespace, ch.name):
                try:
                    creds = await self.tokens.credentials(
                        Pass(ch, c.Conditions(None, ch.generation))
                    )
                except Stop:
                    creds = None
                outcome = await self.deregistration.deregister(obj, ch, creds, attempt, items)
                if outcome.retry_in is None:
                    await self.children.remove_registry_entry(ch)
                    forget_channel(ch.namespace, ch.name)
                return outcome
        except Exception as exc:
            RECONCILE_ERRORS.labels(type(exc).__name__).inc()
            raise
