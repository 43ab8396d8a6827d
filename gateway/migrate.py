"""Run the Alembic migrations programmatically (``ibbase migrate``, start-up of ``ibbase up``),
and tell whether a database carries the schema this version needs (the worker's start-up)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from gateway.db import normalise_url

MIGRATIONS = Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)
# Migrations may rewrite big tables: no statement or idle timeout on their connection.
_NO_TIMEOUTS = "-c statement_timeout=0 -c idle_in_transaction_session_timeout=0"


class DatabaseMisconfigured(RuntimeError):
    """A database no wait makes usable (missing, credentials refused, without the schema):
    the message says what to fix."""


class DatabaseNotMigrated(DatabaseMisconfigured):
    """The database lacks the schema this version needs: ``ibbase migrate`` has not run."""


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on '%' in passwords.
    cfg.set_main_option("sqlalchemy.url", _without_timeouts(database_url).replace("%", "%%"))
    return cfg


def _without_timeouts(database_url: str) -> str:
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "postgresql":
        return url.render_as_string(hide_password=False)
    given = url.query.get("options")
    given = given if isinstance(given, str) else " ".join(given or ())
    # Later -c settings win: these come after the engine's own timeouts.
    url = url.update_query_dict({"options": f"{given} {_NO_TIMEOUTS}".strip()})
    return url.render_as_string(hide_password=False)


def schema_problem(engine: Engine) -> str | None:
    """Why this version cannot use the database's schema (never migrated, or migrated to
    an older revision), or None. A revision this version does not know (a newer release
    migrated it) is let through with a warning: migrations only add."""
    script = ScriptDirectory(str(MIGRATIONS))
    heads = set(script.get_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    where = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
        tables = len(inspect(conn).get_table_names()) if not current else 0
    if not current:
        found = f"{tables} tables, none of them Alembic's" if tables else "no tables"
        return (
            f"the database {where} has no ibbase schema ({found}: never migrated). "
            "Run `ibbase migrate` with the same DATABASE_URL, then start the worker again"
        )
    if current == heads:
        return None
    if current - known:
        log.warning(
            "database schema at revision %s, unknown to this version (head %s): a newer "
            "release migrated it",
            ", ".join(sorted(current)),
            ", ".join(sorted(heads)),
        )
        return None
    return (
        f"the database {where} is at schema revision {', '.join(sorted(current))}; this "
        f"version needs {', '.join(sorted(heads))}. Run `ibbase migrate` with the same "
        "DATABASE_URL, then start the worker again"
    )


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
