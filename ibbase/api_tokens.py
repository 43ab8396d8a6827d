"""``ibbase admin token create|list|revoke``: API tokens of the admin and contacts API.

``create`` prints the token once, alone on stdout (``TOKEN=$(ibbase admin token create …)``),
and what it is on stderr; nothing ever prints a token or its hash again.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gateway.auth.service import TokenInfo, create_token, list_tokens, revoke_token
from gateway.auth.tokens import Scope, parse_duration
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.settings import Settings

T = TypeVar("T")
# `default`, or namespace.name: DNS labels (a namespace has no dots; a name may).
CHANNEL_ID = re.compile(
    r"default|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?"
)


def run(args: argparse.Namespace) -> int:
    actions = {"create": _create, "list": _list, "revoke": _revoke}
    return actions[args.token_command](args)


def _when(stamp: datetime | None, never: str = "-") -> str:
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else never


def _reach(info: TokenInfo) -> str:
    return ",".join(info.channels) if info.channels is not None else "*"


def _describe(info: TokenInfo) -> str:
    expires = _when(info.expires_at, "never")
    return (
        f"{info.id} ({info.name!r}, scope {info.scope}, channels {_reach(info)}, expires {expires})"
    )


def _in_database(settings: Settings, work: Callable[[Session], T]) -> T:
    """``work`` in one transaction; a database error exits with a clear message."""
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            return work(session)
    except DBAPIError as exc:
        print(
            f"error: the database refused: {type(exc.orig).__name__}: {str(exc.orig).strip()}\n"
            "(is DATABASE_URL right, and has `ibbase migrate` run?)",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    finally:
        engine.dispose()


def _print_table(infos: list[TokenInfo]) -> None:
    now = datetime.now(UTC)
    rows = [("ID", "NAME", "SCOPE", "CHANNELS", "STATUS", "CREATED", "EXPIRES", "LAST USED")]
    rows += [
        (
            i.id,
            i.name,
            i.scope,
            _reach(i),
            i.status(now),
            _when(i.created_at),
            _when(i.expires_at, "never"),
            _when(i.last_used_at, "never"),
        )
        for i in infos
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _create(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > 128:
        print("error: --name must be 1 to 128 characters", file=sys.stderr)
        return 2
    try:
        expires_in = parse_duration(args.expires_in) if args.expires_in else None
    except ValueError as exc:
        print(f"error: --expires-in: {exc}", file=sys.stderr)
        return 2
    channels = None if args.all_channels else [c.strip() for c in args.channels]
    bad = [c for c in channels or () if not CHANNEL_ID.fullmatch(c)]
    if bad:
        print(
            f"error: --channel {bad[0]!r} is not a channel id: `default`, or a "
            "WhatsAppChannel's namespace.name",
            file=sys.stderr,
        )
        return 2
    token, info = _in_database(
        Settings(),
        lambda s: create_token(
            s, name=name, scope=Scope(args.scope), channels=channels, expires_in=expires_in
        ),
    )
    # Only once it is committed.
    print(f"created API token {_describe(info)}", file=sys.stderr)
    print("store it now: it is shown only this once", file=sys.stderr)
    print(token.value, flush=True)
    return 0


def _list(args: argparse.Namespace) -> int:
    _print_table(_in_database(Settings(), list_tokens))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    info = _in_database(Settings(), lambda s: revoke_token(s, args.id))
    if info is None:
        print(f"no API token {args.id!r}", file=sys.stderr)
        return 1
    print(f"revoked API token {_describe(info)}")
    return 0
