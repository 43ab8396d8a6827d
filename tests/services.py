"""Real services for the test suite: a nats-server of its own, and PostgreSQL.

PostgreSQL: ``TEST_DATABASE_URL`` if set; else the server on 127.0.0.1:5432 if one answers
(a fresh database per run, dropped afterwards); else a throw-away cluster started here from
the Debian packages that ``make install`` installs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from ibbase_dev.nats_server import free_port


def can_connect(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


@contextlib.contextmanager
def fresh_database(admin_dsn: str) -> Iterator[str]:
    name = f"ibbase_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_dsn.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class PostgresCluster:
    """A throw-away cluster from the Debian binaries; ``stop()`` and ``start()`` again keep
    its port and data (the fault tests restart it under load)."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise RuntimeError("no PostgreSQL server binaries: run `make install` (apt postgresql)")
        self.bindir = Path(bins[-1]).parent
        self.tmp = Path(tempfile.mkdtemp(prefix="ibbase-pg-"))
        self.data = self.tmp / "data"
        self.port = free_port()
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.tmp, user.pw_uid, user.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.run_as, str(self.bindir / tool), *args], check=check, capture_output=True
        )

    def start(self) -> None:
        self._pg(
            "pg_ctl",
            "-D",
            str(self.data),
            "-w",
            "-l",
            str(self.tmp / "log"),
            "-o",
            f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
        deadline = time.monotonic() + 20
        while not can_connect(self.admin_dsn) and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session (as a restart by an operator does), ``immediate``
        is a crash."""
        self._pg("pg_ctl", "-D", str(self.data), "-w", "-m", mode, "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def _own_cluster() -> Iterator[str]:
    cluster = PostgresCluster()
    cluster.start()
    try:
        yield cluster.admin_dsn
    finally:
        cluster.destroy()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A PostgreSQL URL for a database that exists only for this test run."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    local = "postgresql://postgres@127.0.0.1:5432/postgres"
    if can_connect(local):
        with fresh_database(local) as url:
            yield url
        return
    with _own_cluster() as admin, fresh_database(admin) as url:
        yield url
