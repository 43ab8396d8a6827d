"""Watch streams: a cursor walking the store's history, so nothing is replayed or lost.

A watch from ``resourceVersion=N`` yields the events after N in order; a watch with no
resourceVersion (or "0") first yields an ADDED event per existing object, taken under the
same lock as the cursor, then the live events. Selectors are applied per event the way the
watch cache applies them: an object that starts matching arrives as ADDED, one that stops
matching as DELETED. A cursor that has fallen out of the history gets a single ERROR event
with 410 Expired, as on a real cluster, and the client is expected to re-list.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from kube_emulator import errors
from kube_emulator.apiserver import ApiServer
from kube_emulator.resources import ResourceSpec
from kube_emulator.selectors import Selection
from kube_emulator.store import HistoryExpired, StoredEvent

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


@dataclass(frozen=True)
class WatchRequest:
    spec: ResourceSpec
    namespace: str | None
    selection: Selection
    since: int | None  # None: start with the current state as synthetic ADDED events
    timeout: float | None
    bookmarks: bool
    send_initial_events: bool


async def watch_events(
    api: ApiServer, request: WatchRequest, bookmark_interval: float
) -> AsyncIterator[dict[str, Any]]:
    store = api.store
    loop = asyncio.get_running_loop()
    waiter = store.subscribe()
    try:
        deadline = loop.time() + request.timeout if request.timeout else None
        if request.since is None:
            with store.lock:
                existing, cursor = api.list(request.spec, request.namespace, request.selection)
            for obj in existing:
                yield {"type": "ADDED", "object": obj}
            if request.send_initial_events:
                yield _bookmark(request.spec, cursor, initial_events_end=True)
        else:
            cursor = request.since
        next_bookmark = loop.time() + bookmark_interval

        while not store.closed:
            waiter.event.clear()
            try:
                events, cursor_reached = store.events_after(cursor)
            except HistoryExpired as expired:
                error = errors.expired(expired.requested, expired.oldest)
                yield {"type": "ERROR", "object": errors.status_body(error)}
                return
            for event in events:
                shown = _as_seen(event, request)
                if shown is not None:
                    yield shown
            cursor = max(cursor, cursor_reached)  # a client may ask to start in the future

            now = loop.time()
            if deadline is not None and now >= deadline:
                return
            if request.bookmarks and now >= next_bookmark:
                yield _bookmark(request.spec, cursor)
                next_bookmark = now + bookmark_interval
            if events:
                continue  # more may have arrived while the client was reading
            wakeups = (deadline, next_bookmark if request.bookmarks else None)
            waits = [t - now for t in wakeups if t is not None]
            try:
                await asyncio.wait_for(waiter.event.wait(), min(waits) if waits else None)
            except TimeoutError:
                pass
    finally:
        store.unsubscribe(waiter)


def _as_seen(event: StoredEvent, request: WatchRequest) -> dict[str, Any] | None:
    """The event as this watch sees it, or None when it is outside the watch's selection."""
    if event.key[:2] != request.spec.group_resource:
        return None
    if request.namespace is not None and event.key[2] != request.namespace:
        return None
    matches_now = request.selection.matches(event.object)
    if event.type != "MODIFIED":
        event_type = event.type if matches_now else None
        shown = event.object
    else:
        assert event.previous is not None  # a modification always has a previous state
        matched_before = request.selection.matches(event.previous)
        if matches_now:
            event_type = "MODIFIED" if matched_before else "ADDED"
            shown = event.object
        else:
            event_type = "DELETED" if matched_before else None
            version = event.object["metadata"]["resourceVersion"]
            shown = {
                **event.previous,
                "metadata": {**event.previous["metadata"], "resourceVersion": version},
            }
    if event_type is None:
        return None
    return {"type": event_type, "object": request.spec.with_version(shown)}


def _bookmark(
    spec: ResourceSpec, cursor: int, *, initial_events_end: bool = False
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": str(cursor)}
    if initial_events_end:
        metadata["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {
        "type": "BOOKMARK",
        "object": {"kind": spec.kind, "apiVersion": spec.api_version, "metadata": metadata},
    }
