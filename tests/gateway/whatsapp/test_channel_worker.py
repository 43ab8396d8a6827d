"""The worker answers each message through the channel that received it: two registry
channels, each with its own Graph API sandbox (own token, own phone number id), next to the
single channel of the WHATSAPP_* settings; a token rotated in the registry is used by the
next send; a number no channel serves is refused at the edge, and one already stored (or
whose channel and number disagree) is dead-lettered without stopping the worker."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import httpx
import nats
import numpy as np
import pytest
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import func, select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import InboundMessage, OutboundMessage
from gateway.settings import Settings
from gateway.whatsapp import replies
from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import NatsServer, free_port
from ibbase_dev.simulate import reply_text
from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN
from tests.gateway.channel_volume import SecretVolume, make_channel
from tests.harness import (
    ServerThread,
    WorkerTask,
    pipeline_settings,
    sandbox_messages,
    wait_for,
)
from whatsapp_cloud.registry import ChannelEntry
from whatsapp_cloud.webhook import split_envelope

RELOAD_S = 0.05


def start_sandbox(token: str, phone_number_id: str) -> ServerThread:
    from graph_sandbox.app import create_app
    from graph_sandbox.config import SandboxConfig

    port = free_port()
    app = create_app(
        SandboxConfig(
            access_token=SecretStr(token),
            phone_number_id=phone_number_id,
            public_url=f"http://127.0.0.1:{port}",
        )
    )
    return ServerThread(app, port=port).start()


PHONE_A, PHONE_B, PHONE_C = "111000000000001", "111000000000002", "111000000000003"


@pytest.fixture(scope="module")
def sandboxes() -> Iterator[dict[str, ServerThread]]:
    """One Graph API per channel, each knowing only its own number and token."""
    boxes = {
        "a": start_sandbox("token-a-1", PHONE_A),
        "b": start_sandbox("token-b-1", PHONE_B),
        "c": start_sandbox("token-c-2", PHONE_C),  # already on the token after a rotation
    }
    yield boxes
    for box in boxes.values():
        box.stop()


def channel(name: str, phone: str, sandbox: ServerThread, token: str) -> ChannelEntry:
    return make_channel(
        name,
        phone_number_id=phone,
        business_account_id="2" + phone[1:],
        graph_api_url=f"{sandbox.url}/v25.0",
        verify_tokens=(f"verify-{name}",),
        app_secret=f"app-secret-{name}",
        access_token=token,
    )


@dataclass
class Stack:
    settings: Settings
    gateway: ServerThread
    http: httpx.AsyncClient
    volume: SecretVolume
    a: ChannelEntry
    b: ChannelEntry
    sandbox_a: ServerThread
    sandbox_b: ServerThread
    sandbox_c: ServerThread
    single_url: str  # the WHATSAPP_* channel's sandbox

    async def send(self, channel: ChannelEntry | None, wa_id: str, message: dict) -> str:
        """Post a message as Meta would: to the channel's route, signed with its secret."""
        if channel is None:
            phone, waba = self.settings.whatsapp_phone_id, "102290129340398"
            path, secret = "", self.settings.whatsapp_app_secret.get_secret_value()
        else:
            phone, waba = channel.phone_number_id, channel.business_account_id
            path, secret = f"/{channel.id}", channel.app_secret.get_secret_value()
        return await self.post(path, secret, wa_id, message, phone, waba)

    async def post(
        self, path: str, secret: str, wa_id: str, message: dict, phone: str, waba: str
    ) -> str:
        payload = wh.envelope(
            phone, messages=[message], contacts=[wh.contact(wa_id, "User")], waba_id=waba
        )
        body = wh.encode(payload)
        response = await self.http.post(
            f"{self.gateway.url}/api/whatsapp/webhook{path}",
            content=body,
            headers={"X-Hub-Signature-256": wh.sign(body, secret)},
        )
        assert response.status_code == 200, response.text
        return str(message["id"])

    def c(self) -> ChannelEntry:
        return channel("sales-c", PHONE_C, self.sandbox_c, "token-c-2")

    async def send_when_served(self, channel: ChannelEntry, wa_id: str, text: str) -> str:
        """Send once the gateway's registry has the channel (it reloads every RELOAD_S)."""
        url = f"{self.gateway.url}/api/whatsapp/webhook/{channel.id}"
        token = channel.verify_tokens[0].get_secret_value()

        async def served() -> bool:
            params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1"}
            return (await self.http.get(url, params=params)).status_code == 200

        await wait_for(served, timeout=10, interval=RELOAD_S)
        return await self.send(channel, wa_id, wh.text_message(wa_id, text))

    async def records(self, sandbox_url: str, **params: str) -> list[dict[str, Any]]:
        return await sandbox_messages(self.http, sandbox_url, **params)

    async def reply(self, sandbox_url: str, msg_id: str, timeout: float = 30) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            for record in await self.records(sandbox_url, kind="message"):
                if (record.get("context") or {}).get("message_id") == msg_id:
                    return record
            return None

        return dict(await wait_for(found, timeout=timeout))


@pytest.fixture
async def stack(
    nats_server: NatsServer,
    database_url: str,
    sandbox: ServerThread,
    sandboxes: dict[str, ServerThread],
    card_reader: Any,
    tmp_path: Path,
) -> AsyncIterator[Stack]:
    from gateway.app import create_app

    a = channel("sales-a", PHONE_A, sandboxes["a"], "token-a-1")
    b = channel("sales-b", PHONE_B, sandboxes["b"], "token-b-1")
    volume = SecretVolume(tmp_path / "registry")
    volume.write_channels(a, b)
    settings = pipeline_settings(
        nats_url=nats_server.url,
        database_url=database_url,
        api_url=f"{sandbox.url}/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token=SANDBOX_TOKEN,
        channels_dir=volume.directory,
        channels_reload_s=RELOAD_S,
    )
    gateway = ServerThread(create_app(settings)).start()
    async with httpx.AsyncClient(timeout=30) as http:
        for url in [sandbox.url] + [box.url for box in sandboxes.values()]:
            await http.delete(f"{url}/sandbox/messages")
            await http.delete(f"{url}/sandbox/faults")
        worker = WorkerTask(settings, card_reader)
        try:
            yield Stack(settings, gateway, http, volume, a, b, *sandboxes.values(), sandbox.url)
        finally:
            await worker.stop()
            gateway.stop()


def count(database_url: str, model: Any, *where: Any) -> int:
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as s:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    finally:
        engine.dispose()


def blank_card() -> bytes:
    ok, png = cv2.imencode(".png", np.full((300, 500, 3), 255, dtype=np.uint8))
    assert ok
    return png.tobytes()


async def test_each_message_is_answered_through_its_own_channel(stack, database_url) -> None:
    msg_a = await stack.send(stack.a, "79000000001", wh.text_message("79000000001", "/help"))
    msg_b = await stack.send(stack.b, "79000000002", wh.text_message("79000000002", "/start"))
    msg_single = await stack.send(None, "79000000003", wh.text_message("79000000003", "/help"))
    # A card photo on B: read receipt, typing indicator and media all through B.
    upload = await stack.http.post(
        f"{stack.sandbox_b.url}/sandbox/media",
        files={"file": ("card.png", blank_card(), "image/png")},
        data={"messaging_product": "whatsapp", "type": "image/png"},
    )
    media = upload.json()
    image_b = await stack.send(
        stack.b,
        "79000000002",
        wh.image_message(
            "79000000002", media["id"], sha256=media["sha256_b64"], mime_type="image/png"
        ),
    )

    assert reply_text(await stack.reply(stack.sandbox_a.url, msg_a)) == replies.HELP["ru"]
    assert reply_text(await stack.reply(stack.sandbox_b.url, msg_b)) == replies.HELP["ru"]
    assert (await stack.reply(stack.single_url, msg_single))["to"] == "79000000003"
    card_reply = reply_text(await stack.reply(stack.sandbox_b.url, image_b))
    assert card_reply == replies.NOTHING_READ["ru"]  # downloaded from B, read, nothing on it

    # Each sandbox saw only its own channel's traffic.
    in_a = await stack.records(stack.sandbox_a.url)
    in_b = await stack.records(stack.sandbox_b.url)
    in_single = await stack.records(stack.single_url)
    assert [(r["kind"], r["to"], r["context"]["message_id"]) for r in in_a] == [
        ("message", "79000000001", msg_a)
    ]
    sent_b = [r for r in in_b if r["kind"] == "message"]
    assert {r["context"]["message_id"] for r in sent_b} == {msg_b, image_b}
    assert {r["to"] for r in sent_b} == {"79000000002"}
    reads_b = [r for r in in_b if r["kind"] == "read"]
    assert [(r["message_id"], r["typing"]) for r in reads_b] == [(image_b, True)]
    assert [(r["kind"], r["to"]) for r in in_single] == [("message", "79000000003")]

    for phone, messages in ((PHONE_A, 1), (PHONE_B, 2), (SANDBOX_PHONE_ID, 1)):
        where = InboundMessage.phone_number_id == phone
        assert count(database_url, InboundMessage, where) == messages
        where = OutboundMessage.phone_number_id == phone
        assert count(database_url, OutboundMessage, where) == messages


def graph_calls(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "whatsapp_graph_api_requests_total", {"endpoint": "messages", "outcome": outcome}
    )
    return value or 0.0


async def test_a_token_rotated_in_the_registry_is_used_by_the_next_send(stack) -> None:
    # Channel C's token has expired: Meta (its sandbox) takes only the refreshed one, which
    # the operator has not written yet. The send fails with 190 and is retried later.
    expired = channel("sales-c", PHONE_C, stack.sandbox_c, "token-c-1")
    stack.volume.write_channels(stack.a, stack.b, expired)
    refused = graph_calls("401")
    msg = await stack.send_when_served(expired, "79000000004", "/help")
    await wait_for(lambda: graph_calls("401") > refused, timeout=10)
    assert await stack.records(stack.sandbox_c.url) == []

    # The operator writes the refreshed token; the kubelet swaps ..data. The same worker,
    # never restarted, answers with it at the next delivery.
    stack.volume.write_channels(
        stack.a, stack.b, channel("sales-c", PHONE_C, stack.sandbox_c, "token-c-2")
    )
    reply = await stack.reply(stack.sandbox_c.url, msg, timeout=15)
    assert reply_text(reply) == replies.HELP["ru"] and reply["to"] == "79000000004"
    refused = graph_calls("401")
    again = await stack.send(stack.c(), "79000000004", wh.text_message("79000000004", "/start"))
    await stack.reply(stack.sandbox_c.url, again, timeout=10)
    assert graph_calls("401") == refused  # the next send used the new token at once
    # Channels A and B, untouched, kept their own tokens and sandboxes.
    other = await stack.send(stack.b, "79000000002", wh.text_message("79000000002", "/help"))
    await stack.reply(stack.sandbox_b.url, other)
    assert all(r.get("to") != "79000000004" for r in await stack.records(stack.sandbox_b.url))


async def test_a_number_no_channel_serves_is_dead_lettered(stack, database_url) -> None:
    stranger = "199999999999999"
    secret = stack.settings.whatsapp_app_secret.get_secret_value()
    message = wh.text_message("79000000009", "/help")
    # Signed correctly for the single-channel route, but for a number it does not serve:
    # refused at the edge (one app secret signs for every number of the app).
    payload = wh.envelope(
        stranger,
        messages=[message],
        contacts=[wh.contact("79000000009", "User")],
        waba_id="102290129340398",
    )
    body = wh.encode(payload)
    refused = await stack.http.post(
        f"{stack.gateway.url}/api/whatsapp/webhook",
        content=body,
        headers={"X-Hub-Signature-256": wh.sign(body, secret)},
    )
    assert refused.status_code == 403, refused.text
    assert stranger in refused.json()["error"]["message"]
    # Events already in the stream are routed by (channel, number): one for a number no
    # channel serves, and one whose number is not the number of the channel it names.
    lost = str(message["id"])
    events = [
        *split_envelope(payload),
        *split_envelope(
            wh.envelope(
                PHONE_B,
                messages=[wh.text_message("79000000009", "/help", msg_id="wamid.MISROUTED")],
                waba_id=stack.a.business_account_id,
            ),
            channel_id=stack.a.id,
        ),
    ]
    nc = await nats.connect(stack.settings.nats_url)
    js = nc.jetstream()
    try:
        for event in events:
            await js.publish(
                event.subject(stack.settings.subject_prefix),
                event.to_json(),
                headers={"Nats-Msg-Id": event.event_id},
            )

        async def dead_lettered() -> Any:
            info = await js.stream_info(stack.settings.dlq_stream)
            return info.state.messages == 2

        await wait_for(dead_lettered, timeout=30)
        dead = await js.get_last_msg(
            stack.settings.dlq_stream, f"{stack.settings.dlq_subject_prefix}.{stranger}.message"
        )
        assert dead.headers is not None
        assert stranger in dead.headers["Ibbase-Reason"]
        assert dead.headers["Ibbase-Deliveries"] == "1"  # final at once: no retries
        misrouted = await js.get_last_msg(
            stack.settings.dlq_stream, f"{stack.settings.dlq_subject_prefix}.{PHONE_B}.message"
        )
        assert misrouted.headers is not None
        assert stack.a.id in misrouted.headers["Ibbase-Reason"]
    finally:
        await nc.close()
    assert count(database_url, InboundMessage, InboundMessage.message_id == lost) == 0
    assert count(database_url, InboundMessage, InboundMessage.message_id == "wamid.MISROUTED") == 0
    ok = await stack.send(stack.a, "79000000001", wh.text_message("79000000001", "/help"))
    await stack.reply(stack.sandbox_a.url, ok)
    for url in (stack.sandbox_a.url, stack.sandbox_b.url, stack.single_url):
        assert all(r.get("to") != "79000000009" for r in await stack.records(url))


async def test_a_channel_whose_sends_hang_leaves_slots_to_the_others(stack) -> None:
    """Issue 15 (6): one channel cannot stall the others. Channel A's Graph API hangs on every
    send; A's events hold at most all slots but one, so B's message is answered at once."""
    assert stack.settings.worker_concurrency == 4
    await stack.http.post(
        f"{stack.sandbox_a.url}/sandbox/faults",
        json={"endpoint": "messages", "delay_s": 12, "count": 50},
    )
    for i in range(6):
        wa_id = f"7900000010{i}"
        await stack.send(stack.a, wa_id, wh.text_message(wa_id, "/help"))
    await asyncio.sleep(1)  # A's events now hold their slots, hanging in the Graph API
    started = time.monotonic()
    msg_b = await stack.send(stack.b, "79000000002", wh.text_message("79000000002", "/help"))
    await stack.reply(stack.sandbox_b.url, msg_b, timeout=8)
    assert time.monotonic() - started < 8
