"""What the kubelet does with a Secret volume, for tests that have no kubelet.

:func:`project` lays the keys out exactly like the kubelet's AtomicWriter: the data in a
fresh hidden timestamped directory, ``..data`` re-pointed to it by an atomic rename, and one
visible ``{key} -> ..data/{key}`` link per key. :class:`SecretVolume` keeps a directory in
step with a Secret on a (test) API server, as the kubelet's periodic sync does.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from tests.harness import Background


def project(directory: Path, data: dict[str, bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y_%m_%d_%H_%M_%S") + f".{time.monotonic_ns()}"
    payload = directory / f"..{stamp}"
    payload.mkdir()
    for key, value in data.items():
        (payload / key).write_bytes(value)
    link = directory / "..data_tmp"
    os.symlink(payload.name, link)
    os.replace(link, directory / "..data")
    for key in data:
        visible = directory / key
        if not visible.is_symlink():
            os.symlink(f"..data/{key}", visible)
    for entry in directory.iterdir():
        if not entry.name.startswith("..") and entry.name not in data:
            entry.unlink()
        elif entry.name.startswith("..") and entry.name != "..data" and entry != payload:
            shutil.rmtree(entry)


class SecretVolume(Background):
    """Polls one Secret and projects it into ``directory`` whenever it changes."""

    def __init__(
        self,
        api_url: str,
        namespace: str,
        name: str,
        directory: Path,
        *,
        headers: dict[str, str] | None = None,
        interval_s: float = 0.2,
    ) -> None:
        self.url = f"{api_url}/api/v1/namespaces/{namespace}/secrets/{name}"
        self.headers = headers or {}
        self.directory = directory
        self.interval_s = interval_s
        self.syncs = 0

    async def _run(self) -> None:
        seen: Any = None
        async with httpx.AsyncClient(timeout=10, headers=self.headers) as http:
            while True:
                response = await http.get(self.url)
                data = response.json().get("data") or {} if response.status_code == 200 else {}
                if data != seen:
                    project(self.directory, {k: base64.b64decode(v) for k, v in data.items()})
                    seen = data
                    self.syncs += 1
                await asyncio.sleep(self.interval_s)

    def start(self) -> SecretVolume:
        self.directory.mkdir(parents=True, exist_ok=True)
        return super().start()
