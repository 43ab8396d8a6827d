"""The channel's tokens: the Meta credentials read from their Secret, the access token checked
with Meta (``debug_token``) and refreshed before it expires, and when the webhook verify
token is due for rotation.

A refreshed access token goes into the operator's own Secret ``{channel}-token`` (owned by
the channel, so it goes with it), never into the user's credentials Secret: External Secrets
Operator or a GitOps tool may own that one and would put the old token back, or fight the
operator at every sync. The token Secret records which user token it was refreshed from
(a digest); while the user's Secret still holds that token the refreshed one is used, and
once the user puts another token there, theirs wins.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, b64, digest, unb64
from ibbase_operator.kube import KubeClient
from ibbase_operator.meta import MetaAdmin
from ibbase_operator.metrics import TOKEN_EXPIRY
from ibbase_operator.status import Pass, Stop, iso, parse_iso
from ibbase_operator.subscriptions import Credentials
from whatsapp_cloud.errors import GraphApiError


def build_token_secret(
    ch: Channel, token: str, *, refreshed_from: str, expires_at: str
) -> dict[str, Any]:
    """The operator's Secret with the channel's refreshed access token."""
    annotations = {res.REFRESHED_FROM: refreshed_from, res.EXPIRES_AT: expires_at}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": ch.child_metadata(res.token_secret_name(ch.name), annotations),
        "data": {res.ACCESS_TOKEN_KEY: b64(token)},
    }


def refreshed_token(secret: dict[str, Any] | None, user_token: str) -> str | None:
    """The token in the operator's token Secret, if it was refreshed from ``user_token``."""
    if secret is None:
        return None
    annotations = secret["metadata"].get("annotations") or {}
    data = secret.get("data") or {}
    noted = str(annotations.get(res.REFRESHED_FROM) or "")
    if not hmac.compare_digest(noted, digest(user_token)):
        return None  # the user put another token into their Secret since: theirs wins
    raw = data.get(res.ACCESS_TOKEN_KEY)
    return unb64(raw).strip() if raw else None


class Tokens:
    def __init__(self, kube: KubeClient, meta: MetaAdmin, clock: Callable[[], float]) -> None:
        self.kube = kube
        self.meta = meta
        self._clock = clock

    async def credentials(self, p: Pass) -> Credentials:
        """The access token and app secret from the channel's credentials Secret; Stop with
        ``SecretsReady`` False when it is missing or lacks a key."""
        ref = p.ch.spec.credentials
        secret = await self.kube.get_or_none("v1", "secrets", p.ch.namespace, ref.name)
        if secret is None:
            p.conds.set(
                c.SECRETS_READY,
                False,
                "CredentialsMissing",
                f"Secret {p.ch.namespace}/{ref.name} not found: create it with the keys "
                f"{ref.access_token_key} and {ref.app_secret_key}",
            )
            raise Stop("credentials Secret missing")
        data = secret.get("data") or {}
        missing = [k for k in (ref.access_token_key, ref.app_secret_key) if not data.get(k)]
        if missing:
            p.conds.set(
                c.SECRETS_READY,
                False,
                "CredentialsIncomplete",
                f"Secret {p.ch.namespace}/{ref.name} lacks the key(s) {', '.join(missing)}",
            )
            raise Stop("credentials Secret incomplete")
        version = secret["metadata"].get("resourceVersion", "")
        user_token = unb64(data[ref.access_token_key]).strip()
        token = user_token
        name = res.token_secret_name(p.ch.name)
        ours = await self.kube.get_or_none("v1", "secrets", p.ch.namespace, name)
        refreshed = refreshed_token(ours, user_token)
        if ours is not None and refreshed is not None:
            token = refreshed
            version = f"{version}+{ours['metadata'].get('resourceVersion', '')}"
        p.status.credentials_version = version
        p.status.user_token_digest = digest(user_token)
        return Credentials(access_token=token, app_secret=unb64(data[ref.app_secret_key]).strip())

    def rotation_due(self, p: Pass) -> bool:
        """Whether the verify token is older than ``tokenRotation.verifyTokenEvery``."""
        rotated = parse_iso(p.status.verify_token_rotated_at)
        every = p.ch.spec.token_rotation.verify_token_every_s
        return rotated is not None and self._clock() - rotated >= every

    def _checked_recently(self, p: Pass, now: float) -> bool:
        """A valid token, checked less than ``checkEvery`` ago for this generation and this
        version of the credentials Secret: no need to ask Meta again."""
        ch = p.ch
        checked = parse_iso(ch.status.token_checked_at)
        condition = p.conds.get(c.TOKEN_VALID)
        return (
            checked is not None
            and now - checked < ch.spec.token_rotation.check_every_s
            and condition is not None
            and condition.get("status") == "True"
            and condition.get("observedGeneration") == ch.generation
            and ch.status.token_credentials_version == p.status.credentials_version
        )

    async def check(self, p: Pass, creds: Credentials) -> Credentials:
        """debug_token every ``checkEvery``; refresh a 60-day token ``refreshAccessTokenBefore``
        its expiry into the operator's token Secret. Returns the credentials to go on with
        (the refreshed ones after a refresh); ``TokenValid`` says what was found."""
        ch, now = p.ch, self._clock()
        rotation = ch.spec.token_rotation
        if self._checked_recently(p, now):
            return creds
        version, app_id = ch.spec.graph_api_version, ch.spec.app_id
        try:
            info = await self.meta.debug_token(
                version, app_id, creds.app_secret, creds.access_token
            )
        except GraphApiError as exc:
            if exc.temporary:
                p.conds.set(c.TOKEN_VALID, None, exc.reason, f"could not check the token: {exc}")
            else:
                p.conds.set(c.TOKEN_VALID, False, "TokenCheckFailed", str(exc))
            return creds
        p.status.token_checked_at = iso(now)
        if not info.is_valid:
            if info.expired:
                p.conds.set(
                    c.TOKEN_VALID,
                    False,
                    "TokenExpired",
                    "the access token has expired and cannot be refreshed: put a new token "
                    f"into Secret {ch.spec.credentials.name}",
                )
            else:
                p.conds.set(
                    c.TOKEN_VALID, False, "TokenInvalid", info.error or "Meta says it is not valid"
                )
            return creds
        if info.expires_at == 0:
            p.status.token_expires_at = "never"
            p.conds.set(c.TOKEN_VALID, True, "NeverExpires", "system-user token without expiry")
            TOKEN_EXPIRY.labels(ch.namespace, ch.name).set(math.inf)
            p.status.token_credentials_version = p.status.credentials_version
            return creds
        expires_at = float(info.expires_at)
        if expires_at - now <= rotation.refresh_before_s:
            try:
                token, expires_in = await self.meta.exchange_token(
                    version, app_id, creds.app_secret, creds.access_token
                )
            except GraphApiError as exc:
                p.status.token_expires_at = iso(expires_at)
                p.conds.set(
                    c.TOKEN_VALID,
                    True,
                    "TokenExpiring",
                    f"expires at {iso(expires_at)}; refreshing failed: {exc}",
                )
                return creds
            expires_at = now + expires_in if expires_in else 0
            creds = await self._store(p, creds, token, expires_at)
            p.event(
                "TokenRefreshed",
                f"access token refreshed; the new one expires at {iso(expires_at)}",
            )
            p.conds.set(c.TOKEN_VALID, True, "TokenRefreshed", f"valid until {iso(expires_at)}")
        else:
            p.conds.set(c.TOKEN_VALID, True, "TokenValid", f"valid until {iso(expires_at)}")
        p.status.token_expires_at = iso(expires_at) if expires_at else "never"
        p.status.token_credentials_version = p.status.credentials_version
        TOKEN_EXPIRY.labels(ch.namespace, ch.name).set(expires_at or math.inf)
        return creds

    async def _store(
        self, p: Pass, creds: Credentials, token: str, expires_at: float
    ) -> Credentials:
        """Put a refreshed access token into the operator's token Secret (created on the
        first refresh, owned by the channel)."""
        body = build_token_secret(
            p.ch,
            token,
            refreshed_from=p.status.user_token_digest,
            expires_at=iso(expires_at) if expires_at else "never",
        )
        stored = await self.kube.apply("v1", "secrets", p.ch.namespace, body)
        user_version = p.status.credentials_version.split("+", 1)[0]
        p.status.credentials_version = (
            f"{user_version}+{stored['metadata'].get('resourceVersion', '')}"
        )
        return Credentials(access_token=token, app_secret=creds.app_secret)
