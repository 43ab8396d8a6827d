"""The status model and what a pass writes: only what it set, in the CRD's keys, never its
bookkeeping; and the Events it posts."""

from __future__ import annotations

from typing import Any

from ibbase_operator import conditions as c
from ibbase_operator.channel import Channel, ChannelStatus, RegistrationStatus
from ibbase_operator.registration import blocked_key, build_registration
from ibbase_operator.settings import OperatorSettings
from ibbase_operator.status import Event, Pass, build_event, build_status, iso, parse_iso

URL = "https://wa.example.com/api/whatsapp/webhook/crm.sales-ru"
STORED: dict[str, Any] = {
    "observedGeneration": 1,
    "webhookUrl": URL,
    "tokenExpiresAt": "never",
    "tokenCheckedAt": "2025-01-02T03:04:05Z",
    "tokenCredentialsVersion": "41",
    "verifyTokenRotatedAt": "2025-01-01T00:00:00Z",
    "registration": {
        "scope": "waba",
        "callbackUrl": URL,
        "verifyTokenDigest": "0123456789ab",
        "registeredAt": "2025-01-01T00:00:05Z",
    },
    "conditions": [
        {
            "type": "Ready",
            "status": "True",
            "reason": "ChannelReady",
            "message": "webhook registered and tokens valid",
            "lastTransitionTime": "2025-01-01T00:00:05Z",
            "observedGeneration": 1,
        }
    ],
}


def _channel(status: dict[str, Any] | None = None) -> Channel:
    return Channel.from_object(
        {
            "metadata": {"name": "sales-ru", "namespace": "crm", "uid": "u-1", "generation": 2},
            "spec": {
                "phoneNumberId": "123456789012345",
                "businessAccountId": "987654321098765",
                "appId": "112233445566778",
                "host": "wa.example.com",
                "credentialsSecretRef": {"name": "meta-credentials"},
            },
            "status": status or {},
        }
    )


def test_a_stored_status_reads_and_writes_back_unchanged() -> None:
    status = ChannelStatus.model_validate(STORED)
    assert status.token_checked_at == "2025-01-02T03:04:05Z"
    assert status.registration is not None and status.registration.scope == "waba"
    assert status.to_patch() == STORED


def test_a_pass_writes_only_what_it_set() -> None:
    status = ChannelStatus()
    assert status.to_patch() == {}
    status.token_checked_at = "2025-01-02T03:04:05Z"
    status.token_expires_at = "never"
    assert status.to_patch() == {
        "tokenCheckedAt": "2025-01-02T03:04:05Z",
        "tokenExpiresAt": "never",
    }


def test_bookkeeping_is_never_written() -> None:
    status = ChannelStatus()
    status.credentials_version = "42"
    status.token_credentials_version = status.credentials_version
    assert status.to_patch() == {"tokenCredentialsVersion": "42"}
    assert "credentials_version" not in status.model_dump()
    stored = ChannelStatus.model_validate({**STORED, "_credentialsVersion": "9"})
    assert stored.credentials_version == ""
    assert stored.to_patch() == STORED


def test_a_registration_clears_blocked_on() -> None:
    ch = _channel()
    registration = build_registration(ch, "verify-token", registered_at="2025-01-03T00:00:00Z")
    status = ChannelStatus(registration=registration)
    assert status.to_patch() == {
        "registration": {
            "scope": "waba",
            "callbackUrl": URL,
            "verifyTokenDigest": registration.verify_token_digest,
            "registeredAt": "2025-01-03T00:00:00Z",
            "blockedOn": None,  # null in the merge patch: removed
        }
    }
    assert registration.verify_token_digest and "verify-token" not in str(status.to_patch())


def test_a_refusal_keeps_what_was_registered_and_adds_blocked_on() -> None:
    ch = _channel(STORED)
    key = blocked_key(ch, "41", "verify-token")
    assert key.startswith("2:41:") and "verify-token" not in key
    recorded = ch.status.registration or RegistrationStatus()
    status = ChannelStatus()
    status.registration = recorded.model_copy(update={"blocked_on": key})
    assert status.to_patch() == {"registration": {**STORED["registration"], "blockedOn": key}}
    # Never registered: the refusal is all there is.
    status.registration = RegistrationStatus().model_copy(update={"blocked_on": key})
    assert status.to_patch() == {"registration": {"blockedOn": key}}


def test_the_final_status_of_a_pass() -> None:
    p = Pass.of(_channel(STORED))
    p.status.credentials_version = "41"
    p.status.token_checked_at = "2025-01-03T00:00:00Z"
    p.conds.set(c.SECRETS_READY, False, "CredentialsMissing", "Secret crm/x not found")
    patch = build_status(p)
    assert set(patch) == {"tokenCheckedAt", "conditions", "observedGeneration", "webhookUrl"}
    assert patch["observedGeneration"] == 2
    assert patch["webhookUrl"] == URL
    ready = next(x for x in patch["conditions"] if x["type"] == c.READY)
    assert (ready["status"], ready["reason"]) == ("False", "CredentialsMissing")
    assert [x["type"] for x in patch["conditions"]] == [c.SECRETS_READY, c.READY]


def test_event_about_a_channel() -> None:
    obj = {"metadata": {"name": "sales-ru", "namespace": "crm", "uid": "u-1"}}
    event = Event("Warning", "RegistrationRefused", "x" * 2000)
    body = build_event(obj, event, stamp="2025-01-03T00:00:00Z", suffix="abc")
    assert body["metadata"] == {"name": "sales-ru.abc", "namespace": "crm"}
    assert body["involvedObject"] == {
        "apiVersion": "ibbase.io/v1alpha1",
        "kind": "WhatsAppChannel",
        "name": "sales-ru",
        "namespace": "crm",
        "uid": "u-1",
    }
    assert (body["type"], body["reason"]) == ("Warning", "RegistrationRefused")
    assert body["message"] == "x" * 1024
    assert body["firstTimestamp"] == body["lastTimestamp"] == "2025-01-03T00:00:00Z"
    assert body["source"] == {"component": "ibbase-operator"}


def test_timestamps_round_trip() -> None:
    assert iso(0) == "1970-01-01T00:00:00Z"
    assert parse_iso(iso(1_700_000_000)) == 1_700_000_000
    assert parse_iso(None) is None and parse_iso("") is None


def test_backoff_doubles_up_to_the_cap() -> None:
    settings = OperatorSettings(backoff_base_s=2.0, backoff_max_s=300.0)
    assert [settings.backoff(n) for n in range(9)] == [2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert settings.backoff(10_000) == 300
