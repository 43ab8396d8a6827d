"""What the sandbox tests share: the sandbox under test and a few request helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from graph_sandbox.app import create_app
from graph_sandbox.callback_receiver import CallbackReceiver, TLSFiles
from graph_sandbox.config import DEFAULT_APP_ID, DEFAULT_WABA_ID, SandboxConfig
from graph_sandbox.state import Sandbox

TOKEN = "EAAG-sandbox-test-token"
PHONE_ID = "106540352242922"
BASE = "http://graph.test"
MESSAGES_URL = f"/v25.0/{PHONE_ID}/messages"
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"

# The configured app and WABA (the config token belongs to them).
APP_ID = DEFAULT_APP_ID
APP_SECRET = "sandbox-app-secret-for-tests"
APP_TOKEN = f"{APP_ID}|{APP_SECRET}"
WABA_ID = DEFAULT_WABA_ID
VERIFY_TOKEN = "verify-token-never-echoed"
# A name that resolves to a port where nothing listens.
DOWN_HOST = "down.example.test"


def make_app(
    *, tls: TLSFiles | None = None, receiver: CallbackReceiver | None = None, **overrides: Any
) -> FastAPI:
    callbacks: dict[str, Any] = {}
    if tls is not None and receiver is not None:
        callbacks = {
            "callback_ca_bundle": tls.ca_bundle,
            "callback_resolve": {**receiver.resolve, DOWN_HOST: "127.0.0.1:1"},
        }
    config = SandboxConfig(
        access_token=SecretStr(TOKEN),
        phone_number_id=PHONE_ID,
        public_url=BASE,
        app_secret=SecretStr(APP_SECRET),
        **{**callbacks, **overrides},
    )
    return create_app(config)


def hook(receiver: CallbackReceiver, path: str, host: str = "wa.example.test") -> str:
    """A callback URL on the test receiver that answers with ``VERIFY_TOKEN``."""
    receiver.verify_tokens[path] = VERIFY_TOKEN
    return receiver.url(host, path)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Channel:
    waba_id: str
    phone_number_id: str
    token: str


def add_channel(sandbox: Sandbox, n: int, *, app_id: str = APP_ID, **token: Any) -> Channel:
    """One more WABA with one number and a token for it, through the Python-side API."""
    waba = sandbox.accounts.add_waba(f"20{n:013d}", [f"30{n:013d}"], app_id=app_id)
    issued = sandbox.accounts.add_token(app_id=app_id, waba_ids=[waba.waba_id], **token)
    return Channel(waba.waba_id, f"30{n:013d}", issued.value)


def meta_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    assert error["fbtrace_id"]
    return error


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
