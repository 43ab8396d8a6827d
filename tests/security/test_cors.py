"""CORS is closed by default: no Access-Control-Allow-Origin unless origins are configured,
and then only for those origins."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from gateway.app import create_app
from gateway.settings import Settings

CRM = "https://crm.example.com"
EVIL = "https://evil.example.net"


@asynccontextmanager
async def client(**settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    # No lifespan: the CORS middleware and the auth dependency need neither NATS nor a DB.
    app = create_app(Settings(admin_token=SecretStr("cors-admin-token"), **settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def preflight(origin: str, method: str = "GET") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization",
    }


def cors_headers(response: httpx.Response) -> set[str]:
    return {k for k in response.headers if k.lower().startswith("access-control-")}


async def test_closed_by_default() -> None:
    async with client() as http:
        for path in ("/api/contacts", "/api/whatsapp/send", "/api/whatsapp/webhook"):
            response = await http.options(path, headers=preflight(CRM, "POST"))
            assert cors_headers(response) == set(), path
            assert response.status_code >= 400
        plain = await http.get("/healthz", headers={"Origin": CRM})
        assert plain.status_code == 200 and cors_headers(plain) == set()
        refused = await http.get("/api/contacts", headers={"Origin": CRM})
        assert refused.status_code == 401 and cors_headers(refused) == set()


async def test_open_to_configured_origins_only() -> None:
    async with client(cors_origins=[CRM, "http://localhost:3000"]) as http:
        allowed = await http.options("/api/contacts", headers=preflight(CRM))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == CRM
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert "GET" in allowed.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in allowed.headers  # bearer, no cookies

        other = await http.options("/api/contacts", headers=preflight(EVIL))
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers

        # Actual requests: the allowed origin can read even an error; another cannot.
        refused = await http.get("/api/contacts", headers={"Origin": CRM})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == CRM
        assert "retry-after" in refused.headers["access-control-expose-headers"].lower()
        foreign = await http.get("/api/contacts", headers={"Origin": EVIL})
        assert "access-control-allow-origin" not in foreign.headers


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ("", []),
        ("https://crm.example.com/, http://localhost:3000", [CRM, "http://localhost:3000"]),
        ('["https://crm.example.com"]', [CRM]),
    ],
)
def test_origins_from_the_environment(monkeypatch, env: str, expected: list[str]) -> None:
    monkeypatch.setenv("IBBASE_CORS_ORIGINS", env)
    assert Settings().cors_origins == expected


@pytest.mark.parametrize("origin", ["crm.example.com", "https://crm.example.com/app", "ftp://x"])
def test_origins_must_be_origins(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(cors_origins=[origin])
