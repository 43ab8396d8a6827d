"""Status conditions as the Kubernetes API conventions describe them: one entry per type with
status True/False/Unknown, a CamelCase reason, a message, lastTransitionTime (changed only
when the status flips) and observedGeneration; plus a summary ``Ready``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SECRETS_READY = "SecretsReady"
PHONE_NUMBER_OWNED = "PhoneNumberOwned"
INGRESS_READY = "IngressReady"
CERTIFICATE_READY = "CertificateReady"
WEBHOOK_VERIFIED = "WebhookVerified"
WEBHOOK_SUBSCRIBED = "WebhookSubscribed"
TOKEN_VALID = "TokenValid"
READY = "Ready"
# Only on a channel being deleted whose registration Meta has not confirmed removed.
DELETING = "Deleting"

ORDER = [
    SECRETS_READY,
    PHONE_NUMBER_OWNED,
    INGRESS_READY,
    CERTIFICATE_READY,
    WEBHOOK_VERIFIED,
    WEBHOOK_SUBSCRIBED,
    TOKEN_VALID,
]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Transition:
    type: str
    status: str
    reason: str
    message: str
    warning: bool


class Conditions:
    """The conditions of one object, edited in memory, then written in one status patch."""

    def __init__(self, existing: list[dict[str, Any]] | None, generation: int) -> None:
        self._by_type = {c["type"]: dict(c) for c in existing or [] if "type" in c}
        self._generation = generation
        self.transitions: list[Transition] = []

    def get(self, ctype: str) -> dict[str, Any] | None:
        return self._by_type.get(ctype)

    def is_true(self, ctype: str) -> bool:
        current = self._by_type.get(ctype)
        return bool(current and current["status"] == "True")

    def set(self, ctype: str, status: bool | None, reason: str, message: str = "") -> None:
        value = "Unknown" if status is None else ("True" if status else "False")
        old = self._by_type.get(ctype)
        changed = old is None or old.get("status") != value or old.get("reason") != reason
        self._by_type[ctype] = {
            "type": ctype,
            "status": value,
            "reason": reason,
            "message": message,
            "lastTransitionTime": now_iso()
            if old is None or old.get("status") != value
            else old.get("lastTransitionTime", now_iso()),
            "observedGeneration": self._generation,
        }
        if changed:
            self.transitions.append(
                Transition(ctype, value, reason, message, warning=value == "False")
            )

    def summarize(self) -> None:
        """``Ready`` is True only when every other condition is True; otherwise it carries the
        first condition in the pipeline's order that is not (``Deleting`` first, when set)."""
        deleting = self._by_type.get(DELETING)
        if deleting is not None:
            self.set(READY, False, deleting["reason"], f"{DELETING}: {deleting['message']}")
            return
        for ctype in ORDER:
            current = self._by_type.get(ctype)
            if current is None:
                self.set(READY, None, "Reconciling", f"{ctype} not evaluated yet")
                return
            if current["status"] != "True":
                self.set(READY, False, current["reason"], f"{ctype}: {current['message']}")
                return
        self.set(READY, True, "ChannelReady", "webhook registered and tokens valid")

    def as_list(self) -> list[dict[str, Any]]:
        known = [*ORDER, READY]
        ordered = [self._by_type[t] for t in known if t in self._by_type]
        return ordered + [c for t, c in self._by_type.items() if t not in known]
