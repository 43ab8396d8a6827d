"""The review pages (/ui) against the JSON contacts API, side by side in one run: the real
gateway process (`ibbase gateway`, its own nats-server, SQLite), N contacts each with a card
photo, then sequential requests to each page; p50/p95/mean and the ratio to the API's list
of the same page size. The rate limits are off (IBBASE_API_RATE_PER_S=0): this measures the
pages, not the buckets.

    .venv/bin/python bench/ui.py [--contacts 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stack import bench_stack, percentile
from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import upsert_contact
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.models import CardImage

PAGE = 25  # the list page's size (gateway.ui.endpoints.PAGE_SIZE)


def card_jpeg() -> bytes:
    image = Image.new("RGB", (1000, 570), "white")
    ImageDraw.Draw(image).text((60, 80), "Anna Smirnova / Acme Corp", fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def fill(database_url: str, n: int) -> int:
    """N contacts with a photo each; the newest one's id."""
    engine = make_engine(database_url)
    photo = card_jpeg()
    digest = hashlib.sha256(photo).hexdigest()
    last = 0
    with transaction(make_sessionmaker(engine)) as session:
        for i in range(n):
            fields = ContactFields(
                name=f"Person {i:05d}",
                title="Sales manager",
                company=f"Company {i % 97}" if i % 5 else f"Acme {i}",
                phones=[f"+7900{i:07d}"],
                emails=[f"person{i}@example.com"],
            )
            contact, _ = upsert_contact(
                session,
                fields,
                owner_id=None,
                source="card",
                confidence={"name": 0.9, "company": 0.5 if i % 3 else 0.95},
            )
            session.add(
                CardImage(
                    message_id=f"wamid.bench.{i}",
                    contact_id=contact.id,
                    media_id=f"m{i}",
                    mime_type="image/jpeg",
                    sha256=digest,
                    size=len(photo),
                    data=photo,
                )
            )
            last = contact.id
    engine.dispose()
    return last


def timed(http: httpx.Client, url: str, requests: int, **kw: object) -> list[float]:
    for _ in range(5):  # warm-up
        http.get(url, **kw).raise_for_status()  # type: ignore[arg-type]
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = http.get(url, **kw)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    database_url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='ibbase-bench-ui-')) / 'ui.db'}"
    env = {"DATABASE_URL": database_url, "IBBASE_API_RATE_PER_S": "0"}
    with bench_stack(env=env) as stack:
        newest = fill(database_url, args.contacts)
        token = stack.admin_token
        api = {"Authorization": f"Bearer {token}"}
        cases = [
            ("API  GET /api/contacts (JSON)", "/api/contacts", {"limit": PAGE}, api),
            ("UI   GET /ui (list page)", "/ui", {}, {}),
            ("API  GET /api/contacts?q=acme", "/api/contacts", {"limit": PAGE, "q": "acme"}, api),
            ("UI   GET /ui?q=acme", "/ui", {"q": "acme"}, {}),
            ("API  GET /api/contacts/{id}", f"/api/contacts/{newest}", {}, api),
            ("UI   GET /ui/contacts/{id}", f"/ui/contacts/{newest}", {}, {}),
            ("UI   GET /ui/contacts/{id}/photo", f"/ui/contacts/{newest}/photo", {}, {}),
        ]
        rows = []
        with httpx.Client(
            base_url=stack.gateway_url, cookies={"ibbase_ui": token}, timeout=30
        ) as http:
            for label, path, params, headers in cases:
                times = timed(http, path, args.requests, params=params, headers=headers)
                rows.append((label, times))

    base = statistics.mean(rows[0][1])
    print(f"\n{args.contacts} contacts, {args.requests} sequential requests each, page of {PAGE}")
    print(f"{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'× API list':>11}")
    for label, times in rows:
        mean = statistics.mean(times)
        print(
            f"{label:36} {percentile(times, 0.5):8.2f} {percentile(times, 0.95):8.2f} "
            f"{mean:8.2f} {mean / base:11.2f}"
        )


if __name__ == "__main__":
    main()
