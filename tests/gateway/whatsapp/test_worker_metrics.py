"""``telegram_messages_counter{status}`` (the seed's dashboards) and the card counters move
where Prometheus scrapes the worker: the ``ibbase worker`` process's own /metrics port."""

from __future__ import annotations

import re

import httpx
import pytest

from ibbase_dev.nats_server import free_port
from ibbase_dev.simulate import reply_text
from tests.cardgen import known
from tests.harness import spawn_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
SAMPLE = re.compile(r"^([a-z_]+)(?:\{([^}]*)\})? ([0-9.e+-]+)$", re.M)


def samples(text: str) -> dict[tuple[str, str], float]:
    return {(name, labels): float(value) for name, labels, value in SAMPLE.findall(text)}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_worker_counts_what_each_sender_got(pipeline) -> None:
    port = free_port()
    settings = pipeline.settings.model_copy(update={"worker_metrics_port": port})
    process = spawn_worker(settings)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        async with httpx.AsyncClient(timeout=5) as http:

            async def scrape() -> dict[tuple[str, str], float] | None:
                try:
                    return samples((await http.get(url)).text)
                except httpx.TransportError:
                    return None

            before = await wait_for(scrape, timeout=60)
            user = pipeline.user("447700900123")
            wanted = [
                await user.send_text("/help"),  # success
                await user.send_image(known.QR_CARD.jpeg),  # success: a contact
                await user.send_image(b"\xff\xd8 not a jpeg at all"),  # failed: bad image
                await user.send_document(b"just notes", "text/plain", "notes.txt"),  # failed
            ]
            texts = [reply_text(await user.wait_reply(m, timeout=120)) for m in wanted]
            assert texts[1].startswith("✅") and texts[2].startswith("⚠️"), texts

            async def moved() -> dict[tuple[str, str], float] | None:
                now = await scrape()
                done = now and now.get(("telegram_messages_counter", 'status="failed"'), 0) >= (
                    before.get(("telegram_messages_counter", 'status="failed"'), 0) + 2
                )
                return now if done else None

            after = await wait_for(moved, timeout=30)
    finally:
        process.terminate()
        process.wait(30)

    def delta(name: str, labels: str) -> float:
        return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

    assert delta("telegram_messages_counter", 'status="success"') == 2
    assert delta("telegram_messages_counter", 'status="failed"') == 2
    assert delta("ibbase_cards_total", 'outcome="read"') == 1
    assert delta("ibbase_cards_total", 'outcome="bad_image"') == 1
    assert delta("ibbase_reply_seconds_count", "") == 4  # time to the first reply, each
    print(
        "\ntelegram_messages_counter before → after:",
        {k[1]: v for k, v in before.items() if k[0] == "telegram_messages_counter"},
        "→",
        {k[1]: v for k, v in after.items() if k[0] == "telegram_messages_counter"},
    )
