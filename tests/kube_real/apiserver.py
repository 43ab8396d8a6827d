"""etcd, kube-apiserver and kube-controller-manager as child processes on free ports,
configured as a real cluster's control plane is (kubeadm's flags, less what needs nodes):

- etcd on a temporary data directory;
- kube-apiserver over TLS with ``--authorization-mode=RBAC``, the default admission plugins
  plus ``OwnerReferencesPermissionEnforcement`` (OpenShift's), a service-account issuer and
  signing key (so the TokenRequest API issues real tokens), and static tokens for the admin
  and the controller manager;
- kube-controller-manager running the garbage collector (owner references are collected, with
  the informer delays of a real cluster), the namespace and the service-account controllers.

Everything is written under one directory; :meth:`ControlPlane.stop` ends the processes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

from ibbase_dev.nats_server import free_port
from tests.kube_real.pki import Pki, make_pki
from tests.kube_real.rest import Rest

# Admission: kube-apiserver's defaults are on without being named; these are named so that the
# set a test relies on is visible here (kubeadm adds NodeRestriction, OpenShift
# OwnerReferencesPermissionEnforcement: a child may set blockOwnerDeletion only when its
# creator may update the owner's finalizers).
ADMISSION_PLUGINS = (
    "NamespaceLifecycle",
    "LimitRanger",
    "ServiceAccount",
    "DefaultStorageClass",
    "DefaultTolerationSeconds",
    "DefaultIngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionWebhook",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionWebhook",
    "ResourceQuota",
    "PodSecurity",
    "NodeRestriction",
    "OwnerReferencesPermissionEnforcement",
)
# The garbage collector, the namespace controller, and the one that gives every namespace
# its `default` ServiceAccount (the ServiceAccount admission plugin refuses pods without it).
CONTROLLERS = ("garbage-collector-controller", "namespace-controller", "serviceaccount-controller")
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"


class StartFailed(RuntimeError):
    pass


def _die_with_parent() -> None:
    """In the child: SIGKILL when the test run dies, however it dies (a killed pytest runs no
    teardown; the control plane must not outlive it)."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class Process:
    """One binary, its output in a log file."""

    def __init__(self, name: str, argv: Sequence[str | Path], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_handle: IO[bytes] = log.open("wb")
        self.popen = subprocess.Popen(
            [str(a) for a in argv],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        self._log_handle.close()


class ControlPlane:
    def __init__(self, bin_dir: Path, workdir: Path) -> None:
        self.bin_dir = bin_dir
        self.workdir = workdir
        self.processes: list[Process] = []
        self.pki: Pki = make_pki(workdir / "pki")
        self.port = free_port()
        self._rest: Rest | None = None

    # --- connecting --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def rest(self) -> Rest:
        """The admin's client (system:masters)."""
        if self._rest is None:
            self._rest = Rest(self.url, self.pki.admin_token, str(self.pki.ca_file))
        return self._rest

    def write_kubeconfig(
        self,
        path: Path,
        *,
        token: str | None = None,
        namespace: str = "default",
        user: str = "admin",
    ) -> Path:
        """A kubeconfig for this server: the admin's unless another bearer token is given."""
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "ibbase-test",
                    "cluster": {"server": self.url, "certificate-authority": str(self.pki.ca_file)},
                }
            ],
            "users": [{"name": user, "user": {"token": token or self.pki.admin_token}}],
            "contexts": [
                {
                    "name": "ibbase-test",
                    "context": {"cluster": "ibbase-test", "user": user, "namespace": namespace},
                }
            ],
            "current-context": "ibbase-test",
        }
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        return path

    def service_account_token(self, namespace: str, name: str, seconds: int = 24 * 3600) -> str:
        """A bound token for a ServiceAccount from the TokenRequest API, as the kubelet
        projects one into a pod."""
        answer = self.rest.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            body={
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"expirationSeconds": seconds},
            },
        )
        return str(answer["status"]["token"])

    # --- lifecycle ---------------------------------------------------------------------------

    def start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        self._spawn(
            "etcd",
            [
                "--name=test",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=test=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",  # a test's data need not survive a power cut
                "--log-level=warn",
            ],
        )
        self._wait("etcd", lambda: httpx.get(f"{self.etcd_url}/health", timeout=2).is_success)

    def start_apiserver(self) -> None:
        pki = self.pki
        self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={self.port}",
                f"--cert-dir={self.workdir / 'apiserver-certs'}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--token-auth-file={pki.token_file}",
                "--authorization-mode=RBAC",
                f"--enable-admission-plugins={','.join(ADMISSION_PLUGINS)}",
                f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
                f"--service-account-key-file={pki.sa_public_key}",
                f"--service-account-signing-key-file={pki.sa_private_key}",
                "--service-cluster-ip-range=10.96.0.0/16",
                # No kubernetes Service endpoints for a loopback address (as envtest runs).
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",
                "--anonymous-auth=false",
                "--profiling=false",
            ],
        )

        def ready() -> bool:
            response = self.rest.http.get("/readyz")
            return response.status_code == 200

        self._wait("kube-apiserver", ready, timeout=180)

    def start_controller_manager(self) -> None:
        kubeconfig = self.write_kubeconfig(
            self.workdir / "controller-manager.kubeconfig",
            token=self.pki.controller_manager_token,
            user="system:kube-controller-manager",
        )
        port = free_port()
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                f"--controllers={','.join(CONTROLLERS)}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={self.workdir / 'controller-manager-certs'}",
                f"--root-ca-file={self.pki.ca_file}",
                "--profiling=false",
            ],
        )
        self._wait(
            "kube-controller-manager",
            lambda: httpx.get(f"https://127.0.0.1:{port}/healthz", verify=False).is_success,
            timeout=120,
        )

    def stop(self) -> None:
        if self._rest is not None:
            self._rest.close()
        for process in reversed(self.processes):
            process.stop()

    def panics(self) -> list[str]:
        """Panics the API server and controller manager logged (each answered a 500 or lost
        a controller's work)."""
        found = []
        for process in self.processes:
            for line in process.log.read_text(errors="replace").splitlines():
                if "Observed a panic" in line:
                    found.append(f"{process.name}: {line}")
        return found

    # --- helpers -----------------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> None:
        log = self.workdir / f"{name}.log"
        self.processes.append(Process(name, [self.bin_dir / name, *args], log))

    def _wait(self, name: str, check: Any, timeout: float = 60) -> None:
        process = next(p for p in self.processes if p.name == name)
        deadline = time.monotonic() + timeout
        while True:
            if not process.alive():
                raise StartFailed(f"{name} exited ({process.popen.returncode}):\n{process.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if check():
                    return
            if time.monotonic() > deadline:
                raise StartFailed(f"{name} not ready within {timeout:.0f} s:\n{process.tail()}")
            time.sleep(0.2)


@contextlib.contextmanager
def control_plane(bin_dir: Path, workdir: Path) -> Iterator[ControlPlane]:
    """etcd and kube-apiserver started, ready for CRDs and RBAC; kube-controller-manager is
    started by :meth:`ControlPlane.start_controller_manager` once the CRDs are in (its garbage
    collector picks up new kinds only at its 30-second resync)."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o700)
    plane = ControlPlane(bin_dir, workdir)
    try:
        plane.start_etcd()
        plane.start_apiserver()
        yield plane
    finally:
        plane.stop()
