"""The 24-hour customer-service window: when each user last wrote to each number.

Meta lets a business send free-form messages (every type but ``template``) only within
24 hours of the user's last message to that number; outside it the send fails with 131047.
The sandbox learns of users' messages from the notifications it is given to deliver
(``POST /sandbox/inbound``) or from ``Sandbox.windows.record``. Where webhooks are posted
straight to a receiver, past the sandbox, it never hears of the user: ``unseen_users``
(config) says whether such users count as inside the window (``open``, the default, so
that a pipeline that bypasses the sandbox still gets its replies out) or outside
(``closed``, which is Meta's rule).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

UnseenUsers = Literal["open", "closed"]
WINDOW_S = 24 * 3600
_BSUID_PREFIX = re.compile(r"[A-Z]{2}\.")


def user_key(address: str) -> str:
    """A recipient or sender as one key: the digits of a phone number, or a BSUID as is."""
    return address if _BSUID_PREFIX.match(address) else re.sub(r"\D", "", address)


@dataclass
class CustomerWindows:
    length_s: float = WINDOW_S
    unseen_users: UnseenUsers = "open"
    # (phone_number_id, user key) -> Unix seconds of the user's last message.
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, phone_number_id: str, users: Iterable[str], at: float | None = None) -> None:
        """The user (by phone and/or BSUID) wrote to the number at ``at`` (default now)."""
        when = time.time() if at is None else at
        with self._lock:
            for user in users:
                key = (phone_number_id, user_key(user))
                self._last[key] = max(self._last.get(key, when), when)

    def last_inbound(self, phone_number_id: str, user: str) -> float | None:
        return self._last.get((phone_number_id, user_key(user)))

    def is_open(self, phone_number_id: str, user: str, now: float | None = None) -> bool:
        last = self.last_inbound(phone_number_id, user)
        if last is None:
            return self.unseen_users == "open"
        return (time.time() if now is None else now) - last < self.length_s

    def forget(self) -> None:
        with self._lock:
            self._last.clear()

    def record_notification(self, payload: Any) -> list[dict[str, Any]]:
        """Every user message of a webhook notification (``whatsapp_business_account``
        envelope) opens or extends that user's window; the ones recorded."""
        seen: list[dict[str, Any]] = []
        if not isinstance(payload, dict):
            return seen
        for entry in _items(payload.get("entry")):
            for change in _items(entry.get("changes")):
                value = change.get("value")
                if not isinstance(value, dict):
                    continue
                phone = (value.get("metadata") or {}).get("phone_number_id")
                if not isinstance(phone, str):
                    continue
                for message in _items(value.get("messages")):
                    users = [u for u in (message.get("from"), message.get("from_user_id")) if u]
                    at = _timestamp(message.get("timestamp"))
                    self.record(phone, [str(u) for u in users], at)
                    seen.append({"phone_number_id": phone, "users": users, "timestamp": at})
        return seen


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _timestamp(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return time.time()
