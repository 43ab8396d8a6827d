"""Who may write to a channel's CRM: its sender policy.

Anyone who knows a WhatsApp number can message it, so a channel says what strangers get:

- ``open``: anyone may send cards; what a sender adds is theirs (contacts merge only with
  the same sender's own), and ``/status`` counts only their own contacts.
- ``allowlist``: only the listed senders (wa_ids, i.e. phone numbers in digits) add to the
  channel's shared CRM, where their cards merge with each other's; anyone else gets a
  polite refusal and nothing is stored for them but the message itself.

Both cap the cards and shared contacts one sender may add per hour (``cards_per_hour``,
0 = no cap), so one sender cannot flood a channel's CRM or its reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from gateway.whatsapp.users import Sender

_NOT_DIGITS = re.compile(r"\D")
Mode = Literal["open", "allowlist"]
MODES: tuple[Mode, ...] = ("open", "allowlist")


def wa_id_of(phone: str) -> str:
    """``+7 (900) 000-00-01`` → ``79000000001``: wa_ids are the number's digits."""
    return _NOT_DIGITS.sub("", phone)


@dataclass(frozen=True)
class SenderPolicy:
    mode: Mode = "open"
    allowlist: frozenset[str] = frozenset()
    cards_per_hour: int = 60

    @classmethod
    def of(cls, mode: str, allowlist: Iterable[str], cards_per_hour: int) -> SenderPolicy:
        if mode not in MODES:
            raise ValueError(f"sender policy must be one of {', '.join(MODES)}, not {mode!r}")
        if cards_per_hour < 0:
            raise ValueError("cards per hour cannot be negative")
        listed = frozenset(d for d in (wa_id_of(p) for p in allowlist) if d)
        return cls(mode=mode, allowlist=listed, cards_per_hour=cards_per_hour)

    def listed(self, sender: Sender) -> bool:
        return bool(sender.wa_id) and wa_id_of(sender.wa_id or "") in self.allowlist

    def may_add(self, sender: Sender) -> bool:
        """May this sender's cards and shared contacts be stored?"""
        return self.mode == "open" or self.listed(sender)

    @property
    def shared_crm(self) -> bool:
        """Do contacts merge across senders (the listed senders' shared CRM)?"""
        return self.mode == "allowlist"

    def over_quota(self, added_last_hour: int) -> bool:
        return self.cards_per_hour > 0 and added_last_hour >= self.cards_per_hour
