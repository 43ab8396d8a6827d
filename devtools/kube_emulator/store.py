"""The object store: one global resourceVersion, the objects, and the history watches read.

Every write takes the next resourceVersion and appends one event to a bounded history; a
watch is only a cursor into that history. This is what makes watches exact: a watcher that
asks for "everything after N" gets precisely the events N+1, N+2, ... in order, never a
replay and never a gap, however slowly it reads (until it falls out of the history, when it
gets 410 Gone like on a real cluster). Stored objects are never mutated after the write, so
events and readers share them without copying.

Writers may run in any thread (tests read and seed objects from their own threads), so the
store is guarded by a lock, and sleeping watchers are woken in their own event loops.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# (group, plural, namespace or None, name): versions of one resource share their objects.
ObjectKey = tuple[str, str, str | None, str]


@dataclass(frozen=True)
class StoredEvent:
    resource_version: int
    type: str  # ADDED, MODIFIED or DELETED
    key: ObjectKey
    object: dict[str, Any]
    previous: dict[str, Any] | None  # the state before, to tell "stopped matching a selector"


class HistoryExpired(Exception):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(requested, oldest)
        self.requested = requested
        self.oldest = oldest


class _Waiter:
    """One sleeping watcher: an asyncio.Event that any thread can set."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def wake(self) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self.event.set()
            return
        # A watcher whose loop has gone away has nothing left to wake.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.event.set)


class ObjectStore:
    def __init__(self, history_size: int) -> None:
        self.lock = threading.RLock()
        self._history_size = history_size
        self._objects: dict[ObjectKey, dict[str, Any]] = {}
        self._uids: dict[str, ObjectKey] = {}
        self._resource_version = 0
        self._history: list[StoredEvent] = []
        self._history_rvs: list[int] = []
        self._waiters: set[_Waiter] = set()
        self.closed = False

    @property
    def resource_version(self) -> int:
        return self._resource_version

    def get(self, key: ObjectKey) -> dict[str, Any] | None:
        return self._objects.get(key)

    def key_of_uid(self, uid: str) -> ObjectKey | None:
        return self._uids.get(uid)

    def items(self, group: str, plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects of one resource, in one namespace or (``None``) in all, sorted like etcd keys."""
        with self.lock:
            found = [
                (key, obj)
                for key, obj in self._objects.items()
                if key[:2] == (group, plural) and (namespace is None or key[2] == namespace)
            ]
        found.sort(key=lambda pair: (pair[0][2] or "", pair[0][3]))
        return [obj for _, obj in found]

    def keys(self) -> Iterator[ObjectKey]:
        return iter(list(self._objects))

    def write(self, key: ObjectKey, obj: dict[str, Any], event_type: str) -> dict[str, Any]:
        """Store ``obj`` (which the store now owns) under the next resourceVersion."""
        with self.lock:
            previous = self._objects.get(key)
            self._resource_version += 1
            obj["metadata"]["resourceVersion"] = str(self._resource_version)
            self._objects[key] = obj
            self._uids[obj["metadata"]["uid"]] = key
            self._record(StoredEvent(self._resource_version, event_type, key, obj, previous))
            return obj

    def remove(self, key: ObjectKey) -> dict[str, Any]:
        """Remove an object; its last state carries the resourceVersion of the deletion."""
        with self.lock:
            previous = self._objects.pop(key)
            self._uids.pop(previous["metadata"]["uid"], None)
            self._resource_version += 1
            final = dict(previous)
            final["metadata"] = {
                **previous["metadata"],
                "resourceVersion": str(self._resource_version),
            }
            self._record(StoredEvent(self._resource_version, "DELETED", key, final, previous))
            return final

    def events_after(self, resource_version: int) -> tuple[list[StoredEvent], int]:
        """Events newer than ``resource_version``, and the resourceVersion they reach up to."""
        with self.lock:
            if self._history and resource_version < self._history[0].resource_version - 1:
                raise HistoryExpired(resource_version, self._history[0].resource_version)
            start = bisect.bisect_right(self._history_rvs, resource_version)
            return self._history[start:], self._resource_version

    def subscribe(self) -> _Waiter:
        waiter = _Waiter()
        with self.lock:
            self._waiters.add(waiter)
        return waiter

    def unsubscribe(self, waiter: _Waiter) -> None:
        with self.lock:
            self._waiters.discard(waiter)

    def close(self) -> None:
        """Wake every watcher for the last time: the server is going away."""
        with self.lock:
            self.closed = True
            waiters = list(self._waiters)
        for waiter in waiters:
            waiter.wake()

    def _record(self, event: StoredEvent) -> None:
        self._history.append(event)
        self._history_rvs.append(event.resource_version)
        # Trim in batches so that appending stays O(1) amortised.
        if len(self._history) > self._history_size * 1.25:
            drop = len(self._history) - self._history_size
            del self._history[:drop]
            del self._history_rvs[:drop]
        for waiter in self._waiters:
            waiter.wake()
