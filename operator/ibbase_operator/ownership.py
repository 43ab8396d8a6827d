"""Ownership before routing: a channel gets a registry entry (and with it the gateway's
route and replies from its number) only once Meta confirms, asked with the channel's own
credentials, that they may act for its phone number, and only while no older channel claims
the same number.

Meta's side, re-checked every ``tokenRotation.checkEvery`` and whenever the spec or the
credentials change (``status.ownership``):

- ``GET /debug_token``: the token belongs to ``spec.appId``, and its ``granular_scopes``
  give both ``whatsapp_business_management`` and ``whatsapp_business_messaging`` on
  ``spec.businessAccountId`` (a scope without ``target_ids`` is not limited to listed
  WABAs);
- ``GET /{businessAccountId}/phone_numbers`` with the token (and ``appsecret_proof``) lists
  ``spec.phoneNumberId``, which Meta answers only to a token that may manage the WABA.

The cluster's side, every pass: of the channels (any namespace) that Meta confirmed as
owners of a number, the oldest claim keeps it (``creationTimestamp``, then namespace and
name: :func:`whatsapp_cloud.registry.claim_rank`, the rule the gateway applies to the
entries too). A claim Meta refused never counts, so a squatter cannot keep an owner out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, OwnershipStatus
from ibbase_operator.kube import KubeClient
from ibbase_operator.meta import MANAGEMENT, MESSAGING, MetaAdmin, TokenInfo
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.status import Pass, Stop, iso, parse_iso
from ibbase_operator.subscriptions import Credentials
from whatsapp_cloud.errors import GraphApiError, TokenInvalid
from whatsapp_cloud.registry import claim_rank

NOT_OWNER = "NotOwner"
CONFLICT = "PhoneNumberConflict"
VERIFIED = "OwnershipVerified"


class CannotTell(Exception):
    """Meta could not be asked, or could not answer, whether the channel owns its number."""

    def __init__(self, reason: str, message: str, delay: float | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.delay = delay


def verified_for(ch: Channel, credentials_version: str) -> str:
    """What a confirmation by Meta holds for: this spec, these credentials."""
    return f"{ch.generation}:{credentials_version}"


def rank(ch: Channel) -> tuple[datetime, str, str]:
    created = datetime.fromisoformat(ch.created) if ch.created else None
    return claim_rank(created, ch.namespace, ch.name)


def confirmed(ch: Channel) -> bool:
    """Whether Meta confirmed that this channel owns the number its spec names (last time it
    was asked: a confirmation stands until Meta refuses, so an owner that changes its host
    or rotates its token does not open a window for a newer claim)."""
    recorded = ch.status.ownership
    return bool(recorded and recorded.phone_number_id == ch.spec.phone_number_id)


def token_problem(info: TokenInfo, ch: Channel) -> str | None:
    """Why debug_token's answer does not let the token act for the channel's WABA."""
    if info.app_id is not None and info.app_id != ch.spec.app_id:
        return f"debug_token: the access token is of app {info.app_id}, not of {ch.spec.app_id}"
    waba = ch.spec.business_account_id
    missing = [s for s in (MANAGEMENT, MESSAGING) if not info.acts_for(s, waba)]
    if missing:
        return (
            f"debug_token: the access token cannot act for WABA {waba}: its granular_scopes "
            f"do not give {' or '.join(missing)} on it"
        )
    return None


def older_claim(ch: Channel, items: list[dict[str, Any]]) -> Channel | None:
    """The channel among ``items`` whose claim on ``ch``'s number comes first, if one does:
    another channel, not being deleted, that Meta confirmed as an owner, with an older claim
    (a claim Meta refused does not keep the number from its owner)."""
    best: Channel | None = None
    for item in items:
        spec = item.get("spec") or {}
        if spec.get("phoneNumberId") != ch.spec.phone_number_id:
            continue
        other = Channel.from_object(item)
        if other.uid == ch.uid or other.deleting or not confirmed(other):
            continue
        if rank(other) < rank(ch) and (best is None or rank(other) < rank(best)):
            best = other
    return best


async def list_channels(kube: KubeClient, namespaces: list[str]) -> list[dict[str, Any]]:
    """Every WhatsAppChannel the operator serves (all namespaces when none are listed)."""
    items: list[dict[str, Any]] = []
    scopes: list[str | None] = list(namespaces) or [None]
    for ns in scopes:
        items += await kube.list(res.API_VERSION, res.PLURAL, ns)
    return items


class Ownership:
    def __init__(
        self,
        kube: KubeClient,
        meta: MetaAdmin,
        settings: OperatorSettings,
        clock: Callable[[], float],
    ) -> None:
        self.kube = kube
        self.meta = meta
        self.settings = settings
        self._clock = clock

    async def require(self, p: Pass, creds: Credentials) -> None:
        """Go on only when the channel may route its phone number; Stop otherwise (the caller
        then removes its registry entry). ``PhoneNumberOwned`` says which check failed."""
        confirmed_now = await self._confirmed_by_meta(p, creds)
        ch = p.ch
        p.peers = items = await list_channels(self.kube, self.settings.namespaces)
        owner = older_claim(ch, items)
        if owner is not None:
            p.conds.set(
                c.PHONE_NUMBER_OWNED,
                False,
                CONFLICT,
                f"phone number {ch.spec.phone_number_id} is claimed by WhatsAppChannel "
                f"{owner.namespace}/{owner.name} too, created {owner.created}, before this one "
                f"({ch.created}); the older claim keeps the number. This channel takes over "
                "if that one is deleted",
            )
            raise Stop(f"phone number claimed by {owner.namespace}/{owner.name}")
        if confirmed_now:
            p.conds.set(
                c.PHONE_NUMBER_OWNED,
                True,
                VERIFIED,
                f"Meta lists phone number {ch.spec.phone_number_id} in WABA "
                f"{ch.spec.business_account_id}, and the access token may manage and message "
                "for it",
            )

    async def _confirmed_by_meta(self, p: Pass, creds: Credentials) -> bool:
        """True when Meta confirms (now, or recently for this very spec and credentials).

        False when Meta cannot tell now but confirmed it for this spec and these credentials
        before: the channel keeps routing (condition Unknown) rather than go dark while Meta
        is down. Stop when Meta refuses, or cannot tell and never confirmed it.
        """
        ch, now = p.ch, self._clock()
        key = verified_for(ch, p.status.credentials_version)
        recorded = ch.status.ownership or OwnershipStatus()
        checked = parse_iso(recorded.verified_at)
        if (
            recorded.verified_for == key
            and checked is not None
            and now - checked < ch.spec.token_rotation.check_every_s
        ):
            return True
        try:
            problem = await self._ask_meta(p, creds)
        except CannotTell as cannot:
            p.conds.set(
                c.PHONE_NUMBER_OWNED,
                None,
                cannot.reason,
                f"cannot check that the credentials may act for phone number "
                f"{ch.spec.phone_number_id}: {cannot}",
            )
            if recorded.verified_for == key:
                return False
            raise Stop(str(cannot), delay=cannot.delay) from None
        if problem is not None:
            p.conds.set(c.PHONE_NUMBER_OWNED, False, NOT_OWNER, problem)
            p.status.ownership = None  # removed: other channels no longer count this claim
            raise Stop(problem)
        p.status.ownership = OwnershipStatus(
            verifiedFor=key, verifiedAt=iso(now), phoneNumberId=ch.spec.phone_number_id
        )
        return True

    async def _ask_meta(self, p: Pass, creds: Credentials) -> str | None:
        """What Meta says against the channel owning its number, None if nothing."""
        spec = p.ch.spec
        token = p.conds.get(c.TOKEN_VALID) or {}
        if token.get("status") == "False":
            raise CannotTell(
                str(token.get("reason") or "TokenInvalid"), "the access token is not valid"
            )
        version, waba = spec.graph_api_version, spec.business_account_id
        try:
            info = await self.meta.debug_token(
                version, spec.app_id, creds.app_secret, creds.access_token
            )
        except GraphApiError as exc:
            return _refused(exc, "debug_token")
        if not info.is_valid:
            reason = "TokenExpired" if info.expired else "TokenInvalid"
            raise CannotTell(reason, "Meta says the access token is not valid")
        problem = token_problem(info, p.ch)
        if problem is not None:
            return problem
        try:
            phones = await self.meta.waba_phone_numbers(
                version, waba, creds.access_token, creds.app_secret
            )
        except GraphApiError as exc:
            return _refused(exc, f"GET /{waba}/phone_numbers with the channel's access token")
        if spec.phone_number_id not in phones:
            return (
                f"phone number {spec.phone_number_id} is not in WABA {waba}: "
                f"GET /{waba}/phone_numbers does not list it"
            )
        return None


def _refused(exc: GraphApiError, what: str) -> str:
    """A refusal by Meta as the reason the channel is not the owner, or CannotTell when the
    error says nothing about ownership (Meta down, rate limits, a dead token)."""
    if exc.temporary or isinstance(exc, TokenInvalid):
        raise CannotTell(exc.reason, f"{what}: {exc}", delay=exc.retry_after_s)
    return f"{what} was refused: {exc}"
