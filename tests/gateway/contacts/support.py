"""The contacts API as the gateway serves it, for the contacts tests."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.tokens import Scope
from gateway.contacts.endpoints import router
from gateway.deps import ApiLimits
from gateway.errors import ApiError
from gateway.settings import Settings

# A stored token of a scope for some channels (None: every channel), as request headers.
Issue = Callable[[Scope, list[str] | None], dict[str, str]]
TOKEN = "t0ken-for-tests"  # the bootstrap admin token: every channel
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_app(sessions: sessionmaker[Session]) -> FastAPI:
    """The contacts router as the gateway serves it: the same errors, real token checks."""
    app = FastAPI()
    app.state.settings = Settings(admin_token=SecretStr(TOKEN))
    app.state.api_limits = ApiLimits(app.state.settings)
    app.state.sessions = sessions

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.document(), status_code=exc.status_code, headers=exc.headers)

    app.include_router(router)
    return app
