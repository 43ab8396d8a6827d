"""``ibbase worker`` with the poisoned card reader of ``tests.faults.poison``:

    python tests/faults/poison_worker.py pool        # readers in child processes (the default)
    python tests/faults/poison_worker.py in-process  # the reader in the worker's own process

Settings come from the environment, as for ``ibbase worker``."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any


def main(mode: str) -> None:
    from prometheus_client import start_http_server

    from gateway.log_config import configure_logging
    from gateway.reader_pool import ReaderPool
    from gateway.settings import Settings
    from gateway.worker import reader_processes, run_worker
    from tests.faults.poison import PoisonReader

    settings = Settings()
    configure_logging("worker", settings.log_level, settings.secret_values())
    start_http_server(settings.worker_metrics_port, addr=settings.host)
    reader: Any
    if mode == "in-process":
        reader = PoisonReader(tessdata=settings.ocr_tessdata)
    else:
        reader = ReaderPool(
            "tests.faults.poison:PoisonReader",
            {"tessdata": settings.ocr_tessdata, "pool_size": 1},
            processes=reader_processes(settings),
            timeout_s=settings.card_read_timeout_s,
        )

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop, reader=reader)

    try:
        asyncio.run(run())
    finally:
        reader.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "pool")
