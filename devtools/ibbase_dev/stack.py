"""What ``ibbase up`` started, written to ``.run/stack.json`` (mode 0600) for ``ibbase demo``."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

RUN_DIR = Path(".run")
STACK_FILE = RUN_DIR / "stack.json"
SECRETS_FILE = RUN_DIR / "dev-secrets.json"
SECRET_VARS = (
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "IBBASE_ADMIN_TOKEN",
)


@dataclass
class Stack:
    gateway_url: str
    sandbox_url: str | None
    api_url: str
    phone_number_id: str
    access_token: str
    verify_token: str
    app_secret: str
    admin_token: str

    def save(self, path: Path = STACK_FILE) -> None:
        _write_private(path, asdict(self))

    @classmethod
    def load(cls, path: Path = STACK_FILE) -> Stack:
        return cls(**json.loads(path.read_text()))


def _write_private(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)


def dev_secrets(env: dict[str, str]) -> dict[str, str]:
    """Secrets from the environment, else the ones generated on an earlier run, else new ones."""
    stored: dict[str, str] = {}
    if SECRETS_FILE.exists():
        stored = json.loads(SECRETS_FILE.read_text())
    out = {}
    for name in SECRET_VARS:
        out[name] = env.get(name) or stored.get(name) or f"dev-{secrets.token_urlsafe(24)}"
    if any(out[n] != stored.get(n) for n in SECRET_VARS if not env.get(n)):
        _write_private(SECRETS_FILE, {n: out[n] for n in SECRET_VARS if not env.get(n)})
    return out
