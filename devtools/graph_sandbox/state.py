"""The sandbox's in-memory state and the dependencies every Graph route shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from graph_sandbox.accounts import MANAGEMENT, MESSAGING, Accounts, Principal, Token
from graph_sandbox.config import SandboxConfig
from graph_sandbox.errors import unversioned
from graph_sandbox.faults import Faults
from graph_sandbox.media import MediaStore
from graph_sandbox.outbox import Outbox
from graph_sandbox.subscriptions import Subscriptions
from graph_sandbox.templates import Templates
from graph_sandbox.window import CustomerWindows

VERSION_RE = re.compile(r"v\d+\.\d+")


@dataclass
class Sandbox:
    """Everything one sandbox knows. Tests running it in-process steer it from here:

    ``sandbox.accounts`` provisions apps, WABAs and tokens (``add_app``, ``add_waba``,
    ``add_token``, ``invalidate_token``, ``expire_token``); ``sandbox.subscriptions``
    holds what was registered; ``disable_subscription`` plays Meta disabling one;
    ``sandbox.templates.approve`` approves a template; ``sandbox.windows.record`` says a
    user wrote to a number (opening the 24-hour window).
    """

    config: SandboxConfig
    media: MediaStore
    accounts: Accounts
    outbox: Outbox = field(default_factory=Outbox)
    faults: Faults = field(default_factory=Faults)
    subscriptions: Subscriptions = field(default_factory=Subscriptions)
    templates: Templates = field(default_factory=Templates)
    windows: CustomerWindows = field(default_factory=CustomerWindows)

    @classmethod
    def create(cls, config: SandboxConfig) -> Sandbox:
        accounts = Accounts()
        secret = config.app_secret.get_secret_value() if config.app_secret else None
        accounts.add_app(config.app_id, secret, name=config.app_name)
        accounts.add_waba(config.waba_id, [config.phone_number_id], app_id=config.app_id)
        # The configured token: never expires, reaches the configured number.
        accounts.add_token(
            config.access_token.get_secret_value(),
            app_id=config.app_id,
            scopes=(MANAGEMENT, MESSAGING),
            waba_ids=[config.waba_id],
        )
        return cls(
            config=config,
            media=MediaStore(ttl_s=config.media_url_ttl_s),
            accounts=accounts,
            templates=Templates.from_config(config.templates),
            windows=CustomerWindows(config.customer_window_s, config.unseen_users),
        )

    def disable_subscription(self, waba_id: str, app_id: str | None = None) -> list[str]:
        """Meta disabled the WABA's subscription (after failed deliveries): the apps hit."""
        waba = self.accounts.wabas.get(waba_id)
        if waba is None:
            raise KeyError(f"unknown WABA {waba_id}")
        return self.subscriptions.disable(waba_id, waba.phone_number_ids, app_id)

    def subscription_state(self) -> dict[str, Any]:
        def phones_of(waba_id: str) -> set[str]:
            waba = self.accounts.wabas.get(waba_id)
            return waba.phone_number_ids if waba else set()

        return self.subscriptions.snapshot(phones_of)


def get_sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


SandboxDep = Annotated[Sandbox, Depends(get_sandbox)]


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        return value.strip() if scheme.lower() in ("bearer", "oauth") else None
    # Graph also takes the token as a query parameter.
    return request.query_params.get("access_token")


def require_token(request: Request, sandbox: SandboxDep) -> Principal:
    principal = sandbox.accounts.authenticate(presented_token(request))
    proof = request.query_params.get("appsecret_proof")
    if proof is not None and isinstance(principal, Token):
        sandbox.accounts.check_proof(principal, proof)
    return principal


def require_version(version: str, request: Request) -> str:
    if not VERSION_RE.fullmatch(version):
        raise unversioned(request.url.path)
    return version


Authorized = Depends(require_token)
Versioned = Depends(require_version)
PrincipalDep = Annotated[Principal, Depends(require_token)]
