"""Does a webhook callback URL answer Meta's verification challenge over valid TLS?

The one implementation of that question. The Graph sandbox asks it when a client sets a
callback (as Meta does, synchronously, before accepting the URL) and the operator asks it
to decide when registration may happen: both must agree, or the operator would register
URLs that Meta then refuses.

Meta sends ``GET {url}?hub.mode=subscribe&hub.challenge=C&hub.verify_token=T`` over HTTPS
and accepts only a 200 whose body is exactly ``C``, from a server whose certificate chains
to a public CA and names the URL's host. Self-signed certificates are refused.

``resolve`` works like curl's ``--resolve``: ``{"wa.example.test": "127.0.0.1:8443"}`` (or
``"*"`` for every host) connects to that address while SNI, the certificate's hostname check
and the Host header all stay the URL's host, so tests and clusters without public DNS can
still check the real name. ``ca_bundle`` replaces the system trust store (a test CA, or
cert-manager's CA in a local cluster).

The verify token is a secret: no ``detail`` ever contains it.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

# Meta's verification requests identify themselves like this.
USER_AGENT = "facebookexternalua"
# More than any challenge answer needs; a server streaming a large body is simply wrong.
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    status: int | None
    detail: str


def new_challenge() -> str:
    """A random challenge shaped like Meta's: a decimal number (some receivers parse it)."""
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def _resolved_address(
    resolve: Mapping[str, str] | None, host: str, port: int
) -> tuple[str, int] | None:
    """The ``(ip, port)`` to connect to for ``host``, or None to resolve it normally."""
    if not resolve:
        return None
    lowered = {key.lower(): value for key, value in resolve.items()}
    address = lowered.get(f"{host}:{port}") or lowered.get(host) or lowered.get("*")
    if address is None:
        return None
    if address.startswith("["):  # [v6]:port or [v6]
        ip, _, rest = address[1:].partition("]")
        return ip, int(rest[1:]) if rest.startswith(":") else port
    if address.count(":") == 1:  # v4:port
        ip, _, port_text = address.partition(":")
        return ip, int(port_text)
    return address, port  # a bare v4 or v6 address: the URL's port


def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    if ca_bundle is not None:
        return ssl.create_default_context(cafile=ca_bundle)
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        # A slim image without the system CA package: fall back to certifi's public roots
        # (installed with httpx) rather than refusing every certificate.
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


def _scrub(text: str, verify_token: str) -> str:
    if not verify_token:
        return text
    for form in {verify_token, quote(verify_token, safe=""), quote_plus(verify_token)}:
        text = text.replace(form, "<verify_token>")
    return text


def _describe(exc: BaseException) -> str:
    """A readable reason for a transport failure, from the deepest useful cause."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"TLS certificate verification failed: {seen.verify_message or seen}"
        if isinstance(seen, ssl.SSLError):
            return f"TLS handshake failed: {seen.reason or seen}"
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc or type(exc).__name__}"
    return f"{type(exc).__name__}: {exc}"


async def probe_callback(
    url: str,
    verify_token: str,
    *,
    ca_bundle: str | None = None,
    resolve: Mapping[str, str] | None = None,
    timeout_s: float = 5.0,
    challenge: str | None = None,
) -> ProbeResult:
    """Send Meta's verification request to ``url`` and say whether it was answered right.

    ``timeout_s`` bounds each phase (connect, TLS handshake, each read); the whole probe
    gives up after three times that. ``challenge`` defaults to a fresh random one.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        return ProbeResult(False, None, _scrub(f"not a valid URL: {exc}", verify_token))
    if parsed.scheme != "https" or not parsed.host:
        return ProbeResult(False, None, "the callback URL must be an https:// URL with a host")
    try:
        context = _ssl_context(ca_bundle)
    except (OSError, ssl.SSLError) as exc:
        return ProbeResult(False, None, f"cannot load the CA bundle: {exc}")

    challenge = challenge or new_challenge()
    target = parsed.copy_merge_params(
        {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    )
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    extensions: dict[str, Any] = {}
    port = parsed.port or 443
    try:
        address = _resolved_address(resolve, parsed.host, port)
    except ValueError:
        return ProbeResult(False, None, "the resolve entry for this host is not ip:port")
    if address is not None:
        headers["Host"] = parsed.netloc.decode("ascii")
        extensions["sni_hostname"] = parsed.host
        target = target.copy_with(host=address[0], port=address[1])

    try:
        # A fresh client per probe: a pooled connection made for another SNI name must
        # never answer for this one. No proxies from the environment: Meta uses none.
        # httpx's timeouts bound each phase (connect, TLS handshake, each read) and close
        # the socket when they fire; the outer deadline is only a backstop against a server
        # that drips bytes, because cancelling httpcore mid-handshake leaks its socket.
        async with (
            asyncio.timeout(3 * timeout_s),
            httpx.AsyncClient(
                verify=context, timeout=timeout_s, follow_redirects=False, trust_env=False
            ) as client,
            client.stream("GET", target, headers=headers, extensions=extensions) as response,
        ):
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_BODY:
                    break
    except httpx.TimeoutException as exc:
        return ProbeResult(False, None, f"no answer within {timeout_s:g} s ({type(exc).__name__})")
    except TimeoutError:
        return ProbeResult(False, None, f"no complete answer within {3 * timeout_s:g} s")
    except httpx.HTTPError as exc:
        return ProbeResult(False, None, _scrub(_describe(exc), verify_token))

    status = response.status_code
    if status != 200:
        return ProbeResult(False, status, f"HTTP {status}: expected 200 with the challenge")
    text = bytes(body[:MAX_BODY]).decode("utf-8", "replace")
    if text != challenge:
        # Scrub before cutting, so that no half of the token survives the cut.
        snippet = _scrub(text, verify_token)[:80]
        return ProbeResult(
            False, status, f"HTTP 200 but the body is not the challenge: {snippet!r}"
        )
    return ProbeResult(True, status, "answered the challenge over valid TLS")
