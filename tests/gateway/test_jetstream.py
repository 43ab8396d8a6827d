"""The streams the gateway publishes to: named by IBBASE_STREAM, created on a real
nats-server, and a clear refusal when another stream already takes the subjects."""

from __future__ import annotations

import uuid

import pytest

from gateway import jetstream
from gateway.settings import Settings
from ibbase.nats_server import NatsServer


def test_stream_is_named_by_ibbase_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IBBASE_STREAM", raising=False)
    assert Settings().stream == "WHATSAPP"
    monkeypatch.setenv("IBBASE_STREAM", "CARDS_IN")
    assert Settings().stream == "CARDS_IN"


async def test_streams_created_and_updated_idempotently(nats_server: NatsServer) -> None:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        stream=f"S_{tag}", subject_prefix=f"s{tag}.in", dlq_stream=f"D_{tag}",
        dlq_subject_prefix=f"s{tag}.dlq",
    )  # fmt: skip
    nc, js = await jetstream.connect(nats_server.url, name="test")
    try:
        await jetstream.ensure_streams(js, settings)
        await jetstream.ensure_streams(js, settings)  # a restart: updated in place
        info = await js.stream_info(settings.stream)
        assert info.config.subjects == [f"s{tag}.in.>"]
        assert (await js.stream_info(settings.dlq_stream)).config.subjects == [f"s{tag}.dlq.>"]
    finally:
        await nc.close()


async def test_renamed_stream_over_old_subjects_is_refused_clearly(
    nats_server: NatsServer,
) -> None:
    tag = uuid.uuid4().hex[:8]
    old = Settings(
        stream=f"OLD_{tag}", subject_prefix=f"r{tag}.in", dlq_stream=f"OD_{tag}",
        dlq_subject_prefix=f"r{tag}.dlq",
    )  # fmt: skip
    nc, js = await jetstream.connect(nats_server.url, name="test")
    try:
        await jetstream.ensure_streams(js, old)
        renamed = old.model_copy(update={"stream": f"NEW_{tag}"})
        with pytest.raises(RuntimeError, match="IBBASE_STREAM") as info:
            await jetstream.ensure_streams(js, renamed)
        assert f"NEW_{tag}" in str(info.value)
    finally:
        await nc.close()
