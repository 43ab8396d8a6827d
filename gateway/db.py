"""Database engine and sessions: SQLite by default, PostgreSQL (psycopg 3) through DATABASE_URL.

The worker and the API use plain synchronous SQLAlchemy sessions; async code calls them
through ``asyncio.to_thread`` so that a slow commit never blocks the event loop.

Every PostgreSQL connection has a connect timeout, a statement timeout and an
idle-in-transaction timeout (``DatabaseTimeouts``): a server that accepts connections but
never answers, a query stuck behind a lock, or a transaction left open by a stalled
process fail within seconds instead of holding a thread and a connection for ever.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from gateway.settings import Settings


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str) -> str:
    """Accept the URLs people write (``postgresql://``, ``postgres://``) and pick psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True)
class DatabaseTimeouts:
    """PostgreSQL timeouts, in seconds; 0: none. ``options`` in the URL's query (libpq's
    ``-c name=value``) come after these, so a URL may still override one."""

    connect_s: float = 5.0
    statement_s: float = 15.0
    idle_in_transaction_s: float = 60.0

    @classmethod
    def of(cls, settings: Settings) -> DatabaseTimeouts:
        return cls(
            connect_s=settings.database_connect_timeout_s,
            statement_s=settings.database_statement_timeout_s,
            idle_in_transaction_s=settings.database_idle_in_transaction_timeout_s,
        )

    def connect_args(self, query: Mapping[str, str | tuple[str, ...]]) -> dict[str, Any]:
        """psycopg's ``connect_timeout`` and ``options`` for these timeouts."""
        args: dict[str, Any] = {}
        if self.connect_s > 0 and "connect_timeout" not in query:
            # libpq takes whole seconds, and at least 2.
            args["connect_timeout"] = max(2, math.ceil(self.connect_s))
        options = [
            f"-c {name}={round(seconds * 1000)}"
            for name, seconds in (
                ("statement_timeout", self.statement_s),
                ("idle_in_transaction_session_timeout", self.idle_in_transaction_s),
            )
            if seconds > 0
        ]
        given = query.get("options")
        options += [given] if isinstance(given, str) else list(given or ())
        if options:
            args["options"] = " ".join(options)
        return args


def make_engine(url: str, timeouts: DatabaseTimeouts | None = None) -> Engine:
    """An engine for ``url``; on PostgreSQL with ``timeouts`` (default: 5 s to connect, 15 s
    a statement, 60 s idle in a transaction)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API read while the worker writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    connect_args = (timeouts or DatabaseTimeouts()).connect_args(parsed.query)
    return create_engine(
        url, connect_args=connect_args, pool_pre_ping=True, pool_size=10, max_overflow=10
    )


def engine_for(settings: Settings) -> Engine:
    """The engine of ``DATABASE_URL`` with the configured timeouts."""
    return make_engine(settings.database_url, DatabaseTimeouts.of(settings))


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
