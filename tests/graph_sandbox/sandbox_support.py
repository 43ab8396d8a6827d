"""What the sandbox tests share: the sandbox under test and a few request helpers."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from graph_sandbox.app import create_app
from graph_sandbox.config import SandboxConfig

TOKEN = "EAAG-sandbox-test-token"
PHONE_ID = "106540352242922"
BASE = "http://graph.test"
MESSAGES_URL = f"/v25.0/{PHONE_ID}/messages"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"


def make_app(**overrides: Any) -> FastAPI:
    config = SandboxConfig(
        access_token=SecretStr(TOKEN), phone_number_id=PHONE_ID, public_url=BASE, **overrides
    )
    return create_app(config)


def text(body: str, to: str = "15551234567", **extra: Any) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": False, "body": body},
        **extra,
    }


async def upload(graph: httpx.AsyncClient, data: bytes = JPEG, mime: str = "image/jpeg") -> str:
    response = await graph.post(
        f"/v25.0/{PHONE_ID}/media",
        data={"messaging_product": "whatsapp", "type": mime},
        files={"file": ("card.jpg", data, mime)},
    )
    assert response.status_code == 200, response.text
    assert list(response.json()) == ["id"]
    return str(response.json()["id"])
