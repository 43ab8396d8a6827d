"""The webhook ingress at the ASGI level: what reaches the application, and the answers to
bodies that never arrive whole (a real client cannot easily produce those on purpose)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr

from gateway.settings import Settings
from gateway.whatsapp.ingress import WebhookIngress
from graph_sandbox import webhooks as wh


class App:
    """The application behind the ingress: records what was handed on."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.seen.append((scope["method"], scope["path"]))


def ingress(app: App, **settings: Any) -> WebhookIngress:
    state = SimpleNamespace(
        settings=Settings(whatsapp_app_secret=SecretStr("s3cret-app"), **settings),
        channels=None,
        publisher=None,  # never reached by these requests: nothing may be published
    )
    return WebhookIngress(app, state)


async def call(asgi: Any, method: str, path: str, messages: list[dict], headers=()) -> list:
    scope = {"type": "http", "method": method, "path": path, "headers": list(headers)}
    pending, sent = list(messages), []

    async def receive() -> dict:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await asgi(scope, receive, send)
    return sent


def answer(sent: list[dict]) -> tuple[int, dict]:
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    return sent[0]["status"], json.loads(sent[1]["body"])


async def test_other_requests_reach_the_application() -> None:
    app = App()
    asgi = ingress(app)
    for method, path in [
        ("GET", "/api/whatsapp/webhook"),
        ("POST", "/api/whatsapp/send"),
        ("POST", "/api/whatsapp/webhook/a/b"),
        ("POST", "/api/whatsapp/webhooks"),
    ]:
        assert await call(asgi, method, path, []) == []
    assert app.seen == [
        ("GET", "/api/whatsapp/webhook"),
        ("POST", "/api/whatsapp/send"),
        ("POST", "/api/whatsapp/webhook/a/b"),
        ("POST", "/api/whatsapp/webhooks"),
    ]


async def test_a_client_gone_mid_body_is_a_400_and_nothing_is_published() -> None:
    body = wh.encode(wh.envelope("1", messages=[wh.text_message("79001234567", "hi")]))
    signed = [(b"x-hub-signature-256", wh.sign(body, "s3cret-app").encode())]
    first = {"type": "http.request", "body": body[:10], "more_body": True}
    status, error = answer(
        await call(ingress(App()), "POST", "/api/whatsapp/webhook", [first], signed)
    )
    assert status == 400
    assert error["error"]["message"] == "the client went away before sending the whole body"


async def test_a_body_growing_past_the_limit_is_refused_while_it_streams() -> None:
    chunk = {"type": "http.request", "body": b"x" * 600, "more_body": True}
    signed = [(b"x-hub-signature-256", b"sha256=" + b"0" * 64)]
    sent = await call(
        ingress(App(), max_body_bytes=1000), "POST", "/api/whatsapp/webhook", [chunk] * 5, signed
    )
    status, error = answer(sent)
    assert status == 413 and error["error"]["code"] == "payload_too_large"


async def test_unknown_channel_is_a_404() -> None:
    sent = await call(ingress(App()), "POST", "/api/whatsapp/webhook/crm.nope", [])
    assert answer(sent)[0] == 404
