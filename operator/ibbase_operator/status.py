"""What one pass records and reports: its conditions, its status, its events; how a step
stops the pass; and the final status patch with the events it posts."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, ChannelStatus
from ibbase_operator.kube import KubeClient, KubeError

log = logging.getLogger("ibbase.operator")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class Outcome:
    """When the change handler should run again (None: nothing pending, or a permanent
    stop that only a change of the spec or the credentials lifts)."""

    retry_in: float | None
    message: str


class Stop(Exception):
    """This pass cannot go further; the condition is already set."""

    def __init__(self, message: str, *, retry: bool = True, delay: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.delay = delay


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str
    message: str


@dataclass
class Pass:
    """The state of one reconcile pass of one channel: what the steps found, to be written
    once at the end (:meth:`StatusWriter.write`)."""

    ch: Channel
    conds: c.Conditions
    status: ChannelStatus = field(default_factory=ChannelStatus)
    events: list[Event] = field(default_factory=list)
    # Every channel the operator serves, as listed once by this pass (ownership, sharing).
    peers: list[dict[str, Any]] | None = None
    # Channels whose registration this pass displaced at Meta: to be reconciled at once.
    nudge: list[Channel] = field(default_factory=list)

    @classmethod
    def of(cls, ch: Channel) -> Pass:
        """A pass that carries the channel's stored conditions on."""
        return cls(ch, c.Conditions(ch.status.conditions, ch.generation))

    def event(self, reason: str, message: str, *, warning: bool = False) -> None:
        self.events.append(Event("Warning" if warning else "Normal", reason, message))


def build_status(p: Pass) -> dict[str, Any]:
    """The status patch of a finished pass: what the steps set, the conditions with their
    ``Ready`` summary, and what the pass observed."""
    p.conds.summarize()
    p.status.conditions = p.conds.as_list()
    p.status.observed_generation = p.ch.generation
    p.status.webhook_url = p.ch.webhook_url
    return p.status.to_patch()


def build_event(obj: dict[str, Any], event: Event, *, stamp: str, suffix: str) -> dict[str, Any]:
    """A core/v1 Event about the channel ``obj``, named ``<channel>.<suffix>``."""
    meta = obj["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{suffix}",
            "namespace": meta["namespace"],
        },
        "involvedObject": {
            "apiVersion": res.API_VERSION,
            "kind": res.KIND,
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid", ""),
        },
        "type": event.type,
        "reason": event.reason,
        "message": event.message[:1024],
        "source": {"component": res.MANAGER},
        "reportingComponent": res.MANAGER,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


class StatusWriter:
    def __init__(self, kube: KubeClient, clock: Callable[[], float]) -> None:
        self.kube = kube
        self._clock = clock

    async def write(self, obj: dict[str, Any], p: Pass) -> None:
        """Patch the status (a channel deleted meanwhile is no error), then post the pass's
        events and one per condition that changed."""
        try:
            await self.kube.merge_patch(
                res.API_VERSION,
                res.PLURAL,
                p.ch.namespace,
                p.ch.name,
                {"status": build_status(p)},
                subresource="status",
            )
        except KubeError as exc:
            if not exc.not_found:
                raise
        for t in p.conds.transitions:
            p.events.append(
                Event("Warning" if t.warning else "Normal", t.reason, f"{t.type}: {t.message}")
            )
        for event in p.events:
            await self.post_event(obj, event)

    async def post_event(self, obj: dict[str, Any], event: Event) -> None:
        meta = obj["metadata"]
        body = build_event(obj, event, stamp=iso(self._clock()), suffix=uuid.uuid4().hex[:16])
        try:
            await self.kube.create("v1", "events", meta["namespace"], body)
        except KubeError as exc:  # an event is a courtesy; never fail a pass for it
            log.warning("could not post event %s for %s: %s", event.reason, meta["name"], exc)
        log.info(
            "%s %s/%s %s: %s",
            event.type,
            meta["namespace"],
            meta["name"],
            event.reason,
            event.message,
        )
