"""Run the operator: ``ibbase operator`` in a pod, or :func:`run` in a thread in tests."""

from __future__ import annotations

import asyncio
import threading

import kopf

from ibbase_operator.handlers import build_registry, quiet_loggers
from ibbase_operator.kube import KubeClient, KubeConfig
from ibbase_operator.meta import MetaAdmin
from ibbase_operator.reconcile import Reconciler
from ibbase_operator.registration import Probe
from ibbase_operator.settings import OperatorSettings
from whatsapp_cloud.probe import probe_callback


async def run(
    settings: OperatorSettings,
    kube: KubeConfig,
    *,
    stop_flag: asyncio.Event | threading.Event | None = None,
    ready_flag: asyncio.Event | threading.Event | None = None,
    probe: Probe | None = None,
) -> None:
    """Watch ``settings.namespaces`` (all when empty) until ``stop_flag`` is set.

    kopf cancels every task of the loop it runs in when it stops, so give it a loop of its
    own (``asyncio.run`` in a thread) when something else shares the process.
    """
    quiet_loggers()
    client = KubeClient(kube)
    meta = MetaAdmin(settings.graph_url, timeout_s=settings.graph_timeout_s)
    reconciler = Reconciler(client, meta, settings, probe=probe or probe_callback)
    liveness = f"http://0.0.0.0:{settings.health_port}/healthz" if settings.health_port else None
    try:
        await kopf.operator(
            registry=build_registry(settings, kube),
            memo=kopf.Memo(reconciler=reconciler),
            clusterwide=not settings.namespaces,
            namespaces=settings.namespaces,
            standalone=True,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
            liveness_endpoint=liveness,
        )
    finally:
        await meta.aclose()
        await client.aclose()
