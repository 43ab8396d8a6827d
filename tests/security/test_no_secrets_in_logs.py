"""No secret reaches a log line or an error answer, through a full flow with its failure
paths (tests/security/flow.py), twice:

- as shipped: the sandbox, gateway, worker and token CLI as processes of `ibbase`, at
  IBBASE_LOG_LEVEL=DEBUG, PostgreSQL reached with a password; everything they print is kept.
- in-process with the root logger at DEBUG and nothing held back: no redactor, and the
  libraries that the processes keep quiet (httpx, httpcore, SQLAlchemy's engine) as verbose
  as they go; so the redactor is a second line of defence, not the only one.

Every secret configured (access token, verify token, app secret, admin token, the API tokens
made during the flow, the database password) is searched for in everything captured and in
every HTTP answer. The one place a secret may appear is the stdout of `token create`, which
hands the new token out, once.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from gateway.auth.service import create_token, revoke_token
from gateway.auth.tokens import TOKEN_RE, Scope, token_id_of
from gateway.db import make_engine, make_sessionmaker, transaction
from ibbase_dev.nats_server import NatsServer, free_port
from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN
from tests.harness import ServerThread, WorkerTask, pipeline_settings, settings_env, wait_for
from tests.security.flow import Flow, leaks

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


def secret(kind: str) -> str:
    return f"{kind}-{secrets.token_urlsafe(24)}"


@pytest.fixture
def password_database(database_url: str) -> Iterator[tuple[str, str | None]]:
    """The test database reached as a role of its own with a password: (url, password)."""
    url = make_url(database_url)
    role, password = f"ibbase_sec_{uuid.uuid4().hex[:8]}", secret("dbpw")
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password)
                )
            )
            for what in ("TABLES", "SEQUENCES"):
                conn.execute(
                    sql.SQL("GRANT ALL ON ALL {} IN SCHEMA public TO {}").format(
                        sql.SQL(what), sql.Identifier(role)
                    )
                )
    except psycopg.Error:  # a TEST_DATABASE_URL without the right to make roles
        yield database_url, url.password
        return
    try:
        yield url.set(username=role, password=password).render_as_string(False), password
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def configured_secrets(settings: Any, db_password: str | None) -> dict[str, str]:
    found = {
        "access token": settings.whatsapp_access_token.get_secret_value(),
        "verify token": settings.whatsapp_verify_token.get_secret_value(),
        "app secret": settings.whatsapp_app_secret.get_secret_value(),
        "admin token": settings.admin_token.get_secret_value(),
    }
    if db_password:
        found["database password"] = db_password
    return found


# --- as shipped: the CLI's processes --------------------------------------------------------


class Processes:
    """`ibbase` processes, each writing stdout and stderr to a file of its own."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs
        self.procs: list[subprocess.Popen[bytes]] = []
        self.cli_output: list[str] = []  # all the token CLI printed, but the new tokens

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "ibbase.cli", *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.procs.append(proc)
        return proc

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ibbase.cli", "admin", "token", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        self.cli_output.append(done.stderr)
        if args[0] != "create":
            self.cli_output.append(done.stdout)
        return done.stdout

    async def issue(self, scope: str) -> str:
        token = self.cli(
            "create", "--name", f"leak-test-{scope}", "--scope", scope, "--all-channels"
        ).strip()
        assert TOKEN_RE.fullmatch(token), token  # stdout: the token alone
        return token

    async def revoke(self, token: str) -> None:
        self.cli("revoke", token_id_of(token) or "")
        self.cli("list")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def output(self) -> dict[str, str]:
        return {p.stem: p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log"))}


async def healthy(http: httpx.AsyncClient, url: str, proc: subprocess.Popen[bytes]) -> None:
    async def answers() -> bool:
        assert proc.poll() is None, f"{url}: the process exited with {proc.returncode}"
        with contextlib.suppress(httpx.HTTPError):
            return (await http.get(url)).status_code == 200
        return False

    await wait_for(answers, timeout=90, interval=0.2)


async def test_the_processes_log_no_secret(
    nats_server: NatsServer, password_database, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    db_url, db_password = password_database
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    settings = pipeline_settings(
        nats_url=nats_server.url,
        database_url=db_url,
        api_url=f"{sandbox_url}/v25.0",
        phone_id="106540352242999",
        access_token=secret("EAAG"),
        whatsapp_verify_token=secret("verify"),
        whatsapp_app_secret=secret("appsecret"),
        admin_token=secret("admin"),
        port=free_port(),
        log_level="DEBUG",
        worker_metrics_port=0,
    )
    procs = Processes(settings_env(settings), tmp_path)
    gateway = f"http://127.0.0.1:{settings.port}"
    flow = Flow(
        http,
        gateway=gateway,
        sandbox_url=sandbox_url,
        phone_id=settings.whatsapp_phone_id,
        verify_token=settings.whatsapp_verify_token.get_secret_value(),
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
        admin_token=settings.admin_token.get_secret_value(),
        issue=procs.issue,
        revoke=procs.revoke,
    )
    try:
        sandbox = procs.spawn("sandbox", "sandbox", "--port", str(sandbox_port))
        await healthy(http, f"{sandbox_url}/sandbox/healthz", sandbox)
        await healthy(http, f"{gateway}/healthz", procs.spawn("gateway", "gateway"))
        procs.spawn("worker", "worker")
        tokens = await flow.run()
    finally:
        procs.stop()

    logs = procs.output()
    # The capture is real: every process logged, at DEBUG, the failure paths included.
    assert "Application startup complete" in logs["gateway"] and logs["sandbox"]
    assert "worker consuming" in logs["worker"] and " DEBUG " in logs["worker"]
    assert "access token is invalid" in logs["worker"]
    assert "media_download failed" in logs["worker"]
    corpus = {
        **logs,
        "the token CLI": "\n".join(procs.cli_output),
        "HTTP answers": "\n".join(flow.answers),
    }
    assert leaks({**configured_secrets(settings, db_password), **tokens}, corpus) == []


# --- in-process: every logger at DEBUG, no redactor -----------------------------------------


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # exception text and stack included
        self.names.add(record.name)


@pytest.fixture
def everything_at_debug() -> Iterator[Capture]:
    """The root logger at DEBUG and every logger let through, as if nothing were configured."""
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in list(root.manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    root_level = root.level
    capture = Capture()
    for lg in loggers:
        lg.setLevel(logging.NOTSET)
        lg.disabled = False
    root.setLevel(logging.DEBUG)
    root.addHandler(capture)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(root_level)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled


async def test_nothing_logs_a_secret_even_at_debug(
    nats_server: NatsServer,
    password_database,
    sandbox: ServerThread,
    card_reader: Any,
    http: httpx.AsyncClient,
    everything_at_debug: Capture,
) -> None:
    from gateway.app import create_app

    db_url, db_password = password_database
    settings = pipeline_settings(
        nats_url=nats_server.url,
        database_url=db_url,
        api_url=f"{sandbox.url}/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token=SANDBOX_TOKEN,
        whatsapp_verify_token=secret("verify"),
        whatsapp_app_secret=secret("appsecret"),
        admin_token=secret("admin"),
    )
    engine = make_engine(db_url)
    db = make_sessionmaker(engine)

    async def issue(scope: str) -> str:
        with transaction(db) as session:
            token, _ = create_token(
                session, name=f"leak-test-{scope}", scope=Scope(scope), channels=None
            )
        return token.value

    async def revoke(token: str) -> None:
        with transaction(db) as session:
            revoke_token(session, token_id_of(token) or "")

    flow = Flow(
        http,
        gateway="",
        sandbox_url=sandbox.url,
        phone_id=SANDBOX_PHONE_ID,
        verify_token=settings.whatsapp_verify_token.get_secret_value(),
        app_secret=settings.whatsapp_app_secret.get_secret_value(),
        admin_token=settings.admin_token.get_secret_value(),
        issue=issue,
        revoke=revoke,
    )
    await http.delete(f"{sandbox.url}/sandbox/faults")
    gateway = ServerThread(create_app(settings)).start()
    worker = WorkerTask(settings, card_reader)
    try:
        flow.gateway = gateway.url
        tokens = await flow.run()
    finally:
        await worker.stop()
        gateway.stop()
        engine.dispose()
        await http.delete(f"{sandbox.url}/sandbox/faults")

    captured = everything_at_debug
    # The capture is real: the libraries spoke at DEBUG, the failure paths were logged.
    assert {"sqlalchemy.engine.Engine", "httpx", "httpcore.http11"} <= captured.names
    text = "\n".join(captured.lines)
    assert "access token is invalid" in text and "media_download failed" in text
    corpus = {"the logs": text, "HTTP answers": "\n".join(flow.answers)}
    assert leaks({**configured_secrets(settings, db_password), **tokens}, corpus) == []
