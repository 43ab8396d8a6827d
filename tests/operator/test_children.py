"""The manifests of a channel's children, built without any API."""

from __future__ import annotations

import base64
import dataclasses
import json

from ibbase_operator.channel import Channel
from ibbase_operator.children import (
    ROTATED_AT,
    build_ingress,
    build_registry_entry,
    build_registry_secret,
    build_webhook_secret,
    certificate_ready,
)
from ibbase_operator.subscriptions import Credentials

OWNER = {
    "apiVersion": "ibbase.io/v1alpha1",
    "kind": "WhatsAppChannel",
    "name": "sales-ru",
    "uid": "u-1",
    "controller": True,
    "blockOwnerDeletion": True,
}
LABELS = {"ibbase.io/channel": "sales-ru", "app.kubernetes.io/managed-by": "ibbase-operator"}


def _channel(**spec: object) -> Channel:
    return Channel.from_object(
        {
            "metadata": {"name": "sales-ru", "namespace": "crm", "uid": "u-1", "generation": 2},
            "spec": {
                "phoneNumberId": "123456789012345",
                "businessAccountId": "987654321098765",
                "appId": "112233445566778",
                "host": "wa.example.com",
                "credentialsSecretRef": {"name": "meta-credentials"},
                **spec,
            },
        }
    )


def _unb64(value: str) -> str:
    return base64.b64decode(value).decode()


def test_ingress_of_a_channel_with_the_defaults() -> None:
    assert build_ingress(_channel()) == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "sales-ru-webhook",
            "namespace": "crm",
            "labels": LABELS,
            "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt-prod"},
            "ownerReferences": [OWNER],
        },
        "spec": {
            "tls": [{"hosts": ["wa.example.com"], "secretName": "sales-ru-webhook-tls"}],
            "rules": [
                {
                    "host": "wa.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/api/whatsapp/webhook/crm.sales-ru",
                                "pathType": "Exact",
                                "backend": {
                                    "service": {
                                        "name": "ibbase-gateway",
                                        "port": {"number": 80},
                                    }
                                },
                            }
                        ]
                    },
                }
            ],
        },
    }


def test_ingress_keeps_the_users_annotations_and_gateway() -> None:
    ch = _channel(
        ingress={"annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "16m"}},
        gateway={"serviceName": "gw", "servicePort": 8080},
    )
    ingress = build_ingress(ch)
    assert ingress["metadata"]["annotations"] == {
        "nginx.ingress.kubernetes.io/proxy-body-size": "16m",
        "cert-manager.io/cluster-issuer": "letsencrypt-prod",
    }
    assert "ingressClassName" not in ingress["spec"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend == {"service": {"name": "gw", "port": {"number": 8080}}}


def test_webhook_secret_with_a_new_token() -> None:
    secret = build_webhook_secret(_channel(), "tok-new", None, rotated_at="2025-01-02T03:04:05Z")
    assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret"
    assert secret["type"] == "Opaque"
    assert secret["metadata"] == {
        "name": "sales-ru-webhook",
        "namespace": "crm",
        "labels": LABELS,
        "annotations": {ROTATED_AT: "2025-01-02T03:04:05Z"},
        "ownerReferences": [OWNER],
    }
    # None: absent on create, removed from an existing Secret by the merge patch.
    assert secret["data"]["previousVerifyToken"] is None
    assert _unb64(secret["data"]["verifyToken"]) == "tok-new"


def test_webhook_secret_during_a_rotation() -> None:
    secret = build_webhook_secret(_channel(), "tok-new", "tok-old", rotated_at=None)
    assert secret["metadata"]["annotations"] == {}
    assert {k: _unb64(v) for k, v in secret["data"].items()} == {
        "verifyToken": "tok-new",
        "previousVerifyToken": "tok-old",
    }


def test_registry_entry_of_a_channel() -> None:
    ch = _channel(graphApiVersion="v24.0")
    ch = dataclasses.replace(ch, created="2025-01-02T03:04:05Z")
    creds = Credentials(access_token="EAAG-token", app_secret="app-secret")
    entry = build_registry_entry(
        ch, creds, ["tok-new", None], graph_url="https://graph.example.test/"
    )
    assert entry.key == ch.registry_key == "crm.sales-ru.json"
    assert json.loads(entry.dump_json()) == {
        "id": "crm.sales-ru",
        "namespace": "crm",
        "name": "sales-ru",
        "phone_number_id": "123456789012345",
        "business_account_id": "987654321098765",
        "app_id": "112233445566778",
        "graph_api_url": "https://graph.example.test/v24.0",
        "webhook_path": "/api/whatsapp/webhook/crm.sales-ru",
        "verify_tokens": ["tok-new"],
        "app_secret": "app-secret",
        "access_token": "EAAG-token",
        "created": "2025-01-02T03:04:05Z",  # the claim on the number: older claims win
    }


def test_registry_secret_leaves_out_removed_keys() -> None:
    secret = build_registry_secret("ibbase", "ibbase-channels", {"a.json": "e30=", "b.json": None})
    assert secret == {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "ibbase-channels",
            "namespace": "ibbase",
            "labels": {"app.kubernetes.io/managed-by": "ibbase-operator"},
        },
        "data": {"a.json": "e30="},
    }


def test_certificate_ready_condition() -> None:
    ready = {"type": "Ready", "status": "True", "message": "issued"}
    cert = {"status": {"conditions": [{"type": "Issuing", "status": "False"}, ready]}}
    assert certificate_ready(cert) == ready
    assert certificate_ready({"status": {}}) is None
    assert certificate_ready(None) is None


def test_registry_entry_carries_the_channels_sender_rules() -> None:
    """spec.senders reaches the worker through the registry; unset, the entry says nothing
    and the installation's policy applies."""
    creds = Credentials(access_token="EAAG-token", app_secret="app-secret")
    senders = {"policy": "allowlist", "allowlist": ["+7 900 000-00-01"], "cardsPerHour": 5}
    entry = build_registry_entry(
        _channel(senders=senders), creds, ["tok"], graph_url="https://graph.example.test/"
    )
    assert entry.senders is not None
    assert (entry.senders.policy, entry.senders.allowlist) == ("allowlist", ["+7 900 000-00-01"])
    assert entry.senders.cards_per_hour == 5
    assert json.loads(entry.dump_json())["senders"]["cards_per_hour"] == 5
    plain = build_registry_entry(_channel(), creds, ["tok"], graph_url="https://g.example.test/")
    assert plain.senders is None and "senders" not in json.loads(plain.dump_json())


def test_registry_entry_carries_the_channels_contact_card_choice() -> None:
    creds = Credentials(access_token="EAAG-token", app_secret="app-secret")
    url = "https://graph.example.test/"
    entry = build_registry_entry(_channel(contactCard="immediately"), creds, ["t"], graph_url=url)
    assert entry.contact_card == "immediately"
    assert json.loads(entry.dump_json())["contact_card"] == "immediately"
    plain = build_registry_entry(_channel(), creds, ["t"], graph_url=url)
    assert plain.contact_card is None and "contact_card" not in json.loads(plain.dump_json())
