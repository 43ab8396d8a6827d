"""Request bodies of the API are limited before authentication and before they are read:
a declared Content-Length over the limit is refused unread, a chunked body is cut at the
limit, and the connection is closed after either; legitimate bodies, the largest send
included, still go through, and the webhook keeps its own larger limit."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from gateway.db import transaction
from gateway.models import User
from graph_sandbox import webhooks as wh
from tests.harness import admin_headers, sandbox_messages

SEND = "/api/whatsapp/send"
RECIPIENT = "79001234567"


async def raw_exchange(url: str, head: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` and ``body`` as they are and read the answer that comes back while the
    request is still unfinished; then check that the server closed the connection."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        # The server must answer without the rest of the body, which never comes.
        status_line, *lines = (
            (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode().split("\r\n")
        )
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines if line)
        }
        answer = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 10)
        try:
            rest = await asyncio.wait_for(reader.read(), 10)
        except ConnectionResetError:
            rest = b""
        assert rest == b"", "the connection stays open to read a body nobody wants"
        return int(status_line.split()[1]), headers, answer
    finally:
        writer.close()


def too_large(status: int, answer: bytes, limit: int) -> bool:
    error = json.loads(answer)["error"]
    return status == 413 and error == {
        "code": "payload_too_large",
        "message": f"the request body is larger than {limit} bytes",
    }


def in_window(sessions) -> None:
    """The recipient wrote two hours ago: a free-form text may be sent to them."""
    with transaction(sessions) as s:
        s.add(
            User(
                user_key=f"wa:{RECIPIENT}",
                wa_id=RECIPIENT,
                last_inbound_at=datetime.now(UTC) - timedelta(hours=2),
            )
        )


async def test_a_declared_oversize_body_is_refused_unread_before_authentication(
    start_gateway,
) -> None:
    # One failed authentication allowed per client: any that ran would show below.
    pipeline = start_gateway(api_failed_auth_per_s=0.001, api_failed_auth_burst=1)
    limit = pipeline.settings.api_max_body_bytes
    assert limit == 64 * 1024
    token = admin_headers(pipeline.settings)["Authorization"]
    # 100 MB announced, a few bytes sent: every route answers at once, token or not.
    for method, path, auth in [
        ("POST", SEND, ""),  # no token: 413, not 401
        ("POST", SEND, "Authorization: Bearer not-a-token\n"),
        ("POST", SEND, f"Authorization: {token}\n"),
        ("GET", "/api/contacts", ""),
        ("GET", "/api/whatsapp/webhook", ""),
    ]:
        started = time.monotonic()
        status, headers, answer = await raw_exchange(
            pipeline.gateway.url,
            f"{method} {path} HTTP/1.1\nHost: ibbase\n{auth}"
            "Content-Type: application/json\nContent-Length: 100000000\n",
            b'{"to": "',
        )
        assert too_large(status, answer, limit), (path, status, answer)
        assert headers["connection"] == "close"
        assert time.monotonic() - started < 5, path
    # Nothing was sent, and no token was checked: the one failed authentication allowed
    # is still there to spend.
    assert await sandbox_messages(pipeline.http, pipeline.sandbox_url) == []
    body = {"to": RECIPIENT, "message": "hi"}
    statuses = [
        (await pipeline.http.post(f"{pipeline.gateway.url}{SEND}", json=body)).status_code
        for _ in range(2)
    ]
    assert statuses == [401, 429]


async def test_a_chunked_body_is_cut_at_the_limit(start_gateway) -> None:
    pipeline = start_gateway(api_max_body_bytes=1024)
    chunk = b"100\r\n" + b"x" * 0x100 + b"\r\n"
    for auth in ("", f"Authorization: {admin_headers(pipeline.settings)['Authorization']}\n"):
        # 2 KiB of a body whose end never comes: refused once past 1 KiB, not at its end.
        status, headers, answer = await raw_exchange(
            pipeline.gateway.url,
            f"POST {SEND} HTTP/1.1\nHost: ibbase\n{auth}"
            "Content-Type: application/json\nTransfer-Encoding: chunked\n",
            chunk * 8,
        )
        assert too_large(status, answer, 1024), (status, answer)
        assert headers["connection"] == "close"
    assert await sandbox_messages(pipeline.http, pipeline.sandbox_url) == []


async def test_bodies_within_the_limit_still_work(start_gateway, sessions) -> None:
    pipeline = start_gateway()
    in_window(sessions)
    url = f"{pipeline.gateway.url}{SEND}"
    # The largest legitimate send: 4096 characters, each escaped as \ud83d\ude00.
    largest = json.dumps({"to": RECIPIENT, "message": "😀" * 4096}).encode()
    assert 48 * 1024 < len(largest) < pipeline.settings.api_max_body_bytes
    headers = {**admin_headers(pipeline.settings), "Content-Type": "application/json"}
    response = await pipeline.http.post(url, content=largest, headers=headers)
    assert response.status_code == 200, response.text

    async def chunked():  # no Content-Length: the middleware counts what arrives
        body = json.dumps({"to": RECIPIENT, "message": "in chunks"}).encode()
        for i in range(0, len(body), 7):
            yield body[i : i + 7]

    response = await pipeline.http.post(url, content=chunked(), headers=headers)
    assert response.status_code == 200, response.text
    sent = await sandbox_messages(pipeline.http, pipeline.sandbox_url, to=RECIPIENT)
    assert [m["text"]["body"] for m in sent] == ["😀" * 4096, "in chunks"]
    # Bodiless routes are untouched.
    contacts = await pipeline.http.get(
        f"{pipeline.gateway.url}/api/contacts", headers=admin_headers(pipeline.settings)
    )
    assert contacts.status_code == 200, contacts.text


async def test_the_webhook_keeps_its_own_larger_limit(start_gateway) -> None:
    pipeline = start_gateway()
    settings = pipeline.settings
    text = "x" * (2 * settings.api_max_body_bytes)
    body = wh.encode(
        wh.envelope(settings.whatsapp_phone_id, messages=[wh.text_message(RECIPIENT, text)])
    )
    assert settings.api_max_body_bytes < len(body) < settings.max_body_bytes
    signature = wh.sign(body, settings.whatsapp_app_secret.get_secret_value())
    response = await pipeline.http.post(
        pipeline.webhook,
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "events": 1}
