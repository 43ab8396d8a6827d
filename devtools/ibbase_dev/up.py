"""``ibbase up``: the whole pipeline on one machine — nats-server with JetStream, the Graph
API sandbox, gateway and worker — in the foreground, stopped together on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request

from sqlalchemy.engine import make_url

from gateway.migrate import upgrade
from ibbase_dev.nats_server import NatsServer, free_port
from ibbase_dev.stack import RUN_DIR, SECRET_VARS, Stack, dev_secrets

DEFAULT_PHONE_ID = "100000000000001"


def wait_http(
    url: str,
    proc: subprocess.Popen[bytes] | None = None,
    timeout: float = 60,
    expect: str | None = None,
) -> None:
    """Until ``url`` answers 2xx (with a body holding ``expect``, when given); fail early
    if ``proc`` (the server) has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url} : the process exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if expect is None or expect in answer.read().decode():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    wanted = f" with {expect!r}" if expect else ""
    raise RuntimeError(f"{url} did not answer{wanted} within {timeout}s")


def run_stack(sandbox_port: int = 8081, ray: bool = False) -> int:
    env = dict(os.environ)
    given = {name for name in SECRET_VARS if env.get(name)}
    env.update(dev_secrets(env))
    env.setdefault("WHATSAPP_PHONE_ID", DEFAULT_PHONE_ID)
    env.setdefault("DATABASE_URL", f"sqlite:///{(RUN_DIR / 'ibbase.db').resolve()}")
    port = int(env.get("IBBASE_PORT", "8000"))
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    nats: NatsServer | None = None
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if not env.get("NATS_URL"):
            nats = NatsServer(RUN_DIR / "nats", log_file=RUN_DIR / "nats.log")
            nats.start()
            env["NATS_URL"] = nats.url
        upgrade(env["DATABASE_URL"])
        sandbox_url = None
        if not env.get("WHATSAPP_API_URL"):
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            env["WHATSAPP_API_URL"] = f"{sandbox_url}/v25.0"
            sandbox = _spawn(procs, "sandbox", ["sandbox", "--port", str(sandbox_port)], env)
            wait_http(f"{sandbox_url}/sandbox/healthz", sandbox)
        if ray and not env.get("OCR_URL"):
            ocr_port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "ocr_cluster.cluster", "--port", str(ocr_port)],
                env=env,
                start_new_session=True,
            )
            procs.append(("ocr-cluster", proc))
            wait_http(f"http://127.0.0.1:{ocr_port}/healthz", proc, timeout=180)
            env["OCR_URL"] = f"http://127.0.0.1:{ocr_port}"
        # The worker's metrics say when its card reader is loaded and warm: "running" is
        # printed only then, so the first card is answered as fast as any other.
        env.setdefault("IBBASE_WORKER_METRICS_PORT", str(free_port()))
        gateway = _spawn(procs, "gateway", ["gateway"], env)
        worker = _spawn(procs, "worker", ["worker"], env)
        gateway_url = f"http://127.0.0.1:{port}"
        wait_http(f"{gateway_url}/healthz", gateway)
        metrics = f"http://127.0.0.1:{env['IBBASE_WORKER_METRICS_PORT']}/metrics"
        print("ibbase up: waiting for the worker's card reader to load", file=sys.stderr)
        wait_http(metrics, worker, timeout=300, expect="ibbase_worker_ready 1.0")
        stack = Stack(
            gateway_url=gateway_url,
            sandbox_url=sandbox_url,
            api_url=env["WHATSAPP_API_URL"],
            phone_number_id=env["WHATSAPP_PHONE_ID"],
            access_token=env["WHATSAPP_ACCESS_TOKEN"],
            verify_token=env["WHATSAPP_VERIFY_TOKEN"],
            app_secret=env["WHATSAPP_APP_SECRET"],
            admin_token=env["IBBASE_ADMIN_TOKEN"],
        )
        stack.save()
        _banner(stack, env["NATS_URL"], env["DATABASE_URL"], given, env.get("OCR_URL"))
        while not stopping:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(
                        f"ibbase up: {name} exited with {proc.returncode}; stopping",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.3)
        return 0
    finally:
        print("ibbase up: stopping", file=sys.stderr)
        for _, proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            # Each child leads its own process group; take down what it left behind
            # (Ray's agents outlive a clean ray.shutdown()).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if nats:
            nats.stop()


def _spawn(
    procs: list[tuple[str, subprocess.Popen[bytes]]],
    name: str,
    args: list[str],
    env: dict[str, str],
) -> subprocess.Popen[bytes]:
    # Children get their own process group: Ctrl-C reaches only us, and we stop them in order.
    proc = subprocess.Popen(
        [sys.executable, "-m", "ibbase.cli", *args], env=env, start_new_session=True
    )
    procs.append((name, proc))
    return proc


def _banner(
    stack: Stack, nats_url: str, database_url: str, given: set[str], ocr_url: str | None
) -> None:
    def show(var: str, value: str) -> str:
        return "(from the environment)" if var in given else value

    hook = f"{stack.gateway_url}/api/whatsapp/webhook"
    verify = show("WHATSAPP_VERIFY_TOKEN", stack.verify_token)
    admin = show("IBBASE_ADMIN_TOKEN", stack.admin_token)
    sandbox = "  (local sandbox)" if stack.sandbox_url else ""
    ocr = f"Ray Serve OCR cluster at {ocr_url}" if ocr_url else "in-process"
    print(
        f"""
ibbase is running (Ctrl-C stops everything)
  webhook URL    {hook}
  verify token   {verify}
  app secret     {show("WHATSAPP_APP_SECRET", stack.app_secret)}
  admin token    {admin}
  Graph API      {stack.api_url}{sandbox}
  NATS           {nats_url}
  card reader    {ocr}
  database       {make_url(database_url).render_as_string(hide_password=True)}
Try it:
  make demo       # in a second terminal: a signed /start and a card photo, end to end
  curl '{hook}?hub.mode=subscribe&hub.verify_token={verify}&hub.challenge=42'
  curl -H 'Authorization: Bearer {admin}' {stack.gateway_url}/api/contacts
Generated secrets are for local development only (kept in .run/, mode 0600).
""",
        flush=True,
    )
