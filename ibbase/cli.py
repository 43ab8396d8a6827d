"""``ibbase``: one command, a subcommand per process."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys


def _gateway(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.app import create_app
    from gateway.log_config import configure_logging
    from gateway.settings import Settings

    settings = Settings()
    configure_logging("gateway", settings.log_level, settings.secret_values())
    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        # Which proxies are believed is the gateway's own setting (IBBASE_TRUSTED_PROXIES).
        proxy_headers=False,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from gateway.log_config import configure_logging
    from gateway.migrate import DatabaseMisconfigured
    from gateway.settings import Settings
    from gateway.worker import run_worker

    settings = Settings()
    configure_logging("worker", settings.log_level, settings.secret_values())
    if settings.worker_metrics_port:
        from prometheus_client import start_http_server

        try:
            start_http_server(settings.worker_metrics_port, addr=settings.host)
        except OSError as exc:  # a second local worker: run without its own metrics port
            logging.getLogger("worker").warning(
                "metrics port %d unavailable: %s", settings.worker_metrics_port, exc
            )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    try:
        asyncio.run(main())
    except DatabaseMisconfigured as exc:
        # Not worth restarting as it is (never migrated, no such database): say the fix.
        logging.getLogger("worker").critical("cannot start: %s", exc)
        return EX_CONFIG
    return 0


EX_CONFIG = 78  # sysexits.h: a configuration error


# Commands of the development tree (devtools/): in a clone after `make install`, never in an
# image. Where it is missing they say so instead of a traceback.
DEV_PACKAGES = ("graph_sandbox", "ibbase_dev", "kube_emulator")


def _dev_only(command: str, exc: ModuleNotFoundError) -> int:
    if (exc.name or "").split(".")[0] not in DEV_PACKAGES:
        raise exc
    print(
        f"ibbase {command}: a development command; the development tools are not installed "
        "here (run it from a clone after `make install`)",
        file=sys.stderr,
    )
    return 2


def _sandbox(args: argparse.Namespace) -> int:
    import uvicorn
    from pydantic import SecretStr

    from gateway.log_config import configure_logging
    from gateway.settings import Settings

    try:
        from graph_sandbox.app import create_app
        from graph_sandbox.config import SandboxConfig
    except ModuleNotFoundError as exc:
        return _dev_only("sandbox", exc)

    settings = Settings()
    configure_logging("sandbox", settings.log_level, settings.secret_values())
    config = SandboxConfig(
        access_token=SecretStr(settings.whatsapp_access_token.get_secret_value()),
        phone_number_id=settings.whatsapp_phone_id,
        public_url=f"http://{args.host}:{args.port}",
    )
    uvicorn.run(
        create_app(config), host=args.host, port=args.port, log_config=None, access_log=False
    )
    return 0


def _operator(args: argparse.Namespace) -> int:
    import os

    from gateway.log_config import configure_logging
    from ibbase_operator.kube import KubeConfig
    from ibbase_operator.main import run
    from ibbase_operator.settings import OperatorSettings

    configure_logging("operator")
    settings = OperatorSettings()
    if args.all_namespaces:
        settings = settings.model_copy(update={"namespaces": []})
    elif args.namespace:
        settings = settings.model_copy(update={"namespaces": args.namespace})
    kube = KubeConfig.load(args.kubeconfig or os.environ.get("KUBECONFIG"))

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(settings, kube, stop_flag=stop)

    asyncio.run(main())
    return 0


def _scan(args: argparse.Namespace) -> int:
    from ocr_cluster.scan import main

    return main(args.paths, args.json, engine=args.engine, region=args.region, device=args.device)


def _migrate(args: argparse.Namespace) -> int:
    from gateway.migrate import upgrade
    from gateway.settings import Settings

    upgrade(Settings().database_url)
    return 0


def _admin_token(args: argparse.Namespace) -> int:
    from ibbase.api_tokens import run

    return run(args)


def _up(args: argparse.Namespace) -> int:
    try:
        from ibbase_dev.up import run_stack
    except ModuleNotFoundError as exc:
        return _dev_only("up", exc)
    return run_stack(sandbox_port=args.sandbox_port, ray=args.ray)


def _demo(args: argparse.Namespace) -> int:
    try:
        from ibbase_dev.demo import run_demo
    except ModuleNotFoundError as exc:
        return _dev_only("demo", exc)
    return run_demo(card=args.card, timeout=args.timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ibbase", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="run the whole pipeline locally (nats, sandbox, gateway, worker)")
    p.add_argument("--sandbox-port", type=int, default=8081)
    p.add_argument("--ray", action="store_true", help="read cards on a local Ray Serve cluster")
    p.set_defaults(func=_up)
    p = sub.add_parser("gateway", help="the FastAPI gateway (webhook, admin and contacts API)")
    p.add_argument("--host", default=None)
    p.set_defaults(func=_gateway)
    sub.add_parser("worker", help="the JetStream worker").set_defaults(func=_worker)
    p = sub.add_parser("sandbox", help="the local Graph API sandbox")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.set_defaults(func=_sandbox)
    p = sub.add_parser("operator", help="the WhatsAppChannel operator (kopf)")
    p.add_argument("-n", "--namespace", action="append", help="watch this namespace (repeatable)")
    p.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace")
    p.add_argument("--kubeconfig", default=None, help="default: $KUBECONFIG, else in-cluster")
    p.set_defaults(func=_operator)
    p = sub.add_parser("scan", help="read business-card images")
    p.add_argument("paths", nargs="+")
    p.add_argument("--json", action="store_true", help="one JSON line per image")
    p.add_argument(
        "--engine",
        choices=("auto", "neural", "tesseract"),
        default="auto",
        help="auto: neural detector and recognisers, tesseract for Cyrillic lines (default)",
    )
    p.add_argument(
        "--device",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="where the neural stages run: auto takes a usable CUDA GPU (PyTorch, the `gpu` "
        "extra), gpu fails without one, cpu (ONNX Runtime)",
    )
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="CC",
        help="country (ISO code, e.g. BR) for numbers the card leaves without one, used only "
        "when the card shows no country itself; repeatable",
    )
    p.set_defaults(func=_scan)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    _add_admin_parser(sub)
    p = sub.add_parser("demo", help="send /start and a card photo to a running `ibbase up`")
    p.add_argument("--card", default=None, help="card image (default: the bundled sample card)")
    p.add_argument("--timeout", type=float, default=90)
    p.set_defaults(func=_demo)
    return parser


def _add_admin_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    admin = sub.add_parser("admin", help="administration: API tokens")
    token = admin.add_subparsers(dest="admin_command", required=True).add_parser(
        "token", help="API tokens of the admin and contacts API (stored hashed)"
    )
    actions = token.add_subparsers(dest="token_command", required=True)
    p = actions.add_parser("create", help="create a token and print it, this once only")
    p.add_argument("--name", required=True, help="who or what uses it, e.g. crm-sync")
    p.add_argument(
        "--scope",
        required=True,
        choices=["admin", "viewer"],
        help="admin: send messages and read contacts; viewer: read contacts only",
    )
    p.add_argument("--expires-in", default=None, help="e.g. 30d, 12h, 1w (default: never)")
    reach = p.add_mutually_exclusive_group(required=True)
    reach.add_argument(
        "--channel",
        action="append",
        dest="channels",
        metavar="NS.NAME",
        help="a channel the token may act on (repeatable): a WhatsAppChannel's "
        "namespace.name, or `default` for the WHATSAPP_* channel",
    )
    reach.add_argument(
        "--all-channels", action="store_true", help="every channel, present and future"
    )
    actions.add_parser("list", help="the tokens' ids, names, scopes and dates (never a token)")
    p = actions.add_parser("revoke", help="revoke a token by its id")
    p.add_argument("id", help="the token's id, as `list` shows it")
    token.set_defaults(func=_admin_token)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
