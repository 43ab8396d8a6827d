"""PATCH and DELETE of a contact, and its photo: admin tokens write, viewers do not, and a
token never reaches another channel's contact (404, as for an id that does not exist)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.tokens import Scope
from gateway.contacts.service import EDIT
from gateway.models import CardImage, Contact, InboundMessage
from tests.gateway.contacts.support import AUTH, Issue

AddContact = Callable[..., int]


def _corrected(field: str) -> float:
    labels = {"field": field, "by": "api"}
    return REGISTRY.get_sample_value("ibbase_fields_corrected_total", labels) or 0.0


async def test_patch_edits_and_answers_the_contact(
    client: httpx.AsyncClient, sessions: sessionmaker[Session], add_contact: AddContact
) -> None:
    contact_id = add_contact(
        name="Olivia Hartley",
        company="Harbourside",
        phones=["+441134960000"],
        confidence={"company": 0.3, "name": 0.4},
    )
    before = _corrected("company")
    response = await client.patch(
        f"/api/contacts/{contact_id}",
        json={"company": "Harbourside Group", "phones": ["+441134960999"], "note": "demo"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["company"] == "Harbourside Group" and body["phones"] == ["+441134960999"]
    assert body["note"] == "demo" and body["confirmed_at"] is None
    assert body["uncertain"] == ["name"]  # company was corrected by a person
    assert _corrected("company") - before == 1
    with sessions() as session:
        stored = session.get(Contact, contact_id)
        assert stored is not None and stored.strengths["company"] == EDIT

    # Absent fields are left alone; null clears.
    response = await client.patch(f"/api/contacts/{contact_id}", json={"note": None}, headers=AUTH)
    assert response.json()["note"] is None and response.json()["company"] == "Harbourside Group"


async def test_patch_refuses_invalid_values(
    client: httpx.AsyncClient, add_contact: AddContact
) -> None:
    contact_id = add_contact(name="Olivia Hartley", phones=["+441134960000"])
    path = f"/api/contacts/{contact_id}"
    response = await client.patch(
        path, json={"name": "Changed", "phones": ["0113 496 0999"]}, headers=AUTH
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_contact"
    assert error["message"].startswith("phones: '0113 496 0999' is not a phone number")
    stored = (await client.get(path, headers=AUTH)).json()
    assert stored["name"] == "Olivia Hartley" and stored["phones"] == ["+441134960000"]
    # Unknown fields and wrong types are refused by the body's schema.
    for body in ({"colour": "red"}, {"qr": "x"}, {"name": 5}, {"phones": "+441134960000"}):
        assert (await client.patch(path, json=body, headers=AUTH)).status_code == 422, body


async def test_delete(
    client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    add_contact: AddContact,
    add_photo: Callable[..., int],
    add_message: Callable[..., int],
) -> None:
    contact_id = add_contact(name="Olivia Hartley", phones=["+441134960000"])
    add_photo(contact_id, b"front")
    message = add_message("wamid.card.1", contact_id=contact_id)
    response = await client.delete(f"/api/contacts/{contact_id}", headers=AUTH)
    assert response.status_code == 204 and response.content == b""
    assert (await client.get(f"/api/contacts/{contact_id}", headers=AUTH)).status_code == 404
    assert (await client.delete(f"/api/contacts/{contact_id}", headers=AUTH)).status_code == 404
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CardImage)) == 0
        row = session.get(InboundMessage, message)
        assert row is not None and row.contact_id is None


async def test_photo(
    client: httpx.AsyncClient, add_contact: AddContact, add_photo: Callable[..., int]
) -> None:
    contact_id = add_contact(name="Olivia Hartley")
    path = f"/api/contacts/{contact_id}/photo"
    missing = await client.get(path, headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

    add_photo(contact_id, b"\x89PNG old", mime_type="image/png", age=timedelta(minutes=1))
    add_photo(contact_id, b"\x89PNG new", mime_type="image/png")
    response = await client.get(path, headers=AUTH)
    assert response.status_code == 200
    assert response.content == b"\x89PNG new"
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("inline")


async def test_photo_of_another_type_is_a_download(
    client: httpx.AsyncClient, add_contact: AddContact, add_photo: Callable[..., int]
) -> None:
    contact_id = add_contact(name="Olivia Hartley")
    add_photo(contact_id, b"<script>alert(1)</script>", mime_type="text/html")
    response = await client.get(f"/api/contacts/{contact_id}/photo", headers=AUTH)
    assert response.headers["content-type"].startswith("text/html")  # as stored...
    assert response.headers["content-disposition"].startswith("attachment")  # ...never a page
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_viewer_may_not_write(
    client: httpx.AsyncClient, add_contact: AddContact, issue: Issue
) -> None:
    contact_id = add_contact(name="Olivia Hartley")
    viewer = issue(Scope.VIEWER, None)
    path = f"/api/contacts/{contact_id}"
    for response in (
        await client.patch(path, json={"name": "Changed"}, headers=viewer),
        await client.delete(path, headers=viewer),
    ):
        assert response.status_code == 403
        assert "contacts:write" in response.json()["error"]["message"]
    # A viewer still reads, photo included.
    assert (await client.get(path, headers=viewer)).json()["name"] == "Olivia Hartley"
    assert (await client.get(f"{path}/photo", headers=viewer)).status_code == 404


async def test_channel_isolation_of_every_new_endpoint(
    client: httpx.AsyncClient,
    add_contact: AddContact,
    add_photo: Callable[..., int],
    issue: Issue,
) -> None:
    ours = add_contact(channel="crm.sales", name="Anna Mine", phones=["+74950000001"])
    theirs = add_contact(channel="crm.support", name="Boris Theirs", phones=["+74950000002"])
    add_photo(ours, b"anna")
    add_photo(theirs, b"boris")
    admin_a = issue(Scope.ADMIN, ["crm.sales"])
    gap = 2**31 - 1  # an id nobody has: the other channel's must read the same

    for contact_id in (theirs, gap):
        path = f"/api/contacts/{contact_id}"
        for response in (
            await client.patch(path, json={"name": "Hijacked"}, headers=admin_a),
            await client.delete(path, headers=admin_a),
            await client.get(f"{path}/photo", headers=admin_a),
        ):
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"]["message"] == f"contact {contact_id} does not exist"
            assert "Boris" not in response.text

    # Untouched, as the other channel's token sees it.
    admin_b = issue(Scope.ADMIN, ["crm.support"])
    theirs_now = await client.get(f"/api/contacts/{theirs}", headers=admin_b)
    assert theirs_now.json()["name"] == "Boris Theirs"
    assert (await client.get(f"/api/contacts/{theirs}/photo", headers=admin_b)).content == b"boris"

    # The same token does reach its own channel's contact.
    assert (await client.get(f"/api/contacts/{ours}/photo", headers=admin_a)).content == b"anna"
    patched = await client.patch(f"/api/contacts/{ours}", json={"name": "Anna"}, headers=admin_a)
    assert patched.json()["name"] == "Anna"
    assert (await client.delete(f"/api/contacts/{ours}", headers=admin_a)).status_code == 204
