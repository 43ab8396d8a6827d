"""Fixtures of the fault tests: a PostgreSQL cluster of their own (they restart it), a
private nats-server per test, and the channel's processes around them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ibbase_dev.nats_server import NatsCluster
from tests.faults.stack import Stack, open_cluster_stack, open_stack
from tests.services import PostgresCluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """Always a cluster of our own, whatever runs on 5432: the tests stop and start it."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


StackFactory = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def make_stack(tmp_path: Path, pg_cluster: PostgresCluster) -> AsyncIterator[StackFactory]:
    """``await make_stack(**settings_overrides)``: sandbox and gateway running, no worker."""
    async with contextlib.AsyncExitStack() as stacks:
        made = 0

        async def make(**overrides: Any) -> Stack:
            nonlocal made
            made += 1
            tmp = tmp_path / f"stack{made}"
            tmp.mkdir()
            return await stacks.enter_async_context(open_stack(tmp, pg_cluster, **overrides))

        yield make


ClusterStackFactory = Callable[..., Awaitable[tuple[Stack, NatsCluster]]]


@pytest.fixture
async def make_cluster_stack(
    tmp_path: Path, pg_cluster: PostgresCluster
) -> AsyncIterator[ClusterStackFactory]:
    """``await make_cluster_stack(**settings_overrides)``: ``make_stack`` on a 3-node
    JetStream cluster; returns the stack and the cluster (to kill and restart its nodes)."""
    async with contextlib.AsyncExitStack() as stacks:

        async def make(**overrides: Any) -> tuple[Stack, NatsCluster]:
            tmp = tmp_path / "cluster_stack"
            tmp.mkdir()
            return await stacks.enter_async_context(
                open_cluster_stack(tmp, pg_cluster, **overrides)
            )

        yield make
