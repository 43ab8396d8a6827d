"""The ledger under load: 5,000 signed webhook events from 200 senders at a steady rate,
5 % of them duplicate deliveries (some seconds later, some after JetStream's de-duplication
window has passed), delivery statuses of our replies out of order, and the worker restarted
twice on the way. Afterwards every unique inbound message has had exactly one effect (one
reply, and a stored photo and contact for a card) and the counts reconcile with what was
sent. The ledger is printed (``-s``) and written to ``ledger.txt`` in the test's tmp dir.

Selected with ``-m load``; part of ``make test``."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.models import CardImage, Contact, InboundMessage, OutboundMessage
from graph_sandbox import webhooks as wh
from ibbase_dev.simulate import reply_text
from tests.cardgen.known import VARIED
from tests.faults.stack import PHONE_ID, Stack, eventually

pytestmark = [
    pytest.mark.faults,
    pytest.mark.load,
    pytest.mark.timeout(300),
]

EVENTS = 5_000
SENDERS = 200
DUPLICATES = EVENTS * 5 // 100  # 250
REPLIES_WITH_STATUSES = 390  # × 3 statuses (sent, delivered, read) in a shuffled order
STATUSES = 3 * REPLIES_WITH_STATUSES
MESSAGES = EVENTS - DUPLICATES - STATUSES  # 3,580 unique inbound messages
CARDS = VARIED[:10]  # distinct people: one contact each
RATE = 55.0  # events per second, steady: about 90 s of traffic
DEDUP_WINDOW_S = 8.0  # JetStream's window, shortened; "late" duplicates come after it
LATE_S = (DEDUP_WINDOW_S + 4, DEDUP_WINDOW_S + 25)
TEXTS = ["/start", "/help", "/start", "Hello!", "/help", "Привет", "/status"]


@dataclass
class Ledger:
    """What was sent, for reconciling with what was done."""

    posts: int = 0
    answers: Counter[int | str] = field(default_factory=Counter)
    retried: int = 0
    duplicates: int = 0
    late_duplicates: int = 0
    messages: dict[str, str] = field(default_factory=dict)  # message id -> text or "card"
    statuses: dict[str, list[str]] = field(default_factory=dict)  # wamid -> states, as posted
    restarts: int = 0

    @property
    def unique(self) -> int:
        return self.posts - self.duplicates


class Load:
    """Posts the events at a steady rate; duplicates and statuses join the same stream."""

    def __init__(self, stack: Stack, rng: random.Random):
        self.stack = stack
        self.rng = rng
        self.ledger = Ledger()
        self.sent_bodies: list[tuple[float, bytes]] = []  # (posted at, body) for duplicates
        self.due: list[tuple[float, bytes, bool]] = []  # (due at, body, late) duplicates
        self.status_queue: list[bytes] = []
        self.seen_wamids: set[str] = set()
        self.in_flight: set[asyncio.Task[None]] = set()
        self.secret = stack.settings.whatsapp_app_secret.get_secret_value()

    # -- building events -----------------------------------------------------------------

    def _body(self, payload: dict[str, Any]) -> bytes:
        return wh.encode(payload)

    async def plan_messages(self) -> list[bytes]:
        senders = [f"7901{n:07d}" for n in range(SENDERS)]
        card_at = set(self.rng.sample(range(200, MESSAGES - 200), len(CARDS)))
        cards = iter(CARDS)
        bodies = []
        for i in range(MESSAGES):
            wa_id = self.rng.choice(senders)
            if i in card_at:
                user = self.stack.user(wa_id)
                media = await user.upload(next(cards).jpeg, "image/jpeg", "card.jpg")
                msg = wh.image_message(wa_id, media["id"], sha256=media["sha256_b64"])
                self.ledger.messages[msg["id"]] = "card"
            else:
                msg = wh.text_message(wa_id, self.rng.choice(TEXTS))
                self.ledger.messages[msg["id"]] = reply_text(msg)
            contact = wh.contact(wa_id, f"Sender {wa_id[-3:]}")
            bodies.append(self._body(wh.envelope(PHONE_ID, messages=[msg], contacts=[contact])))
        return bodies

    async def collect_statuses(self) -> None:
        """Statuses of our replies as Meta would send them: every state, shuffled."""
        while len(self.ledger.statuses) < REPLIES_WITH_STATUSES:
            for record in await self.stack.sent():
                wamid = record["id"]
                if wamid in self.seen_wamids:
                    continue
                self.seen_wamids.add(wamid)
                if len(self.ledger.statuses) >= REPLIES_WITH_STATUSES:
                    break
                states = ["sent", "delivered", "read"]
                self.rng.shuffle(states)
                self.ledger.statuses[wamid] = states
                for state in states:
                    status = wh.status(wamid, record["to"], state)
                    self.status_queue.append(self._body(wh.envelope(PHONE_ID, statuses=[status])))
            await asyncio.sleep(1.0)

    # -- posting -------------------------------------------------------------------------

    async def post(self, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": wh.sign(body, self.secret),
        }
        while True:  # as Meta does: anything but a 200 is delivered again, later
            try:
                response = await self.stack.http.post(
                    self.stack.webhook, content=body, headers=headers
                )
                answer: int | str = response.status_code
            except httpx.HTTPError as exc:  # counted, then delivered again as Meta would
                answer = type(exc).__name__
            self.ledger.answers[answer] += 1
            if answer == 200:
                return
            self.ledger.retried += 1
            await asyncio.sleep(1.0)

    def _send(self, body: bytes) -> None:
        self.ledger.posts += 1
        task = asyncio.create_task(self.post(body))
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    def _schedule_duplicate(self, now: float) -> None:
        """Deliver again one of the recent events: soon (JetStream's window drops it) or
        after the window (the database must)."""
        posted_at, body = self.rng.choice(self.sent_bodies[-400:])
        late = self.rng.random() < 0.5
        delay = self.rng.uniform(*LATE_S) if late else self.rng.uniform(0.05, 2.0)
        self.due.append((max(now, posted_at) + delay, body, late))

    def _pick(self, now: float, pending: list[bytes], statuses_posted: int) -> tuple[bytes, str]:
        """A duplicate that is due; else a status, in proportion to the messages posted so
        far; else the next new message; else any status waiting."""
        for i, (at, body, late) in enumerate(self.due):
            if at <= now:
                del self.due[i]
                self.ledger.duplicates += 1
                self.ledger.late_duplicates += late
                return body, "duplicate"
        messages_posted = MESSAGES - len(pending)
        if self.status_queue and statuses_posted * MESSAGES <= messages_posted * STATUSES:
            return self.status_queue.pop(0), "status"
        if pending:
            return pending.pop(), "message"
        if self.status_queue:
            return self.status_queue.pop(0), "status"
        return b"", "nothing"

    async def run(self, messages: list[bytes], on_progress: Any) -> None:
        """One event every 1/RATE seconds until every message, status and duplicate is
        out; at the very end it may wait for the last statuses or duplicates."""
        started = time.monotonic()
        pending = list(reversed(messages))
        statuses_posted = scheduled = slot = 0
        dup_every = (EVENTS * 4 // 5) // DUPLICATES  # all planned within the first 80 %
        while pending or statuses_posted < STATUSES or scheduled < DUPLICATES or self.due:
            await asyncio.sleep(max(0.0, started + slot / RATE - time.monotonic()))
            now = time.monotonic()
            if scheduled < min(DUPLICATES, slot // dup_every) and self.sent_bodies:
                self._schedule_duplicate(now)
                scheduled += 1
            body, kind = self._pick(now, pending, statuses_posted)
            if kind == "nothing":
                await asyncio.sleep(0.05)  # the last statuses or duplicates are not ready
                continue
            if kind != "duplicate":
                statuses_posted += kind == "status"
                self.sent_bodies.append((now, body))
            self._send(body)
            slot += 1
            await on_progress(self.ledger.posts)
        await asyncio.gather(*self.in_flight)


async def test_ledger_under_load(make_stack, tmp_path: Path) -> None:
    stack = await make_stack(
        dedup_window_s=DEDUP_WINDOW_S,
        worker_concurrency=8,
        ack_wait_s=10,
        retry_backoff_s=[0.5, 1.0, 2.0],
        max_deliver=5,
    )
    started = time.monotonic()
    rng = random.Random(7)
    load = Load(stack, rng)
    messages = await load.plan_messages()
    worker = stack.start_worker()
    await stack.wait_pulling()
    restart_at = {EVENTS // 3, 2 * EVENTS // 3}
    restarts: list[asyncio.Task[None]] = []

    async def restart() -> None:
        """As a deployment restarts it: SIGTERM (it finishes what it holds), then anew."""
        nonlocal worker
        old = worker
        await asyncio.to_thread(old.stop, 60)
        worker = stack.start_worker()
        load.ledger.restarts += 1

    async def on_progress(posts: int) -> None:
        if posts in restart_at:
            restarts.append(asyncio.create_task(restart()))

    collector = asyncio.create_task(load.collect_statuses())
    try:
        await load.run(messages, on_progress)
        await asyncio.gather(*restarts)
    finally:
        collector.cancel()
    sent_s = time.monotonic() - started

    await eventually(stack.settled, 120, "the worker catches up", stack)
    ledger = load.ledger
    outbox = await stack.sent()
    replies = Counter((m.get("context") or {}).get("message_id") for m in outbox)
    done = Counter(stack.scalars(select(InboundMessage.state)))
    images = stack.count(CardImage)
    contacts = stack.count(Contact)
    read_cards = stack.count(CardImage, CardImage.contact_id.is_not(None))
    final = dict(
        stack.query(
            lambda s: s.execute(
                select(OutboundMessage.wamid, OutboundMessage.status).where(
                    OutboundMessage.wamid.in_(list(ledger.statuses))
                )
            ).all()
        )
    )
    letters = await stack.dead_letters()
    cards = sum(1 for kind in ledger.messages.values() if kind == "card")

    rows = [
        ("webhook POSTs answered 200", ledger.answers[200]),
        ("  refused and retried (as Meta)", ledger.retried),
        ("events sent", ledger.posts),
        ("  duplicate deliveries", ledger.duplicates),
        (f"    after the {DEDUP_WINDOW_S:.0f}s dedup window", ledger.late_duplicates),
        ("  unique events", ledger.unique),
        ("    inbound messages", len(ledger.messages)),
        ("      of them card photos", cards),
        ("    statuses (out of order)", sum(len(s) for s in ledger.statuses.values())),
        ("senders", SENDERS),
        ("messages stored (all done)", done["done"]),
        ("replies sent", sum(replies[m] for m in ledger.messages)),
        ("  messages with exactly one reply", sum(replies[m] == 1 for m in ledger.messages)),
        ("card photos stored", images),
        ("contacts stored", contacts),
        ("replies whose final status is read", sum(v == "read" for v in final.values())),
        ("dead letters", len(letters)),
        ("worker restarts", ledger.restarts),
        ("seconds sending / in all", f"{sent_s:.0f} / {time.monotonic() - started:.0f}"),
    ]
    table = "\n".join(f"  {name:<38} {value:>8}" for name, value in rows)
    text = f"ledger ({EVENTS} events, {SENDERS} senders, {RATE:.0f}/s)\n{table}\n"
    (tmp_path / "ledger.txt").write_text(text)
    print("\n" + text + f"  written to {tmp_path / 'ledger.txt'}")

    # Counts reconcile with what was sent ...
    assert ledger.posts == EVENTS and ledger.duplicates == DUPLICATES
    assert ledger.answers[200] == EVENTS
    assert len(ledger.messages) == MESSAGES and len(ledger.statuses) == REPLIES_WITH_STATUSES
    assert ledger.unique == MESSAGES + STATUSES
    # ... every unique inbound message had exactly one effect ...
    assert done == {"done": MESSAGES}
    assert all(replies[m] == 1 for m in ledger.messages), {
        m: replies[m] for m in ledger.messages if replies[m] != 1
    }
    assert images == cards
    assert contacts == read_cards  # one contact per card read, none for a duplicate
    # ... statuses only moved forward, whatever their order ...
    assert final == {wamid: "read" for wamid in ledger.statuses}
    # ... and nothing was given up on.
    assert letters == []
    assert ledger.restarts == 2
