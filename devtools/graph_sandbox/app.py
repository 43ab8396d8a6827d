"""The sandbox application: the parts of Meta's Graph API that ibbase calls, run locally.

``create_app(config)`` builds it; ``ibbase sandbox`` serves it. Meta's endpoints
live under ``/{version}/…`` (``v25.0``) and need a token (``debug_token`` and
``oauth/access_token`` are served unversioned too, as Meta does); ``/sandbox/…`` is the
sandbox's own control surface (recorded messages, injected faults, inbound media, accounts,
subscription state, approved templates, users' inbound messages for the 24-hour window).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from graph_sandbox import (
    accounts_control,
    control,
    media_api,
    messages_api,
    phone_numbers_api,
    subscriptions_api,
    tokens_api,
)
from graph_sandbox.config import SandboxConfig
from graph_sandbox.errors import (
    GraphError,
    graph_error_handler,
    invalid_parameter,
    unknown_path,
    unversioned,
)
from graph_sandbox.state import VERSION_RE, Sandbox

# Paths Meta serves without a version (plus the sandbox's own and the media downloads).
UNVERSIONED_ROOTS = ("sandbox", "whatsapp_business", "debug_token", "oauth")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return await graph_error_handler(request, invalid_parameter(details))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    first = path.strip("/").split("/", 1)[0]
    if first not in UNVERSIONED_ROOTS and not VERSION_RE.fullmatch(first):
        error = unversioned(path)
    elif exc.status_code == 405:
        error = GraphError(400, 100, f"Unsupported {request.method.lower()} request.")
    else:
        error = unknown_path(path)
    return await graph_error_handler(request, error)


def create_app(config: SandboxConfig) -> FastAPI:
    app = FastAPI(
        title="ibbase Graph API sandbox",
        description="A local stand-in for the parts of Meta's WhatsApp Cloud API ibbase calls.",
        openapi_url="/sandbox/openapi.json",
        docs_url="/sandbox/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/sandbox/docs/oauth2-redirect",
    )
    app.state.sandbox = Sandbox.create(config)
    app.add_exception_handler(GraphError, graph_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Order matters: the fixed paths before the /{version}/{id} patterns.
    app.include_router(control.router)
    app.include_router(accounts_control.router)
    app.include_router(media_api.lookaside)
    app.include_router(tokens_api.router)
    app.include_router(subscriptions_api.router)
    app.include_router(messages_api.router)
    app.include_router(media_api.graph)
    app.include_router(phone_numbers_api.router)
    return app
