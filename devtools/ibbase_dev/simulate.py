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
        self,
        data: bytes,
        mime_type: str = "image/jpeg",
        filename: str = "card.jpg",
        *,
        caption: str | None = None,
    ) -> str:
        media = await self.upload(data, mime_type, filename)
        return await self.send(
            wh.image_message(
                self.wa_id,
                media["id"],
                mime_type=mime_type,
                sha256=media["sha256_b64"],
                caption=caption,
                user_id=self.user_id,
            )
        )

    async def send_document(
        self, data: bytes, mime_type: str, filename: str, *, caption: str | None = None
    ) -> str:
        media = await self.upload(data, mime_type, filename)
        return await self.send(
            wh.document_message(
                self.wa_id,
                media["id"],
                mime_type=mime_type,
                sha256=media["sha256_b64"],
                filename=filename,
                caption=caption,
                user_id=self.user_id,
            )
        )

    async def tap(self, reply: dict[str, Any], choice_id: str) -> str:
        """Tap a reply button, or pick a list row, of an interactive message we received."""
        action = reply["interactive"]["action"]
        if "buttons" in action:
            titles = {b["reply"]["id"]: b["reply"]["title"] for b in action["buttons"]}
        else:
            rows = [r for section in action["sections"] for r in section["rows"]]
            titles = {r["id"]: r["title"] for r in rows}
        return await self.send(
            wh.interactive_reply(
                self.wa_id,
                choice_id,
                titles[choice_id],
                context_id=str(reply["id"]),
                list_reply="sections" in action,
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
    """What the user reads of a message we sent: a text's body, an interactive message's
    body, a document's caption, ``[contact] <name>`` for a contact card; else ""."""
    kind = record.get("type", "text")
    content = record.get(kind) or {}
    if kind == "text":
        return str(content.get("body", ""))
    if kind == "interactive":
        return str((content.get("body") or {}).get("text", ""))
    if kind == "document":
        return str(content.get("caption") or "")
    if kind == "contacts" and record["contacts"]:
        return "[contact] " + str(record["contacts"][0]["name"]["formatted_name"])
    return ""
