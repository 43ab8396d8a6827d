"""The test session's one real cluster: the control plane with the CRDs, the namespaces and
the chart's operator RBAC installed, shared by every test that asks for it (the operator
suite and the chart's server-side dry run) and stopped when the last of them is done."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.kube_real import manifests
from tests.kube_real.apiserver import ControlPlane, control_plane
from tests.kube_real.binaries import ensure_binaries
from tests.kube_real.rest import ApiError

# The operator world's namespaces: channels live in crm, the chart (and so the operator's
# ServiceAccount and its registry Secret) is released into ibbase.
RELEASE_NAMESPACE = "ibbase"
NAMESPACES = ("crm", RELEASE_NAMESPACE)


@dataclass
class Cluster:
    plane: ControlPlane
    operator_rbac: list[dict[str, Any]]

    @property
    def operator_service_account(self) -> tuple[str, str]:
        return manifests.service_account(self.operator_rbac, RELEASE_NAMESPACE)

    def ensure_namespace(self, name: str, timeout: float = 60) -> None:
        """The namespace exists, is not terminating (waits out a deletion) and has its
        ``default`` ServiceAccount."""
        rest = self.plane.rest
        deadline = time.monotonic() + timeout
        while True:
            found = rest.get("namespaces", None, name)
            if found is None:
                try:
                    rest.create(
                        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
                    )
                except ApiError as exc:
                    if exc.status != 409:
                        raise
                continue
            if found.get("status", {}).get("phase") != "Terminating":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"namespace {name} still terminating after {timeout} s")
            time.sleep(0.2)
        # Pods need the namespace's `default` ServiceAccount, which a controller adds.
        while rest.get("serviceaccounts", name, "default") is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"namespace {name} has no default ServiceAccount")
            time.sleep(0.1)


def install_crds(plane: ControlPlane, crds: list[dict[str, Any]], timeout: float = 60) -> None:
    """Create (or update) CRDs and wait until each is Established and served."""
    rest = plane.rest
    for crd in crds:
        rest.apply(crd)
    deadline = time.monotonic() + timeout
    for crd in crds:
        name = crd["metadata"]["name"]
        while True:
            found = rest.get("customresourcedefinitions", None, name) or {}
            conditions = {
                c["type"]: c["status"] for c in found.get("status", {}).get("conditions", [])
            }
            if conditions.get("Established") == "True":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CRD {name} not Established: {found.get('status')}")
            time.sleep(0.1)
    plane.rest.resource("namespaces", refresh=True)  # discovery now lists the new kinds


def _start(workdir: Path) -> Iterator[Cluster]:
    with control_plane(ensure_binaries(), workdir) as plane:
        install_crds(plane, manifests.custom_resource_definitions())
        # After the CRDs: the garbage collector monitors the kinds that exist when it starts
        # (and new ones only at its 30-second discovery resync).
        plane.start_controller_manager()
        cluster = Cluster(plane, manifests.operator_rbac(RELEASE_NAMESPACE))
        for namespace in NAMESPACES:
            cluster.ensure_namespace(namespace)
        for obj in cluster.operator_rbac:
            plane.rest.apply(obj, obj["metadata"].get("namespace") or RELEASE_NAMESPACE)
        yield cluster


class ClusterUnavailable(RuntimeError):
    pass


_shared: Cluster | None = None
_users = 0
_stack: contextlib.ExitStack | None = None
_failure: str | None = None


@contextlib.contextmanager
def shared_cluster() -> Iterator[Cluster]:
    """The session's cluster, started by its first user and stopped by its last. A failure to
    build or start it is raised to every user (ClusterUnavailable), tried only once."""
    global _shared, _users, _stack, _failure
    if _failure is not None:
        raise ClusterUnavailable(_failure)
    if _shared is None:
        stack = contextlib.ExitStack()
        workdir = Path(tempfile.mkdtemp(prefix="ibbase-kube-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        try:
            _shared = stack.enter_context(contextlib.contextmanager(_start)(workdir))
        except Exception as exc:
            stack.close()
            _failure = f"the real Kubernetes control plane is unavailable: {exc}"
            raise ClusterUnavailable(_failure) from exc
        _stack = stack
    _users += 1
    try:
        yield _shared
    finally:
        _users -= 1
        if _users == 0 and _stack is not None:
            _stack.close()
            _shared, _stack = None, None


@contextlib.contextmanager
def cluster_or_fail() -> Iterator[Cluster]:
    """``shared_cluster`` for a fixture: a cluster that cannot start fails the test that
    needs it with the reason (never a skip)."""
    with contextlib.ExitStack() as stack:
        try:
            cluster = stack.enter_context(shared_cluster())
        except ClusterUnavailable as exc:
            failure = str(exc)
        else:
            failure = ""
        if failure:
            pytest.fail(failure, pytrace=False)
        yield cluster
