"""Webhook traffic for the fault tests: unique messages posted by a few concurrent senders,
every answer of the gateway kept per message, so that a test can tell what Meta would
retry (anything but a 200) and check that each message got exactly one reply."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from graph_sandbox import webhooks as wh
from tests.faults.stack import PHONE_ID, Stack


def start_command(wa_id: str, i: int) -> dict[str, Any]:
    return wh.text_message(wa_id, "/start")


@dataclass
class Traffic:
    stack: Stack
    # (wa_id, i) -> one messages[] item; /start by default.
    make: Callable[[str, int], dict[str, Any]] = start_command
    pause_s: float = 0.05
    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, list[int | str]] = field(default_factory=dict)
    log: list[tuple[float, int | str]] = field(default_factory=list)
    running: bool = True

    async def post(self, msg_id: str) -> int | str:
        try:
            status: int | str = (await self.stack.post(self.payloads[msg_id])).status_code
        except httpx.HTTPError as exc:  # no answer at all: Meta retries that too
            status = type(exc).__name__
        self.answers[msg_id].append(status)
        self.log.append((time.monotonic(), status))
        return status

    async def sender(self, n: int) -> None:
        i = 0
        while self.running:
            wa_id = f"7900{n:03d}{i % 50:04d}"
            msg = self.make(wa_id, i)
            self.payloads[msg["id"]] = wh.envelope(
                PHONE_ID, messages=[msg], contacts=[wh.contact(wa_id, f"Sender {n}")]
            )
            self.answers[msg["id"]] = []
            await self.post(msg["id"])
            i += 1
            await asyncio.sleep(self.pause_s)

    def start(self, senders: int) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.sender(n)) for n in range(senders)]

    async def stop(self, tasks: list[asyncio.Task[None]]) -> None:
        self.running = False
        await asyncio.gather(*tasks)

    def count(self, status: int | str, since: float = 0) -> int:
        return sum(1 for at, s in self.log if s == status and at >= since)

    def acknowledged(self) -> list[str]:
        return [m for m, answers in self.answers.items() if 200 in answers]

    async def replies(self) -> Counter[str]:
        return Counter((m.get("context") or {}).get("message_id") for m in await self.stack.sent())

    async def all_answered(self) -> bool:
        replied = await self.replies()
        return all(replied[m] >= 1 for m in self.answers)

    async def doubled(self) -> dict[str, int]:
        return {m: n for m, n in (await self.replies()).items() if n > 1}
