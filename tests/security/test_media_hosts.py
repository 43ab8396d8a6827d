"""Media are downloaded only from allowed hosts (security issue 15): the access token goes
with a media download, so a media URL (from the metadata, or a redirect) on any other host
is refused before a connection is made. The Graph API is the real sandbox over HTTP, whose
media URLs point at a recording server on another address (127.0.0.2)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from gateway.db import make_engine, make_sessionmaker
from gateway.models import Contact
from gateway.settings import Settings
from gateway.whatsapp.graph_clients import GraphClients
from graph_sandbox.app import create_app
from graph_sandbox.config import SandboxConfig
from ibbase_dev.simulate import SimulatedUser, reply_text
from tests.conftest import SANDBOX_PHONE_ID, SANDBOX_TOKEN
from tests.harness import ServerThread, WorkerTask, pipeline_settings, wait_for
from whatsapp_cloud.errors import MediaError

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16 + b"\xff\xd9"


class Recorder(ThreadingHTTPServer):
    """An HTTP server that records every connection and request it gets; answers 200 with
    a few bytes, or a redirect to ``redirect_to``."""

    daemon_threads = True

    def __init__(self, host: str, redirect_to: str | None = None):
        self.connections = 0
        self.requests: list[dict[str, Any]] = []
        self.redirect_to = redirect_to
        super().__init__((host, 0), _Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def netloc(self) -> str:
        return self.url.removeprefix("http://")

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_GET(self) -> None:  # http.server's naming
        self.server.requests.append({"path": self.path, "headers": dict(self.headers)})
        if self.server.redirect_to:
            self.send_response(302)
            self.send_header("Location", f"{self.server.redirect_to}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(JPEG)))
        self.end_headers()
        self.wfile.write(JPEG)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def rogue() -> Iterator[Recorder]:
    """A server on another address of this machine: not Meta's, not the Graph API's."""
    server = Recorder("127.0.0.2")
    yield server
    server.close()


def start_sandbox(media_base: str) -> ServerThread:
    """The Graph API sandbox on 127.0.0.1, handing out media URLs under ``media_base``."""
    config = SandboxConfig(
        access_token=SecretStr(SANDBOX_TOKEN),
        phone_number_id=SANDBOX_PHONE_ID,
        public_url=media_base,
    )
    return ServerThread(create_app(config)).start()


def settings_for(sandbox: ServerThread, **overrides: Any) -> Settings:
    return Settings(
        whatsapp_api_url=f"{sandbox.url}/v25.0",
        whatsapp_phone_id=SANDBOX_PHONE_ID,
        whatsapp_access_token=SecretStr(SANDBOX_TOKEN),
        **overrides,
    )


async def download(settings: Settings, sandbox: ServerThread) -> bytes:
    """Upload a photo to the sandbox, then download it as the worker does."""
    async with httpx.AsyncClient() as http:
        response = await http.post(
            f"{sandbox.url}/sandbox/media",
            files={"file": ("card.jpg", JPEG, "image/jpeg")},
            data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        )
        response.raise_for_status()
        media_id = response.json()["id"]
    graphs = GraphClients(
        api_url=settings.whatsapp_api_url,
        phone_number_id=settings.whatsapp_phone_id,
        access_token=settings.whatsapp_access_token,
        media_hosts=settings.whatsapp_media_hosts,
    )
    try:
        data, _ = await graphs.single.download_media(media_id, max_bytes=1024 * 1024)
        return data
    finally:
        await graphs.aclose()


def assert_untouched(server: Recorder) -> None:
    assert server.connections == 0, server.requests
    assert server.requests == []


async def test_media_url_on_another_host_is_never_requested(rogue: Recorder) -> None:
    sandbox = start_sandbox(rogue.url)
    try:
        settings = settings_for(sandbox)
        assert settings.whatsapp_media_hosts == ["lookaside.fbsbx.com"]  # the default
        with pytest.raises(MediaError, match="not an allowed media host") as caught:
            await download(settings, sandbox)
    finally:
        sandbox.stop()
    assert not caught.value.retryable  # final: the worker answers, never retries
    assert rogue.netloc in caught.value.message
    assert_untouched(rogue)


async def test_the_graph_host_on_another_port_is_another_host() -> None:
    other = Recorder("127.0.0.1")  # the Graph API's address, not its port
    sandbox = start_sandbox(other.url)
    try:
        with pytest.raises(MediaError, match="not an allowed media host"):
            await download(settings_for(sandbox), sandbox)
    finally:
        sandbox.stop()
        other.close()
    assert_untouched(other)


async def test_a_configured_media_host_is_used_with_the_token(rogue: Recorder) -> None:
    """The control: the same set-up reaches the recorder once its host is allowed."""
    sandbox = start_sandbox(rogue.url)
    try:
        settings = settings_for(sandbox, whatsapp_media_hosts=f"lookaside.fbsbx.com,{rogue.netloc}")
        assert await download(settings, sandbox) == JPEG
    finally:
        sandbox.stop()
    assert rogue.requests, "the allowed host got no request"
    assert rogue.requests[0]["headers"]["Authorization"] == f"Bearer {SANDBOX_TOKEN}"


async def test_redirect_to_another_host_is_not_followed(rogue: Recorder) -> None:
    cdn = Recorder("127.0.0.3", redirect_to=rogue.url)  # allowed, but sends elsewhere
    sandbox = start_sandbox(cdn.url)
    try:
        settings = settings_for(sandbox, whatsapp_media_hosts=[cdn.netloc])
        with pytest.raises(MediaError, match="not an allowed media host"):
            await download(settings, sandbox)
    finally:
        sandbox.stop()
        cdn.close()
    assert len(cdn.requests) == 1
    assert_untouched(rogue)


def test_media_host_entries_are_checked_at_start_up() -> None:
    for bad in (".com", "https://lookaside.fbsbx.com/", "host:port", "user@host"):
        with pytest.raises(ValueError, match="media host"):
            Settings(whatsapp_media_hosts=bad)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_worker_answers_the_sender_and_sends_nothing_to_the_other_host(
    rogue: Recorder, nats_server: Any, database_url: str, card_reader: Any
) -> None:
    """Through the whole pipeline: webhook → JetStream → worker → sandbox metadata naming
    the other host. The sender is told the photo could not be fetched, the event is done
    with (no retry), and the other host saw nothing."""
    from gateway.app import create_app as create_gateway

    sandbox = start_sandbox(rogue.url)
    settings = pipeline_settings(
        nats_url=nats_server.url,
        database_url=database_url,
        api_url=f"{sandbox.url}/v25.0",
        phone_id=SANDBOX_PHONE_ID,
        access_token=SANDBOX_TOKEN,
    )
    gateway = ServerThread(create_gateway(settings)).start()
    worker = WorkerTask(settings, card_reader)
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            user = SimulatedUser(
                http,
                gateway_url=gateway.url,
                sandbox_url=sandbox.url,
                phone_number_id=SANDBOX_PHONE_ID,
                app_secret=settings.whatsapp_app_secret.get_secret_value(),
                wa_id="79001234567",
            )
            msg_id = await user.send_image(JPEG)
            reply = reply_text(await user.wait_reply(msg_id, timeout=60))
            assert reply.startswith("⚠️ Не удалось получить фото"), reply
            assert "not an allowed media host" in reply

            async def settled() -> bool:
                info = await worker_consumer_info(settings)
                return info == (0, 0, 0)

            await wait_for(settled, timeout=30)
            assert len(await user.replies_to(msg_id)) == 1
    finally:
        await worker.stop()
        gateway.stop()
        sandbox.stop()
    assert_untouched(rogue)
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as s:
            assert s.scalar(select(func.count()).select_from(Contact)) == 0
    finally:
        engine.dispose()


async def worker_consumer_info(settings: Settings) -> tuple[int, int, int]:
    """(pending, waiting for ack, redelivered) of the worker's consumer."""
    import nats

    nc = await nats.connect(settings.nats_url)
    try:
        info = await nc.jetstream().consumer_info(settings.stream, settings.consumer)
        return (
            int(info.num_pending or 0),
            int(info.num_ack_pending or 0),
            int(info.num_redelivered or 0),
        )
    finally:
        await nc.close()
