"""The gateway's FastAPI application: Meta webhook → JetStream, admin and contacts API."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import jetstream
from gateway.admin.endpoints import router as admin_router
from gateway.body_limit import BodyLimit
from gateway.channels import open_registry
from gateway.contacts.endpoints import router as contacts_router
from gateway.db import engine_for, make_sessionmaker, ping
from gateway.deps import ApiLimits
from gateway.errors import ApiError
from gateway.metrics import channel_registry_loaded, graph_call
from gateway.settings import Settings
from gateway.ui.endpoints import router as ui_router
from gateway.whatsapp.endpoints import document_signed_posts
from gateway.whatsapp.endpoints import router as webhook_router
from gateway.whatsapp.ingress import WebhookIngress
from whatsapp_cloud.client import GraphClient

log = logging.getLogger(__name__)

# Each check of /readyz and /healthz/database answers within this, whatever hangs: the
# chart's readiness probe gives up after 4 s.
CHECK_TIMEOUT_S = 2.0


class DatabaseProbe:
    """Pings the database for /readyz and /healthz/database, one ping at a time: a database
    that hangs holds one thread, however often the probes ask."""

    def __init__(self) -> None:
        self._ping: asyncio.Future[None] | None = None

    async def check(self, engine: Engine) -> str:
        if self._ping is None or self._ping.done():
            self._ping = asyncio.ensure_future(asyncio.to_thread(ping, engine))
            self._ping.add_done_callback(_retrieve)
        return await _state(asyncio.shield(self._ping))


async def _state(check: Awaitable[object]) -> str:
    """``"ok"``, or ``"unavailable: <exception type>"``: never a message, which may hold
    a host, a user or a URL."""
    try:
        await asyncio.wait_for(check, CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means "unavailable"; report it, don't raise
        return f"unavailable: {type(exc).__name__}"
    return "ok"


def _retrieve(ping: asyncio.Future[None]) -> None:
    # A ping that outlived its probe fails unobserved: asyncio would log it as never retrieved.
    if not ping.cancelled():
        ping.exception()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    engine = engine_for(settings)
    app.state.sessions = make_sessionmaker(engine)
    nc, js = await jetstream.connect(settings.nats_url, name="ibbase-gateway")
    await jetstream.ensure_streams(js, settings)
    app.state.nc, app.state.js = nc, js
    app.state.publisher = jetstream.AckedPublisher(nc, settings.stream)
    await app.state.publisher.start()
    try:
        async with (
            open_registry(
                settings.channels_dir,
                reload_s=settings.channels_reload_s,
                on_reload=channel_registry_loaded,
            ) as channels,
            httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=5.0)) as http,
        ):
            app.state.channels = channels
            app.state.graph = GraphClient(
                http,
                settings.whatsapp_api_url,
                settings.whatsapp_phone_id,
                settings.whatsapp_access_token,
                on_call=graph_call,
            )
            # Everything made so far lives as long as the process: out of the collector's
            # sight, a full collection scans only what requests make (≈ 60 ms → ≈ 1 ms
            # under load; bench/webhook.py's p99 at saturation).
            gc.collect()
            gc.freeze()
            yield
    finally:
        app.state.channels = None
        await jetstream.close(nc)
        engine.dispose()


def create_app(settings: Settings) -> FastAPI:
    # Metrics are Prometheus' (/metrics); FastAPI's OpenTelemetry hooks would otherwise look
    # for providers on every request.
    off: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    app = FastAPI(title="ibbase WhatsApp gateway", lifespan=lifespan, telemetry=off)
    app.state.settings = settings
    app.state.channels = None  # the lifespan opens the registry when one is configured
    app.state.api_limits = ApiLimits(settings)
    app.state.database_probe = DatabaseProbe()
    # Added first, so innermost: every request but the webhook POSTs (answered by the
    # ingress below, with their own limit) has its body limited before routing and
    # authentication; a 413 still gets the CORS headers.
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    if settings.cors_origins:
        # Closed unless origins are configured: no Access-Control-Allow-Origin at all then.
        # Bearer tokens, no cookies: credentials are not allowed.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
            max_age=600,
        )
    # The webhook POSTs, answered before routing (the hot path); see gateway.whatsapp.ingress.
    app.add_middleware(WebhookIngress, state=app.state)
    if settings.trusted_proxies:
        # Outermost: the client's own address (X-Forwarded-For) only from these proxies, so
        # the failed-authentication limit is per client, not per ingress controller.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.include_router(webhook_router)
    app.include_router(admin_router)
    app.include_router(contacts_router)
    app.include_router(ui_router)

    document_signed_posts(app)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            exc.document(),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return JSONResponse(
            {"error": {"code": "invalid_request", "message": problems}}, status_code=422
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def database(request: Request) -> str:
        probe: DatabaseProbe = request.app.state.database_probe
        return await probe.check(request.app.state.sessions.kw["bind"])

    @app.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        # Ready means Meta's webhooks can be stored: JetStream, all they need. The database
        # is reported, not required: the worker waits its outages out, and refusing the
        # webhook for them would turn each into hours of 503s to Meta.
        jetstream_state, database_state = await asyncio.gather(
            _state(request.app.state.js.stream_info(settings.stream)), database(request)
        )
        ready = jetstream_state == "ok"
        return JSONResponse(
            {"ready": ready, "checks": {"jetstream": jetstream_state, "database": database_state}},
            status_code=200 if ready else 503,
        )

    @app.get("/healthz/database")
    async def database_health(request: Request) -> JSONResponse:
        # For monitoring and alerts, never for a probe: the database is not the pod's health.
        state = await database(request)
        return JSONResponse({"database": state}, status_code=200 if state == "ok" else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
