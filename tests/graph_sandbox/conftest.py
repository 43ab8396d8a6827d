from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.graph_sandbox.sandbox_support import BASE, TOKEN, make_app


@pytest.fixture
def app() -> FastAPI:
    return make_app()


@pytest.fixture
async def graph(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that presents the right token, as the gateway would."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        yield client


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client
