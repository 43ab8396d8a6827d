"""NATS with a user and a password, as the chart runs it (--user/--pass): a connection
without them is refused, the gateway's ``jetstream.connect`` gets in with them in NATS_URL
(one server or a list), and the password reaches no log line, no error and no monitoring
endpoint, through a refused connection, a good one and a server restart."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError

from gateway import jetstream
from gateway.log_config import redact
from gateway.settings import Settings
from ibbase_dev.nats_server import free_port, nats_server_binary

USER = "ibbase"


class AuthNats:
    """nats-server with JetStream, a user and a password, and its monitoring port."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.port, self.monitor = free_port(), free_port()
        self.password = secrets.token_urlsafe(30)  # URL-safe, as the chart generates it
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, password: str | None = None, user: str = USER) -> str:
        return f"nats://{user}:{password or self.password}@127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                nats_server_binary(),
                "-a",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--http_port",
                str(self.monitor),
                "--jetstream",
                "--store_dir",
                str(self.store),
                f"--user={USER}",
                f"--pass={self.password}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "nats-server exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture(scope="module")
def auth_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthNats]:
    server = AuthNats(tmp_path_factory.mktemp("nats-auth"))
    server.start()
    yield server
    server.stop()


def raw_connect(port: int, connect: dict[str, object]) -> tuple[dict[str, object], bytes]:
    """The server's INFO, and its answer to CONNECT + PING: the protocol, no client library."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        info = sock.recv(65536).decode()
        assert info.startswith("INFO ")
        sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        return json.loads(info[5:]), sock.recv(4096)


def test_a_connection_without_the_password_is_refused(auth_nats: AuthNats) -> None:
    info, answer = raw_connect(auth_nats.port, {"verbose": False})
    assert info["auth_required"] is True
    assert answer.startswith(b"-ERR 'Authorization Violation'")
    _, answer = raw_connect(auth_nats.port, {"user": USER, "pass": "not-it", "verbose": False})
    assert answer.startswith(b"-ERR 'Authorization Violation'")
    _, answer = raw_connect(
        auth_nats.port, {"user": USER, "pass": auth_nats.password, "verbose": False}
    )
    assert answer.startswith(b"PONG")


async def test_clients_without_the_password_get_nothing(auth_nats: AuthNats) -> None:
    for url in (f"nats://127.0.0.1:{auth_nats.port}", auth_nats.url("wrong-password")):
        nc = NATS()
        with pytest.raises(NatsError, match="Authorization Violation"):
            await nc.connect(url, allow_reconnect=False, connect_timeout=2)
        await nc.close()  # nats-py leaves the refused socket open otherwise


async def test_the_gateway_connects_with_the_credentials_in_its_url(auth_nats: AuthNats) -> None:
    dead = f"nats://{USER}:{auth_nats.password}@127.0.0.1:{free_port()}"
    # One server, then a list as the chart writes it for an external cluster (each URL with
    # its credentials); nats-py would read a comma list as one URL.
    for url in (auth_nats.url(), f"{dead},{auth_nats.url()}"):
        nc, js = await asyncio.wait_for(jetstream.connect(url, name="test"), 20)
        tag = uuid.uuid4().hex[:8]
        settings = Settings(
            stream=f"A_{tag}",
            subject_prefix=f"a{tag}.in",
            dlq_stream=f"AD_{tag}",
            dlq_subject_prefix=f"a{tag}.dlq",
        )
        await jetstream.ensure_streams(js, settings)
        publisher = jetstream.AckedPublisher(nc, settings.stream)
        await publisher.start()
        assert await publisher.publish([(f"a{tag}.in.1.message", b"{}", "e1")], 5) == [None]
        await jetstream.close(nc)


async def test_the_password_reaches_no_log_line_error_or_endpoint(
    auth_nats: AuthNats, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything at DEBUG, nats-py included, with no redactor in the way: the redactor
    (which the processes add) is a second line of defence, not the only one."""
    caplog.set_level(logging.DEBUG)
    password = auth_nats.password
    errors: list[str] = []
    # A refused connection: jetstream.connect retries forever, logging each refusal.
    wrong = auth_nats.url("x" + password[1:])
    try:
        await asyncio.wait_for(jetstream.connect(wrong, name="test"), 5)
    except TimeoutError as exc:
        errors.append(repr(exc))
    # A good one, through a server restart (disconnected, reconnected), and a drain.
    nc, js = await jetstream.connect(auth_nats.url(), name="test")
    auth_nats.stop()
    auth_nats.start()
    for _ in range(100):
        if nc.is_connected and nc.stats["reconnects"]:
            break
        await asyncio.sleep(0.1)
    assert nc.stats["reconnects"] >= 1
    await js.account_info()
    await jetstream.close(nc)
    logged = caplog.text
    # It saw them: the refusal (nats-py reports "Authorization Violation", or only the
    # server closing on it, "unexpected EOF", when the -ERR line loses the race) and the
    # restart.
    assert "NATS error" in logged and "reconnected" in logged
    assert password not in logged and password[1:] not in logged
    assert not any(password[1:] in e for e in errors)


def test_monitoring_endpoints_do_not_show_the_password(auth_nats: AuthNats) -> None:
    """The chart opens the monitoring port to Prometheus (networkPolicy.metricsFrom)."""
    with socket.create_connection(("127.0.0.1", auth_nats.port), timeout=5) as client:
        client.recv(65536)
        hello = {"user": USER, "pass": auth_nats.password, "verbose": False, "name": "probe"}
        client.sendall(b"CONNECT " + json.dumps(hello).encode() + b"\r\nPING\r\n")
        assert client.recv(4096).startswith(b"PONG")
        for path in ("/varz", "/connz?auth=true&subs=detail", "/jsz", "/healthz"):
            url = f"http://127.0.0.1:{auth_nats.monitor}{path}"
            with urllib.request.urlopen(url, timeout=5) as answer:
                body = answer.read().decode()
            assert auth_nats.password not in body, path
            if path.startswith("/connz"):
                assert '"probe"' in body and USER in body  # the connection is listed


def test_the_redactor_knows_the_nats_password(auth_nats: AuthNats) -> None:
    """The processes' redactor masks it even where no URL surrounds it."""
    urls = f"{auth_nats.url()},nats://{USER}:other-password-2@127.0.0.1:4223"
    settings = Settings(nats_url=urls)
    assert {auth_nats.password, "other-password-2"} <= set(settings.secret_values())
    line = f"connected to {USER}:{auth_nats.password}@127.0.0.1 ({urls})"
    masked = redact(line, settings.secret_values())
    assert auth_nats.password not in masked and "other-password-2" not in masked
