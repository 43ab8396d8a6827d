"""The objects a channel owns or feeds: its webhook Secret (the verify tokens), its Ingress
(and the Certificate cert-manager makes from it), and its entry in the channel registry
Secret that the gateway and the worker read.

Manifests come from the pure ``build_*`` functions; :class:`Children` applies them and sets
the conditions they decide.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator import resource as res
from ibbase_operator.channel import Channel, b64, unb64
from ibbase_operator.kube import KubeClient
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.status import Pass, Stop, iso
from ibbase_operator.subscriptions import Credentials
from whatsapp_cloud.registry import ChannelEntry

ROTATED_AT = "ibbase.io/verify-token-rotated-at"


def new_verify_token() -> str:
    return secrets.token_urlsafe(32)


# Manifests -----------------------------------------------------------------------------


def build_webhook_secret(
    ch: Channel, current: str, previous: str | None, *, rotated_at: str | None
) -> dict[str, Any]:
    """The channel's verify tokens: the current one, and the previous one while a rotation
    waits for Meta (None: removed). ``rotated_at`` stamps a new current token."""
    annotations = {ROTATED_AT: rotated_at} if rotated_at else {}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": ch.child_metadata(res.webhook_secret_name(ch.name), annotations),
        "data": {
            res.VERIFY_TOKEN_KEY: b64(current),
            res.PREVIOUS_VERIFY_TOKEN_KEY: b64(previous) if previous else None,
        },
    }


def build_ingress(ch: Channel) -> dict[str, Any]:
    """The channel's path on its host, to the gateway, with TLS from cert-manager."""
    annotations = {**ch.spec.ingress.annotations}
    annotations["cert-manager.io/cluster-issuer"] = ch.spec.ingress.cluster_issuer
    spec: dict[str, Any] = {
        "tls": [{"hosts": [ch.spec.host], "secretName": res.tls_secret_name(ch.name)}],
        "rules": [
            {
                "host": ch.spec.host,
                "http": {
                    "paths": [
                        {
                            "path": ch.path,
                            "pathType": "Exact",
                            "backend": {
                                "service": {
                                    "name": ch.spec.gateway.service_name,
                                    "port": {"number": ch.spec.gateway.service_port},
                                }
                            },
                        }
                    ]
                },
            }
        ],
    }
    if ch.spec.ingress.class_name:
        spec["ingressClassName"] = ch.spec.ingress.class_name
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": ch.child_metadata(res.ingress_name(ch.name), annotations),
        "spec": spec,
    }


def build_registry_entry(
    ch: Channel, creds: Credentials, verify_tokens: list[str | None], *, graph_url: str
) -> ChannelEntry:
    """What the gateway and the worker need of the channel; the verify tokens that are None
    are left out."""
    return ChannelEntry.model_validate(
        {
            "id": ch.id,
            "namespace": ch.namespace,
            "name": ch.name,
            "phone_number_id": ch.spec.phone_number_id,
            "business_account_id": ch.spec.business_account_id,
            "app_id": ch.spec.app_id,
            "graph_api_url": f"{graph_url.rstrip('/')}/{ch.spec.graph_api_version}",
            "webhook_path": ch.path,
            "verify_tokens": [t for t in verify_tokens if t],
            "app_secret": creds.app_secret,
            "access_token": creds.access_token,
            # The claim on the number: the gateway serves the older of two claims.
            "created": ch.created,
            "senders": ch.spec.senders.model_dump() if ch.spec.senders else None,
            "contact_card": ch.spec.contact_card,
        }
    )


def build_registry_secret(namespace: str, name: str, data: dict[str, str | None]) -> dict[str, Any]:
    """The registry Secret as first created (keys whose value is None are left out)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {res.LABEL_MANAGED_BY: res.MANAGER},
        },
        "data": {k: v for k, v in data.items() if v is not None},
    }


def certificate_ready(cert: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``Ready`` condition of a cert-manager Certificate, if it has one."""
    return next(
        (
            cond
            for cond in ((cert or {}).get("status") or {}).get("conditions") or []
            if cond.get("type") == "Ready"
        ),
        None,
    )


# Applying them -------------------------------------------------------------------------


class Children:
    def __init__(
        self, kube: KubeClient, settings: OperatorSettings, clock: Callable[[], float]
    ) -> None:
        self.kube = kube
        self.settings = settings
        self._clock = clock

    async def verify_tokens(self, p: Pass) -> tuple[str, str | None]:
        """The webhook Secret's (current, previous) tokens, creating it on first sight."""
        name = res.webhook_secret_name(p.ch.name)
        secret = await self.kube.get_or_none("v1", "secrets", p.ch.namespace, name)
        if secret is None:
            token, now = new_verify_token(), iso(self._clock())
            await self.set_verify_tokens(p.ch, token, None, rotated_at=now)
            p.status.verify_token_rotated_at = now
            p.event("SecretCreated", f"Secret {name} with a new webhook verify token")
            return token, None
        data = secret.get("data") or {}
        current = unb64(data[res.VERIFY_TOKEN_KEY]) if data.get(res.VERIFY_TOKEN_KEY) else None
        if current is None:  # someone emptied it: issue a fresh one
            current = new_verify_token()
            await self.set_verify_tokens(p.ch, current, None, rotated_at=iso(self._clock()))
        previous_raw = data.get(res.PREVIOUS_VERIFY_TOKEN_KEY)
        rotated = (secret["metadata"].get("annotations") or {}).get(ROTATED_AT)
        if rotated:
            p.status.verify_token_rotated_at = rotated
        return current, unb64(previous_raw) if previous_raw else None

    async def set_verify_tokens(
        self, ch: Channel, current: str, previous: str | None, *, rotated_at: str | None
    ) -> None:
        body = build_webhook_secret(ch, current, previous, rotated_at=rotated_at)
        await self.kube.apply("v1", "secrets", ch.namespace, body)

    async def put_registry_entry(
        self, ch: Channel, creds: Credentials, verify_tokens: list[str | None]
    ) -> None:
        entry = build_registry_entry(ch, creds, verify_tokens, graph_url=self.settings.graph_url)
        await self._patch_registry({entry.key: b64(entry.dump_json())})

    async def remove_registry_entry(self, ch: Channel) -> None:
        await self._patch_registry({ch.registry_key: None})

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
        if all(v is None for v in data.values()):
            return  # nothing to remove from a registry that does not exist
        await self.kube.apply("v1", "secrets", ns, build_registry_secret(ns, name, data))

    async def ingress(self, p: Pass) -> bool:
        """Apply the Ingress; whether the ingress controller has admitted it."""
        ingress = await self.kube.apply(
            "networking.k8s.io/v1", "ingresses", p.ch.namespace, build_ingress(p.ch)
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

    async def certificate(self, p: Pass) -> None:
        """Go on only once cert-manager has issued the Ingress's certificate."""
        name = res.tls_secret_name(p.ch.name)
        cert = await self.kube.get_or_none(
            "cert-manager.io/v1", "certificates", p.ch.namespace, name
        )
        ready = certificate_ready(cert)
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
