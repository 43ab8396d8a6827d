"""contact search on an index: folded search columns, their trigram indexes (pg_trgm on
PostgreSQL, an FTS5 trigram table on SQLite), and the index that reply claims look up

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:30:00

The search columns of the rows stored before are filled here, a batch at a time, by the
function that fills them on every write (``gateway.contacts.folding.search_values``).

On SQLite the FTS5 table ``contacts_fts`` reads its text from ``contacts`` (an external
content table) and triggers keep it in step with every insert, update and delete. A later
migration that recreates ``contacts`` (Alembic's batch mode on SQLite) drops those
triggers with the old table: it must run ``create_fts_triggers`` again.
"""

from collections.abc import Sequence
from itertools import groupby

import sqlalchemy as sa
from alembic import op

from gateway.contacts.folding import search_values

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("search_name", "search_company", "search_emails", "search_phones")
BATCH = 2000
# FTS5's trigram tokenizer came with SQLite 3.34.
SQLITE_TRIGRAM = (3, 34, 0)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("contacts") as batch:
        for column in COLUMNS:
            batch.add_column(sa.Column(column, sa.Text(), nullable=False, server_default=""))
    _backfill(bind)
    op.create_index("ix_outbound_messages_reply_to", "outbound_messages", ["reply_to"])
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_contacts_search_text ON contacts USING gin "
            "(search_name gin_trgm_ops, search_company gin_trgm_ops, search_emails gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX ix_contacts_search_phones ON contacts USING gin "
            "(search_phones gin_trgm_ops)"
        )
    elif bind.dialect.name == "sqlite":
        _require_trigram(bind)
        op.execute(
            "CREATE VIRTUAL TABLE contacts_fts USING fts5("
            f"{', '.join(COLUMNS)}, content='contacts', content_rowid='id', "
            "tokenize='trigram case_sensitive 1')"
        )
        op.execute("INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')")
        create_fts_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_contacts_search_phones")
        op.execute("DROP INDEX IF EXISTS ix_contacts_search_text")
        # pg_trgm stays: other schemas of the database may use it.
    elif op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS contacts_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS contacts_fts")
    op.drop_index("ix_outbound_messages_reply_to", table_name="outbound_messages")
    with op.batch_alter_table("contacts") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)


def _require_trigram(bind: sa.Connection) -> None:
    raw = bind.exec_driver_sql("SELECT sqlite_version()").scalar_one()
    version = tuple(int(part) for part in str(raw).split("."))
    if version < SQLITE_TRIGRAM:
        raise RuntimeError(
            f"SQLite {raw} has no FTS5 trigram tokenizer, which contact search needs: "
            "use SQLite 3.34 or later (the Python of the gateway's image has it)"
        )


def create_fts_triggers() -> None:
    """Keep ``contacts_fts`` in step with ``contacts`` (SQLite)."""
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    listed = ", ".join(COLUMNS)
    insert = f"INSERT INTO contacts_fts(rowid, {listed}) VALUES (new.id, {new});"
    remove = (
        f"INSERT INTO contacts_fts(contacts_fts, rowid, {listed}) VALUES ('delete', old.id, {old});"
    )
    op.execute(f"CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER contacts_fts_update AFTER UPDATE OF {listed} ON contacts "
        f"BEGIN {remove} {insert} END"
    )


def _backfill(bind: sa.Connection) -> None:
    """Fill the search columns of the stored contacts, ``BATCH`` rows a statement."""
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("company", sa.String),
        *(sa.column(c, sa.Text) for c in COLUMNS),
    )
    emails = sa.table("contact_emails", sa.column("contact_id"), sa.column("email"))
    phones = sa.table("contact_phones", sa.column("contact_id"), sa.column("phone"))
    # The SET clause comes from the parameters' keys: the search columns.
    update = sa.update(contacts).where(contacts.c.id == sa.bindparam("row_id"))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(contacts.c.id, contacts.c.name, contacts.c.company)
            .where(contacts.c.id > last)
            .order_by(contacts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        by_contact = {
            "emails": _grouped(bind, emails, emails.c.email, ids),
            "phones": _grouped(bind, phones, phones.c.phone, ids),
        }
        bind.execute(
            update,
            [
                {
                    "row_id": row.id,
                    **search_values(
                        row.name,
                        row.company,
                        by_contact["emails"].get(row.id, []),
                        by_contact["phones"].get(row.id, []),
                    ),
                }
                for row in rows
            ],
        )
        last = ids[-1]


def _grouped(
    bind: sa.Connection, table: sa.TableClause, value: sa.ColumnClause[str], ids: list[int]
) -> dict[int, list[str]]:
    """The values of these contacts, in the order they were added (as a contact lists them)."""
    rows = bind.execute(
        sa.select(table.c.contact_id, value)
        .where(table.c.contact_id.in_(ids))
        .order_by(table.c.contact_id, sa.literal_column("id"))
    ).all()
    return {cid: [r[1] for r in group] for cid, group in groupby(rows, key=lambda r: r[0])}
