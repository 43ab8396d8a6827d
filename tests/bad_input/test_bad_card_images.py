"""Photos that are not card photos, sent as WhatsApp images through the whole pipeline
(webhook → JetStream → worker → sandbox media → card reader): the sender gets a polite
reply, the worker keeps running, no contact is stored, and the event is acknowledged once
(not redelivered, not dead-lettered). And a QR code full of junk: only valid fields are
stored."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import nats
import numpy as np
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import Contact, InboundMessage
from graph_sandbox import webhooks as wh
from ibbase_dev.simulate import reply_text
from tests.conftest import SANDBOX_PHONE_ID
from tests.harness import wait_for

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _png(width: int, height: int, *, rows: int, bit_depth: int = 1, color_type: int = 0) -> bytes:
    """A PNG declaring ``width`` x ``height`` whose data holds only ``rows`` rows of zeros."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    channels = {0: 1, 2: 3, 6: 4}[color_type]
    row = b"\x00" * (1 + (width * channels * bit_depth + 7) // 8)
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for _ in range(rows)) + z.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _jpeg() -> bytes:
    image = Image.new("RGB", (900, 520), "white")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


# name: (bytes, mime type as sent)
BAD_IMAGES: dict[str, tuple[bytes, str]] = {
    # 2.5 gigapixels declared in 90 bytes: refused from the header, nothing decoded.
    "decompression bomb 50000x50000": (_png(50_000, 50_000, rows=1), "image/png"),
    "html sent as a jpeg": (
        b"<!DOCTYPE html><html><head><title>Card</title></head><body>"
        b"<img src='card.jpg'></body></html>",
        "image/jpeg",
    ),
    "truncated jpeg": (_jpeg()[:1500], "image/jpeg"),
    "png with a broken stream": (_png(1200, 700, rows=700)[:-30], "image/png"),
}


def count(url: str, model: Any) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        engine.dispose()


def done(url: str, message_id: str) -> bool:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            state = s.scalar(
                select(InboundMessage.state).where(InboundMessage.message_id == message_id)
            )
            return state == "done"
    finally:
        engine.dispose()


async def consumer_state(settings: Any) -> tuple[int, int, int, int]:
    """(pending, waiting for ack, redelivered, dead letters) of the worker's consumer."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        info = await js.consumer_info(settings.stream, settings.consumer)
        dlq = await js.stream_info(settings.dlq_stream)
        return (
            int(info.num_pending or 0),
            int(info.num_ack_pending or 0),
            int(info.num_redelivered or 0),
            int(dlq.state.messages),
        )
    finally:
        await nc.close()


async def assert_handled_once(
    pipeline: Any, worker: Any, database_url: str, msg_id: str, *, contacts: int = 0
) -> str:
    user = pipeline.user()
    reply = reply_text(await user.wait_reply(msg_id, timeout=90))
    assert not worker.task.done(), worker.task  # the worker is still consuming
    await wait_for(lambda: done(database_url, msg_id), timeout=30)

    async def acknowledged() -> bool:
        pending, unacked, _, _ = await consumer_state(pipeline.settings)
        return pending == 0 and unacked == 0

    await wait_for(acknowledged, timeout=30)
    _, _, redelivered, dead = await consumer_state(pipeline.settings)
    assert (redelivered, dead) == (0, 0)
    assert len(await user.replies_to(msg_id)) == 1
    assert count(database_url, Contact) == contacts
    return str(reply)


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
async def test_bad_image_gets_a_polite_reply_and_is_acknowledged(
    pipeline: Any, worker: Any, database_url: str, case: str
) -> None:
    data, mime_type = BAD_IMAGES[case]
    msg_id = await pipeline.user().send_image(data, mime_type=mime_type, filename="card")
    reply = await assert_handled_once(pipeline, worker, database_url, msg_id)
    assert reply.startswith("⚠️ Не удалось открыть изображение"), reply


async def test_zero_byte_image_gets_a_polite_reply(
    pipeline: Any, worker: Any, sandbox: Any, database_url: str
) -> None:
    # Meta refuses empty uploads (so does the sandbox's upload endpoint); a zero-byte
    # download can still happen, so the media is put into the sandbox's store directly.
    store = sandbox.server.config.app.state.sandbox.media
    media = store.add(b"", "image/jpeg", SANDBOX_PHONE_ID, "empty.jpg")
    user = pipeline.user()
    msg_id = await user.send(
        wh.image_message(user.wa_id, media.id, mime_type="image/jpeg", sha256=wh.sha256_b64(b""))
    )
    reply = await assert_handled_once(pipeline, worker, database_url, msg_id)
    assert reply.startswith("⚠️"), reply


async def test_large_lossless_image_is_read_within_bounds(
    pipeline: Any, worker: Any, database_url: str
) -> None:
    """7000x8000 RGBA (56 megapixels, under the limit) in about 200 KB: decoded, reduced
    before it is converted (about 0.5 GB at most instead of 1.1 GB), and answered."""
    data = _png(7000, 8000, rows=8000, bit_depth=8, color_type=6)
    assert len(data) < 400_000
    msg_id = await pipeline.user().send_image(data, mime_type="image/png", filename="big.png")
    reply = await assert_handled_once(pipeline, worker, database_url, msg_id)
    assert reply.startswith("⚠️ Не удалось прочитать визитку"), reply  # blank: nothing read


async def test_16_bit_image_over_the_decoded_budget_gets_a_polite_reply(
    pipeline: Any, worker: Any, database_url: str
) -> None:
    """10000x6000 16-bit RGB: 60 megapixels (at the pixel limit) but 360 MB of samples in
    350 KB. Refused by the reader from its header (security issue 15), answered as an image
    that cannot be opened; the worker keeps running."""
    data = _png(10_000, 6_000, rows=6_000, bit_depth=16, color_type=2)
    assert len(data) < 400_000
    msg_id = await pipeline.user().send_image(data, mime_type="image/png", filename="deep.png")
    reply = await assert_handled_once(pipeline, worker, database_url, msg_id)
    assert reply.startswith("⚠️ Не удалось открыть изображение"), reply


def _qr_card(payload: str) -> bytes:
    """A white card with nothing on it but a QR code of ``payload``."""
    code = np.array(
        zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode).to_image(scale=5)
    )
    card = np.full((1000, 1600), 255, np.uint8)
    card[150 : 150 + code.shape[0], 150 : 150 + code.shape[1]] = code
    buf = io.BytesIO()
    Image.fromarray(card).convert("RGB").save(buf, "PNG")
    return buf.getvalue()


async def test_qr_code_full_of_junk_gives_only_valid_fields(
    pipeline: Any, worker: Any, database_url: str
) -> None:
    """A QR code says whatever its maker wants: what is stored is only what is valid."""
    payload = (
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ivan Petrov\nORG:" + "Acme Holdings " * 60 + "\n"
        "EMAIL:0@0.0\nEMAIL:IVAN@Example.com\nEMAIL:not an address\n"
        "URL:javascript:alert(1)\nURL:https://www.example.com/\n"
        "TEL:+7 916 123-45-67\nTEL:12\nEND:VCARD"
    )
    msg_id = await pipeline.user().send_image(_qr_card(payload), "image/png", "qr.png")
    reply = await assert_handled_once(pipeline, worker, database_url, msg_id, contacts=1)
    assert reply.startswith("✅ Визитка получена!"), reply
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as s:
            (contact,) = s.scalars(select(Contact)).all()
            assert contact.name == "Ivan Petrov"
            assert contact.company and contact.company.startswith("Acme Holdings")
            assert len(contact.company) <= 256 and contact.company == contact.company.strip()
            assert [e.email for e in contact.emails] == ["ivan@example.com"]
            assert [p.phone for p in contact.phones] == ["+79161234567"]
            assert contact.websites == ["example.com"]
    finally:
        engine.dispose()
