"""kopf wiring: which events call the reconciler, and kopf's own settings.

Handlers are registered on an explicit :class:`kopf.OperatorRegistry` (not kopf's global
one), so one process — or one test — can run several operators side by side. They stay
thin: change handlers retry through kopf's TemporaryError until a pass has nothing pending;
the timer re-runs the pass for drift, token checks and rotation.
"""

from __future__ import annotations

import logging
from typing import Any

import kopf

from ibbase_operator import resource as res
from ibbase_operator.kube import KubeConfig
from ibbase_operator.reconcile import Reconciler
from ibbase_operator.settings import OperatorSettings

RESOURCE = (res.GROUP, res.VERSION, res.PLURAL)

# Every handler has an explicit id. kopf keys a change handler's progress annotations by its
# id (``ibbase.io/build_registry._locals_.reconcile``, ``….reconcile.spec`` for the update
# handler, which kopf suffixes with the field) while it retries. Before the ids were explicit,
# kopf derived them from the functions' qualified names: those ids are kept, so that an
# upgrade finds the progress of a channel caught mid-retry and does not run its handlers
# again. Timers and start-up activities keep no persisted progress; they get plain ids.
RECONCILE_ID = "build_registry.<locals>.reconcile"
DELETE_ID = "build_registry.<locals>.delete"
RESYNC_ID = "resync"
CONFIGURE_ID = "configure"
LOGIN_ID = "login"


def _namespace(namespace: str | None) -> str:
    # kopf types ``namespace`` for cluster-scoped resources too; a WhatsAppChannel is
    # namespaced (the CRD says so), so kopf always passes one.
    if namespace is None:
        raise kopf.PermanentError("a WhatsAppChannel is namespaced; got none")
    return namespace


def build_registry(settings: OperatorSettings, kube: KubeConfig) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()

    @kopf.on.startup(id=CONFIGURE_ID, registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        settings.peering.standalone = True
        # Our own markers, so the resource shows what manages it.
        settings.persistence.finalizer = "ibbase.io/webhook-registration"
        settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix="ibbase.io")
        settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
            prefix="ibbase.io", key="last-handled-configuration"
        )
        # The reconciler posts its own Events for transitions; kopf's log-as-event would
        # repeat them, at every retry.
        settings.posting.enabled = False
        settings.watching.server_timeout = 300
        settings.watching.client_timeout = 330
        settings.networking.request_timeout = 60
        settings.queueing.worker_limit = 100
        # A timer caught mid-pass at shutdown finishes its pass (bounded by the HTTP
        # timeouts); check for that every second, not kopf's default minute.
        settings.background.cancellation_polling = 1.0

    @kopf.on.login(id=LOGIN_ID, registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        # Built from our own config at call time: kubernetes_asyncio would read KUBECONFIG at
        # import time, and a rotated service-account token must be picked up on re-login.
        return kopf.ConnectionInfo(
            server=kube.server,
            ca_path=kube.ca_file,
            insecure=kube.insecure or None,
            scheme="Bearer" if kube.bearer() else None,
            token=kube.bearer(),
            certificate_path=kube.client_cert,
            private_key_path=kube.client_key,
            default_namespace=kube.default_namespace,
        )

    @kopf.on.resume(*RESOURCE, id=RECONCILE_ID, registry=registry)
    @kopf.on.create(*RESOURCE, id=RECONCILE_ID, registry=registry)
    @kopf.on.update(*RESOURCE, id=RECONCILE_ID, field="spec", registry=registry)
    async def reconcile(namespace: str | None, name: str, retry: int, memo: Any, **_: Any) -> None:
        reconciler: Reconciler = memo.reconciler
        outcome = await reconciler.reconcile(_namespace(namespace), name, attempt=retry)
        if outcome.retry_in is not None:
            raise kopf.TemporaryError(outcome.message, delay=outcome.retry_in)

    @kopf.timer(*RESOURCE, id=RESYNC_ID, interval=settings.resync_interval_s, registry=registry)
    async def resync(namespace: str | None, name: str, memo: Any, **_: Any) -> None:
        reconciler: Reconciler = memo.reconciler
        await reconciler.reconcile(_namespace(namespace), name)

    @kopf.on.delete(*RESOURCE, id=DELETE_ID, registry=registry)
    async def delete(body: kopf.Body, retry: int, memo: Any, **_: Any) -> None:
        reconciler: Reconciler = memo.reconciler
        outcome = await reconciler.cleanup(dict(body), attempt=retry)
        if outcome.retry_in is not None:
            raise kopf.TemporaryError(outcome.message, delay=outcome.retry_in)

    return registry


def quiet_loggers() -> None:
    """kopf logs every handler success at INFO; httpx logs every request URL at INFO, and
    Meta's debug_token and token exchange carry tokens in the query. Keep their warnings."""
    for name in ("kopf", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
