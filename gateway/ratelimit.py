"""Token buckets, one per key (an API token, or a client address), in this process.

Each bucket holds up to ``burst`` requests and refills at ``rate`` per second. Buckets are
kept for at most ``max_keys`` keys: a bucket that has refilled to the brim is the same as a
new one, so those are forgotten first, then the least recently used. Limits are per gateway
process: with N replicas a token gets up to N times the rate.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBuckets:
    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # level, at
        self._lock = threading.Lock()  # sync endpoints run in a thread pool

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def _level(self, key: str, now: float) -> float:
        level, at = self._buckets.get(key, (self.burst, now))
        return min(self.burst, level + (now - at) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may spend one request; 0.0 now. Spends nothing."""
        if not self.enabled:
            return 0.0
        with self._lock:
            level = self._level(key, self.clock())
            return 0.0 if level >= 1 else (1 - level) / self.rate

    def take(self, key: str) -> float:
        """Spend one request of ``key``'s bucket: 0.0 if allowed, else the seconds until the
        next one would be (nothing is spent then)."""
        if not self.enabled:
            return 0.0
        with self._lock:
            now = self.clock()
            level = self._level(key, now)
            if level < 1:
                self._buckets[key] = (level, now)
                self._buckets.move_to_end(key)
                return (1 - level) / self.rate
            self._buckets[key] = (level - 1, now)
            self._buckets.move_to_end(key)
            if len(self._buckets) > self.max_keys:
                self._forget(now)
            return 0.0

    def _forget(self, now: float) -> None:
        full = [k for k in self._buckets if self._level(k, now) >= self.burst]
        for key in full:
            del self._buckets[key]
        # Down to 90 %, so that the scan above runs once per many new keys, not per request.
        while len(self._buckets) > self.max_keys * 9 // 10:
            self._buckets.popitem(last=False)


def retry_after(seconds: float) -> str:
    """A Retry-After value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))
