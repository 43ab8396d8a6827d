"""A WhatsAppChannel as the reconciler sees it: its spec, its status, the names it derives."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ibbase_operator import resource as res
from ibbase_operator.durations import parse_duration
from whatsapp_cloud.registry import channel_id, webhook_path


class _Spec(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class _Status(BaseModel):
    # Not frozen: a pass fills its status in as the steps go.
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class SecretRef(_Spec):
    name: str
    access_token_key: str = Field(default="accessToken", alias="accessTokenKey")
    app_secret_key: str = Field(default="appSecret", alias="appSecretKey")


class IngressSpec(_Spec):
    class_name: str | None = Field(default=None, alias="className")
    cluster_issuer: str = Field(default="letsencrypt-prod", alias="clusterIssuer")
    annotations: dict[str, str] = Field(default_factory=dict)


class GatewaySpec(_Spec):
    service_name: str = Field(default="ibbase-gateway", alias="serviceName")
    service_port: int = Field(default=80, alias="servicePort")


class TokenRotation(_Spec):
    verify_token_every: str = Field(default="720h", alias="verifyTokenEvery")
    refresh_access_token_before: str = Field(default="480h", alias="refreshAccessTokenBefore")
    check_every: str = Field(default="1h", alias="checkEvery")

    @property
    def verify_token_every_s(self) -> float:
        return parse_duration(self.verify_token_every)

    @property
    def refresh_before_s(self) -> float:
        return parse_duration(self.refresh_access_token_before)

    @property
    def check_every_s(self) -> float:
        return parse_duration(self.check_every)


class SendersSpec(_Spec):
    policy: Literal["open", "allowlist"] = "open"
    allowlist: list[str] = Field(default_factory=list)
    cards_per_hour: int = Field(default=60, alias="cardsPerHour")


class ChannelSpec(_Spec):
    """The spec with the CRD's defaults, for objects stored before a default existed."""

    phone_number_id: str = Field(alias="phoneNumberId")
    business_account_id: str = Field(alias="businessAccountId")
    app_id: str = Field(alias="appId")
    host: str
    graph_api_version: str = Field(default="v25.0", alias="graphApiVersion")
    credentials: SecretRef = Field(alias="credentialsSecretRef")
    callback_scope: Literal["waba", "phone", "app"] = Field(default="waba", alias="callbackScope")
    ingress: IngressSpec = Field(default_factory=IngressSpec)
    gateway: GatewaySpec = Field(default_factory=GatewaySpec)
    token_rotation: TokenRotation = Field(default_factory=TokenRotation, alias="tokenRotation")
    senders: SendersSpec | None = None
    contact_card: Literal["on_confirm", "immediately", "never"] | None = Field(
        default=None, alias="contactCard"
    )


class RegistrationStatus(_Status):
    """``status.registration``: what is registered at Meta, so re-registering is idempotent
    and a registration left behind by a change of the ids or the scope can be found and
    removed; ``blockedOn`` names the (generation, credentials, verify token) that Meta
    refused. ``scope`` is what this channel itself registered: ``phone`` when it asked for a
    WABA override or the app's callback that an older channel holds (``heldBy``);
    ``sharedWith`` lists the channels that asked for the same one."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    scope: str | None = None
    callback_url: str | None = Field(default=None, alias="callbackUrl")
    verify_token_digest: str | None = Field(default=None, alias="verifyTokenDigest")
    registered_at: str | None = Field(default=None, alias="registeredAt")
    blocked_on: str | None = Field(default=None, alias="blockedOn")
    phone_number_id: str | None = Field(default=None, alias="phoneNumberId")
    business_account_id: str | None = Field(default=None, alias="businessAccountId")
    app_id: str | None = Field(default=None, alias="appId")
    held_by: str | None = Field(default=None, alias="heldBy")
    shared_with: list[str] | None = Field(default=None, alias="sharedWith")
    # When Meta's side was last read back (registration or drift check).
    checked_at: str | None = Field(default=None, alias="checkedAt")


class OwnershipStatus(_Status):
    """``status.ownership``: Meta confirmed that the channel's credentials may act for its
    phone number and WABA. ``verifiedFor`` is ``{generation}:{credentials version}``: a
    change of either needs a new check before the channel may route the number;
    ``phoneNumberId`` is the number confirmed, which other channels' claims are weighed
    against while that check is pending."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)

    verified_for: str | None = Field(default=None, alias="verifiedFor")
    verified_at: str | None = Field(default=None, alias="verifiedAt")
    phone_number_id: str | None = Field(default=None, alias="phoneNumberId")


class ChannelStatus(_Status):
    """The channel's status: as stored (``Channel.status``), or as one pass writes it.

    A pass starts from an empty one and sets what it learns; :meth:`to_patch` writes only
    the fields that were set, because the status is written as a merge patch and a field the
    pass did not touch keeps its stored value. A field set to None is written as null, which
    removes it (``registration.blockedOn`` once a registration succeeds).
    """

    verify_token_rotated_at: str | None = Field(default=None, alias="verifyTokenRotatedAt")
    token_checked_at: str | None = Field(default=None, alias="tokenCheckedAt")
    token_expires_at: str | None = Field(default=None, alias="tokenExpiresAt")
    token_credentials_version: str | None = Field(default=None, alias="tokenCredentialsVersion")
    registration: RegistrationStatus | None = None
    ownership: OwnershipStatus | None = None
    conditions: list[dict[str, Any]] | None = None
    observed_generation: int | None = Field(default=None, alias="observedGeneration")
    webhook_url: str | None = Field(default=None, alias="webhookUrl")

    # Bookkeeping of one pass, never written: the version of the credentials this pass uses
    # (the resourceVersion of the user's credentials Secret, and of the operator's token
    # Secret when a refreshed token is used), and the digest of the user's access token that
    # a refreshed one descends from.
    credentials_version: str = Field(default="", exclude=True)
    user_token_digest: str = Field(default="", exclude=True)

    def to_patch(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_unset=True)


@dataclass(frozen=True)
class Channel:
    namespace: str
    name: str
    uid: str
    generation: int
    spec: ChannelSpec
    status: ChannelStatus
    deleting: bool
    # metadata.creationTimestamp: when the channel claimed its phone number.
    created: str | None = None

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> Channel:
        meta = obj["metadata"]
        return cls(
            namespace=meta["namespace"],
            name=meta["name"],
            uid=meta.get("uid", ""),
            generation=int(meta.get("generation", 1)),
            spec=ChannelSpec.model_validate(obj.get("spec", {})),
            status=ChannelStatus.model_validate(obj.get("status") or {}),
            deleting=bool(meta.get("deletionTimestamp")),
            created=meta.get("creationTimestamp"),
        )

    @property
    def id(self) -> str:
        return channel_id(self.namespace, self.name)

    @property
    def path(self) -> str:
        return webhook_path(self.id)

    @property
    def webhook_url(self) -> str:
        return f"https://{self.spec.host}{self.path}"

    @property
    def registry_key(self) -> str:
        return f"{self.id}.json"

    def owner_reference(self) -> dict[str, Any]:
        return {
            "apiVersion": res.API_VERSION,
            "kind": res.KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def child_metadata(
        self, name: str, annotations: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": self.namespace,
            "labels": {res.LABEL_CHANNEL: self.name, res.LABEL_MANAGED_BY: res.MANAGER},
            "annotations": annotations or {},
            "ownerReferences": [self.owner_reference()],
        }


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(data: str) -> str:
    return base64.b64decode(data).decode()


def digest(secret: str) -> str:
    """Enough of a SHA-256 to tell two tokens apart in status, nothing to recover one from."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]
