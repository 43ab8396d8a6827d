"""Bad bodies against the real webhook (uvicorn, real JetStream, PostgreSQL): each gets a
clear 4xx JSON error, never a 500, nothing reaches the stream or the database, and the
gateway logs no error. Signed properly wherever the point is the body."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from hypothesis import given
from sqlalchemy import func, select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import InboundMessage, User
from graph_sandbox import webhooks as wh
from tests.bad_input.support import examples, tally
from tests.bad_input.test_webhook_parser import raw_bodies
from whatsapp_cloud.errors import WebhookRejected
from whatsapp_cloud.webhook import owned_events, parse_body

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

PHONE = "106540352242922"


def verdict(pipeline: Any, raw: bytes) -> list[Any]:
    """What the single-channel route must do with ``raw``: its events, or the rejection."""
    settings = pipeline.settings
    return owned_events(
        parse_body(raw),
        phone_number_id=settings.whatsapp_phone_id,
        business_account_id=settings.whatsapp_business_account_id,
    )


HEAD = b'{"object":"whatsapp_business_account","entry":['


def envelope(value: dict[str, Any]) -> str:
    change = {"field": "messages", "value": {"metadata": {"phone_number_id": PHONE}, **value}}
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [change]}]})


MESSAGE = {"id": "wamid.ok", "from": "79000000000", "type": "text", "text": {"body": "hi"}}
BAD_BODIES: dict[str, bytes] = {
    # malformed JSON
    "empty": b"",
    "not json": b"{not json",
    "cut short": envelope({"messages": [MESSAGE]}).encode()[:-7],
    "trailing garbage": envelope({"messages": [MESSAGE]}).encode() + b"}",
    "NaN": HEAD + b'{"changes":[{"field":"x","value":{"n":NaN}}]}]}',
    "1e999": HEAD + b'{"changes":[{"field":"x","value":{"n":1e999}}]}]}',
    "5000-digit integer": HEAD + b'{"id":' + b"7" * 5000 + b"}]}",
    # not an object at the top
    "array": b"[]",
    "array of envelopes": b"[" + envelope({"messages": [MESSAGE]}).encode() + b"]",
    "string": b'"whatsapp_business_account"',
    "number": b"42",
    "null": b"null",
    # wrong types inside
    "object is a number": b'{"object":1,"entry":[]}',
    "entry is a string": b'{"object":"whatsapp_business_account","entry":"x"}',
    "entry of numbers": HEAD + b"1,2]}",
    "changes is an object": HEAD + b'{"changes":{"field":"messages"}}]}',
    "value is a string": HEAD + b'{"changes":[{"field":"messages","value":"x"}]}]}',
    "messages is an object": envelope({"messages": MESSAGE}).encode(),
    "message id is a number": envelope({"messages": [{**MESSAGE, "id": 5}]}).encode(),
    "message id is empty": envelope({"messages": [{**MESSAGE, "id": ""}]}).encode(),
    "message id of 10k chars": envelope({"messages": [{**MESSAGE, "id": "w" * 10_000}]}).encode(),
    "message id with CRLF": envelope(
        {"messages": [{**MESSAGE, "id": "wamid.1\r\nNats-Expected-Stream: other"}]}
    ).encode(),
    "from is a number": envelope({"messages": [{**MESSAGE, "from": 79000000000}]}).encode(),
    "status without status": envelope({"statuses": [{"id": "wamid.s"}]}).encode(),
    "phone number id of 1 MB-ish": envelope(
        {"metadata": {"phone_number_id": "1" * 100_000}, "messages": [MESSAGE]}
    ).encode(),
    # nesting
    "100k-deep array": b"[" * 100_000,
    "100k-deep array, closed": b"[" * 100_000 + b"]" * 100_000,
    "100k-deep objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep inside an envelope": HEAD
    + b'{"changes":[{"field":"x","value":{"a":'
    + b"[" * 900
    + b"]" * 900
    + b"}}]}]}",
    # encodings
    "invalid UTF-8": HEAD + b'{"id":"\xff\xfe\xc0\x80"}]}',
    "UTF-16": envelope({"messages": [MESSAGE]}).encode("utf-16"),
    "lone surrogate escape": envelope({"messages": [{**MESSAGE, "id": "wamid.\\ud800"}]})
    .replace("\\\\ud800", "\\ud800")
    .encode(),
    # one huge contacts array repeated into each of 5000 messages (gigabytes of events)
    "contacts amplification": envelope(
        {
            "contacts": [{"wa_id": "7900", "profile": {"name": "x" * 150_000}}],
            "messages": [{"id": f"m{i}"} for i in range(5000)],
        }
    ).encode(),
}


async def stream_count(settings: Any) -> int:
    nc = await nats.connect(settings.nats_url)
    try:
        info = await nc.jetstream().stream_info(settings.stream)
        return int(info.state.messages)
    finally:
        await nc.close()


def stored_rows(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            return sum(
                int(s.scalar(select(func.count()).select_from(m)) or 0)
                for m in (InboundMessage, User)
            )
    finally:
        engine.dispose()


def signed(pipeline: Any, body: bytes) -> dict[str, str]:
    secret = pipeline.settings.whatsapp_app_secret.get_secret_value()
    return {"X-Hub-Signature-256": wh.sign(body, secret), "Content-Type": "application/json"}


def assert_clear_client_error(response: httpx.Response, status: int | None = None) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    if status is not None:
        assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] and error["message"].strip()


@pytest.fixture
async def quiet_gateway(caplog: pytest.LogCaptureFixture) -> AsyncIterator[None]:
    """The gateway runs in this process: no record at ERROR or above while a test runs
    (an unhandled exception in a request is logged so, whatever the client saw)."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_signed_bad_body_is_a_clear_4xx_and_publishes_nothing(
    pipeline: Any, database_url: str, quiet_gateway: None, case: str
) -> None:
    body = BAD_BODIES[case]
    response = await pipeline.http.post(
        pipeline.webhook, content=body, headers=signed(pipeline, body)
    )
    assert_clear_client_error(response)
    # The parser is the oracle: the HTTP answer is exactly its verdict.
    with pytest.raises(WebhookRejected) as refused:
        verdict(pipeline, body)
    assert response.status_code == refused.value.http_status
    assert await stream_count(pipeline.settings) == 0
    assert stored_rows(database_url) == 0


async def test_five_megabyte_bodies_are_refused_unread(
    pipeline: Any, database_url: str, quiet_gateway: None
) -> None:
    body = HEAD + b'{"changes":[{"field":"x","value":{"pad":"' + b"x" * 5_000_000 + b'"}}]}]}'
    headers = signed(pipeline, body)
    declared = await pipeline.http.post(pipeline.webhook, content=body, headers=headers)
    assert_clear_client_error(declared, 413)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    streamed = await pipeline.http.post(pipeline.webhook, content=chunks(), headers=headers)
    assert_clear_client_error(streamed, 413)
    unsigned = await pipeline.http.post(pipeline.webhook, content=body)
    assert_clear_client_error(unsigned, 401)
    assert await stream_count(pipeline.settings) == 0
    assert stored_rows(database_url) == 0


async def test_unsigned_and_missigned_bad_bodies(pipeline: Any, quiet_gateway: None) -> None:
    for body in (b"[" * 100_000, b"\xff\xfe", b"[]"):
        unsigned = await pipeline.http.post(pipeline.webhook, content=body)
        assert_clear_client_error(unsigned, 401)
        for header in ("sha256=" + "0" * 64, "sha256=zz", "md5=1", "é".encode("latin-1") * 3, "x"):
            wrong = await pipeline.http.post(
                pipeline.webhook, content=body, headers={"X-Hub-Signature-256": header}
            )
            assert_clear_client_error(wrong)
    assert await stream_count(pipeline.settings) == 0


async def test_client_going_away_mid_body_is_not_a_server_error(
    pipeline: Any, quiet_gateway: None
) -> None:
    body = envelope({"messages": [MESSAGE]}).encode()
    head = (
        f"POST /api/whatsapp/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body) + 1000}\r\n"
        f"X-Hub-Signature-256: {signed(pipeline, body)['X-Hub-Signature-256']}\r\n\r\n"
    ).encode()

    def send_half() -> None:
        with socket.create_connection(("127.0.0.1", pipeline.gateway.port), timeout=10) as s:
            s.sendall(head + body[:100])

    await asyncio.to_thread(send_half)
    # The gateway goes on answering, and the half body was never published.
    ok = await pipeline.http.post(pipeline.webhook, content=body, headers=signed(pipeline, body))
    assert ok.status_code == 200, ok.text
    assert await stream_count(pipeline.settings) == 1


async def test_any_signed_bytes_get_the_parsers_verdict(pipeline: Any, quiet_gateway: None) -> None:
    """Generated bodies, signed, through the real edge: 200 exactly when the parser accepts
    (and then its events, de-duplicated, are what the stream holds), else its 4xx."""
    secret = pipeline.settings.whatsapp_app_secret.get_secret_value()
    accepted: set[str] = set()

    @examples(250)
    @given(raw_bodies)
    def post(raw: bytes) -> None:
        tally("webhook over HTTP: any signed bytes")
        try:
            expected: list[Any] | WebhookRejected = verdict(pipeline, raw)
        except WebhookRejected as exc:
            expected = exc
        response = http.post(
            pipeline.webhook,
            content=raw,
            headers={"X-Hub-Signature-256": wh.sign(raw, secret)},
        )
        if isinstance(expected, WebhookRejected):
            assert_clear_client_error(response, expected.http_status)
        else:
            assert response.status_code == 200, response.text[:300]
            assert response.json()["events"] == len(expected)
            accepted.update(e.event_id for e in expected)
            tally("webhook over HTTP: any signed bytes (accepted)")

    with httpx.Client(timeout=30) as http:
        await asyncio.to_thread(post)
    assert await stream_count(pipeline.settings) == len(accepted)
