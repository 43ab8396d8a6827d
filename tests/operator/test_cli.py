"""``ibbase operator`` as a process: it starts against a kubeconfig, answers its liveness
probe, reconciles, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ibbase_dev.nats_server import free_port
from kube_emulator import KubeEmulator
from tests.harness import wait_for
from tests.operator.conftest import CRD

pytestmark = pytest.mark.timeout(90)


async def exercise_operator(
    tmp_path: Path, argv: Callable[[Path, dict[str, str]], list[str]]
) -> None:
    """Start the operator with ``argv(kubeconfig, env)`` against an emulator, check its
    liveness probe and one reconcile, then stop it with SIGTERM: exit 0, no traceback. The
    images' tests run the same check on the operator image."""
    async with KubeEmulator.serve(namespaces=("default", "crm")) as api:
        api.install_crd(CRD)
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        kubeconfig.chmod(0o644)  # a container's non-root user reads it too
        port = free_port()
        env = {
            "IBBASE_OPERATOR_HEALTH_PORT": str(port),
            "IBBASE_OPERATOR_REGISTRY_NAMESPACE": "default",
        }
        proc = await asyncio.create_subprocess_exec(
            *argv(kubeconfig, env), env={**os.environ, **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(timeout=2) as http:

                async def alive() -> bool:
                    try:
                        return (await http.get(f"http://127.0.0.1:{port}/healthz")).is_success
                    except httpx.TransportError:
                        return False

                await wait_for(alive, timeout=60)
            api.create({
                "apiVersion": "ibbase.io/v1alpha1", "kind": "WhatsAppChannel",
                "metadata": {"name": "cli", "namespace": "crm"},
                "spec": {"phoneNumberId": "123456789012345", "businessAccountId": "98765432109",
                         "appId": "1122334455", "host": "cli.example.test",
                         "credentialsSecretRef": {"name": "absent"}},
            })  # fmt: skip

            def missing_credentials(obj: dict | None) -> bool:
                conditions = ((obj or {}).get("status") or {}).get("conditions") or []
                return any(c.get("reason") == "CredentialsMissing" for c in conditions)

            await api.wait_for("wac", "crm", "cli", missing_credentials, timeout=30)
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(proc.communicate(), timeout=40)
            print(output.decode()[-3000:])  # shown when the test fails
        assert proc.returncode == 0, output.decode()[-2000:]
        assert b"Traceback" not in output, output.decode()[-2000:]


async def test_ibbase_operator_runs_and_stops_on_sigterm(tmp_path: Path) -> None:
    await exercise_operator(
        tmp_path,
        lambda kubeconfig, env: [
            sys.executable,
            "-m",
            "ibbase.cli",
            "operator",
            "-n",
            "crm",
            "--kubeconfig",
            str(kubeconfig),
        ],
    )
