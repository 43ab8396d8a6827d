"""Client for the parts of Meta's Graph API the channel calls: send, mark read, media.

``send_message`` sends any message object (``whatsapp_cloud.messages`` builds them:
buttons, lists, contact cards, documents, templates); ``send_text`` is the text case.

Retries: HTTP 429, 5xx, timeouts and connection errors, and Meta's transient and
rate-limit codes (see ``errors``), with exponential backoff: ``backoff_s × 2ⁿ`` in general and
``backoff_s × 4ⁿ`` for 131056 (the same user messaged too often: 1, 4, 16, 64 s with
``backoff_s=1``, as Meta suggests), plus up to 20 % jitter, for at most ``max_attempts``
attempts in all. A ``Retry-After`` header is a floor under the delay; one longer than
``max_wait_s`` is not waited out here: the error goes up at once, with its
``retry_after_s``, for the caller to reschedule the work (the worker delays the event).
190 (token), 131047 (outside the 24-hour window) and other client errors are raised at once.
The access token never appears in an exception or a log line.

Media bytes are fetched (with the token) only from an allowed host: Meta's media CDN
(``lookaside.fbsbx.com``), the Graph API's own host, and those given as ``media_hosts``;
over HTTPS, or plain HTTP only when the Graph API itself is plain HTTP (a local sandbox).
Any other URL in the media metadata, or in a redirect, is refused before a request is made.

``on_call(endpoint, outcome)`` is called once per HTTP attempt, for metrics: ``endpoint`` is
one of ``messages``, ``mark_read``, ``media``, ``media_upload``, ``media_download``;
``outcome`` the HTTP status as a string, or ``timeout`` / ``connection_error``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import logging
import random
import re
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import SplitResult, quote, urljoin, urlsplit

import httpx
from pydantic import SecretStr

from whatsapp_cloud.errors import PAIR_RATE_LIMIT, GraphApiError, MediaError, from_response

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TEXT_LEN = 4096
# biz_opaque_callback_data: Meta echoes it in the status webhooks of the message.
MAX_OPAQUE_LEN = 512
_VERSIONED_PATH = re.compile(r"/v\d+\.\d+$")
_REMEMBERED_KEYS = 10_000
# What send_message puts around a message object itself.
_ENVELOPE_KEYS = frozenset(
    {"messaging_product", "recipient_type", "to", "context", "biz_opaque_callback_data"}
)
# Where Meta's media metadata points (``GET /{media-id}`` → ``url``): its lookaside CDN.
META_MEDIA_HOSTS = ("lookaside.fbsbx.com",)
MAX_MEDIA_REDIRECTS = 3
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class MediaInfo:
    id: str
    url: str
    mime_type: str
    sha256: str  # as Meta gives it: hex from the media endpoint (base64 is accepted too)
    file_size: int

    @classmethod
    def from_payload(cls, payload: Any) -> MediaInfo:
        if not isinstance(payload, dict) or not payload.get("url"):
            raise GraphApiError(f"unexpected media metadata from the Graph API: {payload!r}")
        try:
            size = int(payload.get("file_size") or 0)  # Meta may send it as a string
        except (TypeError, ValueError):
            size = 0
        return cls(
            id=str(payload.get("id", "")),
            url=str(payload["url"]),
            mime_type=str(payload.get("mime_type", "")),
            sha256=str(payload.get("sha256", "")),
            file_size=size,
        )


class _UrlExpired(Exception):
    """The media URL answered 404: Meta's sign that it expired; fetch a fresh one."""


def sha256_matches(data: bytes, expected: str) -> bool:
    """Whether ``expected`` (hex, or base64 as webhooks carry it) is the SHA-256 of data."""
    digest = hashlib.sha256(data).digest()
    if expected.lower() == digest.hex():
        return True
    padded = expected + "=" * (-len(expected) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            if decode(padded) == digest:
                return True
        except (binascii.Error, ValueError):
            continue
    return False


def _integrity_problem(data: bytes, info: MediaInfo) -> str | None:
    if info.file_size and len(data) != info.file_size:
        return f"got {len(data)} bytes, the metadata says {info.file_size}"
    if info.sha256 and not sha256_matches(data, info.sha256):
        return "the sha256 of the bytes does not match the metadata"
    if not info.sha256:
        log.warning("media %s came without a sha256: integrity not checked", info.id)
    return None


class GraphClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        api_url: str,
        phone_number_id: str,
        access_token: SecretStr | Callable[[], SecretStr],
        *,
        max_attempts: int = 4,
        backoff_s: float = 0.5,
        max_wait_s: float = 30.0,
        on_call: Callable[[str, str], None] | None = None,
        media_hosts: Iterable[str] = META_MEDIA_HOSTS,
    ) -> None:
        """``api_url`` is the versioned base, e.g. ``https://graph.facebook.com/v25.0``.

        ``access_token`` may be a callable, read at every call, so that a rotated token
        (re-read from its mounted file) is picked up without rebuilding the client.
        ``media_hosts``: where media may be downloaded from, besides the API's own host:
        ``host`` or ``host:port`` exactly, or ``.example.com`` for any host under it.
        """
        base = api_url.rstrip("/")
        if not _VERSIONED_PATH.search(urlsplit(base).path):
            raise ValueError(f"api_url must end with a pinned Graph API version: {api_url!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = http
        self._base = base
        self._phone_number_id = phone_number_id
        self._token = access_token
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_wait_s = max_wait_s
        self._on_call = on_call
        self._plain_http_ok = urlsplit(base).scheme == "http"  # a local sandbox
        self._media_hosts = MediaHosts(media_hosts, api_url=base)
        self._sent: OrderedDict[str, str] = OrderedDict()
        self._key_locks: dict[str, asyncio.Lock] = {}

    # -- public API ------------------------------------------------------------------

    async def send_text(
        self,
        to: str,
        body: str,
        *,
        reply_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Send a text message and return its ``wamid``.

        Bodies over 4096 characters raise ``ValueError``: the caller decides how to cut.
        Idempotency as ``send_message``.
        """
        if not body:
            raise ValueError("WhatsApp does not send empty text messages")
        if len(body) > MAX_TEXT_LEN:
            raise ValueError(
                f"text body is {len(body)} characters; WhatsApp allows {MAX_TEXT_LEN}: "
                "truncate or split it before sending"
            )
        message = {"type": "text", "text": {"preview_url": False, "body": body}}
        return await self.send_message(
            to, message, reply_to=reply_to, idempotency_key=idempotency_key
        )

    async def send_message(
        self,
        to: str,
        message: dict[str, Any],
        *,
        reply_to: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Send any message object and return its ``wamid``.

        ``message`` is the type-specific part, ``{"type": "interactive", "interactive":
        {…}}`` and so on (``whatsapp_cloud.messages`` builds them); the recipient, the
        reply context (``reply_to``, a wamid) and the key are added here.
        ``idempotency_key`` travels as ``biz_opaque_callback_data`` (echoed in the status
        webhooks) and a send already done with the same key by this client returns the
        same wamid without sending again. Meta itself does not de-duplicate sends, so
        durable de-duplication across processes is the caller's (a stored outbound row).
        """
        if not to:
            raise ValueError("a send needs a recipient")
        kind = message.get("type")
        if not isinstance(kind, str) or not isinstance(message.get(kind), dict | list):
            raise ValueError(
                'a message needs a "type" and its content under that key, e.g. '
                '{"type": "text", "text": {"body": "…"}}'
            )
        reserved = _ENVELOPE_KEYS.intersection(message)
        if reserved:
            raise ValueError(f"send_message sets {', '.join(sorted(reserved))} itself")
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            **message,
        }
        if reply_to:
            payload["context"] = {"message_id": reply_to}
        if idempotency_key is None:
            return await self._send(payload)
        if len(idempotency_key) > MAX_OPAQUE_LEN:
            raise ValueError(f"idempotency_key is longer than {MAX_OPAQUE_LEN} characters")
        payload["biz_opaque_callback_data"] = idempotency_key
        async with self._key_lock(idempotency_key):
            if idempotency_key in self._sent:
                return self._sent[idempotency_key]
            wamid = await self._send(payload)
            self._sent[idempotency_key] = wamid
            if len(self._sent) > _REMEMBERED_KEYS:
                self._sent.popitem(last=False)
            return wamid

    async def upload_media(self, data: bytes, mime_type: str, filename: str) -> str:
        """Upload media to send by id (``POST /{phone-number-id}/media``); its media id.

        Meta keeps uploaded media 30 days. A retried upload after a lost answer may leave
        an unused copy there, which is harmless.
        """
        if not data:
            raise ValueError("cannot upload empty media")
        if not mime_type or "/" not in mime_type:
            raise ValueError(f"not a MIME type: {mime_type!r}")
        response = await self._call(
            "media_upload",
            "POST",
            f"{self._base}/{self._phone_number_id}/media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename or "file", data, mime_type)},
        )
        media_id = _json(response).get("id")
        if not media_id:
            raise GraphApiError(f"upload answered no media id: {response.text[:200]}")
        return str(media_id)

    async def mark_read(self, message_id: str, *, typing: bool = False) -> None:
        """Mark an inbound message read; ``typing`` also shows the typing indicator (25 s)."""
        payload: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": message_id,
        }
        if typing:
            payload["typing_indicator"] = {"type": "text"}
        response = await self._call("mark_read", "POST", self._messages_url(), json=payload)
        if _json(response).get("success") is not True:
            raise GraphApiError(f"mark-read was not acknowledged: {response.text[:200]}")

    async def get_media(self, media_id: str) -> MediaInfo:
        """The media's metadata, with a download URL valid for 5 minutes."""
        if not media_id or "/" in media_id:
            raise ValueError(f"not a media id: {media_id!r}")
        url = f"{self._base}/{quote(media_id, safe='')}"
        try:
            response = await self._call("media", "GET", url)
        except GraphApiError as exc:
            # Unknown, deleted or expired ids (webhook media live 7 days) answer 100/33.
            if exc.http_status == 404 or (exc.code == 100 and exc.subcode == 33):
                raise MediaError(
                    f"media {media_id} not found: {exc.message}",
                    http_status=exc.http_status,
                    code=exc.code,
                    subcode=exc.subcode,
                    fbtrace_id=exc.fbtrace_id,
                ) from exc
            raise
        return MediaInfo.from_payload(_json(response))

    async def download_media(self, media_id: str, *, max_bytes: int) -> tuple[bytes, MediaInfo]:
        """Fetch the metadata, then the bytes (with the Bearer token), checked.

        Refuses media over ``max_bytes`` (by the metadata, then while streaming). A URL that
        has expired (404) is fetched afresh once; bytes whose size or sha256 do not match
        are downloaded once more from a fresh URL, then raise ``MediaError``.
        """
        info = await self.get_media(media_id)
        for round_ in (1, 2):
            if info.file_size > max_bytes:
                raise MediaError(
                    f"media {media_id} is {info.file_size} bytes, over the {max_bytes} limit"
                )
            try:
                data = await self._retrying(
                    "media_download", functools.partial(self._download_once, info, max_bytes)
                )
            except _UrlExpired:
                if round_ == 2:
                    raise MediaError(
                        f"media {media_id}: a fresh download URL answered 404 too",
                        http_status=404,
                    ) from None
                log.info("media URL for %s expired; fetching a fresh one", media_id)
                info = await self.get_media(media_id)
                continue
            problem = _integrity_problem(data, info)
            if problem is None:
                return data, info
            if round_ == 2:
                raise MediaError(f"media {media_id}: {problem}")
            log.warning("media %s: %s; downloading once more", media_id, problem)
            info = await self.get_media(media_id)
        raise AssertionError("unreachable")

    # -- plumbing ----------------------------------------------------------------------

    def _messages_url(self) -> str:
        return f"{self._base}/{self._phone_number_id}/messages"

    def _secret(self) -> str:
        token = self._token() if callable(self._token) else self._token
        return token.get_secret_value()

    async def _send(self, payload: dict[str, Any]) -> str:
        response = await self._call("messages", "POST", self._messages_url(), json=payload)
        try:
            return str(_json(response)["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise GraphApiError(f"send answered no message id: {response.text[:200]}") from None

    @asynccontextmanager
    async def _key_lock(self, key: str) -> AsyncIterator[None]:
        lock = self._key_locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                yield
        finally:
            if not lock.locked():
                self._key_locks.pop(key, None)

    def _report(self, endpoint: str, outcome: str) -> None:
        if self._on_call is None:
            return
        try:
            self._on_call(endpoint, outcome)
        except Exception:  # metrics must never break a call
            log.exception("on_call hook failed")

    def _delay(self, failures: int, code: int | None) -> float:
        factor = 4 if code == PAIR_RATE_LIMIT else 2
        return self._backoff_s * float(factor) ** (failures - 1) * (1 + 0.2 * random.random())

    async def _retrying(self, endpoint: str, attempt: Callable[[], Awaitable[T]]) -> T:
        failures = 0
        while True:
            try:
                return await attempt()
            except GraphApiError as exc:
                failures += 1
                if not exc.retryable or failures >= self._max_attempts:
                    raise
                if exc.retry_after_s is not None and exc.retry_after_s > self._max_wait_s:
                    raise
                delay = max(self._delay(failures, exc.code), exc.retry_after_s or 0.0)
                log.warning(
                    "Graph %s failed (attempt %d of %d), retrying in %.2f s: %s",
                    endpoint, failures, self._max_attempts, delay, exc,
                )  # fmt: skip
                await asyncio.sleep(delay)

    async def _call(self, endpoint: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def attempt() -> httpx.Response:
            async with self._transport_errors(endpoint):
                response = await self._http.request(
                    method, url, headers=self._auth_header(), **kwargs
                )
            self._report(endpoint, str(response.status_code))
            if response.is_success:
                return response
            raise from_response(response, redact=self._secret())

        return await self._retrying(endpoint, attempt)

    async def _download_once(self, info: MediaInfo, max_bytes: int) -> bytes:
        url = info.url
        for _ in range(MAX_MEDIA_REDIRECTS + 1):
            self._check_media_url(info.id, url)  # before any request: the token goes along
            # Redirects are followed here, each hop checked; the token only to the origin
            # the metadata named (as httpx does).
            headers = self._auth_header() if _origin(url) == _origin(info.url) else {}
            async with (
                self._transport_errors("media_download"),
                self._http.stream("GET", url, headers=headers, follow_redirects=False) as response,
            ):
                self._report("media_download", str(response.status_code))
                if response.is_redirect:
                    url = urljoin(url, response.headers["location"])
                    continue
                return await self._read_media(info, response, max_bytes)
        raise MediaError(f"media {info.id}: more than {MAX_MEDIA_REDIRECTS} redirects")

    def _check_media_url(self, media_id: str, url: str) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme
        if scheme != "https" and not (scheme == "http" and self._plain_http_ok):
            # The token goes with this request: never over plain HTTP to a real host.
            raise MediaError(f"refusing to send the token to a non-HTTPS media URL ({scheme})")
        if not self._media_hosts.allows(parts):
            raise MediaError(
                f"media {media_id}: the download URL's host {parts.netloc!r} is not an allowed "
                "media host (Meta's, the Graph API's, or WHATSAPP_MEDIA_HOSTS): not fetched"
            )

    async def _read_media(self, info: MediaInfo, response: httpx.Response, max_bytes: int) -> bytes:
        if response.status_code == 404:
            raise _UrlExpired
        if not response.is_success:
            await response.aread()
            raise from_response(response, redact=self._secret())
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise MediaError(f"media {info.id} is {declared} bytes, over {max_bytes}")
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > max_bytes:
                raise MediaError(f"media {info.id} is over the {max_bytes} byte limit")
        return bytes(data)

    def _auth_header(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._secret()}"}

    @asynccontextmanager
    async def _transport_errors(self, endpoint: str) -> AsyncIterator[None]:
        """Turn httpx failures into GraphApiError: timeouts and network errors retryable."""
        try:
            yield
        except httpx.TimeoutException as exc:
            self._report(endpoint, "timeout")
            raise GraphApiError(
                f"Graph {endpoint}: timed out ({type(exc).__name__})", retryable=True
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            self._report(endpoint, "connection_error")
            raise GraphApiError(
                f"Graph {endpoint}: connection failed ({type(exc).__name__})", retryable=True
            ) from exc
        except httpx.HTTPError as exc:
            self._report(endpoint, "error")
            raise GraphApiError(f"Graph {endpoint}: {type(exc).__name__}") from exc


class MediaHosts:
    """The hosts media may come from: ``host``, ``host:port`` (that port only), or
    ``.example.com`` (any host under example.com, not example.com itself); plus the Graph
    API's own host and port. Names compare without case; nothing else matches."""

    def __init__(self, entries: Iterable[str], *, api_url: str) -> None:
        self._exact: set[tuple[str, int | None]] = set()
        self._suffixes: list[str] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            if entry.startswith("."):
                if entry.count(".") < 2 or "/" in entry or ":" in entry:  # ".com": too broad
                    raise ValueError(f"not a media host suffix like .example.com: {raw!r}")
                self._suffixes.append(entry)
                continue
            parts = urlsplit(f"//{entry}")
            try:
                port = parts.port
            except ValueError:
                port = -1
            if not parts.hostname or port == -1 or parts.path or parts.username or parts.query:
                raise ValueError(f"not a media host (host, host:port or .domain): {raw!r}")
            self._exact.add((parts.hostname, port))  # no port given: any port
        api = urlsplit(api_url)
        if api.hostname:
            self._exact.add((api.hostname.lower(), _port(api)))

    def allows(self, url: SplitResult) -> bool:
        host = (url.hostname or "").lower().rstrip(".")
        if not host:
            return False
        port = _port(url)
        if (host, None) in self._exact or (host, port) in self._exact:
            return True
        return any(host.endswith(suffix) for suffix in self._suffixes)


def _port(url: SplitResult) -> int | None:
    try:
        return url.port or _DEFAULT_PORTS.get(url.scheme)
    except ValueError:  # a port that is not a number: matches no entry
        return -1


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), _port(parts)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise GraphApiError(f"the Graph API answered non-JSON: {response.text[:200]}") from None
    if not isinstance(body, dict):
        raise GraphApiError(f"the Graph API answered unexpected JSON: {response.text[:200]}")
    return body
