"""The review pages over HTTP, without a browser: the gateway's own app (``create_app``) on
the test's database, its lifespan's sessions set by hand (the pages need nothing else)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.app import create_app
from gateway.auth.service import revoke_token
from gateway.auth.tokens import Scope, token_id_of
from gateway.db import transaction
from gateway.models import CardImage, Contact
from gateway.settings import Settings
from tests.gateway.ui.conftest import AddCard, Issue, card_jpeg, csrf_of

Client = Callable[..., Any]


@pytest.fixture
def client(sessions: sessionmaker[Session]) -> Client:
    """``async with client(**settings) as http``: a client of a fresh app."""

    @asynccontextmanager
    async def open_client(
        base_url: str = "http://gw.test", **settings: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(Settings(admin_token=SecretStr("bootstrap-ui-test"), **settings))
        app.state.sessions = sessions
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http

    return open_client


async def post_login(http: httpx.AsyncClient, token: str) -> httpx.Response:
    """Post the login form as the browser does: with the CSRF token of the form it got."""
    form = await http.get("/ui/login")
    return await http.post("/ui/login", data={"token": token, "csrf": csrf_of(form)})


async def sign_in(http: httpx.AsyncClient, token: str) -> str:
    """Sign in; the CSRF token of the session's forms."""
    response = await post_login(http, token)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ui"
    return csrf_of(await http.get("/ui"))


def stored(sessions: sessionmaker[Session], contact_id: int) -> Contact | None:
    with sessions() as session:
        contact = session.get(Contact, contact_id)
        if contact is not None:
            session.expunge(contact)
        return contact


async def test_every_page_redirects_to_login_without_a_valid_cookie(
    client: Client, add_card: AddCard
) -> None:
    contact_id = add_card(name="Anna", photo=card_jpeg())
    paths = ["/ui", "/ui?q=anna", f"/ui/contacts/{contact_id}", f"/ui/contacts/{contact_id}/photo"]
    async with client() as http:
        for path in paths:
            response = await http.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"] == "/ui/login"
        for action in ("", "/confirm", "/delete"):
            response = await http.post(f"/ui/contacts/{contact_id}{action}", data={"csrf": "x"})
            assert response.status_code == 303
            assert response.headers["location"] == "/ui/login"
        # A stale or forged cookie: the same, and the cookie is cleared.
        http.cookies.set("ibbase_ui", "ibb_000000000000_" + "x" * 43, path="/ui")
        response = await http.get("/ui")
        assert response.status_code == 303
        assert 'ibbase_ui=""' in response.headers["set-cookie"]
        login = await http.get("/ui/login")
        assert login.status_code == 200 and 'name="token"' in login.text


async def test_sign_in_sets_a_strict_http_only_cookie(client: Client, issue: Issue) -> None:
    token = issue(Scope.VIEWER)
    async with client() as http:
        response = await post_login(http, token)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert f"ibbase_ui={token};" in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
        assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
        page = await http.get("/ui")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    async with client(base_url="https://gw.test") as http:
        response = await post_login(http, token)
        assert "Secure" in response.headers["set-cookie"]


async def test_a_wrong_token_stays_on_login_and_failures_are_rate_limited(
    client: Client,
) -> None:
    async with client(api_failed_auth_per_s=0.001, api_failed_auth_burst=2) as http:
        for _ in range(2):
            response = await post_login(http, "ibb_nope")
            assert response.status_code == 401
            assert "this API token is not valid" in response.text
            assert "ibbase_ui=" not in response.headers.get("set-cookie", "")
        # The API's failed-authentication bucket for this client is empty now.
        response = await post_login(http, "ibb_nope")
        assert response.status_code == 429
        assert "too many requests" in response.text
        assert int(response.headers["retry-after"]) >= 1


async def test_the_login_form_refuses_a_post_from_elsewhere(client: Client, issue: Issue) -> None:
    """A form posted by another site carries no nonce cookie (SameSite=Strict) and no
    token of ours: nobody is signed in, not even into the attacker's own account."""
    token = issue(Scope.VIEWER)
    async with client() as http:
        for data in ({"token": token}, {"token": token, "csrf": "0" * 64}):
            response = await http.post("/ui/login", data=data)
            assert response.status_code == 403 and "expired" in response.text
            assert "ibbase_ui=" not in response.headers.get("set-cookie", "")
        assert (await post_login(http, token)).status_code == 303


async def test_a_token_sees_only_its_channels_contacts(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    mine = add_card(channel="crm.a", name="Anna Mine", phones=["+74950000001"], photo=card_jpeg())
    theirs = add_card(
        channel="crm.b", name="Boris Theirs", phones=["+74950000002"], photo=card_jpeg("B")
    )
    async with client() as http:
        csrf = await sign_in(http, issue(Scope.ADMIN, ["crm.a"]))
        page = await http.get("/ui")
        assert "Anna Mine" in page.text and "Boris Theirs" not in page.text
        assert (await http.get(f"/ui/contacts/{mine}")).status_code == 200
        photo = await http.get(f"/ui/contacts/{mine}/photo")
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        assert photo.content == card_jpeg()
        for path in (f"/ui/contacts/{theirs}", f"/ui/contacts/{theirs}/photo"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "Boris" not in response.text
        response = await http.post(
            f"/ui/contacts/{theirs}", data={"csrf": csrf, "name": "Taken Over"}
        )
        assert response.status_code == 404
        response = await http.post(f"/ui/contacts/{theirs}/delete", data={"csrf": csrf})
        assert response.status_code == 404
    untouched = stored(sessions, theirs)
    assert untouched is not None and untouched.name == "Boris Theirs"


async def test_a_revoked_token_stops_at_once(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    contact_id = add_card(name="Anna")
    token = issue(Scope.VIEWER)
    async with client() as http:
        await sign_in(http, token)
        assert (await http.get(f"/ui/contacts/{contact_id}")).status_code == 200
        with transaction(sessions) as session:
            token_id = token_id_of(token)
            assert token_id is not None
            revoke_token(session, token_id)
        response = await http.get(f"/ui/contacts/{contact_id}")
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/login"
        # Signing in with it again says why.
        response = await post_login(http, token)
        assert response.status_code == 401 and "revoked" in response.text


async def test_a_post_without_the_csrf_token_is_refused(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    contact_id = add_card(name="Anna", company="Acme")
    async with client() as http:
        csrf = await sign_in(http, issue(Scope.ADMIN))
        for data in ({"company": "Forged"}, {"company": "Forged", "csrf": "0" * 64}):
            for action in ("", "/confirm", "/delete"):
                response = await http.post(f"/ui/contacts/{contact_id}{action}", data=data)
                assert response.status_code == 403, (action, data)
                assert "did not come from this page" in response.text
        # Another session's token is no better: it is bound to the cookie.
        async with client() as other:
            other_csrf = await sign_in(other, issue(Scope.ADMIN))
        assert other_csrf != csrf
        response = await http.post(
            f"/ui/contacts/{contact_id}", data={"company": "Forged", "csrf": other_csrf}
        )
        assert response.status_code == 403
        contact = stored(sessions, contact_id)
        assert contact is not None
        assert contact.company == "Acme" and contact.confirmed_at is None
        # Logging out is a POST with the token too.
        assert (await http.post("/ui/logout")).status_code == 403
        response = await http.post("/ui/logout", data={"csrf": csrf})
        assert response.status_code == 303 and response.headers["location"] == "/ui/login"
        assert (await http.get("/ui")).status_code == 303


async def test_an_invalid_phone_is_a_422_page_and_nothing_changes(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    contact_id = add_card(name="Anna", company="Acme", phones=["+74950000001"])
    async with client() as http:
        csrf = await sign_in(http, issue(Scope.ADMIN))
        form = {
            "csrf": csrf,
            "name": "Anna",
            "company": "Acme Renamed",
            "phones": "+74950000001, call me maybe",
        }
        response = await http.post(f"/ui/contacts/{contact_id}", data=form)
        assert response.status_code == 422
        assert 'id="error"' in response.text
        # The form keeps what was typed, to be fixed.
        assert 'value="+74950000001, call me maybe"' in response.text
        assert 'value="Acme Renamed"' in response.text
    contact = stored(sessions, contact_id)
    assert contact is not None and contact.company == "Acme"
    with sessions() as session:
        fresh = session.get(Contact, contact_id)
        assert fresh is not None and [p.phone for p in fresh.phones] == ["+74950000001"]


async def test_save_confirm_and_delete(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    contact_id = add_card(
        name="Anna", company="Acme", confidence={"name": 0.95, "company": 0.3}, photo=card_jpeg()
    )
    async with client() as http:
        csrf = await sign_in(http, issue(Scope.ADMIN))
        page = await http.get(f"/ui/contacts/{contact_id}")
        assert 'class="field uncertain"' in page.text  # the company, read at 0.3
        form = {"csrf": csrf, "name": "Anna", "company": "Acme Corp", "note": "met at the fair"}
        response = await http.post(f"/ui/contacts/{contact_id}", data=form)
        assert response.status_code == 303
        page = await http.get(response.headers["location"])
        assert "Saved: Company, Note." in page.text
        assert 'class="field uncertain"' not in page.text  # a person fixed it
        response = await http.post(f"/ui/contacts/{contact_id}/confirm", data={"csrf": csrf})
        assert response.status_code == 303
        contact = stored(sessions, contact_id)
        assert contact is not None
        assert (contact.company, contact.note) == ("Acme Corp", "met at the fair")
        assert contact.confirmed_at is not None
        response = await http.post(f"/ui/contacts/{contact_id}/delete", data={"csrf": csrf})
        assert response.status_code == 303 and response.headers["location"].startswith("/ui?")
        assert (await http.get(f"/ui/contacts/{contact_id}")).status_code == 404
    assert stored(sessions, contact_id) is None


async def test_a_viewer_reads_but_may_not_write(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    contact_id = add_card(name="Anna <i>Smith</i>", company="Acme")
    async with client() as http:
        csrf = await sign_in(http, issue(Scope.VIEWER))
        page = await http.get(f"/ui/contacts/{contact_id}")
        assert page.status_code == 200
        assert "Anna &lt;i&gt;Smith&lt;/i&gt;" in page.text and "<i>" not in page.text
        assert 'id="save"' not in page.text and "readonly" in page.text
        for action in ("", "/confirm", "/delete"):
            response = await http.post(
                f"/ui/contacts/{contact_id}{action}", data={"csrf": csrf, "company": "X"}
            )
            assert response.status_code == 403, action
    contact = stored(sessions, contact_id)
    assert contact is not None and contact.company == "Acme" and contact.confirmed_at is None


async def test_the_list_is_newest_first_searchable_and_paged(
    client: Client, add_card: AddCard, issue: Issue
) -> None:
    ids = [add_card(name=f"Person {i:02d}", phones=[f"+7495000{i:04d}"]) for i in range(30)]
    async with client() as http:
        await sign_in(http, issue(Scope.VIEWER))
        first = (await http.get("/ui")).text
        assert "1–25 of 30" in first
        assert first.index(f'id="contact-{ids[-1]}"') < first.index(f'id="contact-{ids[-2]}"')
        assert f'id="contact-{ids[4]}"' not in first and 'rel="next"' in first
        second = (await http.get("/ui", params={"offset": 25})).text
        assert "26–30 of 30" in second and f'id="contact-{ids[0]}"' in second
        assert 'rel="prev"' in second and 'rel="next"' not in second
        found = (await http.get("/ui", params={"q": "person 07"})).text
        assert "1–1 of 1" in found and f'id="contact-{ids[7]}"' in found
        by_phone = (await http.get("/ui", params={"q": "+7 495 000 0012"})).text
        assert f'id="contact-{ids[12]}"' in by_phone


async def test_a_photo_that_is_no_image_is_only_a_download(
    client: Client, sessions: sessionmaker[Session], add_card: AddCard, issue: Issue
) -> None:
    contact_id = add_card(name="Anna", photo=b"<script>alert(1)</script>")
    with transaction(sessions) as session:
        for image in session.scalars(select(CardImage).where(CardImage.contact_id == contact_id)):
            image.mime_type = "text/html"
    async with client() as http:
        await sign_in(http, issue(Scope.VIEWER))
        response = await http.get(f"/ui/contacts/{contact_id}/photo")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-disposition"].startswith("attachment")
        assert response.headers["x-content-type-options"] == "nosniff"
        etag = response.headers["etag"]
        again = await http.get(f"/ui/contacts/{contact_id}/photo", headers={"If-None-Match": etag})
        assert again.status_code == 304
