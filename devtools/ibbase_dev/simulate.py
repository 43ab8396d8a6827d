"""A WhatsApp user played against a running stack: Meta's side of the conversation.

Messages go to the gateway's webhook signed as Meta signs them; media goes to the Graph API
sandbox first (as if the user had uploaded it); replies are read back from the sandbox.
Used by ``ibbase demo``, the end-to-end tests and the benchmarks.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from graph_sandbox import webhooks as wh


class SimulatedUser:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        gateway_url: str,
        sandbox_url: str,
        phone_number_id: str,
        app_secret: str,
        wa_id: str = "79001234567",
        name: str = "Demo User",
        user_id: str | None = None,
    ):
        self.http = http
        self.gateway_url = gateway_url.rstrip("/")
        self.sandbox_url = sandbox_url.rstrip("/")
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret
        self.wa_id = wa_id
        self.name = name
        self.user_id = user_id

    def wrap(self, message: dict[str, Any]) -> dict[str, Any]:
        return wh.envelope(
            self.phone_number_id,
            messages=[message],
            contacts=[wh.contact(self.wa_id, self.name, user_id=self.user_id)],
        )

    async def post(self, payload: dict[str, Any]) -> httpx.Response:
        body = wh.encode(payload)
        return await self.http.post(
            f"{self.gateway_url}/api/whatsapp/webhook",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": wh.sign(body, self.app_secret),
            },
        )

    async def send(self, message: dict[str, Any]) -> str:
        response = await self.post(self.wrap(message))
        response.raise_for_status()
        return str(message["id"])

    async def send_text(self, body: str) -> str:
        return await self.send(wh.text_message(self.wa_id, body, user_id=self.user_id))

    async def upload(self, data: bytes, mime_type: str, filename: str) -> dict[str, Any]:
        response = await self.http.post(
            f"{self.sandbox_url}/sandbox/media",
            files={"file": (filename, data, mime_type)},
            data={"messaging_product": "whatsapp", "type": mime_type},
        )
        response.raise_for_status()
        return dict(response.json())

    async def send_image(
        self, data: bytes, mime_type: str = "image/jpeg", filename: str = "card.jpg"
    ) -> str:
        media = await self.upload(data, mime_type, filename)
        return await self.send(
            wh.image_message(
                self.wa_id,
                media["id"],
                mime_type=mime_type,
                sha256=media["sha256_b64"],
                user_id=self.user_id,
            )
        )

    async def replies_to(self, message_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            f"{self.sandbox_url}/sandbox/messages", params={"kind": "message"}
        )
        response.raise_for_status()
        return [
            m
            for m in response.json()["data"]
            if (m.get("context") or {}).get("message_id") == message_id
        ]

    async def wait_reply(self, message_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await self.replies_to(message_id)
            if found:
                return found[0]
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no reply to {message_id} within {timeout:.0f}s")


def reply_text(record: dict[str, Any]) -> str:
    return str((record.get("text") or {}).get("body", ""))
