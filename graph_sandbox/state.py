"""The sandbox's in-memory state and the dependencies every Graph route shares."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from graph_sandbox.config import SandboxConfig
from graph_sandbox.errors import invalid_token, unversioned
from graph_sandbox.faults import Faults
from graph_sandbox.media import MediaStore
from graph_sandbox.outbox import Outbox

VERSION_RE = re.compile(r"v\d+\.\d+")


@dataclass
class Sandbox:
    config: SandboxConfig
    media: MediaStore
    outbox: Outbox = field(default_factory=Outbox)
    faults: Faults = field(default_factory=Faults)

    @classmethod
    def create(cls, config: SandboxConfig) -> Sandbox:
        return cls(config=config, media=MediaStore(ttl_s=config.media_url_ttl_s))


def get_sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


def _presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() in ("bearer", "oauth") else None
    # Graph also takes the token as a query parameter.
    return request.query_params.get("access_token")


def require_token(request: Request, sandbox: SandboxDep) -> None:
    presented = _presented_token(request)
    expected = sandbox.config.access_token.get_secret_value()
    if not presented or not hmac.compare_digest(presented.encode(), expected.encode()):
        raise invalid_token()


def require_version(version: str, request: Request) -> str:
    if not VERSION_RE.fullmatch(version):
        raise unversioned(request.url.path)
    return version


Authorized = Depends(require_token)
Versioned = Depends(require_version)
