from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import transaction
from gateway.models import CardImage
from tests.gateway.contacts.support import AUTH

AddContact = Callable[..., int]


async def test_token_is_required(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/contacts")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    response = await client.get("/api/contacts", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    response = await client.get("/api/contacts/1/vcard", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401


async def test_list_and_search(client: httpx.AsyncClient, add_contact: AddContact) -> None:
    ivanova = add_contact(name="Мария Иванова", phones=["+79001234567"])
    smith = add_contact(name="John Smith", emails=["john@acme.example.com"])
    response = await client.get("/api/contacts", headers=AUTH)
    assert response.status_code == 200
    page = response.json()
    assert [c["id"] for c in page["items"]] == [smith, ivanova]
    assert page["total"] == 2 and page["limit"] == 50 and page["offset"] == 0

    response = await client.get(
        "/api/contacts", params={"name": "иванова", "phone": "+7 900 123-45-67"}, headers=AUTH
    )
    page = response.json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["name"] == "Мария Иванова"
    assert item["phones"] == ["+79001234567"]
    assert item["has_image"] is False

    response = await client.get("/api/contacts", params={"limit": 1, "offset": 1}, headers=AUTH)
    assert [c["id"] for c in response.json()["items"]] == [ivanova]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}])
async def test_paging_bounds(client: httpx.AsyncClient, params: dict[str, int]) -> None:
    response = await client.get("/api/contacts", params=params, headers=AUTH)
    assert response.status_code == 422


async def test_one_contact_with_image(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    contact_id = add_contact(name="John Smith", emails=["john@acme.example.com"])
    with transaction(sessions) as session:
        session.add(
            CardImage(
                message_id="wamid.1",
                contact_id=contact_id,
                media_id="m1",
                mime_type="image/jpeg",
                sha256="0" * 64,
                size=3,
                data=b"jpg",
            )
        )
    response = await client.get(f"/api/contacts/{contact_id}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == contact_id
    assert body["emails"] == ["john@acme.example.com"]
    assert body["source"] == "card"
    assert body["has_image"] is True


async def test_missing_contact_is_404(client: httpx.AsyncClient) -> None:
    for path in ("/api/contacts/999", "/api/contacts/999/vcard"):
        response = await client.get(path, headers=AUTH)
        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": "contact 999 does not exist"}
        }


async def test_vcard_download(client: httpx.AsyncClient, add_contact: AddContact) -> None:
    contact_id = add_contact(name="Мария Иванова", company="ООО «Ромашка»")
    response = await client.get(f"/api/contacts/{contact_id}/vcard", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/vcard; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="contact-{contact_id}.vcf"'
    )
    assert response.content.startswith(b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "FN:Мария Иванова\r\n" in response.content.decode("utf-8")
