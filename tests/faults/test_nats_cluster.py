"""JetStream replicated over a 3-node nats-server cluster: the node leading the stream,
made the one the gateway is connected to (the harder case: the gateway loses its connection
and the stream its leader at once), is SIGKILLed while webhooks arrive. The gateway answers
503 (never 500, never 200 for an event it has not stored) only for a few seconds after the
kill, while the other two elect a new leader; every event answered 200 is in the stream
exactly once, each refused one is stored once Meta retries it, and the killed node, started
again, catches up as a replica."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StreamInfo

from gateway import jetstream
from gateway.settings import Settings
from ibbase_dev.nats_server import NatsCluster, NatsServer
from tests.faults.stack import Stack, eventually
from tests.faults.traffic import Traffic

# Non-200 answers are allowed only this long after the kill: JetStream's own election
# (a follower waits a few seconds of missed heartbeats) plus the gateway's PubAck timeout.
WINDOW_BOUND_S = 15.0
# The window is over once the answers have been 200 for this long.
CALM_S = 5.0


def test_stream_and_consumer_take_the_replicas_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IBBASE_STREAM_REPLICAS", raising=False)
    assert Settings().stream_replicas == 1
    monkeypatch.setenv("IBBASE_STREAM_REPLICAS", "3")
    settings = Settings()
    assert jetstream.stream_config(settings, "S", "s.in", 1024).num_replicas == 3
    assert jetstream.consumer_config(settings).num_replicas == 3


async def test_replicas_on_a_single_server_are_refused_clearly(nats_server: NatsServer) -> None:
    nc, js = await jetstream.connect(nats_server.url, name="test")
    try:
        tag = f"{time.monotonic_ns():x}"
        settings = Settings(stream=f"S_{tag}", subject_prefix=f"s{tag}.in", stream_replicas=3)
        with pytest.raises(RuntimeError, match="needs a clustered nats-server"):
            await jetstream.ensure_streams(js, settings)
    finally:
        await nc.close()


@pytest.mark.faults
@pytest.mark.timeout(120)
async def test_streams_scale_from_one_replica_to_three(tmp_path: Path) -> None:
    """Streams and consumer made with one replica (a single-server deployment moved onto a
    cluster) get three when the gateway and worker start with IBBASE_STREAM_REPLICAS=3."""
    cluster = NatsCluster(tmp_path, log_dir=tmp_path)
    await asyncio.to_thread(cluster.start)
    try:
        nc, js = await jetstream.connect(cluster.url, name="test")
        try:
            tag = f"{time.monotonic_ns():x}"
            one = Settings(
                stream=f"S_{tag}", subject_prefix=f"s{tag}.in", dlq_stream=f"D_{tag}",
                dlq_subject_prefix=f"s{tag}.dlq", consumer="w", stream_replicas=1,
            )  # fmt: skip
            await jetstream.ensure_streams(js, one)
            await jetstream.ensure_consumer(js, one)
            three = one.model_copy(update={"stream_replicas": 3})
            await jetstream.ensure_streams(js, three)
            await jetstream.ensure_consumer(js, three)  # waits out the scale-up
            for stream in (three.stream, three.dlq_stream):
                assert (await js.stream_info(stream)).config.num_replicas == 3
            consumer = await js.consumer_info(three.stream, three.consumer)
            assert consumer.config.num_replicas == 3
        finally:
            await nc.close()
    finally:
        cluster.stop()


async def stored_ids(stack: Stack) -> Counter[str]:
    """``Nats-Msg-Id`` of every message in the inbound stream, with its count."""
    s = stack.settings
    total = int((await stack.js.stream_info(s.stream)).state.messages)
    sub = await stack.js.pull_subscribe(
        f"{s.subject_prefix}.>", stream=s.stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE)
    )
    ids: Counter[str] = Counter()
    try:
        while sum(ids.values()) < total:
            for msg in await sub.fetch(500, timeout=10):
                ids[(msg.headers or {}).get("Nats-Msg-Id", "")] += 1
    finally:
        await sub.unsubscribe()
    return ids


def gateway_node(cluster: NatsCluster) -> str:
    """The node the gateway's NATS connection is on (its clients, by name, in ``/connz``)."""
    for node in cluster.nodes:
        names = [c.get("name") for c in node.monitor("/connz")["connections"]]
        if "ibbase-gateway" in names:
            assert node.cluster is not None
            return node.cluster.server_name
    raise AssertionError("the gateway is connected to no node")


async def lead_stream_from(stack: Stack, node: str) -> None:
    """Move the stream's leader to ``node`` (a step-down with a preferred successor)."""
    stream = stack.settings.stream
    nc = await nats.connect(stack.settings.nats_url.split(","))
    try:
        if (await stack.js.stream_info(stream)).cluster.leader != node:  # type: ignore[union-attr]
            request = json.dumps({"placement": {"preferred": node}}).encode()
            await nc.request(f"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", request, timeout=10)
    finally:
        await nc.close()

    async def led() -> bool:
        try:
            info = await stack.js.stream_info(stream)
        except (TimeoutError, nats.errors.Error):
            return False
        return info.cluster is not None and info.cluster.leader == node

    await eventually(led, 30, f"{node} leads the stream", stack)


def caught_up(info: StreamInfo) -> bool:
    cluster = info.cluster
    if cluster is None or cluster.leader is None:
        return False
    return sum(1 for peer in cluster.replicas or [] if peer.current and not peer.offline) == 2


@pytest.mark.faults
@pytest.mark.timeout(240)
async def test_stream_leader_killed_mid_traffic(make_cluster_stack) -> None:
    stack, cluster = await make_cluster_stack(stream_replicas=3)
    s = stack.settings
    await jetstream.ensure_consumer(stack.js, s)  # the worker's, replicated with the stream
    victim = gateway_node(cluster)
    await lead_stream_from(stack, victim)
    traffic = Traffic(stack)
    senders = traffic.start(4)
    try:
        await eventually(lambda: traffic.count(200) >= 40, 60, "traffic flows", stack)
        leader = (await stack.js.stream_info(s.stream)).cluster.leader  # type: ignore[union-attr]
        assert leader == victim == gateway_node(cluster)
        meta_leader = cluster.node(leader).monitor("/jsz")["meta_cluster"]["leader"]
        cluster.kill(leader)
        killed_at = time.monotonic()

        def calm() -> bool:  # 200s only, for CALM_S, and past any window JetStream needs
            now = time.monotonic()
            recent = [st for at, st in traffic.log if at >= now - CALM_S]
            return now - killed_at > CALM_S and len(recent) >= 10 and set(recent) == {200}

        await eventually(calm, 60, f"200s only again after {leader} was killed", stack)
        calm_at = time.monotonic()
        await asyncio.to_thread(cluster.restart, leader)  # traffic goes on meanwhile
        restarted_s = time.monotonic() - calm_at
        await asyncio.sleep(2)
    finally:
        await traffic.stop(senders)

    sent = len(traffic.log)
    answers = Counter(st for _, st in traffic.log)
    assert set(answers) <= {200, 503}, answers  # never a 500, never a hang
    refused_at = [at - killed_at for at, st in traffic.log if st != 200]
    first = min(refused_at, default=0.0)
    last = max(refused_at, default=0.0)
    assert first >= 0, f"a non-200 {-first:.2f}s before the kill"
    assert last <= WINDOW_BOUND_S, f"a non-200 {last:.2f}s after the kill"
    rejoin = [at - calm_at for at, st in traffic.log if st != 200 and at >= calm_at]
    assert rejoin == [], f"non-200s while {leader} rejoined (s after calm): {rejoin}"

    # Meta retries each refused delivery until it gets a 200.
    refused = [m for m, a in traffic.answers.items() if 200 not in a]
    for msg_id in refused:
        assert await traffic.post(msg_id) == 200, msg_id

    ids = await stored_ids(stack)
    expected = {f"msg:{m}" for m in traffic.answers}
    assert {i: n for i, n in ids.items() if n > 1} == {}  # nothing stored twice
    assert set(ids) == expected  # every 200 stored; nothing but what was sent

    for stream in (s.stream, s.dlq_stream):
        assert (await stack.js.stream_info(stream)).config.num_replicas == 3

    async def replicas_current() -> bool:
        return caught_up(await stack.js.stream_info(s.stream))

    await eventually(replicas_current, 60, f"{leader} caught up as a replica", stack)
    info = await stack.js.stream_info(s.stream)
    consumer = await stack.js.consumer_info(s.stream, s.consumer)
    assert consumer.config.num_replicas == 3
    print(
        f"\nstream leader {leader} killed (the gateway's node; meta leader {meta_leader}): "
        f"{sent} requests, "
        f"{answers[200]} answered 200, {answers[503]} answered 503 "
        f"({len(refused)} messages refused, each stored on retry); non-200s from "
        f"{first:.2f}s to {last:.2f}s after the kill (window {last - first:.2f}s); "
        f"restart caught up in {restarted_s:.1f}s; new leader {info.cluster.leader}; "  # type: ignore[union-attr]
        f"{info.state.messages} messages in the stream, {len(ids)} distinct Nats-Msg-Id"
    )
