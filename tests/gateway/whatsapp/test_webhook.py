"""The webhook edge against a real nats-server: nothing is answered 200 before JetStream
has stored every event, and nothing bad is published."""

import json
from pathlib import Path

import nats
import pytest

from graph_sandbox import webhooks as wh
from ibbase_dev.nats_server import NatsServer

DATA = Path(__file__).resolve().parents[2] / "data" / "whatsapp"


async def stored_events(pipeline) -> int:
    nc = await nats.connect(pipeline.settings.nats_url)
    try:
        info = await nc.jetstream().stream_info(pipeline.settings.stream)
        return int(info.state.messages)
    finally:
        await nc.close()


def signed(pipeline, body: bytes) -> dict[str, str]:
    secret = pipeline.settings.whatsapp_app_secret.get_secret_value()
    return {"X-Hub-Signature-256": wh.sign(body, secret), "Content-Type": "application/json"}


async def test_verification_handshake(pipeline) -> None:
    token = pipeline.settings.whatsapp_verify_token.get_secret_value()
    ok = await pipeline.http.get(
        pipeline.webhook,
        params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200
    assert ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": token, "hub.challenge": "1"},
        {},
    ):
        refused = await pipeline.http.get(pipeline.webhook, params=params)
        assert refused.status_code == 403


async def test_signed_batch_is_stored_before_200(pipeline) -> None:
    def change(i: int) -> dict:
        return wh.envelope(
            pipeline.settings.whatsapp_phone_id,
            messages=[wh.text_message("79000000000", f"m{i}")],
            statuses=[wh.status(wh.new_wamid(), "79000000000", "delivered")],
        )["entry"][0]["changes"][0]

    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [change(1), change(2)]},
            {"id": "2", "changes": [change(3), change(4)]},
        ],
    }
    body = wh.encode(payload)
    response = await pipeline.http.post(
        pipeline.webhook, content=body, headers=signed(pipeline, body)
    )
    assert response.status_code == 200, response.text
    assert response.json()["events"] == 8
    assert await stored_events(pipeline) == 8
    # Meta redelivers the same POST: JetStream de-duplicates by event id.
    again = await pipeline.http.post(pipeline.webhook, content=body, headers=signed(pipeline, body))
    assert again.status_code == 200
    assert await stored_events(pipeline) == 8


async def test_raw_utf8_and_escaped_bodies_both_verify(pipeline) -> None:
    msg = wh.text_message("79000000000", "Привет, визитка")
    for ascii_only in (True, False):
        body = wh.encode(
            wh.envelope(pipeline.settings.whatsapp_phone_id, messages=[msg]), ascii_only=ascii_only
        )
        response = await pipeline.http.post(
            pipeline.webhook, content=body, headers=signed(pipeline, body)
        )
        assert response.status_code == 200
    assert await stored_events(pipeline) == 1


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA.glob("*.json")))
async def test_every_named_payload_is_accepted(pipeline, name: str) -> None:
    body = (DATA / f"{name}.json").read_bytes()
    response = await pipeline.http.post(
        pipeline.webhook, content=body, headers=signed(pipeline, body)
    )
    assert response.status_code == 200, response.text
    assert await stored_events(pipeline) == 1


async def test_bad_requests_publish_nothing(pipeline) -> None:
    good = wh.encode(
        wh.envelope(
            pipeline.settings.whatsapp_phone_id, messages=[wh.text_message("79000000000", "hi")]
        )
    )
    headers = signed(pipeline, good)
    cases = [
        (good, {"Content-Type": "application/json"}, 401),
        (good, {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}, 403),
        (json.dumps(json.loads(good), indent=2).encode(), headers, 403),  # re-serialised
        (b"{not json", signed(pipeline, b"{not json"), 400),
        (b'{"object":"page"}', signed(pipeline, b'{"object":"page"}'), 400),
        (b"[]", signed(pipeline, b"[]"), 400),
    ]
    big = b'{"object":"whatsapp_business_account","entry":[' + b" " * 1_100_000 + b"]}"
    cases.append((big, signed(pipeline, big), 413))
    for body, hdrs, status in cases:
        response = await pipeline.http.post(pipeline.webhook, content=body, headers=hdrs)
        assert response.status_code == status, (status, response.text)
        assert response.json()["error"]["message"]
    assert await stored_events(pipeline) == 0


async def test_jetstream_down_answers_503_then_recovers(pipeline, nats_server: NatsServer) -> None:
    body = wh.encode(
        wh.envelope(
            pipeline.settings.whatsapp_phone_id,
            messages=[wh.text_message("79000000000", "while down")],
        )
    )
    nats_server.stop()
    try:
        response = await pipeline.http.post(
            pipeline.webhook, content=body, headers=signed(pipeline, body)
        )
        assert response.status_code == 503
        ready = await pipeline.http.get(f"{pipeline.gateway.url}/readyz")
        assert ready.status_code == 503
    finally:
        nats_server.start()
    for _ in range(100):  # the gateway reconnects by itself; Meta's retry then succeeds
        response = await pipeline.http.post(
            pipeline.webhook, content=body, headers=signed(pipeline, body)
        )
        if response.status_code == 200:
            break
        import asyncio

        await asyncio.sleep(0.2)
    assert response.status_code == 200
    assert await stored_events(pipeline) == 1


async def test_health_readiness_and_metrics(pipeline) -> None:
    assert (await pipeline.http.get(f"{pipeline.gateway.url}/healthz")).status_code == 200
    ready = await pipeline.http.get(f"{pipeline.gateway.url}/readyz")
    assert ready.status_code == 200, ready.text
    metrics = (await pipeline.http.get(f"{pipeline.gateway.url}/metrics")).text
    assert 'telegram_messages_counter{status="success"}' in metrics
    assert "whatsapp_webhook_requests_total" in metrics
