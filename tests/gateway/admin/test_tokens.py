"""API tokens against the real gateway: hashed, scoped (admin sends and reads, viewer only
reads), revocable, expiring; the bootstrap IBBASE_ADMIN_TOKEN keeps working."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.service import create_token, revoke_token
from gateway.auth.tokens import Scope, token_id_of
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.models import ApiToken, User
from tests.harness import admin_headers, sandbox_messages

Issue = Callable[..., str]
TO = "79001234567"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def db(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def issue(db: sessionmaker[Session]) -> Issue:
    """Create a token in the database as `ibbase admin token create` does; its value."""

    def issue(scope: Scope, *, expires_in: timedelta | None = None, **kw: Any) -> str:
        kw.setdefault("channels", None)
        with transaction(db) as session:
            token, _ = create_token(
                session, name=f"{scope}-test", scope=scope, expires_in=expires_in, **kw
            )
        return token.value

    return issue


@pytest.fixture
def in_window(db: sessionmaker[Session]) -> str:
    """A user who wrote an hour ago, so that a free-form send is allowed."""
    with transaction(db) as session:
        session.add(
            User(
                user_key=f"wa:{TO}",
                wa_id=TO,
                last_inbound_at=datetime.now(UTC) - timedelta(hours=1),
            )
        )
    return TO


async def send(pipeline, headers: dict[str, str], to: str = TO):
    return await pipeline.http.post(
        f"{pipeline.gateway.url}/api/whatsapp/send",
        json={"to": to, "message": "hello"},
        headers=headers,
    )


async def contacts(pipeline, headers: dict[str, str]):
    return await pipeline.http.get(f"{pipeline.gateway.url}/api/contacts", headers=headers)


async def test_admin_token_sends_and_reads(pipeline, issue: Issue, in_window: str) -> None:
    token = issue(Scope.ADMIN)
    assert (await contacts(pipeline, bearer(token))).status_code == 200
    response = await send(pipeline, bearer(token))
    assert response.status_code == 200, response.text
    sent = await sandbox_messages(pipeline.http, pipeline.sandbox_url, to=in_window)
    assert [m["text"]["body"] for m in sent] == ["hello"]


async def test_viewer_token_reads_but_may_not_send(pipeline, issue: Issue, in_window: str) -> None:
    token = issue(Scope.VIEWER)
    assert (await contacts(pipeline, bearer(token))).status_code == 200
    response = await send(pipeline, bearer(token))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden"
    assert "'viewer'" in error["message"] and "messages:send" in error["message"]
    assert await sandbox_messages(pipeline.http, pipeline.sandbox_url) == []


async def test_bootstrap_admin_token_keeps_working(pipeline, in_window: str) -> None:
    headers = admin_headers(pipeline.settings)
    assert (await contacts(pipeline, headers)).status_code == 200
    assert (await send(pipeline, headers)).status_code == 200


async def test_revoked_token_is_refused(pipeline, issue: Issue, db) -> None:
    token = issue(Scope.VIEWER)
    assert (await contacts(pipeline, bearer(token))).status_code == 200
    with transaction(db) as session:
        assert revoke_token(session, token_id_of(token) or "") is not None
    response = await contacts(pipeline, bearer(token))
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthorized", "message": "this API token was revoked"}
    }
    assert response.headers["www-authenticate"] == "Bearer"


async def test_expired_token_is_refused(pipeline, issue: Issue) -> None:
    token = issue(
        Scope.ADMIN, expires_in=timedelta(days=1), now=datetime.now(UTC) - timedelta(days=2)
    )
    response = await contacts(pipeline, bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("this API token expired at ")
    live = issue(Scope.ADMIN, expires_in=timedelta(days=30))
    assert (await contacts(pipeline, bearer(live))).status_code == 200


async def test_unknown_and_malformed_tokens_are_401(pipeline, issue: Issue, db) -> None:
    token = issue(Scope.ADMIN)
    token_id = token_id_of(token)
    with transaction(db) as session:
        revoke_token(session, token_id or "")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for presented in (
        forged,  # the right id with another secret: "not valid", not "revoked"
        "ibb_000000000000_" + "A" * 43,
        "not-a-token",
        pipeline.settings.admin_token.get_secret_value() + "x",
    ):
        response = await contacts(pipeline, bearer(presented))
        assert response.status_code == 401, presented
        assert response.json()["error"] == {
            "code": "unauthorized",
            "message": "this API token is not valid",
        }
        assert presented not in response.text
    for header in ("", "Bearer", f"Basic {token}", token):
        response = await pipeline.http.get(
            f"{pipeline.gateway.url}/api/contacts", headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert "Authorization: Bearer" in response.json()["error"]["message"]


async def test_tokens_are_stored_hashed(pipeline, issue: Issue, db) -> None:
    token = issue(Scope.VIEWER)
    token_id, secret = token.removeprefix("ibb_").split("_", 1)
    assert len(secret) == 43  # 256 random bits
    with db() as session:
        row = session.get(ApiToken, token_id)
        assert row is not None and row.last_used_at is None
        assert row.secret_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in stored)
    assert (await contacts(pipeline, bearer(token))).status_code == 200
    with db() as session:
        assert session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == token_id))
