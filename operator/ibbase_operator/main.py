"""Run the operator: ``ibbase operator`` in a pod, or :func:`run` in a thread in tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading

import kopf

from ibbase_operator.handlers import build_registry, quiet_loggers
from ibbase_operator.kube import KubeClient, KubeConfig
from ibbase_operator.leader import LeadershipLost, LeaseElector
from ibbase_operator.meta import MetaAdmin
from ibbase_operator.metrics import serving
from ibbase_operator.reconcile import Reconciler
from ibbase_operator.registration import Probe
from ibbase_operator.settings import OperatorSettings
from whatsapp_cloud.probe import probe_callback

USER_AGENT = "ibbase-operator"


async def run(
    settings: OperatorSettings,
    kube: KubeConfig,
    *,
    stop_flag: asyncio.Event | threading.Event | None = None,
    ready_flag: asyncio.Event | threading.Event | None = None,
    probe: Probe | None = None,
) -> None:
    """Watch ``settings.namespaces`` (all when empty) until ``stop_flag`` is set.

    With leader election on, kopf starts only once this replica holds the Lease (``/healthz``
    and ``/metrics`` answer meanwhile), and a lost Lease stops it with
    :class:`~ibbase_operator.leader.LeadershipLost`.

    kopf cancels every task of the loop it runs in when it stops, so give it a loop of its
    own (``asyncio.run`` in a thread) when something else shares the process.
    """
    quiet_loggers()
    client = KubeClient(kube, user_agent=USER_AGENT)
    meta = MetaAdmin(settings.graph_url, timeout_s=settings.graph_timeout_s)
    # One event for kopf to stop on: the caller's flag, or a lost Lease. These tasks exist
    # before kopf starts, so kopf's shutdown leaves them to us.
    stop = asyncio.Event()
    follower = asyncio.create_task(_follow(stop_flag, stop)) if stop_flag is not None else None
    elector = (
        LeaseElector(
            client,
            settings.lease_ns,
            settings.lease_name,
            duration_s=settings.lease_duration_s,
            renew_deadline_s=settings.lease_renew_deadline_s,
            retry_s=settings.lease_retry_s,
        )
        if settings.leader_election
        else None
    )
    keeper: asyncio.Task[str | None] | None = None
    try:
        async with serving(settings.health_port):
            if elector is not None:
                if not await elector.acquire(stop):
                    return  # stopped while standing by
                keeper = asyncio.create_task(elector.keep(stop))
            reconciler = Reconciler(client, meta, settings, probe=probe or probe_callback)
            await kopf.operator(
                registry=build_registry(settings, kube),
                memo=kopf.Memo(reconciler=reconciler),
                clusterwide=not settings.namespaces,
                namespaces=settings.namespaces,
                standalone=True,
                stop_flag=stop,
                ready_flag=ready_flag,
            )
            lost = await _finish(keeper, stop)
            if lost:
                raise LeadershipLost(lost)
            if elector is not None:
                await elector.release()
    finally:
        for task in (keeper, follower):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await meta.aclose()
        await client.aclose()
        # Closed TLS transports (these clients', kopf's) finish closing on a later turn of
        # the loop; give them one before asyncio.run closes it, or their sockets are left to
        # the garbage collector (aiohttp documents the same for its sessions).
        await asyncio.sleep(0.25)


async def _finish(keeper: asyncio.Task[str | None] | None, stop: asyncio.Event) -> str | None:
    """Stop renewing; why the Lease was lost, if it was."""
    if keeper is None:
        return None
    stop.set()
    return await keeper


async def _follow(flag: asyncio.Event | threading.Event, stop: asyncio.Event) -> None:
    """Set ``stop`` once the caller's flag is set (a thread's flag is polled)."""
    if isinstance(flag, asyncio.Event):
        await flag.wait()
    else:
        while not flag.is_set():  # noqa: ASYNC110 (a thread's Event cannot be awaited)
            await asyncio.sleep(0.1)
    stop.set()
