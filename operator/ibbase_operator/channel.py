"""A WhatsAppChannel as the reconciler sees it, and the children it should have."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.channels import channel_id, webhook_path
from ibbase_operator import resource as res
from ibbase_operator.durations import parse_duration


class _Spec(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class SecretRef(_Spec):
    name: str
    access_token_key: str = Field("accessToken", alias="accessTokenKey")
    app_secret_key: str = Field("appSecret", alias="appSecretKey")


class IngressSpec(_Spec):
    class_name: str | None = Field(None, alias="className")
    cluster_issuer: str = Field("letsencrypt-prod", alias="clusterIssuer")
    annotations: dict[str, str] = Field(default_factory=dict)


class GatewaySpec(_Spec):
    service_name: str = Field("ibbase-gateway", alias="serviceName")
    service_port: int = Field(80, alias="servicePort")


class TokenRotation(_Spec):
    verify_token_every: str = Field("720h", alias="verifyTokenEvery")
    refresh_access_token_before: str = Field("480h", alias="refreshAccessTokenBefore")
    check_every: str = Field("1h", alias="checkEvery")

    @property
    def verify_token_every_s(self) -> float:
        return parse_duration(self.verify_token_every)

    @property
    def refresh_before_s(self) -> float:
        return parse_duration(self.refresh_access_token_before)

    @property
    def check_every_s(self) -> float:
        return parse_duration(self.check_every)


class ChannelSpec(_Spec):
    """The spec with the CRD's defaults, for objects stored before a default existed."""

    phone_number_id: str = Field(alias="phoneNumberId")
    business_account_id: str = Field(alias="businessAccountId")
    app_id: str = Field(alias="appId")
    host: str
    graph_api_version: str = Field("v25.0", alias="graphApiVersion")
    credentials: SecretRef = Field(alias="credentialsSecretRef")
    callback_scope: Literal["waba", "phone", "app"] = Field("waba", alias="callbackScope")
    ingress: IngressSpec = Field(default_factory=IngressSpec)  # type: ignore[arg-type]
    gateway: GatewaySpec = Field(default_factory=GatewaySpec)  # type: ignore[arg-type]
    token_rotation: TokenRotation = Field(  # type: ignore[arg-type]
        default_factory=TokenRotation, alias="tokenRotation"
    )


@dataclass(frozen=True)
class Channel:
    namespace: str
    name: str
    uid: str
    generation: int
    spec: ChannelSpec
    status: dict[str, Any]
    deleting: bool

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> Channel:
        meta = obj["metadata"]
        return cls(
            namespace=meta["namespace"],
            name=meta["name"],
            uid=meta.get("uid", ""),
            generation=int(meta.get("generation", 1)),
            spec=ChannelSpec.model_validate(obj.get("spec", {})),
            status=dict(obj.get("status") or {}),
            deleting=bool(meta.get("deletionTimestamp")),
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

    def child_metadata(self, name: str, annotations: dict[str, str] | None = None) -> Any:
        return {
            "name": name,
            "namespace": self.namespace,
            "labels": {res.LABEL_CHANNEL: self.name, res.LABEL_MANAGED_BY: res.MANAGER},
            "annotations": annotations or {},
            "ownerReferences": [self.owner_reference()],
        }

    def ingress_manifest(self) -> dict[str, Any]:
        annotations = {**self.spec.ingress.annotations}
        annotations["cert-manager.io/cluster-issuer"] = self.spec.ingress.cluster_issuer
        spec: dict[str, Any] = {
            "tls": [{"hosts": [self.spec.host], "secretName": res.tls_secret_name(self.name)}],
            "rules": [
                {
                    "host": self.spec.host,
                    "http": {
                        "paths": [
                            {
                                "path": self.path,
                                "pathType": "Exact",
                                "backend": {
                                    "service": {
                                        "name": self.spec.gateway.service_name,
                                        "port": {"number": self.spec.gateway.service_port},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        }
        if self.spec.ingress.class_name:
            spec["ingressClassName"] = self.spec.ingress.class_name
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": self.child_metadata(res.ingress_name(self.name), annotations),
            "spec": spec,
        }


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unb64(data: str) -> str:
    return base64.b64decode(data).decode()


def digest(secret: str) -> str:
    """Enough of a SHA-256 to tell two tokens apart in status, nothing to recover one from."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]
