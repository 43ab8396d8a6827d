"""Injectable failures: the next N calls to an endpoint fail (or stall, or corrupt) on purpose.

``POST /sandbox/faults`` takes a ``FaultSpec``; faults queue up in order and each one is used
by the first ``count`` calls it matches. ``delay_s`` stalls before answering (a client with a
shorter timeout sees a timeout); with neither ``code`` nor ``http_status`` the call then goes
on normally. ``corrupt`` (media_download only) serves altered bytes with a 200.
``retry_after_s`` adds a ``Retry-After`` header (whole seconds) to the error, as an HTTP 429
may carry one.

A fault matches by ``endpoint`` (below), and optionally by HTTP ``method``, by the object
id in the path (``object_id``: the phone number, WABA, app or media id) and, for messages,
by recipient (``to``): "Meta 5xx on POST subscribed_apps of WABA 42" or "429 with code 4
on debug_token". The fault fires after authentication, as Meta's throttling does.

Every call that reaches a fault check (that is, every authenticated call to one of the
endpoints below) is also logged, faulted or not: ``GET /sandbox/calls`` lets a test count
retries and see their spacing (no retry storm).

Endpoints: ``messages``, ``media`` (GET/DELETE of a media id), ``media_upload``,
``media_download``, ``debug_token``, ``oauth_access_token``, ``subscribed_apps``,
``phone_number`` (GET/POST of a phone number node, webhook_configuration included),
``phone_numbers`` (a WABA's list of phone numbers), ``app_subscriptions``
(``/{app-id}/subscriptions``), ``any``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from graph_sandbox.errors import GraphError, from_code

Endpoint = Literal[
    "messages",
    "media",
    "media_download",
    "media_upload",
    "debug_token",
    "oauth_access_token",
    "subscribed_apps",
    "phone_number",
    "phone_numbers",
    "app_subscriptions",
    "any",
]
Method = Literal["GET", "POST", "DELETE"]


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: Endpoint = "any"
    http_status: int | None = Field(default=None, ge=400, le=599)
    # A Meta error code (130429, 131056, 131047, 131000, 190…); its HTTP status defaults
    # to the one in Meta's table.
    code: int | None = None
    count: int = Field(default=1, ge=1)
    delay_s: float = Field(default=0, ge=0, le=120)
    corrupt: bool = False
    retry_after_s: float | None = Field(default=None, ge=0)
    # Only calls for this recipient (messages) match: e.g. one user outside the window.
    to: str | None = None
    method: Method | None = None
    # Only calls on this object (phone number, WABA, app or media id in the path) match.
    object_id: str | None = None

    @model_validator(mode="after")
    def _check(self) -> FaultSpec:
        if self.corrupt and self.endpoint != "media_download":
            raise ValueError("corrupt applies to the media_download endpoint only")
        if self.corrupt and (self.code is not None or self.http_status is not None):
            raise ValueError("corrupt serves a 200 with altered bytes: no code or http_status")
        return self

    def error(self) -> GraphError | None:
        if self.code is not None:
            error = from_code(self.code, http_status=self.http_status)
        elif self.http_status is not None:
            generic = 1 if self.http_status >= 500 else 100
            error = from_code(generic, http_status=self.http_status)
        else:
            return None
        if self.retry_after_s is not None:
            error.headers = {**error.headers, "Retry-After": str(math.ceil(self.retry_after_s))}
        return error


@dataclass
class _Armed:
    spec: FaultSpec
    left: int


@dataclass
class Faults:
    _armed: list[_Armed] = field(default_factory=list)
    # Bounded so that a benchmark hammering the sandbox does not grow it forever.
    _calls: deque[dict[str, object]] = field(default_factory=lambda: deque(maxlen=100_000))

    def add(self, spec: FaultSpec) -> None:
        self._armed.append(_Armed(spec, spec.count))

    def clear(self) -> None:
        self._armed.clear()

    def calls(
        self, *, endpoint: str | None = None, to: str | None = None
    ) -> list[dict[str, object]]:
        """Calls that reached a fault check, oldest first: ``endpoint``, ``method``,
        ``object_id``, ``to``, ``at`` (Unix seconds) and ``fault`` (the code or HTTP status
        answered, ``"delay"``/``"corrupt"`` for those, or None)."""
        return [
            c
            for c in self._calls
            if (endpoint is None or c["endpoint"] == endpoint) and (to is None or c["to"] == to)
        ]

    def clear_calls(self) -> None:
        self._calls.clear()

    def pending(self) -> list[dict[str, object]]:
        return [{**a.spec.model_dump(), "left": a.left} for a in self._armed]

    def _take(
        self, endpoint: Endpoint, method: Method, object_id: str | None, to: str | None
    ) -> FaultSpec | None:
        for armed in self._armed:
            spec = armed.spec
            if spec.endpoint not in (endpoint, "any"):
                continue
            if spec.to is not None and spec.to != to:
                continue
            if spec.method is not None and spec.method != method:
                continue
            if spec.object_id is not None and spec.object_id != object_id:
                continue
            armed.left -= 1
            if armed.left <= 0:
                self._armed.remove(armed)
            return spec
        return None

    async def trigger(
        self,
        endpoint: Endpoint,
        *,
        method: Method,
        object_id: str | None = None,
        to: str | None = None,
    ) -> FaultSpec | None:
        """Apply the first matching fault: stall, then raise its error if it has one."""
        spec = self._take(endpoint, method, object_id, to)
        self._calls.append(
            {
                "endpoint": endpoint,
                "method": method,
                "object_id": object_id,
                "to": to,
                "at": time.time(),
                "fault": _fault_label(spec),
            }
        )
        if spec is None:
            return None
        if spec.delay_s:
            await asyncio.sleep(spec.delay_s)
        error = spec.error()
        if error is not None:
            raise error
        return spec


def _fault_label(spec: FaultSpec | None) -> int | str | None:
    if spec is None:
        return None
    if spec.code is not None:
        return spec.code
    if spec.http_status is not None:
        return spec.http_status
    return "corrupt" if spec.corrupt else "delay"
