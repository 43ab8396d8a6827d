"""Leader election over a ``coordination.k8s.io/v1`` Lease, the way client-go's
``leaderelection`` package does it, so that two replicas never reconcile at once.

Only the holder runs kopf. A standby polls the Lease every ``retry`` and takes it when the
holder released it (a clean shutdown empties ``holderIdentity``) or when its record has not
changed for ``leaseDurationSeconds`` *as this replica observed it* (client-go's rule: no
clock of another machine is trusted, only the local time at which the record last
changed). Every write is a PUT carrying the resourceVersion that was read, so of two
replicas racing for the Lease the API server lets exactly one win (409 for the other). The
holder renews every ``retry``; if it cannot for ``renew_deadline`` (shorter than the lease
duration, so it stops before anyone may take over) it stops reconciling and the process
exits, to come back as a standby.

kopf's own peering was the alternative: it pauses operators of the same priority, all of
them, and needs two more CRDs; a Lease is what every controller on the cluster already uses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from ibbase_operator.kube import KubeClient, KubeError
from ibbase_operator.metrics import LEADER

log = logging.getLogger("ibbase.operator")

API_VERSION = "coordination.k8s.io/v1"
PLURAL = "leases"


class LeadershipLost(SystemExit):
    """The Lease could not be renewed in time: this replica stopped reconciling. A
    SystemExit (code 1), so that ``ibbase operator`` exits without a traceback and the pod
    restarts as a standby."""

    def __init__(self, message: str) -> None:
        super().__init__(1)
        self.message = message

    def __str__(self) -> str:
        return self.message


def default_identity() -> str:
    """Unique per process: the pod's name (its hostname) and a random suffix."""
    return f"{socket.gethostname()}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def micro_time(ts: float) -> str:
    """A Kubernetes MicroTime (RFC 3339 with microseconds)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaseElector:
    def __init__(
        self,
        kube: KubeClient,
        namespace: str,
        name: str,
        *,
        identity: str | None = None,
        duration_s: float = 15.0,
        renew_deadline_s: float = 10.0,
        retry_s: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.kube = kube
        self.namespace = namespace
        self.name = name
        self.identity = identity or default_identity()
        self.duration_s = duration_s
        self.renew_deadline_s = renew_deadline_s
        self.retry_s = retry_s
        self._monotonic = monotonic
        self._wall = wall
        # The last record seen, and when (local monotonic time) it was first seen.
        self._observed: tuple[Any, ...] | None = None
        self._observed_at = 0.0

    def _observe(self, spec: dict[str, Any]) -> None:
        record = (
            spec.get("holderIdentity") or "",
            spec.get("renewTime"),
            spec.get("leaseDurationSeconds"),
            spec.get("leaseTransitions"),
        )
        if record != self._observed:
            self._observed = record
            self._observed_at = self._monotonic()

    def _spec(self, previous: dict[str, Any]) -> dict[str, Any]:
        now = micro_time(self._wall())
        spec = dict(previous)
        if (previous.get("holderIdentity") or "") != self.identity:
            spec["acquireTime"] = now
            spec["leaseTransitions"] = int(previous.get("leaseTransitions") or 0) + (
                1 if previous else 0
            )
        spec["holderIdentity"] = self.identity
        spec["renewTime"] = now
        spec["leaseDurationSeconds"] = max(1, round(self.duration_s))
        return spec

    async def try_acquire_or_renew(self) -> bool:
        """One attempt: True when this replica holds the Lease afterwards."""
        lease = await self.kube.get_or_none(API_VERSION, PLURAL, self.namespace, self.name)
        if lease is None:
            body = {
                "apiVersion": API_VERSION,
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": self._spec({}),
            }
            try:
                created = await self.kube.create(API_VERSION, PLURAL, self.namespace, body)
            except KubeError as exc:
                if exc.conflict:  # another replica created it first
                    return False
                raise
            self._observe(created.get("spec") or {})
            return True
        spec = lease.get("spec") or {}
        self._observe(spec)
        holder = spec.get("holderIdentity") or ""
        duration = float(spec.get("leaseDurationSeconds") or self.duration_s)
        if holder and holder != self.identity:
            if self._monotonic() < self._observed_at + duration:
                return False  # held, and renewed within its duration as far as we saw
            log.warning("leader Lease %s/%s of %s expired: taking it", *self._where(), holder)
        body = {**lease, "spec": self._spec(spec)}  # metadata.resourceVersion: the precondition
        try:
            updated = await self.kube.replace(API_VERSION, PLURAL, self.namespace, self.name, body)
        except KubeError as exc:
            if exc.conflict:  # someone wrote it since we read it
                return False
            raise
        self._observe(updated.get("spec") or {})
        return True

    def _where(self) -> tuple[str, str]:
        return self.namespace, self.name

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this replica holds the Lease (True) or ``stop`` is set (False)."""
        announced = False
        while not stop.is_set():
            try:
                if await self.try_acquire_or_renew():
                    log.info("leader Lease %s/%s acquired by %s", *self._where(), self.identity)
                    LEADER.set(1)
                    return True
            except (KubeError, httpx.HTTPError) as exc:
                log.warning("leader Lease %s/%s: %s", *self._where(), exc)
            if not announced:
                log.info(
                    "standby: leader Lease %s/%s is held by %s",
                    *self._where(),
                    (self._observed or ("?",))[0],
                )
                announced = True
            await _sleep_or_stop(stop, self.retry_s)
        return False

    async def keep(self, stop: asyncio.Event) -> str | None:
        """Renew until ``stop`` is set (None) or the Lease is lost (why, and ``stop`` is set
        so that kopf stops)."""
        renewed = self._monotonic()
        while not stop.is_set():
            await _sleep_or_stop(stop, self.retry_s)
            if stop.is_set():
                break
            try:
                held = await self.try_acquire_or_renew()
            except (KubeError, httpx.HTTPError) as exc:
                log.warning("leader Lease %s/%s not renewed: %s", *self._where(), exc)
                held = None
            if held:
                renewed = self._monotonic()
                continue
            if held is False or self._monotonic() - renewed > self.renew_deadline_s:
                LEADER.set(0)
                why = f"leader Lease {self.namespace}/{self.name} lost: " + (
                    "taken by another replica" if held is False else "not renewed in time"
                )
                log.error("%s; stopping", why)
                stop.set()
                return why
        return None

    async def release(self) -> None:
        """Give the Lease up on a clean shutdown, so that a standby takes over at once."""
        LEADER.set(0)
        try:
            lease = await self.kube.get_or_none(API_VERSION, PLURAL, self.namespace, self.name)
            spec = (lease or {}).get("spec") or {}
            if lease is None or spec.get("holderIdentity") != self.identity:
                return
            released = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1}
            await self.kube.replace(
                API_VERSION, PLURAL, self.namespace, self.name, {**lease, "spec": released}
            )
            log.info("leader Lease %s/%s released", *self._where())
        except (KubeError, httpx.HTTPError) as exc:  # it expires on its own
            log.warning("leader Lease %s/%s not released: %s", *self._where(), exc)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
