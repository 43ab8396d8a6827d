"""The worker's start and stop against a database that cannot serve it (security issue 15),
as real processes (``ibbase worker``) on a PostgreSQL cluster of the test's own: a database
that was never migrated stops the worker at once with the fix named (``ibbase migrate``);
one that is down is waited for, and SIGTERM still stops the waiting worker within seconds,
leaving the events it could not finish in JetStream for the next worker."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy import select

from gateway import jetstream
from gateway.db import make_engine, make_sessionmaker
from gateway.migrate import upgrade
from gateway.models import InboundMessage
from gateway.settings import Settings
from graph_sandbox import webhooks as wh
from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN
from tests.harness import ServerThread, pipeline_settings, settings_env, wait_for
from tests.services import PostgresCluster, can_connect, fresh_database
from whatsapp_cloud.webhook import split_envelope

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
EX_CONFIG = 78
STOP_WITHIN_S = 8.0  # SIGTERM to exit, on a loaded machine


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresCluster]:
    """A cluster of this module's own: the tests stop and start it."""
    cluster = PostgresCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def database(pg: PostgresCluster) -> Iterator[str]:
    """An empty database (never migrated) on the cluster, which is up again afterwards."""
    with fresh_database(pg.admin_dsn) as url:
        try:
            yield url
        finally:
            if not can_connect(pg.admin_dsn):  # a test stopped it; DROP DATABASE needs it
                pg.start()


class Worker:
    """``ibbase worker`` as a deployment starts it; its log (stderr and stdout) in a file."""

    def __init__(self, settings: Settings, log: Path):
        env = settings_env(settings)
        # No reader processes: these tests send commands, never photos.
        env["OCR_URL"] = "http://127.0.0.1:9"
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ibbase.cli", "worker"],
                env=env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def exited_within(self, seconds: float) -> int | None:
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def terminate(self) -> float:
        """SIGTERM; seconds until it exited (SIGKILL after 60 s)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        return time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Any]:
    started: list[Worker] = []

    def start(settings: Settings) -> Worker:
        started.append(Worker(settings, tmp_path / f"worker{len(started) + 1}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.kill()


def settings_for(url: str, nats_url: str, sandbox: ServerThread, **overrides: Any) -> Settings:
    return pipeline_settings(
        nats_url=nats_url,
        database_url=url,
        api_url=f"{sandbox.url}/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token=SANDBOX_TOKEN,
        worker_metrics_port=0,
        **overrides,
    )


async def publish_start(settings: Settings, wa_id: str) -> str:
    """A user's ``/start`` as the gateway stores it in JetStream; its message id."""
    message = wh.text_message(wa_id, "/start")
    body = wh.envelope(
        SANDBOX_PHONE_ID, messages=[message], contacts=[wh.contact(wa_id, "Sigterm Tester")]
    )
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        await jetstream.ensure_streams(js, settings)
        for event in split_envelope(body):
            await js.publish(
                event.subject(settings.subject_prefix),
                event.to_json(),
                stream=settings.stream,
                headers={"Nats-Msg-Id": event.event_id},
            )
    finally:
        await nc.close()
    return str(message["id"])


async def consumer_state(settings: Settings) -> tuple[int, int, int]:
    """(events in the stream, not yet delivered, delivered but not acknowledged)."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        stored = int((await js.stream_info(settings.stream)).state.messages)
        try:
            info = await js.consumer_info(settings.stream, settings.consumer)
        except nats.js.errors.NotFoundError:
            return stored, stored, 0  # no worker has subscribed yet: all of it waits
        return stored, int(info.num_pending or 0), int(info.num_ack_pending or 0)
    finally:
        await nc.close()


def stored(url: str, message_id: str) -> bool:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as s:
            found = s.scalar(
                select(InboundMessage.state).where(InboundMessage.message_id == message_id)
            )
            return found == "done"
    finally:
        engine.dispose()


async def replied(sandbox: ServerThread, message_id: str) -> bool:
    import httpx

    async with httpx.AsyncClient() as http:
        response = await http.get(f"{sandbox.url}/sandbox/messages", params={"kind": "message"})
    return any(
        (m.get("context") or {}).get("message_id") == message_id for m in response.json()["data"]
    )


async def until_logged(worker: Worker, text: str, timeout: float = 60) -> None:
    try:
        await wait_for(lambda: text in worker.text() or worker.proc.poll() is not None, timeout)
    except TimeoutError:
        raise AssertionError(f"{text!r} not logged within {timeout}s:\n{worker.text()}") from None
    assert worker.proc.poll() is None, f"the worker exited:\n{worker.text()}"


# -- never migrated ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["postgres", "sqlite"])
def test_worker_on_a_database_never_migrated_exits_naming_the_fix(
    kind: str, database: str, tmp_path: Path, nats_server: Any, sandbox: ServerThread, workers: Any
) -> None:
    url = database if kind == "postgres" else f"sqlite:///{tmp_path / 'empty.db'}"
    worker = workers(settings_for(url, nats_server.url, sandbox))
    code = worker.exited_within(45)  # the imports take a few seconds on a loaded machine
    log = worker.text()
    assert code is not None, f"the worker still runs on a database with no tables:\n{log}"
    assert code == EX_CONFIG, log
    assert "ibbase migrate" in log, log
    assert "never migrated" in log, log
    assert "database unavailable" not in log, log


# -- database down -----------------------------------------------------------------------


async def test_sigterm_stops_a_worker_waiting_for_the_database_and_loses_nothing(
    pg: PostgresCluster, database: str, nats_server: Any, sandbox: ServerThread, workers: Any
) -> None:
    upgrade(database)
    settings = settings_for(database, nats_server.url, sandbox)
    pg.stop("fast")
    first = workers(settings)
    await until_logged(first, "database unreachable")
    message_id = await publish_start(settings, "79005550101")
    await asyncio.sleep(1.5)  # the waiting worker had the chance to take it
    assert await consumer_state(settings) == (1, 1, 0)  # waiting, not taken
    took = first.terminate()
    assert first.proc.returncode == 0, first.text()
    assert took < STOP_WITHIN_S, f"SIGTERM took {took:.1f}s:\n{first.text()}"

    pg.start()
    second = workers(settings)
    await wait_for(lambda: replied(sandbox, message_id), timeout=60)
    await wait_for(lambda: stored(database, message_id), timeout=30)
    assert second.terminate() < STOP_WITHIN_S, second.text()


async def test_sigterm_stops_a_worker_holding_events_during_an_outage(
    pg: PostgresCluster, database: str, nats_server: Any, sandbox: ServerThread, workers: Any
) -> None:
    """The database goes away under a running worker, which takes an event and waits the
    outage out; SIGTERM does not wait for it (ack_wait is 15 s here). The event, left
    unacknowledged, is the next worker's once the database is back."""
    upgrade(database)
    settings = settings_for(database, nats_server.url, sandbox, ack_wait_s=15)
    first = workers(settings)
    await until_logged(first, "worker consuming")
    pg.stop("fast")
    message_id = await publish_start(settings, "79005550102")

    async def in_hand() -> bool:
        return await consumer_state(settings) == (1, 0, 1)

    await wait_for(in_hand, timeout=30)
    await asyncio.sleep(1)  # its transaction fails; it waits for the database
    took = first.terminate()
    assert took < STOP_WITHIN_S, f"SIGTERM took {took:.1f}s:\n{first.text()}"
    assert first.proc.returncode == 0, first.text()
    assert "stopping with 1 events in flight unfinished" in first.text()

    pg.start()
    second = workers(settings)
    await wait_for(lambda: replied(sandbox, message_id), timeout=90)
    await wait_for(lambda: stored(database, message_id), timeout=30)
    assert second.terminate() < STOP_WITHIN_S, second.text()
