"""kopf 1.45, unmodified, runs a small operator against the emulator.

The operator runs in its own thread and event loop (kopf cancels every task of the loop it
runs in), logs in through a ``@kopf.on.login`` handler that reads the kubeconfig when called,
and persists its state in annotations. Its status writes go to the ``/status`` subresource
and are declared in the CRD's schema, so they survive pruning: kopf compares each merge-patch
with the object the server returns and warns "Merge-patching finished with inconsistencies"
when a field did not stick (an undeclared, pruned status field does exactly that), and any
kopf warning or error fails this test.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import kmock
import kopf
import yaml

from kube_emulator import KubeEmulator
from tests.kube_emulator.support import MERGE

SPROCKETS = "/apis/example.com/v1/namespaces/default/sprockets"
SPROCKETS_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "sprockets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "sprockets", "singular": "sprocket", "kind": "Sprocket"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                    {"name": "Ticks", "type": "integer", "jsonPath": ".status.ticks"},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {"size": {"type": "integer", "minimum": 1}},
                            },
                            "status": {
                                "type": "object",
                                "properties": {
                                    "phase": {"type": "string"},
                                    "observedGeneration": {"type": "integer"},
                                    "size": {"type": "integer"},
                                    "ticks": {"type": "integer"},
                                },
                            },
                        },
                    }
                },
            }
        ],
    },
}
# Warnings kopf emits by design in this set-up, and nothing else is tolerated.
EXPECTED_WARNINGS = ("OS signals are ignored: running not in the main thread.",)


class Calls:
    """What the handlers saw, written from kopf's threads and read from the test."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[tuple[str, str, Any]] = []

    def record(self, handler: str, name: str, detail: Any = None) -> None:
        with self._lock:
            self._calls.append((handler, name, detail))

    def of(self, handler: str) -> list[tuple[str, Any]]:
        with self._lock:
            return [(name, detail) for h, name, detail in self._calls if h == handler]


class LogRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def problems(self) -> list[str]:
        return [
            f"{r.levelname} {r.name}: {r.getMessage()}"
            for r in self.records
            if r.levelno >= logging.WARNING and r.getMessage() not in EXPECTED_WARNINGS
        ]


def build_registry(kubeconfig: Path, calls: Calls) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    resource = ("example.com", "v1", "sprockets")

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> kopf.ConnectionInfo:
        config = yaml.safe_load(kubeconfig.read_text())
        context = config["contexts"][0]["context"]
        return kopf.ConnectionInfo(
            server=config["clusters"][0]["cluster"]["server"],
            token=config["users"][0]["user"]["token"],
            scheme="Bearer",
            default_namespace=context["namespace"],
        )

    @kopf.on.create(*resource, id="create", registry=registry)
    def created(name: str, body: Any, spec: Any, meta: Any, patch: kopf.Patch, **_: Any) -> None:
        calls.record("create", name, spec["size"])
        kopf.info(body, reason="Created", message=f"sprocket {name} is ready")
        patch.status["phase"] = "Ready"
        patch.status["size"] = spec["size"]
        patch.status["observedGeneration"] = meta["generation"]

    @kopf.on.update(*resource, id="update", registry=registry)
    def updated(
        name: str, diff: kopf.Diff, spec: Any, meta: Any, patch: kopf.Patch, **_: Any
    ) -> None:
        calls.record("update", name, [(op, path, old, new) for op, path, old, new in diff])
        patch.status["size"] = spec["size"]
        patch.status["observedGeneration"] = meta["generation"]

    @kopf.on.delete(*resource, id="delete", registry=registry)
    def deleted(name: str, **_: Any) -> None:
        calls.record("delete", name)

    @kopf.timer(*resource, id="tick", interval=0.2, labels={"ticking": "yes"}, registry=registry)
    def tick(name: str, status: Any, patch: kopf.Patch, **_: Any) -> None:
        calls.record("tick", name)
        patch.status["ticks"] = (status.get("ticks") or 0) + 1

    return registry


@asynccontextmanager
async def running_operator(kubeconfig: Path, calls: Calls) -> AsyncIterator[LogRecords]:
    """kopf in a thread of its own; waiting on it never blocks the emulator's loop."""
    settings = kopf.OperatorSettings()
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage()
    # At exit kopf lets queued events finish for exit_timeout (2 s by default) and warns
    # about the rest; the timers' last status patches can take longer on a busy machine.
    settings.queueing.exit_timeout = 20.0
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage()
    registry = build_registry(kubeconfig, calls)
    logs = LogRecords()
    kopf_logger = logging.getLogger("kopf")
    kopf_logger.addHandler(logs)
    # INFO too, so that a failing run's captured log shows what kopf was doing.
    previous_level = kopf_logger.level
    kopf_logger.setLevel(logging.INFO)
    stop, ready = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(
                kopf.operator(
                    registry=registry,
                    settings=settings,
                    standalone=True,
                    namespaces=["defa*"],  # a pattern: kopf then watches namespaces too
                    stop_flag=stop,
                    ready_flag=ready,
                )
            )
        except BaseException as exc:  # reported to the test below, not lost in the thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="kopf-operator", daemon=True)
    thread.start()
    try:
        assert await asyncio.to_thread(ready.wait, 10), "kopf did not become ready"
        yield logs
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 15)
        kopf_logger.removeHandler(logs)
        kopf_logger.setLevel(previous_level)
    assert not thread.is_alive(), "kopf did not stop"
    assert failure == []


def sprocket(name: str, size: int = 1, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Sprocket",
        "metadata": {"name": name, "labels": labels},
        "spec": {"size": size},
    }


async def test_kopf_operator_lifecycle(
    api: KubeEmulator, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    api.install_crd(SPROCKETS_CRD)
    kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig", namespace="default")
    calls = Calls()
    async with running_operator(kubeconfig, calls) as logs:
        # Create: the handler runs once; its status patch lands and survives pruning.
        await client.post(SPROCKETS, json=sprocket("s1", ticking="yes"))
        ready = await api.wait_for(
            "sprockets", "default", "s1", lambda o: bool(o and o.get("status", {}).get("phase"))
        )
        assert ready is not None
        assert ready["status"]["observedGeneration"] == 1 and ready["status"]["size"] == 1
        assert "kopf.zalando.org/KopfFinalizerMarker" in ready["metadata"]["finalizers"]
        assert calls.of("create") == [("s1", 1)]

        # Update: the diff reaches the handler; generation moved and is observed.
        await client.patch(f"{SPROCKETS}/s1", json={"spec": {"size": 3}}, headers=MERGE)
        updated = await api.wait_for(
            "sprockets", "default", "s1", lambda o: bool(o and o["status"].get("size") == 3)
        )
        assert updated is not None
        assert updated["metadata"]["generation"] == 2
        assert updated["status"]["observedGeneration"] == 2
        assert calls.of("update") == [("s1", [("change", ("spec", "size"), 1, 3)])]

        # Timer: repeated status patches, each read back by the next tick.
        ticked = await api.wait_for(
            "sprockets", "default", "s1", lambda o: bool(o and o["status"].get("ticks", 0) >= 3)
        )
        assert ticked is not None

        # Delete: kopf's finalizer holds the object until the delete handler has run.
        await client.delete(f"{SPROCKETS}/s1")
        await api.wait_for("sprockets", "default", "s1", lambda o: o is None)
        assert calls.of("delete") == [("s1", None)]

        # A burst: every object is handled exactly once.
        names = [f"burst-{index:02d}" for index in range(50)]
        await asyncio.gather(*(client.post(SPROCKETS, json=sprocket(n)) for n in names))

        def all_ready() -> bool:
            sprockets = api.list("sprockets", "default")
            return len(sprockets) == 50 and all(
                s.get("status", {}).get("phase") == "Ready" for s in sprockets
            )

        await api.wait_until(all_ready, timeout=20)
        assert sorted(name for name, _ in calls.of("create")) == sorted(["s1", *names])

    # What kopf relied on: watches of namespaces (for the pattern), CRDs and the resource.
    watched = {request.url.path for request in api.kmock if request.action == kmock.action.WATCH}
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    assert {"/api/v1/namespaces", crds, SPROCKETS} <= watched
    events = api.list("events", "default", field_selector="involvedObject.name=s1")
    assert [(e["reason"], e["message"]) for e in events] == [("Created", "sprocket s1 is ready")]
    transcript = api.table("sprockets", "default")
    assert transcript.splitlines()[0].split() == ["NAME", "SIZE", "PHASE", "TICKS", "AGE"]
    print(transcript)
    assert logs.problems() == []
