from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from graph_sandbox.callback_receiver import CallbackReceiver, TLSFiles, issue_tls_files
from graph_sandbox.state import Sandbox
from tests.graph_sandbox.sandbox_support import BASE, TOKEN, make_app


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """A test CA and a certificate for wa.example.test and *.example.test."""
    return issue_tls_files(tmp_path_factory.mktemp("pki"), "wa.example.test", "*.example.test")


@pytest.fixture(scope="session")
async def receiver(tls: TLSFiles) -> AsyncIterator[CallbackReceiver]:
    """The HTTPS endpoint callback URLs point at (tests register their paths' tokens)."""
    async with CallbackReceiver(tls) as server:
        yield server


@pytest.fixture
def app(tls: TLSFiles, receiver: CallbackReceiver) -> FastAPI:
    return make_app(tls=tls, receiver=receiver)


@pytest.fixture
def sandbox(app: FastAPI) -> Sandbox:
    """The in-process sandbox behind ``app``, for the Python-side API."""
    state: Sandbox = app.state.sandbox
    return state


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
