"""Shared fixtures: real nats-server, real PostgreSQL and SQLite, migrated by Alembic."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.models import Base
from gateway.settings import Settings
from ibbase_dev.nats_server import NatsServer, free_port
from ibbase_dev.simulate import SimulatedUser
from tests.harness import ServerThread, WorkerTask
from tests.harness import pipeline_settings as make_test_settings
from tests.services import postgres_database

os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
# No server of this project writes access logs (`ibbase gateway` runs uvicorn with
# access_log=False): their lines hold URLs with verify tokens. uvicorn decides per connection
# from the process-wide "uvicorn.access" logger, which any server started with uvicorn's
# default logging config re-arms for every server in the process; in tests it stays off.
logging.getLogger("uvicorn.access").disabled = True

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        upgrade(url)
        yield url


def _truncate_all(factory: sessionmaker[Session]) -> None:
    with factory() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(text(f"DELETE FROM {table.name}"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: a fresh SQLite file, or the run's PostgreSQL emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ibbase.db'}"
        upgrade(url)
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    _truncate_all(make_sessionmaker(engine))
    engine.dispose()
    yield url


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


# --- the pipeline -----------------------------------------------------------------------

SANDBOX_TOKEN = "sandbox-access-token-for-tests"
SANDBOX_PHONE_ID = "106540352242922"


@pytest.fixture(scope="session")
def sandbox() -> Iterator[ServerThread]:
    from pydantic import SecretStr

    from graph_sandbox.app import create_app
    from graph_sandbox.config import SandboxConfig

    port = free_port()
    config = SandboxConfig(
        access_token=SecretStr(SANDBOX_TOKEN),
        phone_number_id=SANDBOX_PHONE_ID,
        public_url=f"http://127.0.0.1:{port}",
    )
    server = ServerThread(create_app(config), port=port).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def card_reader() -> Any:
    from ocr_cluster.reader import CardReader

    return CardReader()


@dataclass
class Pipeline:
    settings: Settings
    gateway: ServerThread
    sandbox_url: str
    http: httpx.AsyncClient

    def user(self, wa_id: str = "79001234567", **kw: Any) -> SimulatedUser:
        return SimulatedUser(
            self.http,
            gateway_url=self.gateway.url,
            sandbox_url=self.sandbox_url,
            phone_number_id=self.settings.whatsapp_phone_id,
            app_secret=self.settings.whatsapp_app_secret.get_secret_value(),
            wa_id=wa_id,
            **kw,
        )

    @property
    def webhook(self) -> str:
        return f"{self.gateway.url}/api/whatsapp/webhook"


@pytest.fixture
async def pipeline(
    nats_server: NatsServer, database_url: str, sandbox: ServerThread
) -> AsyncIterator[Pipeline]:
    """Gateway (real HTTP) on a fresh database and JetStream stream; no worker yet."""
    from gateway.app import create_app

    settings = make_test_settings(
        nats_url=nats_server.url,
        database_url=database_url,
        api_url=f"{sandbox.url}/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token=SANDBOX_TOKEN,
    )
    gateway = ServerThread(create_app(settings)).start()
    async with httpx.AsyncClient(timeout=30) as http:
        await http.delete(f"{sandbox.url}/sandbox/faults")
        await http.delete(f"{sandbox.url}/sandbox/messages")
        yield Pipeline(settings=settings, gateway=gateway, sandbox_url=sandbox.url, http=http)
    gateway.stop()


@pytest.fixture
async def worker(pipeline: Pipeline, card_reader: Any) -> AsyncIterator[WorkerTask]:
    task = WorkerTask(pipeline.settings, card_reader)
    yield task
    await task.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under IBBASE_NO_SKIPS=1 (`.ci/run` sets it) a skipped test fails, with its reason: a
    CI run that lacks something a test needs says so instead of passing without it."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    strict = os.environ.get("IBBASE_NO_SKIPS") == "1"
    if strict and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be: {reason}"
