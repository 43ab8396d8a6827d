"""GraphClient against the real Graph API sandbox (in-process over ASGI, and once over TCP)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from graph_sandbox.app import create_app
from graph_sandbox.config import SandboxConfig
from whatsapp_cloud.client import GraphClient, MediaInfo, sha256_matches
from whatsapp_cloud.errors import (
    GraphApiError,
    MediaError,
    OutsideCustomerWindow,
    RateLimited,
    TokenInvalid,
)

TOKEN = "EAAG-client-test-token"
PHONE_ID = "106540352242922"
HOST = "http://graph.test"
API = f"{HOST}/v25.0"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64 + b"\xff\xd9"


def sandbox(public_url: str = HOST, **overrides: Any) -> FastAPI:
    config = SandboxConfig(
        access_token=SecretStr(TOKEN), phone_number_id=PHONE_ID, public_url=public_url, **overrides
    )
    return create_app(config)


class Calls(list[tuple[str, str]]):
    def __call__(self, endpoint: str, outcome: str) -> None:
        self.append((endpoint, outcome))

    def outcomes(self, endpoint: str) -> list[str]:
        return [outcome for name, outcome in self if name == endpoint]


@pytest.fixture
def app() -> FastAPI:
    return sandbox()


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as client:
        yield client


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def client(http: httpx.AsyncClient, calls: Calls) -> GraphClient:
    return GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), backoff_s=0.001, on_call=calls)


async def recorded(http: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await http.get(f"{HOST}/sandbox/messages", params=params)
    return list(response.json()["data"])


async def fault(http: httpx.AsyncClient, **spec: Any) -> None:
    response = await http.post(f"{HOST}/sandbox/faults", json=spec)
    assert response.status_code == 200, response.text


async def inbound_media(http: httpx.AsyncClient, data: bytes = JPEG) -> str:
    """Media as if a WhatsApp user had sent it (the webhook would carry this id)."""
    response = await http.post(
        f"{HOST}/sandbox/media",
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("card.jpg", data, "image/jpeg")},
    )
    return str(response.json()["id"])


# -- messages ----------------------------------------------------------------------------


async def test_send_text(client: GraphClient, http: httpx.AsyncClient, calls: Calls) -> None:
    wamid = await client.send_text("15551234567", "✅ Визитка получена!")
    (record,) = await recorded(http)
    assert record["id"] == wamid and wamid.startswith("wamid.")
    assert record["to"] == "15551234567"
    assert record["text"] == {"preview_url": False, "body": "✅ Визитка получена!"}
    assert record["context"] is None
    assert calls == [("messages", "200")]


async def test_reply_carries_context(client: GraphClient, http: httpx.AsyncClient) -> None:
    await client.send_text("15551234567", "ok", reply_to="wamid.INBOUND")
    (record,) = await recorded(http)
    assert record["context"] == {"message_id": "wamid.INBOUND"}


async def test_idempotency_key(client: GraphClient, http: httpx.AsyncClient) -> None:
    first, second = await asyncio.gather(
        client.send_text("15551234567", "hi", idempotency_key="reply:wamid.IN:0"),
        client.send_text("15551234567", "hi", idempotency_key="reply:wamid.IN:0"),
    )
    assert first == second
    (record,) = await recorded(http)
    assert record["biz_opaque_callback_data"] == "reply:wamid.IN:0"
    other = await client.send_text("15551234567", "hi", idempotency_key="reply:wamid.IN:1")
    assert other != first


async def test_text_limits_raise_before_sending(
    client: GraphClient, http: httpx.AsyncClient
) -> None:
    with pytest.raises(ValueError, match="4096"):
        await client.send_text("15551234567", "я" * 4097)
    with pytest.raises(ValueError):
        await client.send_text("15551234567", "")
    await client.send_text("15551234567", "я" * 4096)
    assert len(await recorded(http)) == 1


async def test_mark_read_with_typing(client: GraphClient, http: httpx.AsyncClient) -> None:
    await client.mark_read("wamid.IN1")
    await client.mark_read("wamid.IN2", typing=True)
    records = await recorded(http, kind="read")
    assert [(r["id"], r["typing"]) for r in records] == [("wamid.IN1", False), ("wamid.IN2", True)]


# -- retries and errors ------------------------------------------------------------------


async def test_429_is_retried_then_succeeds(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    await fault(http, endpoint="messages", http_status=429, code=130429, count=2)
    assert (await client.send_text("15551234567", "hi")).startswith("wamid.")
    assert calls.outcomes("messages") == ["429", "429", "200"]
    assert len(await recorded(http)) == 1


async def test_throttling_codes_are_retried_whatever_the_status(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    # Meta's table gives 130429 and 131056 as HTTP 400: the code is what counts.
    await fault(http, endpoint="messages", code=131056)
    await fault(http, endpoint="messages", code=130429)
    await client.send_text("15551234567", "hi")
    assert calls.outcomes("messages") == ["400", "400", "200"]


async def test_5xx_is_retried(client: GraphClient, http: httpx.AsyncClient, calls: Calls) -> None:
    await fault(http, endpoint="messages", code=131000)
    await fault(http, endpoint="messages", http_status=503)
    await client.mark_read("wamid.IN")
    assert calls.outcomes("mark_read") == ["500", "503", "200"]


async def test_max_attempts_is_honoured(http: httpx.AsyncClient, calls: Calls) -> None:
    client = GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), max_attempts=3, backoff_s=0.001,
                         on_call=calls)  # fmt: skip
    await fault(http, endpoint="messages", code=130429, http_status=429, count=10)
    with pytest.raises(RateLimited) as caught:
        await client.send_text("15551234567", "hi")
    assert caught.value.retryable and caught.value.code == 130429
    assert calls.outcomes("messages") == ["429"] * 3
    assert await recorded(http) == []


async def test_190_is_not_retried(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    await fault(http, endpoint="messages", code=190, count=5)
    with pytest.raises(TokenInvalid) as caught:
        await client.send_text("15551234567", "hi")
    assert (caught.value.http_status, caught.value.code, caught.value.retryable) == (
        401,
        190,
        False,
    )
    assert calls.outcomes("messages") == ["401"]


async def test_wrong_token_never_leaks(http: httpx.AsyncClient, calls: Calls) -> None:
    secret = "EAAG-a-wrong-but-secret-token"
    client = GraphClient(http, API, PHONE_ID, SecretStr(secret), on_call=calls)
    with pytest.raises(TokenInvalid) as caught:
        await client.send_text("15551234567", "hi")
    assert secret not in str(caught.value) and secret not in repr(caught.value.args)
    assert calls == [("messages", "401")]


async def test_token_is_read_at_each_call(http: httpx.AsyncClient) -> None:
    current = [SecretStr("EAAG-old")]
    client = GraphClient(http, API, PHONE_ID, lambda: current[0], backoff_s=0.001)
    with pytest.raises(TokenInvalid):
        await client.mark_read("wamid.IN")
    current[0] = SecretStr(TOKEN)  # rotated
    await client.mark_read("wamid.IN")


async def test_outside_window(client: GraphClient, http: httpx.AsyncClient, calls: Calls) -> None:
    await fault(http, endpoint="messages", code=131047, to="15551234567", count=5)
    with pytest.raises(OutsideCustomerWindow) as caught:
        await client.send_text("15551234567", "hi")
    assert not caught.value.retryable
    assert "24 hours" in (caught.value.details or "")
    assert calls.outcomes("messages") == ["400"]
    await client.send_text("15557654321", "hi")  # another user is still inside the window


async def test_undeliverable_is_not_retried(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    await fault(http, endpoint="messages", code=131026, count=5)
    with pytest.raises(GraphApiError) as caught:
        await client.send_text("15551234567", "hi")
    assert type(caught.value) is GraphApiError
    assert (caught.value.code, caught.value.retryable) == (131026, False)
    assert len(calls) == 1


async def test_invalid_parameter_is_not_retried(client: GraphClient, calls: Calls) -> None:
    with pytest.raises(GraphApiError) as caught:
        await client.send_text("not a phone number", "hi")
    assert (caught.value.code, caught.value.retryable) == (100, False)
    assert "to" in str(caught.value)
    assert len(calls) == 1


def test_backoff_schedule(http: httpx.AsyncClient) -> None:
    client = GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), backoff_s=1.0)
    pair = [client._delay(n, 131056) for n in (1, 2, 3, 4)]
    for delay, base in zip(pair, (1, 4, 16, 64), strict=True):
        assert base <= delay <= base * 1.2
    generic = [client._delay(n, 130429) for n in (1, 2, 3)]
    for delay, base in zip(generic, (1, 2, 4), strict=True):
        assert base <= delay <= base * 1.2


def test_api_url_must_be_versioned(http: httpx.AsyncClient) -> None:
    for url in ("https://graph.facebook.com", "https://graph.facebook.com/latest"):
        with pytest.raises(ValueError, match="version"):
            GraphClient(http, url, PHONE_ID, SecretStr(TOKEN))
    GraphClient(http, "https://graph.facebook.com/v25.0/", PHONE_ID, SecretStr(TOKEN))


async def test_broken_metrics_hook_does_not_break_calls(http: httpx.AsyncClient) -> None:
    def explode(endpoint: str, outcome: str) -> None:
        raise RuntimeError("metrics down")

    client = GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), on_call=explode)
    await client.send_text("15551234567", "hi")


# -- media -------------------------------------------------------------------------------


async def test_download_checks_and_reports_the_media(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    media_id = await inbound_media(http)
    data, info = await client.download_media(media_id, max_bytes=1024 * 1024)
    assert data == JPEG
    assert info.id == media_id
    assert info.mime_type == "image/jpeg"
    assert info.file_size == len(JPEG)
    assert info.sha256 == hashlib.sha256(JPEG).hexdigest()
    assert info.url.startswith(f"{HOST}/whatsapp_business/attachments/")
    assert [name for name, _ in calls] == ["media", "media_download"]


async def test_download_inbound_media(client: GraphClient, http: httpx.AsyncClient) -> None:
    data, _ = await client.download_media(await inbound_media(http), max_bytes=1024 * 1024)
    assert data == JPEG


async def test_expired_url_is_fetched_again(calls: Calls) -> None:
    # The URL lives 0.1 s and the first download stalls 0.2 s: it has expired on arrival
    # (404, as Meta's lookaside answers), so the client must get a fresh URL.
    app = sandbox(media_url_ttl_s=0.1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), backoff_s=0.001, on_call=calls)
        media_id = await inbound_media(http)
        await fault(http, endpoint="media_download", delay_s=0.2)
        data, _ = await client.download_media(media_id, max_bytes=1024 * 1024)
    assert data == JPEG
    assert calls == [
        ("media", "200"),
        ("media_download", "404"),
        ("media", "200"),
        ("media_download", "200"),
    ]


async def test_url_that_keeps_expiring_is_a_media_error(calls: Calls) -> None:
    app = sandbox(media_url_ttl_s=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = GraphClient(http, API, PHONE_ID, SecretStr(TOKEN), on_call=calls)
        with pytest.raises(MediaError, match="404"):
            await client.download_media(await inbound_media(http), max_bytes=1024 * 1024)
    assert calls.outcomes("media_download") == ["404", "404"]


async def test_sha256_mismatch_is_detected(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    media_id = await inbound_media(http)
    await fault(http, endpoint="media_download", corrupt=True, count=2)
    with pytest.raises(MediaError, match="sha256"):
        await client.download_media(media_id, max_bytes=1024 * 1024)
    assert calls.outcomes("media_download") == ["200", "200"]


async def test_one_corrupted_transfer_is_downloaded_again(
    client: GraphClient, http: httpx.AsyncClient
) -> None:
    media_id = await inbound_media(http)
    await fault(http, endpoint="media_download", corrupt=True, count=1)
    data, _ = await client.download_media(media_id, max_bytes=1024 * 1024)
    assert data == JPEG


async def test_too_large_is_refused_before_download(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    with pytest.raises(MediaError, match="limit"):
        await client.download_media(await inbound_media(http), max_bytes=1000)
    assert calls.outcomes("media_download") == []


async def test_unknown_media_is_a_media_error(client: GraphClient) -> None:
    with pytest.raises(MediaError, match="not found") as caught:
        await client.get_media("1234567890123456")
    assert not caught.value.retryable
    with pytest.raises(ValueError):
        await client.get_media("../v25.0/106540352242922/messages")


async def test_media_download_5xx_is_retried(
    client: GraphClient, http: httpx.AsyncClient, calls: Calls
) -> None:
    media_id = await inbound_media(http)
    await fault(http, endpoint="media_download", http_status=502)
    data, _ = await client.download_media(media_id, max_bytes=1024 * 1024)
    assert data == JPEG
    assert calls.outcomes("media_download") == ["502", "200"]


async def test_token_is_not_sent_to_a_plain_http_media_url() -> None:
    # The API is HTTPS, the media URL is not: the Bearer token must not go there.
    app = sandbox(public_url="http://cdn.test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        client = GraphClient(http, "https://graph.test/v25.0", PHONE_ID, SecretStr(TOKEN))
        response = await http.post(
            "https://graph.test/sandbox/media",
            data={"messaging_product": "whatsapp", "type": "image/jpeg"},
            files={"file": ("card.jpg", JPEG, "image/jpeg")},
        )
        with pytest.raises(MediaError, match="non-HTTPS"):
            await client.download_media(response.json()["id"], max_bytes=1024 * 1024)


def test_media_info_from_payload() -> None:
    info = MediaInfo.from_payload(
        {"url": "https://x", "mime_type": "image/png", "sha256": "ab", "file_size": "303833",
         "id": "42", "messaging_product": "whatsapp"}
    )  # fmt: skip
    assert info.file_size == 303833
    with pytest.raises(GraphApiError):
        MediaInfo.from_payload({"id": "42"})


def test_sha256_accepts_hex_and_base64() -> None:
    digest = hashlib.sha256(JPEG).digest()
    assert sha256_matches(JPEG, digest.hex())
    assert sha256_matches(JPEG, digest.hex().upper())
    assert sha256_matches(JPEG, base64.b64encode(digest).decode())
    assert sha256_matches(JPEG, base64.urlsafe_b64encode(digest).decode().rstrip("="))
    assert not sha256_matches(JPEG + b"x", digest.hex())
    assert not sha256_matches(JPEG, "not a digest")


# -- over real TCP: timeouts -------------------------------------------------------------


@pytest.fixture
async def tcp_sandbox() -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    # No logging config of uvicorn's own: it would put handlers on the process-wide
    # uvicorn.access logger, and every later server in this process would log its URLs.
    config = uvicorn.Config(
        sandbox(public_url=base), log_config=None, access_log=False, lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield base
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_timeout_is_retried(tcp_sandbox: str, calls: Calls) -> None:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as http:
        client = GraphClient(
            http, f"{tcp_sandbox}/v25.0", PHONE_ID, SecretStr(TOKEN), backoff_s=0.01,
            on_call=calls,
        )  # fmt: skip
        spec = {"endpoint": "messages", "delay_s": 0.6}
        assert (await http.post(f"{tcp_sandbox}/sandbox/faults", json=spec)).status_code == 200
        await client.mark_read("wamid.IN")
    assert calls.outcomes("mark_read") == ["timeout", "200"]
