"""A small HTTPS webhook receiver that answers Meta's challenge, and a test CA to trust it.

Callback registration can only be tested against a real TLS server: Meta (and the sandbox
acting as Meta) verifies the URL over HTTPS while it is being set, and refuses certificates
it cannot trust. ``issue_tls_files`` makes a throwaway CA (trustme) and a server certificate
for the names given; ``CallbackReceiver`` serves them with uvicorn on 127.0.0.1, on a free
port, in the running event loop. Point the sandbox (``SandboxConfig.callback_ca_bundle`` +
``callback_resolve``) or ``whatsapp_cloud.probe.probe_callback`` at it with the CA bundle
and ``receiver.resolve``. The operator's tests can use it as the channel's ingress.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import trustme
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class TLSFiles:
    ca_bundle: str  # the CA's certificate (PEM): what a client must trust
    certfile: str  # the server's certificate chain (PEM)
    keyfile: str  # the server's private key (PEM)


def issue_tls_files(directory: Path, *hostnames: str, ca: trustme.CA | None = None) -> TLSFiles:
    """A server certificate for ``hostnames`` (wildcards allowed), signed by ``ca``.

    Without ``ca`` a new CA is made; pass another test's CA to share one trust root.
    """
    ca = ca or trustme.CA()
    cert = ca.issue_cert(*hostnames)
    directory.mkdir(parents=True, exist_ok=True)
    files = TLSFiles(
        ca_bundle=str(directory / "ca.pem"),
        certfile=str(directory / "server-chain.pem"),
        keyfile=str(directory / "server-key.pem"),
    )
    ca.cert_pem.write_to_path(files.ca_bundle)
    cert.private_key_pem.write_to_path(files.keyfile)
    Path(files.certfile).write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
    return files


class Challenge(NamedTuple):
    host: str  # the Host header: the name the client asked for, not the address it used
    path: str


class CallbackReceiver:
    """HTTPS server: ``GET path`` answers the challenge when the path's verify token matches.

    ``verify_tokens`` maps a path to its verify token (one per channel); any other path or
    token gets 403, as a receiver that does not recognise the token must answer.
    ``challenges`` lists the verification requests seen; ``deliveries`` the (path, body) of POSTs.
    """

    def __init__(
        self, tls: TLSFiles, verify_tokens: dict[str, str] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.tls = tls
        self.host = host
        self.verify_tokens: dict[str, str] = dict(verify_tokens or {})
        self.challenges: list[Challenge] = []
        self.deliveries: list[tuple[str, bytes]] = []
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def resolve(self) -> dict[str, str]:
        """A resolve map sending every host name to this server (curl's ``--resolve``)."""
        return {"*": f"{self.host}:{self.port}"}

    def url(self, hostname: str, path: str) -> str:
        return f"https://{hostname}:{self.port}{path}"

    async def _challenge(self, request: Request) -> Response:
        path = request.url.path
        self.challenges.append(Challenge(request.headers.get("host", ""), path))
        query = request.query_params
        expected = self.verify_tokens.get(path)
        presented = query.get("hub.verify_token", "")
        if (
            query.get("hub.mode") == "subscribe"
            and expected is not None
            and hmac.compare_digest(presented.encode(), expected.encode())
        ):
            return PlainTextResponse(query.get("hub.challenge", ""))
        return PlainTextResponse("Forbidden", status_code=403)

    async def _deliver(self, request: Request) -> Response:
        self.deliveries.append((request.url.path, await request.body()))
        return Response(status_code=200)

    async def start(self) -> CallbackReceiver:
        app = Starlette(
            routes=[
                Route("/{path:path}", self._challenge, methods=["GET"]),
                Route("/{path:path}", self._deliver, methods=["POST"]),
            ]
        )
        # proto given explicitly: accepted sockets inherit it, and asyncio sets TCP_NODELAY
        # only on sockets whose proto is TCP (else Nagle adds ~40 ms to every answer).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            ssl_certfile=self.tls.certfile,
            ssl_keyfile=self.tls.keyfile,
            log_config=None,  # leave the host process's logging alone
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what stopped it
                raise RuntimeError("the callback receiver stopped before it started")
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = self._socket = None

    async def __aenter__(self) -> CallbackReceiver:
        return await self.start()

    async def __aexit__(self, *_exc: Any) -> None:
        await self.stop()
