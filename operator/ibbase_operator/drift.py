"""How often a channel's registration is read back from Meta, and how many Meta calls those
reads may spend.

Reading back is how the operator notices that Meta dropped a subscription (it disables one
whose callback keeps failing), but every read is a management call, and Meta counts those
per app and per WABA per hour (200 an hour for a WABA without a registered number). The
resync pass runs every minute for what the cluster holds; the read-back only every
``drift_every_s``, moved per channel and per check by up to ±``drift_jitter`` of it (so that
channels applied together spread out), and only while the (app, WABA) has budget left: a
token bucket of ``drift_calls_per_hour``. A change of the spec, the credentials or the
verify token always registers at once; the budget holds back only the periodic read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from ibbase_operator.channel import Channel, RegistrationStatus
from ibbase_operator.status import parse_iso
from ibbase_operator.subscriptions import Scope

# Graph API reads of one drift check, by the scope registered (subscribed_apps, then the
# number's or the app's own configuration).
READS: dict[Scope, int] = {"waba": 1, "phone": 2, "app": 2}


def jitter_factor(uid: str, checked_at: str, spread: float) -> float:
    """A factor in [1 - spread, 1 + spread), the same for the same channel and check (so a
    pass that finds a check not due yet computes the same time again)."""
    h = hashlib.sha256(f"{uid}:{checked_at}".encode()).digest()
    unit = int.from_bytes(h[:8], "big") / 2**64
    return 1.0 + spread * (2.0 * unit - 1.0)


def drift_due(
    ch: Channel, recorded: RegistrationStatus, now: float, every_s: float, spread: float
) -> bool:
    """Whether the channel's registration is due to be read back from Meta."""
    last = recorded.checked_at or recorded.registered_at
    checked = parse_iso(last)
    if checked is None:
        return True
    return now >= checked + every_s * jitter_factor(ch.uid, last or "", spread)


class DriftBudget:
    """Meta calls for drift checks, per (app, WABA): a token bucket that holds an hour's
    budget and refills it evenly over the hour."""

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_hour = per_hour
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # key -> (tokens, at)

    def spend(self, app: str, waba: str, calls: int) -> bool:
        """Take ``calls`` from the (app, WABA)'s budget; False (nothing taken) when it has
        not that many left."""
        now = self._clock()
        tokens, at = self._buckets.get((app, waba), (float(self.per_hour), now))
        tokens = min(float(self.per_hour), tokens + (now - at) * self.per_hour / 3600.0)
        if tokens < calls:
            self._buckets[(app, waba)] = (tokens, now)
            return False
        self._buckets[(app, waba)] = (tokens - calls, now)
        return True
