"""The webhook routes of registry channels against a real nats-server, with the registry
mounted kubelet-style and rotated under the running gateway: each channel verifies with its
own tokens and accepts only payloads signed with its own secret for its own number."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from gateway.settings import Settings
from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import NatsServer
from tests.conftest import SANDBOX_PHONE_ID
from tests.gateway.channel_volume import CHANNEL_A, CHANNEL_B, SecretVolume
from tests.harness import ServerThread, pipeline_settings, wait_for
from whatsapp_cloud.registry import ChannelEntry

A, B = CHANNEL_A, CHANNEL_B


def with_(entry: ChannelEntry, **changes: Any) -> ChannelEntry:
    """``entry`` with some fields changed, validated like a file the operator wrote."""
    return ChannelEntry.model_validate_json(
        json.dumps({**json.loads(entry.dump_json()), **changes})
    )


@dataclass
class Gateway:
    settings: Settings
    server: ServerThread
    http: httpx.AsyncClient
    volume: SecretVolume

    def url(self, channel: ChannelEntry | str | None = None) -> str:
        cid = channel.id if isinstance(channel, ChannelEntry) else channel
        return f"{self.server.url}/api/whatsapp/webhook" + (f"/{cid}" if cid else "")

    async def verify(self, channel: ChannelEntry | str, token: str) -> httpx.Response:
        return await self.http.get(
            self.url(channel),
            params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "4242"},
        )

    async def post(
        self, channel: ChannelEntry | str | None, payload: dict | bytes, secret: str
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else wh.encode(payload)
        return await self.http.post(
            self.url(channel),
            content=body,
            headers={"X-Hub-Signature-256": wh.sign(body, secret)},
        )

    async def stored(self) -> int:
        nc = await nats.connect(self.settings.nats_url)
        try:
            info = await nc.jetstream().stream_info(self.settings.stream)
            return int(info.state.messages)
        finally:
            await nc.close()

    async def last_event(self, phone_number_id: str) -> dict:
        nc = await nats.connect(self.settings.nats_url)
        try:
            subject = f"{self.settings.subject_prefix}.{phone_number_id}.message"
            msg = await nc.jetstream().get_last_msg(self.settings.stream, subject)
            return dict(json.loads(msg.data))
        finally:
            await nc.close()


@pytest.fixture
async def gateway(nats_server: NatsServer, tmp_path: Path) -> AsyncIterator[Gateway]:
    from gateway.app import create_app

    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(A, B)
    settings = pipeline_settings(
        nats_url=nats_server.url,
        database_url=f"sqlite:///{tmp_path / 'ibbase.db'}",
        api_url="http://127.0.0.1:9/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token="unused-here",
        channels_dir=volume.directory,
        channels_reload_s=0.05,
    )
    server = ServerThread(create_app(settings)).start()
    async with httpx.AsyncClient(timeout=30) as http:
        yield Gateway(settings, server, http, volume)
    server.stop()


def text_for(channel: ChannelEntry, text: str = "hi", **kw: Any) -> dict:
    kw.setdefault("waba_id", channel.business_account_id)
    return wh.envelope(
        channel.phone_number_id,
        messages=[wh.text_message("79000000000", text)],
        contacts=[wh.contact("79000000000", "Test User")],
        **kw,
    )


async def test_each_channel_verifies_with_its_tokens_through_a_rotation(gateway) -> None:
    ok = await gateway.verify(A, "verify-a-1")
    assert ok.status_code == 200 and ok.text == "4242"
    assert ok.headers["content-type"].startswith("text/plain")
    assert (await gateway.verify(B, "verify-b-1")).text == "4242"
    assert (await gateway.verify(A, "verify-b-1")).status_code == 403  # B's token on A
    assert (await gateway.verify(B, "verify-a-1")).status_code == 403
    refused = await gateway.http.get(
        gateway.url(A),
        params={"hub.mode": "unsubscribe", "hub.verify_token": "verify-a-1", "hub.challenge": "1"},
    )
    assert refused.status_code == 403
    assert (await gateway.http.get(gateway.url(A))).status_code == 403
    unknown = await gateway.verify("crm.unknown", "verify-a-1")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"

    # The operator starts a rotation: the new token first, the previous one still listed.
    gateway.volume.write_channels(with_(A, verify_tokens=["verify-a-2", "verify-a-1"]), B)
    await wait_for(lambda: _status(gateway.verify(A, "verify-a-2"), 200), timeout=10)
    assert (await gateway.verify(A, "verify-a-1")).status_code == 200
    # …and ends it: the old token is dropped by the next swap of ..data.
    gateway.volume.write_channels(with_(A, verify_tokens=["verify-a-2"]), B)
    await wait_for(lambda: _status(gateway.verify(A, "verify-a-1"), 403), timeout=10)
    assert (await gateway.verify(A, "verify-a-2")).text == "4242"
    assert (await gateway.verify(B, "verify-b-1")).text == "4242"
    assert gateway.server.thread.is_alive()  # one gateway process throughout


async def _status(request: Any, expected: int) -> bool:
    return bool((await request).status_code == expected)


async def test_only_the_channels_own_signed_payloads_are_published(gateway) -> None:
    secret_a, secret_b = "app-secret-a", "app-secret-b"
    stored = await gateway.post(A, text_for(A), secret_a)
    assert stored.status_code == 200, stored.text
    assert stored.json()["events"] == 1
    assert await gateway.stored() == 1
    event = await gateway.last_event(A.phone_number_id)
    assert event["phone_number_id"] == A.phone_number_id and event["channel_id"] == A.id

    refusals = [
        (A, text_for(A, "signed by B"), secret_b, 403, "does not match"),
        (A, text_for(B, "B's number and WABA"), secret_a, 403, "business account"),
        (A, text_for(B, "B's number", waba_id=A.business_account_id), secret_a, 403, "phone"),
        (A, text_for(A, "B's WABA", waba_id=B.business_account_id), secret_a, 403, "business"),
        # One foreign change spoils the whole POST: nothing of it is published.
        (A, wh.merge(text_for(A, "mine"), text_for(B, "not mine")), secret_a, 403, "business"),
        (B, text_for(A, "A's payload on B's route"), secret_a, 403, "does not match"),
        ("crm.unknown", text_for(A, "nobody"), secret_a, 404, "no WhatsApp channel"),
        (A, b"{not json", secret_a, 400, "JSON"),
    ]
    for channel, payload, secret, status, message in refusals:
        response = await gateway.post(channel, payload, secret)
        assert response.status_code == status, (payload, response.text)
        assert message in response.json()["error"]["message"]
    unsigned = await gateway.http.post(gateway.url(A), content=wh.encode(text_for(A)))
    assert unsigned.status_code == 401
    big = b'{"object":"whatsapp_business_account","entry":[' + b" " * 1_100_000 + b"]}"
    assert (await gateway.post(A, big, secret_a)).status_code == 413
    assert await gateway.stored() == 1

    # Statuses and account webhooks without metadata pass the same checks.
    statuses = wh.envelope(
        B.phone_number_id,
        statuses=[wh.status(wh.new_wamid(), "79000000000", "delivered")],
        waba_id=B.business_account_id,
    )
    assert (await gateway.post(B, statuses, secret_b)).status_code == 200
    account = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": B.business_account_id,
                "changes": [{"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}],
            }
        ],
    }
    assert (await gateway.post(B, account, secret_b)).status_code == 200
    account["entry"][0]["id"] = A.business_account_id
    assert (await gateway.post(B, account, secret_b)).status_code == 403
    assert await gateway.stored() == 3

    # The single-channel route and its WHATSAPP_* settings work as before.
    single = wh.envelope(SANDBOX_PHONE_ID, messages=[wh.text_message("79000000000", "single")])
    secret = gateway.settings.whatsapp_app_secret.get_secret_value()
    assert (await gateway.post(None, single, secret)).status_code == 200
    assert "channel_id" not in await gateway.last_event(SANDBOX_PHONE_ID)
    assert (await gateway.post(None, text_for(A), secret_a)).status_code == 403
    assert await gateway.stored() == 4


async def test_a_shared_app_secret_does_not_let_one_channel_post_for_another(gateway) -> None:
    shared = "one-meta-app-secret"
    gateway.volume.write_channels(with_(A, app_secret=shared), with_(B, app_secret=shared))
    await wait_for(lambda: _status(gateway.post(A, text_for(A, "a"), shared), 200), timeout=10)
    assert await gateway.stored() == 1
    for payload in (text_for(B, "b"), text_for(B, "b", waba_id=A.business_account_id)):
        response = await gateway.post(A, payload, shared)
        assert response.status_code == 403, response.text
    assert await gateway.stored() == 1
    assert (await gateway.post(B, text_for(B, "b"), shared)).status_code == 200
    assert await gateway.stored() == 2


async def test_an_invalid_registry_file_is_skipped_and_the_others_keep_working(gateway) -> None:
    gateway.volume.write_channels(
        A, B, extra={"crm.broken.json": '{"id": "crm.broken", "app_secret": "oops'}
    )

    async def metric(name: str) -> float | None:
        text = (await gateway.http.get(f"{gateway.server.url}/metrics")).text
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    await wait_for(
        lambda: _equals(metric("whatsapp_channel_registry_invalid_files"), 1), timeout=10
    )
    assert await metric("whatsapp_channel_registry_channels") == 2
    assert (await gateway.verify(A, "verify-a-1")).text == "4242"
    assert (await gateway.post(B, text_for(B), "app-secret-b")).status_code == 200
    assert (await gateway.verify("crm.broken", "anything")).status_code == 404

    # A's file goes bad in the next swap: A is gone, B still serves.
    gateway.volume.write_channels(B, extra={A.key: A.dump_json()[:40]})
    await wait_for(lambda: _status(gateway.verify(A, "verify-a-1"), 404), timeout=10)
    assert (await gateway.verify(B, "verify-b-1")).text == "4242"
    assert (await gateway.post(B, text_for(B, "again"), "app-secret-b")).status_code == 200
    assert await gateway.stored() == 2


async def _equals(value: Any, expected: float) -> bool:
    return bool(await value == expected)


async def test_without_a_registry_channel_routes_are_not_found(pipeline) -> None:
    url = f"{pipeline.webhook}/{A.id}"
    assert (await pipeline.http.get(url, params={"hub.verify_token": "x"})).status_code == 404
    body = wh.encode(text_for(A))
    response = await pipeline.http.post(
        url, content=body, headers={"X-Hub-Signature-256": wh.sign(body, "app-secret-a")}
    )
    assert response.status_code == 404
