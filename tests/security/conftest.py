"""Fixtures of the security tests: the real gateway with settings of the test's choosing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN, Pipeline
from tests.harness import ServerThread, pipeline_settings

StartGateway = Callable[..., Pipeline]


@pytest.fixture
async def start_gateway(nats_server, database_url, sandbox) -> AsyncIterator[StartGateway]:
    """``start_gateway(**settings)``: a gateway over real HTTP on a fresh stream, no worker."""
    from gateway.app import create_app

    servers: list[ServerThread] = []
    async with httpx.AsyncClient(timeout=30) as http:
        await http.delete(f"{sandbox.url}/sandbox/faults")
        await http.delete(f"{sandbox.url}/sandbox/messages")

        def start(**overrides: Any) -> Pipeline:
            settings = pipeline_settings(
                nats_url=nats_server.url,
                database_url=database_url,
                api_url=f"{sandbox.url}/v25.0",
                phone_id=SANDBOX_PHONE_ID,
                access_token=SANDBOX_TOKEN,
                **overrides,
            )
            servers.append(ServerThread(create_app(settings)).start())
            return Pipeline(
                settings=settings, gateway=servers[-1], sandbox_url=sandbox.url, http=http
            )

        yield start
    for server in servers:
        server.stop()
