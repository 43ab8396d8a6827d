"""The operator's Prometheus metrics, and the small HTTP server that serves them with
``/healthz`` on ``IBBASE_OPERATOR_HEALTH_PORT``.

The server runs in the operator's event loop (not in a thread, as prometheus_client's own
does), so ``/healthz`` answering means the loop that reconciles is alive. It answers on a
standby replica too, which waits for the leader Lease without running kopf: the kubelet must
not restart it for waiting. Metrics live in a registry of their own, so a test process that
runs the gateway beside the operator serves each one only its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

RECONCILES = Counter(
    "ibbase_operator_reconciles_total",
    "Reconcile passes by how they ended: ready, waiting (a step will be retried), blocked "
    "(waits for a change of the spec or the credentials), error (an unexpected exception).",
    ["result"],
    registry=REGISTRY,
)
RECONCILE_ERRORS = Counter(
    "ibbase_operator_reconcile_errors_total",
    "Passes and deletions that failed with an unexpected exception, by its type.",
    ["kind"],
    registry=REGISTRY,
)
RECONCILE_SECONDS = Histogram(
    "ibbase_operator_reconcile_duration_seconds",
    "How long one reconcile pass took.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
META_CALLS = Counter(
    "ibbase_operator_meta_calls_total",
    "Graph API calls by call and outcome: ok, temporary (5xx, timeouts, 2200), rate_limited, "
    "permanent (Meta refused), no_answer (never reached Meta).",
    ["call", "outcome"],
    registry=REGISTRY,
)
DRIFT_CHECKS = Counter(
    "ibbase_operator_drift_checks_total",
    "Periodic reads of a registration back from Meta: checked, or skipped because the hourly "
    "budget of Meta calls of the channel's WABA was spent.",
    ["result"],
    registry=REGISTRY,
)
TOKEN_EXPIRY = Gauge(
    "ibbase_operator_token_expiry_timestamp_seconds",
    "When the access token a channel uses expires (Unix time; +Inf: never).",
    ["namespace", "name"],
    registry=REGISTRY,
)
DELETIONS_STUCK = Gauge(
    "ibbase_operator_deletions_waiting_for_meta",
    "Channels being deleted whose registration Meta has not yet confirmed removed after "
    "IBBASE_OPERATOR_DELETE_ATTEMPTS attempts.",
    registry=REGISTRY,
)
LEADER = Gauge(
    "ibbase_operator_leader",
    "1 while this replica holds the leader Lease and reconciles, else 0.",
    registry=REGISTRY,
)


def forget_channel(namespace: str, name: str) -> None:
    """Drop a deleted channel's series."""
    try:
        TOKEN_EXPIRY.remove(namespace, name)
    except KeyError:
        pass


async def _healthz(_: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def _metrics(_: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


@asynccontextmanager
async def serving(port: int, host: str = "0.0.0.0") -> AsyncIterator[None]:
    """``/healthz`` and ``/metrics`` on ``port`` for the block (nothing when port is 0)."""
    if not port:
        yield
        return
    app = web.Application()
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/metrics", _metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield
    finally:
        await runner.cleanup()
