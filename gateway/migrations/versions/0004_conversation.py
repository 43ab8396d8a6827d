"""the conversation after a card: the contact's note and confirmation, replies other than
text, the user's pending fix and chosen language

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("fixing_contact_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("fixing_field", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("lang_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("lang_chosen")
        batch.drop_column("fixing_field")
        batch.drop_column("fixing_contact_id")
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("payload")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("confirmed_at")
        batch.drop_column("note")
