"""An emulator per test (it starts in milliseconds) and an httpx client that is let in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import DATA


@pytest.fixture
async def api() -> AsyncIterator[KubeEmulator]:
    async with KubeEmulator.serve(bookmark_interval=0.2) as emulator:
        emulator.install_crd(DATA / "widgets.crd.yaml")
        yield emulator
        assert emulator.errors == []


@pytest.fixture
async def client(api: KubeEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, headers=api.headers) as http:
        yield http
