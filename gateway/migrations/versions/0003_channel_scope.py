"""channel scope: every row belongs to one channel; tokens to channels; field strengths

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 08:00:00

Rows stored before this revision came from the single channel: they become ``default``'s.
Tokens created before it keep reaching every channel (``channels`` NULL), as they did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNNAMED = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
SCOPED = ("users", "inbound_messages", "contacts", "card_images", "outbound_messages")


def upgrade() -> None:
    for table in SCOPED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "channel_id", sa.String(length=253), nullable=False, server_default="default"
                )
            )
    # 0001 left the constraint unnamed: PostgreSQL named it users_user_key_key; SQLite's
    # copy of the table gets the name from this convention.
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("users", naming_convention=_UNNAMED) as batch:
        batch.drop_constraint("users_user_key_key" if postgres else "uq_users_user_key", "unique")
        batch.create_unique_constraint("uq_users_channel_id_user_key", ["channel_id", "user_key"])
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("strengths", sa.JSON(), nullable=False, server_default="{}"))
        batch.create_index("ix_contacts_channel_owner", ["channel_id", "owner_id"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("channels", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("channels")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_channel_owner")
        batch.drop_column("strengths")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_channel_id_user_key", type_="unique")
        batch.create_unique_constraint("uq_users_user_key", ["user_key"])
    for table in SCOPED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("channel_id")
