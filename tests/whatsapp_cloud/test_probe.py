"""The callback probe against a real TLS server: trust, hostname, challenge, transport faults."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from graph_sandbox.callback_receiver import CallbackReceiver, TLSFiles, issue_tls_files
from whatsapp_cloud.probe import _resolved_address, new_challenge, probe_callback

TOKEN = "verify-token-s3cr3t+/="  # characters that URL encoding changes, to test the scrub
PATH = "/api/whatsapp/webhook"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return issue_tls_files(tmp_path_factory.mktemp("pki"), "wa.example.test", "*.example.test")


@pytest.fixture(scope="module")
async def receiver(tls: TLSFiles) -> AsyncIterator[CallbackReceiver]:
    async with CallbackReceiver(tls, {PATH: TOKEN}) as server:
        yield server


async def test_answers_the_challenge(receiver: CallbackReceiver, tls: TLSFiles) -> None:
    url = receiver.url("wa.example.test", PATH)
    result = await probe_callback(
        url, TOKEN, ca_bundle=tls.ca_bundle, resolve={"wa.example.test": receiver.resolve["*"]}
    )
    assert (result.ok, result.status) == (True, 200), result.detail
    # Connected to 127.0.0.1, yet the server was asked for the URL's name.
    assert receiver.challenges[-1].host == f"wa.example.test:{receiver.port}"
    assert receiver.challenges[-1].path == PATH


async def test_wildcard_name_and_given_challenge(receiver: CallbackReceiver, tls: TLSFiles) -> None:
    url = receiver.url("channel-7.example.test", PATH)
    result = await probe_callback(
        url, TOKEN, ca_bundle=tls.ca_bundle, resolve=receiver.resolve, challenge="1158201444"
    )
    assert result.ok, result.detail


async def test_wrong_verify_token_is_403(receiver: CallbackReceiver, tls: TLSFiles) -> None:
    url = receiver.url("wa.example.test", PATH)
    result = await probe_callback(
        url, "another-token", ca_bundle=tls.ca_bundle, resolve=receiver.resolve
    )
    assert (result.ok, result.status) == (False, 403)
    assert "403" in result.detail and "another-token" not in result.detail


async def test_plain_http_is_refused_without_a_request(receiver: CallbackReceiver) -> None:
    seen = len(receiver.challenges)
    result = await probe_callback(f"http://wa.example.test:{receiver.port}{PATH}", TOKEN)
    assert (result.ok, result.status) == (False, None)
    assert "https" in result.detail
    assert len(receiver.challenges) == seen


async def test_untrusted_ca_is_refused(receiver: CallbackReceiver) -> None:
    # No ca_bundle: the system store does not know the test CA (like a self-signed cert).
    url = receiver.url("wa.example.test", PATH)
    result = await probe_callback(url, TOKEN, resolve=receiver.resolve)
    assert (result.ok, result.status) == (False, None)
    assert "certificate verification failed" in result.detail


async def test_another_ca_is_refused(receiver: CallbackReceiver, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    url = receiver.url("wa.example.test", PATH)
    result = await probe_callback(url, TOKEN, ca_bundle=str(other), resolve=receiver.resolve)
    assert not result.ok and "certificate verification failed" in result.detail


async def test_hostname_mismatch_is_refused(receiver: CallbackReceiver, tls: TLSFiles) -> None:
    # The certificate names *.example.test; the URL another host, routed to the same server.
    url = receiver.url("wa.other.test", PATH)
    result = await probe_callback(url, TOKEN, ca_bundle=tls.ca_bundle, resolve=receiver.resolve)
    assert not result.ok
    assert "certificate verification failed" in result.detail
    assert "wa.other.test" in result.detail  # "Hostname mismatch, certificate is not valid for…"
    # And by address: the certificate has no IP name.
    direct = await probe_callback(
        f"https://127.0.0.1:{receiver.port}{PATH}", TOKEN, ca_bundle=tls.ca_bundle
    )
    assert not direct.ok and "certificate verification failed" in direct.detail


async def test_body_must_be_exactly_the_challenge(tls: TLSFiles) -> None:
    class Sloppy(CallbackReceiver):
        async def _challenge(self, request: Request) -> Response:
            # A trailing newline and an echo of the query (token included): both wrong.
            return PlainTextResponse(
                request.query_params["hub.challenge"] + "\n" + str(request.url.query)
            )

    async with Sloppy(tls) as sloppy:
        result = await probe_callback(
            sloppy.url("wa.example.test", PATH),
            TOKEN,
            ca_bundle=tls.ca_bundle,
            resolve=sloppy.resolve,
        )
    assert (result.ok, result.status) == (False, 200)
    assert "not the challenge" in result.detail
    assert TOKEN not in result.detail
    assert "s3cr3t" not in result.detail


async def test_connection_refused(tls: TLSFiles) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: nothing accepts
        result = await probe_callback(
            f"https://wa.example.test:{port}{PATH}",
            TOKEN,
            ca_bundle=tls.ca_bundle,
            resolve={"*": f"127.0.0.1:{port}"},
        )
    assert (result.ok, result.status) == (False, None)
    assert "connection failed" in result.detail


async def test_silent_server_times_out(tls: TLSFiles) -> None:
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept and never answer, not even the TLS handshake

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await probe_callback(
            f"https://wa.example.test:{port}{PATH}",
            TOKEN,
            ca_bundle=tls.ca_bundle,
            resolve={"*": f"127.0.0.1:{port}"},
            timeout_s=0.3,
        )
    finally:
        for writer in held:
            writer.close()
            await writer.wait_closed()
        server.close()
        await server.wait_closed()
    assert (result.ok, result.status) == (False, None)
    assert "0.3 s" in result.detail or "timed out" in result.detail, result.detail


async def test_missing_ca_bundle_file(receiver: CallbackReceiver, tmp_path: Path) -> None:
    url = receiver.url("wa.example.test", PATH)
    result = await probe_callback(url, TOKEN, ca_bundle=str(tmp_path / "missing.pem"))
    assert not result.ok and "CA bundle" in result.detail


def test_resolve_map() -> None:
    assert _resolved_address(None, "a.test", 443) is None
    assert _resolved_address({"b.test": "127.0.0.1:1"}, "a.test", 443) is None
    assert _resolved_address({"*": "127.0.0.1:8443"}, "a.test", 443) == ("127.0.0.1", 8443)
    both = {"*": "10.0.0.1:1", "A.test": "10.0.0.2:2", "a.test:8443": "10.0.0.3:3"}
    assert _resolved_address(both, "a.test", 443) == ("10.0.0.2", 2)
    assert _resolved_address(both, "a.test", 8443) == ("10.0.0.3", 3)
    assert _resolved_address({"*": "127.0.0.1"}, "a.test", 8443) == ("127.0.0.1", 8443)
    assert _resolved_address({"*": "[::1]:9"}, "a.test", 443) == ("::1", 9)
    assert _resolved_address({"*": "::1"}, "a.test", 443) == ("::1", 443)


def test_challenges_are_random_numbers() -> None:
    first, second = new_challenge(), new_challenge()
    assert first.isdigit() and len(first) == 10 and first != second
