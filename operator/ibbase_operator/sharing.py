"""Which channel holds a registration that Meta keeps once per WABA or once per app.

Meta keeps one WABA override per (WABA, app) and one callback per app, but one override per
phone number, and sends a number's events to the first that is set: the number's override,
else its WABA's, else the app's callback (Meta's "Webhook overrides" page). Two channels
that both asked for the WABA override of one WABA, or for the callback of one app, would
overwrite each other at every pass, and every number but the last writer's would go to the
wrong route. So of the channels asking for one such registration, the oldest
(``creationTimestamp``, then namespace and name: :func:`~ibbase_operator.ownership.rank`,
the rule of the phone-number conflicts) holds it, pointing at its own route; each other one
registers a phone-number override for its own number, which Meta prefers, so every number
still reaches its own channel. When the holder goes, the next oldest takes it over.

Only channels that register at Meta count: not being deleted, confirmed by Meta as owners of
their number, and not losing their number to an older claim. A squatter cannot displace the
holder.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ibbase_operator.channel import Channel
from ibbase_operator.ownership import confirmed, older_claim, rank
from ibbase_operator.subscriptions import Scope


def channels(items: list[dict[str, Any]]) -> Iterator[Channel]:
    """The channels among ``items``; one whose spec cannot be read (stored before the
    schema had a rule) is nobody's peer rather than everybody's failure."""
    for item in items:
        try:
            yield Channel.from_object(item)
        except ValueError:
            continue


def registers(ch: Channel, items: list[dict[str, Any]]) -> bool:
    """Whether ``ch`` registers at Meta (see the module's docstring)."""
    return not ch.deleting and confirmed(ch) and older_claim(ch, items) is None


def shared_key(ch: Channel) -> tuple[str, ...] | None:
    """What Meta keeps once for all channels asking for it: a WABA override per (WABA, app),
    the app's callback per app; None for a phone-number override (one per number)."""
    scope = ch.spec.callback_scope
    if scope == "waba":
        return ("waba", ch.spec.business_account_id, ch.spec.app_id)
    if scope == "app":
        return ("app", ch.spec.app_id)
    return None


def label(ch: Channel) -> str:
    return f"{ch.namespace}/{ch.name}"


@dataclass(frozen=True)
class Plan:
    """How one channel registers: ``scope`` is what it registers itself (``phone`` when
    another channel holds the shared registration it asked for); ``holder`` holds that one;
    ``peers`` are the other channels that asked for it, oldest first."""

    scope: Scope
    holder: Channel | None
    peers: tuple[Channel, ...]

    def holds(self, ch: Channel) -> bool:
        return self.holder is not None and self.holder.uid == ch.uid

    @property
    def shared_with(self) -> list[str] | None:
        return [label(p) for p in self.peers] or None

    def held_by(self, ch: Channel) -> str | None:
        return None if self.holder is None or self.holds(ch) else label(self.holder)

    def successor(self, ch: Channel) -> Channel | None:
        """Who takes the shared registration over when ``ch`` (its holder) goes."""
        return self.peers[0] if self.holds(ch) and self.peers else None


def plan_for(me: Channel, items: list[dict[str, Any]]) -> Plan:
    """``me``'s plan among the channels ``items`` (``me`` may be among them, or be
    deleted: it is always counted, the others only when they register at Meta)."""
    key = shared_key(me)
    if key is None:
        return Plan("phone", None, ())
    peers = sorted(
        (
            other
            for other in channels(items)
            if other.uid != me.uid and shared_key(other) == key and registers(other, items)
        ),
        key=rank,
    )
    holder = min([me, *peers], key=rank)
    scope: Scope = me.spec.callback_scope if holder.uid == me.uid else "phone"
    return Plan(scope, holder, tuple(peers))


def subscription_needed(me: Channel, waba: str, app: str, items: list[dict[str, Any]]) -> bool:
    """Whether another channel that registers at Meta needs ``app``'s subscription to
    ``waba`` (every scope does)."""
    return any(
        other.uid != me.uid
        and other.spec.business_account_id == waba
        and other.spec.app_id == app
        and registers(other, items)
        for other in channels(items)
    )
