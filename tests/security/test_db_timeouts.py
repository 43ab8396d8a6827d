"""Database timeouts (security issue 15): every PostgreSQL connection has a connect timeout,
a statement timeout and an idle-in-transaction timeout, against the real server; and a
server that accepts the TCP connection but never answers is given up on in time."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.db import DatabaseTimeouts, engine_for, make_engine
from gateway.settings import Settings

pytestmark = pytest.mark.postgres


def test_settings_give_every_connection_its_timeouts(postgres_url: str) -> None:
    engine = engine_for(Settings(database_url=postgres_url))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "15s"
            assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
    finally:
        engine.dispose()


def test_a_statement_over_the_timeout_fails_fast(postgres_url: str) -> None:
    engine = make_engine(postgres_url, DatabaseTimeouts(statement_s=1))
    try:
        with engine.connect() as conn:
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.execute(text("SELECT pg_sleep(10)"))
            assert time.monotonic() - started < 5
    finally:
        engine.dispose()


def test_a_transaction_left_idle_is_ended_by_the_server(postgres_url: str) -> None:
    engine = make_engine(postgres_url, DatabaseTimeouts(idle_in_transaction_s=1))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # a transaction is open now, and left idle
            time.sleep(2.5)
            with pytest.raises(DBAPIError, match=r"idle-in-transaction timeout|closed"):
                conn.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_the_url_may_still_override_a_timeout(postgres_url: str) -> None:
    """``options`` in DATABASE_URL come last (``ibbase migrate`` turns them off this way)."""
    engine = make_engine(f"{postgres_url}?options=-c%20statement_timeout%3D0")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        engine.dispose()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP listener that accepts connections and never says a word; its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in accepted:  # a client still waiting (no timeout) gets its answer now
        conn.close()


def test_a_server_that_never_answers_fails_within_the_connect_timeout(silent_server: int) -> None:
    engine = make_engine(
        f"postgresql://ibbase@127.0.0.1:{silent_server}/ibbase", DatabaseTimeouts(connect_s=2)
    )
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            with engine.connect():
                outcome.append(None)
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=connect, daemon=True)
    thread.start()
    thread.join(15)
    elapsed = time.monotonic() - started
    engine.dispose()
    assert not thread.is_alive(), "connecting to a silent server still waits after 15 s"
    assert isinstance(outcome[0], OperationalError), outcome
    assert "timeout" in str(outcome[0]), outcome
    assert elapsed < 8, elapsed
