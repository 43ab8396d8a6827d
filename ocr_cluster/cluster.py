"""Run serve_config.yaml on a local Ray, as `serve run` does: for `ibbase up --ray`, the
Ray tests and the bench. On Kubernetes the RayService applies the same file instead."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import ray
import yaml
from ray import serve
from ray.serve._private import api as serve_api
from ray.serve._private.common import ReplicaState
from ray.serve.schema import ServeDeploySchema

CONFIG_PATH = Path(__file__).with_name("serve_config.yaml")


def load_config(path: Path = CONFIG_PATH) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(path.read_text())
    return config


def select(
    config: dict[str, Any],
    apps: tuple[str, ...] = ("ocr",),
    port: int | None = None,
    host: str | None = None,
    patches: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A copy with only `apps`, another port or host, and per-deployment field patches
    (`{("ocr", "OcrReader"): {"num_replicas": 2, "autoscaling_config": None}}`)."""
    out = copy.deepcopy(config)
    out["applications"] = [a for a in out["applications"] if a["name"] in apps]
    missing = set(apps) - {a["name"] for a in out["applications"]}
    if missing:
        raise ValueError(f"no such application in the Serve config: {sorted(missing)}")
    if port is not None:
        out.setdefault("http_options", {})["port"] = port
    if host is not None:
        out.setdefault("http_options", {})["host"] = host
    for (app_name, dep_name), fields in (patches or {}).items():
        app = next(a for a in out["applications"] if a["name"] == app_name)
        dep = next(d for d in app["deployments"] if d["name"] == dep_name)
        for key, value in fields.items():
            if value is None:
                dep.pop(key, None)
            else:
                dep[key] = value
    return out


def start_ray(num_cpus: int | None = None, temp_dir: str | None = None) -> None:
    """A fresh local Ray in this process (never an existing cluster's)."""
    ray.init(
        address="local",
        num_cpus=num_cpus,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=temp_dir,
    )


def deploy(config: dict[str, Any], timeout_s: float = 180.0) -> None:
    """Apply a Serve config to the connected Ray and wait until every app is RUNNING."""
    schema = ServeDeploySchema.model_validate(config)
    # What `serve run CONFIG` does (ray/serve/scripts.py): start Serve with the file's
    # HTTP options, then hand the whole config to the controller.
    client = serve_api.serve_start(
        http_options=schema.http_options.model_dump(),
        proxy_location=schema.proxy_location,
    )
    client.deploy_apps(schema, _blocking=False)
    wait_running([a.name for a in schema.applications], timeout_s)


def wait_running(apps: list[str], timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        status = serve.status().applications
        states = {name: status[name].status if name in status else "MISSING" for name in apps}
        if all(s == "RUNNING" for s in states.values()):
            return
        bad = {n: status[n].message for n, s in states.items() if s == "DEPLOY_FAILED"}
        if bad:
            raise RuntimeError(f"Serve application failed to deploy: {bad}")
        last = str(states)
        time.sleep(0.5)
    raise TimeoutError(f"Serve applications not RUNNING after {timeout_s}s: {last}")


def replica_counts(app: str = "ocr") -> dict[str, int]:
    """RUNNING replicas per deployment, as Serve's status reports them."""
    deployments = serve.status().applications[app].deployments
    return {name: d.replica_states.get(ReplicaState.RUNNING, 0) for name, d in deployments.items()}


def stop() -> None:
    serve.shutdown()  # type: ignore[no-untyped-call]  # unannotated in Serve
    ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    """`python -m ocr_cluster.cluster`: a local Ray running the `ocr` application until
    SIGTERM or Ctrl-C (what `ibbase up --ray` starts; `serve run CONFIG` runs every app)."""
    import argparse
    import os
    import signal
    import threading

    ap = argparse.ArgumentParser(prog="python -m ocr_cluster.cluster")
    ap.add_argument("--config", type=Path, default=CONFIG_PATH)
    ap.add_argument("--app", action="append", dest="apps", help="application (default: ocr)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--num-cpus", type=int, default=None)
    args = ap.parse_args(argv)
    os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    config = select(
        load_config(args.config), tuple(args.apps or ["ocr"]), port=args.port, host=args.host
    )
    # Serve places the ingress, QR and OCR replicas by logical CPUs: at least 4 of them.
    start_ray(num_cpus=args.num_cpus or max(4, os.cpu_count() or 1))
    try:
        deploy(config)
        print(f"OCR cluster ready: OCR_URL=http://{args.host}:{args.port}", flush=True)
        stopping.wait()
    finally:
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
