"""A size limit on the API's request bodies, enforced before anything authenticates them.

FastAPI reads a route's whole body before it solves the route's dependencies, the token
check among them: on its own, ``POST /api/whatsapp/send`` would read a body of any size
from anyone. This middleware stands in front of the application and reads the body first:
a declared ``Content-Length`` over the limit is refused at once, unread; a body without one
(chunked) is read only up to the limit and refused as soon as it goes past it; a body
within the limit is handed on as one message. At most ``max_bytes`` (plus one chunk) is ever
held, whoever the caller is.

The webhook POSTs never get here: ``gateway.whatsapp.ingress`` answers them in front of this
middleware, with a limit of their own (``max_body_bytes``) that fits Meta's batches.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import PayloadTooLarge


class BodyLimit:
    """ASGI middleware: 413 (the API's error body) for a request body over ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if _declared_length(scope) > self.max_bytes:
            return await self._refuse(send)
        message = await receive()
        if message["type"] == "http.request" and not message.get("more_body", False):
            # The usual case (and every GET): the whole body in one message, no copy.
            if len(message.get("body", b"")) > self.max_bytes:
                return await self._refuse(send)
            first = message
        else:
            body = bytearray()
            while True:
                if message["type"] != "http.request":
                    return  # the client went away mid-body: nobody is left to answer
                body += message.get("body", b"")
                if len(body) > self.max_bytes:
                    return await self._refuse(send)
                if not message.get("more_body", False):
                    break
                message = await receive()
            first = {"type": "http.request", "body": bytes(body), "more_body": False}

        handed = False

        async def replay() -> Message:
            # The body as read, then the server's own messages (a disconnect) as they come.
            nonlocal handed
            if not handed:
                handed = True
                return first
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        error = PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes")
        body = json.dumps(error.document()).encode()
        await send(
            {
                "type": "http.response.start",
                "status": error.status_code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The rest of the body is never read: the connection cannot carry
                    # another request after it.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length; -1 when it has none (chunked, or no body)."""
    for name, value in scope["headers"]:
        # isdigit() alone is true for "²", which int() refuses; the server has already
        # refused a malformed Content-Length.
        if name == b"content-length" and value.isascii() and value.isdigit():
            return int(value)
    return -1
