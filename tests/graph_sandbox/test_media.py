"""Upload, retrieve, download (Bearer, expiring URL) and delete media."""

from __future__ import annotations

import asyncio
import hashlib
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from graph_sandbox.webhooks import sha256_b64
from tests.graph_sandbox.sandbox_support import BASE, JPEG, PHONE_ID, TOKEN, make_app, upload


async def test_roundtrip_with_sha256(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    assert media_id.isdigit()

    meta = (await graph.get(f"/v25.0/{media_id}")).json()
    assert meta == {
        "messaging_product": "whatsapp",
        "url": meta["url"],
        "mime_type": "image/jpeg",
        "sha256": hashlib.sha256(JPEG).hexdigest(),
        "file_size": len(JPEG),
        "id": media_id,
    }
    url = urlsplit(meta["url"])
    assert f"{url.scheme}://{url.netloc}" == BASE
    assert url.path == "/whatsapp_business/attachments/"
    assert parse_qs(url.query)["mid"] == [media_id]

    download = await graph.get(meta["url"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert hashlib.sha256(download.content).hexdigest() == meta["sha256"]


async def test_download_needs_the_bearer_token(
    graph: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    meta = (await graph.get(f"/v25.0/{await upload(graph)}")).json()
    response = await anonymous.get(meta["url"])
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 190


async def test_each_retrieval_issues_a_fresh_url(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    first = (await graph.get(f"/v25.0/{media_id}")).json()["url"]
    second = (await graph.get(f"/v25.0/{media_id}")).json()["url"]
    assert first != second
    assert (await graph.get(first)).status_code == 200
    assert (await graph.get(second)).status_code == 200


async def test_url_expires_with_404() -> None:
    app = make_app(media_url_ttl_s=0.05)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as graph:
        media_id = await upload(graph)
        url = (await graph.get(f"/v25.0/{media_id}")).json()["url"]
        await asyncio.sleep(0.1)
        expired = await graph.get(url)
        assert expired.status_code == 404
        assert expired.json()["error"]["code"] == 100
        fresh = (await graph.get(f"/v25.0/{media_id}")).json()["url"]
        assert (await graph.get(fresh)).content == JPEG


async def test_tampered_url_is_404(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    url = (await graph.get(f"/v25.0/{media_id}")).json()["url"]
    assert (await graph.get(url.replace("hash=", "hash=x"))).status_code == 404


async def test_delete(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    assert (await graph.delete(f"/v25.0/{media_id}")).json() == {"success": True}
    gone = await graph.get(f"/v25.0/{media_id}")
    assert gone.status_code == 400
    assert gone.json()["error"]["error_subcode"] == 33


async def test_unknown_media_id(graph: httpx.AsyncClient) -> None:
    response = await graph.get("/v25.0/1234567890123456")
    error = response.json()["error"]
    assert (response.status_code, error["code"], error["error_subcode"]) == (400, 100, 33)


async def test_phone_number_id_filter(graph: httpx.AsyncClient) -> None:
    media_id = await upload(graph)
    ok = await graph.get(f"/v25.0/{media_id}", params={"phone_number_id": PHONE_ID})
    assert ok.status_code == 200
    other = await graph.get(f"/v25.0/{media_id}", params={"phone_number_id": "42"})
    assert other.json()["error"]["code"] == 100


async def test_upload_validation(graph: httpx.AsyncClient) -> None:
    url = f"/v25.0/{PHONE_ID}/media"
    no_product = await graph.post(
        url, data={"type": "image/jpeg"}, files={"file": ("a.jpg", JPEG, "image/jpeg")}
    )
    assert no_product.json()["error"]["code"] == 100
    bad_type = await graph.post(
        url,
        data={"messaging_product": "whatsapp", "type": "image/gif"},
        files={"file": ("a.gif", b"GIF89a", "image/gif")},
    )
    error = bad_type.json()["error"]
    assert error["code"] == 100
    assert "image/jpeg" in error["error_data"]["details"]
    no_file = await graph.post(url, data={"messaging_product": "whatsapp", "type": "image/png"})
    assert no_file.status_code == 400
    too_big = await graph.post(
        url,
        data={"messaging_product": "whatsapp", "type": "image/png"},
        files={"file": ("a.png", b"\0" * (5 * 1024 * 1024 + 1), "image/png")},
    )
    assert too_big.json()["error"]["code"] == 131053
    wrong_number = await graph.post(
        "/v25.0/42/media",
        data={"messaging_product": "whatsapp", "type": "image/jpeg"},
        files={"file": ("a.jpg", JPEG, "image/jpeg")},
    )
    assert wrong_number.json()["error"]["error_subcode"] == 33


async def test_inbound_media_as_a_user_sent_it(app: FastAPI, graph: httpx.AsyncClient) -> None:
    stored = (
        await graph.post(
            "/sandbox/media",
            data={"messaging_product": "whatsapp", "type": "image/jpeg"},
            files={"file": ("card.jpg", JPEG, "image/jpeg")},
        )
    ).json()
    assert stored["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert stored["sha256_b64"] == sha256_b64(JPEG)
    meta = (await graph.get(f"/v25.0/{stored['id']}")).json()
    assert (await graph.get(meta["url"])).content == JPEG
