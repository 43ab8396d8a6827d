"""The level-based reconciler: read the channel, bring the world in line, write the status.

One pass does every step in the pipeline's order and stops at the first that cannot go on
yet (credentials missing, certificate not issued, webhook not answering): the conditions say
which, and the returned :class:`Outcome` says when to look again. kopf's handlers and timer
only call :meth:`Reconciler.reconcile` and :meth:`Reconciler.cleanup`; a per-channel lock
keeps a timer pass and a change pass from interleaving.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from gateway.channels import ChannelEntry
from ibbase.webhook_probe import ProbeResult, probe_callback
from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, b64, digest, unb64
from ibbase_operator.kube import KubeClient, KubeError
from ibbase_operator.meta import MetaAdmin, MetaError
from ibbase_operator.registration import Credentials, Registrar, Sharing
from ibbase_operator.settings import OperatorSettings

log = logging.getLogger("ibbase.operator")

Probe = Callable[..., Awaitable[ProbeResult]]
ROTATED_AT = "ibbase.io/verify-token-rotated-at"


@dataclass(frozen=True)
class Outcome:
    """When the change handler should run again (None: nothing pending, or a permanent
    stop that only a change of the spec or the credentials lifts)."""

    retry_in: float | None
    message: str


class Stop(Exception):
    """This pass cannot go further; the condition is already set."""

    def __init__(self, message: str, *, retry: bool = True, delay: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.delay = delay


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str | None) -> float | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


@dataclass
class _Pass:
    """The state of one reconcile pass of one channel."""

    ch: Channel
    conds: c.Conditions
    status: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (type, reason, message)

    def event(self, reason: str, message: str, *, warning: bool = False) -> None:
        self.events.append(("Warning" if warning else "Normal", reason, message))


class Reconciler:
    def __init__(
        self,
        kube: KubeClient,
        meta: MetaAdmin,
        settings: OperatorSettings,
        *,
        probe: Probe = probe_callback,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kube = kube
        self.meta = meta
        self.settings = settings
        self.registrar = Registrar(meta)
        self._probe = probe
        self._clock = clock
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    def _lock(self, namespace: str, name: str) -> asyncio.Lock:
        return self._locks.setdefault((namespace, name), asyncio.Lock())

    def backoff(self, attempt: int) -> float:
        return min(
            self.settings.backoff_max_s, self.settings.backoff_base_s * 2 ** min(attempt, 20)
        )

    # The pass ------------------------------------------------------------------------------

    async def reconcile(self, namespace: str, name: str, *, attempt: int = 0) -> Outcome:
        async with self._lock(namespace, name):
            obj = await self.kube.get_or_none(res.API_VERSION, res.PLURAL, namespace, name)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                return Outcome(None, "channel is gone or being deleted")
            ch = Channel.from_object(obj)
            p = _Pass(ch, c.Conditions(ch.status.get("conditions"), ch.generation))
            try:
                outcome = await self._steps(p)
            except Stop as stop:
                delay = stop.delay if stop.delay is not None else self.backoff(attempt)
                outcome = Outcome(delay if stop.retry else None, str(stop))
            finally:
                await self._write_status(obj, p)
            return outcome

    async def _steps(self, p: _Pass) -> Outcome:
        ch = p.ch
        creds = await self._credentials(p)
        current, previous = await self._verify_tokens(p)
        p.conds.set(
            c.SECRETS_READY,
            True,
            "SecretsReady",
            f"verify token in Secret {res.webhook_secret_name(ch.name)}, "
            f"credentials from Secret {ch.spec.credentials.name}",
        )
        creds = await self._check_token(p, creds)
        await self._put_registry_entry(ch, creds, [current, previous])
        ingress_ready = await self._ingress(p)
        await self._certificate(p)

        if previous is None and self._rotation_due(p):
            previous, current = current, secrets.token_urlsafe(32)
            await self._set_verify_tokens(ch, current, previous, rotated_at=None)
            await self._put_registry_entry(ch, creds, [current, previous])
            p.event(
                "VerifyTokenRotating",
                "new webhook verify token issued; the old one is "
                "accepted until Meta has the new one",
            )

        await self._verified(p, current)
        token = p.conds.get(c.TOKEN_VALID) or {}
        if token.get("status") == "False":
            p.conds.set(
                c.WEBHOOK_SUBSCRIBED,
                None,
                token.get("reason", "TokenInvalid"),
                "cannot check or change the registration without a valid access token",
            )
            raise Stop("access token is not valid", retry=False)
        if token.get("status") != "True":
            raise Stop("access token could not be checked")
        await self._register(p, creds, current, force=previous is not None)
        if previous is not None:
            now = self._clock()
            await self._set_verify_tokens(ch, current, None, rotated_at=iso(now))
            await self._put_registry_entry(ch, creds, [current, None])
            p.status["verifyTokenRotatedAt"] = iso(now)
            p.event("VerifyTokenRotated", "Meta has the new verify token; the old one is dropped")
        if not ingress_ready:
            raise Stop("waiting for the ingress to be admitted")
        return Outcome(None, "ready")

    # Steps ---------------------------------------------------------------------------------

    async def _credentials(self, p: _Pass) -> Credentials:
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
        p.status.setdefault("_credentialsVersion", secret["metadata"].get("resourceVersion", ""))
        return Credentials(
            access_token=unb64(data[ref.access_token_key]).strip(),
            app_secret=unb64(data[ref.app_secret_key]).strip(),
        )

    async def _verify_tokens(self, p: _Pass) -> tuple[str, str | None]:
        """The webhook Secret's (current, previous) tokens, creating it on first sight."""
        name = res.webhook_secret_name(p.ch.name)
        secret = await self.kube.get_or_none("v1", "secrets", p.ch.namespace, name)
        if secret is None:
            token, now = secrets.token_urlsafe(32), iso(self._clock())
            await self._set_verify_tokens(p.ch, token, None, rotated_at=now)
            p.status["verifyTokenRotatedAt"] = now
            p.event("SecretCreated", f"Secret {name} with a new webhook verify token")
            return token, None
        data = secret.get("data") or {}
        current = unb64(data[res.VERIFY_TOKEN_KEY]) if data.get(res.VERIFY_TOKEN_KEY) else None
        if current is None:  # someone emptied it: issue a fresh one
            current = secrets.token_urlsafe(32)
            await self._set_verify_tokens(p.ch, current, None, rotated_at=iso(self._clock()))
        previous_raw = data.get(res.PREVIOUS_VERIFY_TOKEN_KEY)
        rotated = (secret["metadata"].get("annotations") or {}).get(ROTATED_AT)
        if rotated:
            p.status["verifyTokenRotatedAt"] = rotated
        return current, unb64(previous_raw) if previous_raw else None

    async def _set_verify_tokens(
        self, ch: Channel, current: str, previous: str | None, *, rotated_at: str | None
    ) -> None:
        annotations = {ROTATED_AT: rotated_at} if rotated_at else {}
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": ch.child_metadata(res.webhook_secret_name(ch.name), annotations),
            "data": {
                res.VERIFY_TOKEN_KEY: b64(current),
                res.PREVIOUS_VERIFY_TOKEN_KEY: b64(previous) if previous else None,
            },
        }
        await self.kube.apply("v1", "secrets", ch.namespace, body)

    def _rotation_due(self, p: _Pass) -> bool:
        rotated = parse_iso(p.status.get("verifyTokenRotatedAt"))
        every = p.ch.spec.token_rotation.verify_token_every_s
        return rotated is not None and self._clock() - rotated >= every

    async def _check_token(self, p: _Pass, creds: Credentials) -> Credentials:
        """debug_token every ``checkEvery``; refresh a 60-day token ``refreshAccessTokenBefore``
        its expiry and write it back to the credentials Secret."""
        ch, now = p.ch, self._clock()
        rotation = ch.spec.token_rotation
        checked = parse_iso(ch.status.get("tokenCheckedAt"))
        condition = p.conds.get(c.TOKEN_VALID)
        fresh = (
            checked is not None
            and now - checked < rotation.check_every_s
            and condition is not None
            and condition.get("status") == "True"
            and condition.get("observedGeneration") == ch.generation
            and ch.status.get("tokenCredentialsVersion") == p.status["_credentialsVersion"]
        )
        if fresh:
            return creds
        version, app_id = ch.spec.graph_api_version, ch.spec.app_id
        try:
            info = await self.meta.debug_token(
                version, app_id, creds.app_secret, creds.access_token
            )
        except MetaError as exc:
            if exc.temporary:
                p.conds.set(c.TOKEN_VALID, None, exc.reason, f"could not check the token: {exc}")
            else:
                p.conds.set(c.TOKEN_VALID, False, "TokenCheckFailed", str(exc))
            return creds
        p.status["tokenCheckedAt"] = iso(now)
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
            p.status["tokenExpiresAt"] = "never"
            p.conds.set(c.TOKEN_VALID, True, "NeverExpires", "system-user token without expiry")
            p.status["tokenCredentialsVersion"] = p.status["_credentialsVersion"]
            return creds
        expires_at = float(info.expires_at)
        if expires_at - now <= rotation.refresh_before_s:
            try:
                token, expires_in = await self.meta.exchange_token(
                    version, app_id, creds.app_secret, creds.access_token
                )
            except MetaError as exc:
                p.status["tokenExpiresAt"] = iso(expires_at)
                p.conds.set(
                    c.TOKEN_VALID,
                    True,
                    "TokenExpiring",
                    f"expires at {iso(expires_at)}; refreshing failed: {exc}",
                )
                return creds
            creds = Credentials(access_token=token, app_secret=creds.app_secret)
            updated = await self.kube.merge_patch(
                "v1",
                "secrets",
                ch.namespace,
                ch.spec.credentials.name,
                {"data": {ch.spec.credentials.access_token_key: b64(token)}},
            )
            p.status["_credentialsVersion"] = updated["metadata"].get("resourceVersion", "")
            expires_at = now + expires_in if expires_in else 0
            p.event(
                "TokenRefreshed",
                f"access token refreshed; the new one expires at {iso(expires_at)}",
            )
            p.conds.set(c.TOKEN_VALID, True, "TokenRefreshed", f"valid until {iso(expires_at)}")
        else:
            p.conds.set(c.TOKEN_VALID, True, "TokenValid", f"valid until {iso(expires_at)}")
        p.status["tokenExpiresAt"] = iso(expires_at) if expires_at else "never"
        p.status["tokenCredentialsVersion"] = p.status["_credentialsVersion"]
        return creds

    async def _put_registry_entry(
        self, ch: Channel, creds: Credentials, verify_tokens: list[str | None]
    ) -> None:
        entry = ChannelEntry.model_validate(
            {
                "id": ch.id,
                "namespace": ch.namespace,
                "name": ch.name,
                "phone_number_id": ch.spec.phone_number_id,
                "business_account_id": ch.spec.business_account_id,
                "app_id": ch.spec.app_id,
                "graph_api_url": f"{self.settings.graph_url.rstrip('/')}/"
                f"{ch.spec.graph_api_version}",
                "webhook_path": ch.path,
                "verify_tokens": [t for t in verify_tokens if t],
                "app_secret": creds.app_secret,
                "access_token": creds.access_token,
            }
        )
        await self._patch_registry({entry.key: b64(entry.dump_json())})

    async def _patch_registry(self, data: dict[str, str | None]) -> None:
        """Merge ``data`` into the registry Secret: a key per channel, so channels never
        overwrite each other however concurrently they are reconciled."""
        ns, name = self.settings.registry_namespace, self.settings.registry_secret
        current = await self.kube.get_or_none("v1", "secrets", ns, name)
        if current is not None:
            have = current.get("data") or {}
            if all(have.get(k) == v for k, v in data.items()):
                return  # unchanged: don't make every pod's kubelet rewrite the files
            await self.kube.merge_patch("v1", "secrets", ns, name, {"data": data})
            return
        body = {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": name,
                "namespace": ns,
                "labels": {res.LABEL_MANAGED_BY: res.MANAGER},
            },
            "data": {k: v for k, v in data.items() if v is not None},
        }
        await self.kube.apply("v1", "secrets", ns, body)

    async def _ingress(self, p: _Pass) -> bool:
        ingress = await self.kube.apply(
            "networking.k8s.io/v1", "ingresses", p.ch.namespace, p.ch.ingress_manifest()
        )
        lb = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if lb:
            address = lb[0].get("hostname") or lb[0].get("ip") or "?"
            p.conds.set(c.INGRESS_READY, True, "IngressAdmitted", f"served at {address}")
            return True
        p.conds.set(
            c.INGRESS_READY,
            False,
            "WaitingForLoadBalancer",
            f"Ingress {res.ingress_name(p.ch.name)} has no load-balancer address yet",
        )
        return False

    async def _certificate(self, p: _Pass) -> None:
        name = res.tls_secret_name(p.ch.name)
        cert = await self.kube.get_or_none(
            "cert-manager.io/v1", "certificates", p.ch.namespace, name
        )
        ready = next(
            (
                cond
                for cond in ((cert or {}).get("status") or {}).get("conditions") or []
                if cond.get("type") == "Ready"
            ),
            None,
        )
        if ready is not None and ready.get("status") == "True":
            p.conds.set(c.CERTIFICATE_READY, True, "CertificateIssued", f"Certificate {name} ready")
            return
        detail = (ready or {}).get("message") or (
            f"Certificate {name} not created yet (cert-manager makes it from the Ingress)"
            if cert is None
            else f"Certificate {name} not ready"
        )
        p.conds.set(c.CERTIFICATE_READY, False, "CertificatePending", detail)
        p.conds.set(
            c.WEBHOOK_VERIFIED, None, "WaitingForCertificate", "no public TLS certificate yet"
        )
        if not p.conds.is_true(c.WEBHOOK_SUBSCRIBED):
            p.conds.set(
                c.WEBHOOK_SUBSCRIBED,
                False,
                "WaitingForCertificate",
                "Meta is only told about the webhook once it answers over valid TLS",
            )
        raise Stop("waiting for the certificate")

    async def _verified(self, p: _Pass, verify_token: str) -> None:
        result = await self._probe(
            p.ch.webhook_url,
            verify_token,
            ca_bundle=self.settings.probe_ca_bundle,
            resolve=self.settings.probe_resolve or None,
            timeout_s=self.settings.probe_timeout_s,
        )
        if result.ok:
            p.conds.set(
                c.WEBHOOK_VERIFIED, True, "ChallengeAnswered", f"{p.ch.webhook_url} answers"
            )
            return
        p.conds.set(c.WEBHOOK_VERIFIED, False, "ChallengeFailed", result.detail)
        if not p.conds.is_true(c.WEBHOOK_SUBSCRIBED):
            p.conds.set(
                c.WEBHOOK_SUBSCRIBED,
                False,
                "WaitingForWebhook",
                "Meta is only told about the webhook once it answers the challenge",
            )
        raise Stop(f"webhook does not answer yet: {result.detail}")

    async def _register(
        self, p: _Pass, creds: Credentials, verify_token: str, *, force: bool
    ) -> None:
        ch = p.ch
        recorded = ch.status.get("registration") or {}
        blocked_key = f"{ch.generation}:{p.status['_credentialsVersion']}:{digest(verify_token)}"
        if recorded.get("blockedOn") == blocked_key:
            raise Stop("registration refused by Meta; waiting for a change", retry=False)
        desired = {
            "scope": ch.spec.callback_scope,
            "callbackUrl": ch.webhook_url,
            "verifyTokenDigest": digest(verify_token),
        }
        force = force or any(recorded.get(k) != v for k, v in desired.items())
        try:
            old_scope = recorded.get("scope")
            if old_scope and old_scope != ch.spec.callback_scope:
                # The scope moved: take down what the old one registered first.
                old = replace(ch, spec=ch.spec.model_copy(update={"callback_scope": old_scope}))
                removed = await self.registrar.remove(old, creds, await self._sharing(old))
                p.event(
                    "WebhookScopeChanged",
                    f"{old_scope} → {ch.spec.callback_scope}; "
                    f"removed {', '.join(removed) or 'nothing'}",
                )
            changed = await self.registrar.ensure(ch, creds, verify_token, force=force)
        except MetaError as exc:
            p.conds.set(c.WEBHOOK_SUBSCRIBED, False, exc.reason, str(exc))
            if exc.temporary:
                raise Stop(str(exc), delay=exc.retry_after_s) from None
            p.status["registration"] = {**recorded, "blockedOn": blocked_key}
            p.event(
                "RegistrationRefused",
                f"{exc}; not retried until the spec or the credentials change",
                warning=True,
            )
            raise Stop(str(exc), retry=False) from None
        if changed:
            drifted = not force
            p.status["registration"] = {
                **desired,
                "registeredAt": iso(self._clock()),
                "blockedOn": None,
            }
            if drifted:
                p.event(
                    "WebhookResubscribed",
                    f"Meta no longer had the registration; restored: {', '.join(changed)}",
                    warning=True,
                )
            else:
                p.event("WebhookRegistered", f"{', '.join(changed)} → {ch.webhook_url}")
        p.conds.set(
            c.WEBHOOK_SUBSCRIBED,
            True,
            "Subscribed",
            f"{ch.spec.callback_scope} scope → {ch.webhook_url}",
        )

    # Status and events ---------------------------------------------------------------------

    async def _write_status(self, obj: dict[str, Any], p: _Pass) -> None:
        p.conds.summarize()
        p.status.pop("_credentialsVersion", None)
        status = {
            **p.status,
            "conditions": p.conds.as_list(),
            "observedGeneration": p.ch.generation,
            "webhookUrl": p.ch.webhook_url,
        }
        try:
            await self.kube.merge_patch(
                res.API_VERSION,
                res.PLURAL,
                p.ch.namespace,
                p.ch.name,
                {"status": status},
                subresource="status",
            )
        except KubeError as exc:
            if not exc.not_found:
                raise
        for t in p.conds.transitions:
            p.events.append(
                ("Warning" if t.warning else "Normal", t.reason, f"{t.type}: {t.message}")
            )
        for etype, reason, message in p.events:
            await self.post_event(obj, etype, reason, message)

    async def post_event(self, obj: dict[str, Any], etype: str, reason: str, message: str) -> None:
        meta = obj["metadata"]
        stamp = iso(self._clock())
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta['name']}.{uuid.uuid4().hex[:16]}",
                "namespace": meta["namespace"],
            },
            "involvedObject": {
                "apiVersion": res.API_VERSION,
                "kind": res.KIND,
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta.get("uid", ""),
            },
            "type": etype,
            "reason": reason,
            "message": message[:1024],
            "source": {"component": res.MANAGER},
            "reportingComponent": res.MANAGER,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            await self.kube.create("v1", "events", meta["namespace"], event)
        except KubeError as exc:  # an event is a courtesy; never fail a pass for it
            log.warning("could not post event %s for %s: %s", reason, meta["name"], exc)
        log.info("%s %s/%s %s: %s", etype, meta["namespace"], meta["name"], reason, message)

    # Deletion ------------------------------------------------------------------------------

    async def cleanup(self, obj: dict[str, Any], *, attempt: int = 0) -> Outcome:
        """Remove the registration at Meta and the registry entry. Every branch ends: Meta
        says it is gone (404) or removes it; a temporary failure is retried a bounded number
        of times; after that, or without credentials, a Warning event names what is left
        at Meta and the channel is let go."""
        ch = Channel.from_object(obj)
        async with self._lock(ch.namespace, ch.name):
            outcome = await self._deregister(obj, ch, attempt)
            if outcome.retry_in is None:
                await self._patch_registry({ch.registry_key: None})
            return outcome

    async def _deregister(self, obj: dict[str, Any], ch: Channel, attempt: int) -> Outcome:
        what = (
            f"{ch.spec.callback_scope} registration of {ch.webhook_url} (WABA "
            f"{ch.spec.business_account_id}, phone number {ch.spec.phone_number_id})"
        )
        p = _Pass(ch, c.Conditions(None, ch.generation))
        try:
            creds = await self._credentials(p)
        except Stop:
            await self.post_event(
                obj,
                "Warning",
                "RegistrationLeftAtMeta",
                f"credentials Secret {ch.spec.credentials.name} is gone, so the {what} could "
                "not be removed: remove it in Meta's App Dashboard",
            )
            return Outcome(None, "let go without credentials")
        try:
            removed = await self.registrar.remove(ch, creds, await self._sharing(ch))
        except MetaError as exc:
            if exc.http_status == 404 or (exc.code == 100 and exc.subcode == 33):
                await self.post_event(
                    obj, "Normal", "RegistrationAlreadyGone", f"Meta no longer has the {what}"
                )
                return Outcome(None, "already gone")
            if exc.temporary and attempt + 1 < self.settings.delete_attempts:
                return Outcome(exc.retry_after_s or self.backoff(attempt), str(exc))
            await self.post_event(
                obj,
                "Warning",
                "RegistrationLeftAtMeta",
                f"could not remove the {what} after {attempt + 1} attempt(s): {exc}; "
                "remove it in Meta's App Dashboard",
            )
            return Outcome(None, "let go after failures")
        await self.post_event(
            obj,
            "Normal",
            "RegistrationRemoved",
            f"removed at Meta: {', '.join(removed) or 'nothing (shared with other channels)'}",
        )
        return Outcome(None, "removed")

    async def _sharing(self, ch: Channel) -> Sharing:
        namespaces: list[str | None] = list(self.settings.namespaces) or [None]
        others: list[Channel] = []
        for ns in namespaces:
            for item in await self.kube.list(res.API_VERSION, res.PLURAL, ns):
                other = Channel.from_object(item)
                if other.uid != ch.uid and not other.deleting:
                    others.append(other)
        return Sharing.among(ch, others)
