"""The channel-registry entry: the contract between the operator, which writes one entry per
``WhatsAppChannel`` into the registry Secret (key ``{namespace}.{name}.json``), and the
gateway and worker, which read them (``gateway.channels.ChannelRegistry``).

An entry's ``verify_tokens`` list holds the current token first; during a rotation the
previous one follows it, so Meta's verification requests succeed with either until the
operator has re-registered the webhook and drops the old one.

An entry's ``created`` is when its channel claimed the phone number (the resource's
``creationTimestamp``). One number has one owner: when two entries claim it, the older claim
wins (:func:`claim_rank`), whatever the files are called. Entries written before the field
existed have none and rank after every entry that has one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, field_serializer

CHANNEL_ID_RE = re.compile(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?")
WEBHOOK_PREFIX = "/api/whatsapp/webhook"


def channel_id(namespace: str, name: str) -> str:
    """``crm`` + ``sales-ru`` → ``crm.sales-ru``: unique in a cluster, safe in a URL path and
    as a Secret key (namespaces cannot contain dots, so the split is unambiguous)."""
    return f"{namespace}.{name}"


def webhook_path(cid: str) -> str:
    return f"{WEBHOOK_PREFIX}/{cid}"


# Sorts after every real claim time: a claim without one never beats a claim with one.
_UNKNOWN_CLAIM = datetime.max.replace(tzinfo=UTC)


def claim_rank(created: datetime | None, namespace: str, name: str) -> tuple[datetime, str, str]:
    """The order in which claims on one phone number are honoured, first wins: the older
    claim, then (same second) the namespace and the name. The operator ranks resources and
    the gateway ranks registry entries by this one rule, so they agree on the owner."""
    return (created or _UNKNOWN_CLAIM, namespace, name)


ContactCardPolicy = Literal["on_confirm", "immediately", "never"]


class SenderRules(BaseModel):
    """Who may add to a channel's CRM (spec.senders of its WhatsAppChannel): ``open`` (anyone;
    a sender's contacts are their own) or ``allowlist`` (only these wa_ids or phone numbers,
    into one shared CRM), and how many cards or shared contacts one sender may add an hour
    (0: no cap)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    policy: Literal["open", "allowlist"] = "open"
    allowlist: list[str] = Field(default_factory=list, max_length=10_000)
    cards_per_hour: int = Field(default=60, ge=0, alias="cardsPerHour")


class ChannelEntry(BaseModel):
    """One channel as the gateway and the worker see it. Secrets stay ``SecretStr`` in
    memory and in ``repr``; :meth:`dump_json` is the one place that writes them out."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(pattern=CHANNEL_ID_RE.pattern)
    namespace: str
    name: str
    phone_number_id: str = Field(pattern=r"^\d+$")
    business_account_id: str = Field(pattern=r"^\d+$")
    app_id: str = Field(pattern=r"^\d+$")
    # Versioned base of the Graph API, e.g. https://graph.facebook.com/v25.0
    graph_api_url: str
    webhook_path: str
    verify_tokens: list[SecretStr] = Field(min_length=1)
    app_secret: SecretStr
    access_token: SecretStr
    # When the channel claimed the number (its creationTimestamp); None in older entries.
    created: AwareDatetime | None = None
    # None: the installation's sender policy (IBBASE_SENDER_* of the gateway and worker).
    senders: SenderRules | None = None
    # When a card's contact goes back as a WhatsApp contact card (spec.contactCard):
    # on_confirm, immediately or never; None: the installation's (IBBASE_CONTACT_CARD).
    contact_card: ContactCardPolicy | None = None

    @field_serializer("verify_tokens", when_used="json")
    def _reveal_tokens(self, tokens: list[SecretStr]) -> list[str]:
        return [t.get_secret_value() for t in tokens]

    @field_serializer("app_secret", "access_token", when_used="json")
    def _reveal(self, secret: SecretStr) -> str:
        return secret.get_secret_value()

    def dump_json(self) -> str:
        """The file content the operator writes (secrets in clear: it goes into a Secret).
        A missing claim time is left out, as older operators wrote it."""
        return self.model_dump_json(exclude_none=True)

    @property
    def key(self) -> str:
        """The entry's file name in the registry Secret."""
        return f"{self.id}.json"

    @property
    def claim(self) -> tuple[datetime, str, str]:
        """This entry's rank among entries claiming the same phone number (lower wins)."""
        return claim_rank(self.created, self.namespace, self.name)
