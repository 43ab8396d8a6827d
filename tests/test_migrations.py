import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from gateway.db import make_engine
from gateway.migrate import alembic_config, upgrade
from gateway.models import Base


def test_migrations_create_every_table(database_url: str) -> None:
    engine = make_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_api_tokens_migration_goes_both_ways(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ibbase.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0001")
    engine = make_engine(url)
    assert "api_tokens" not in inspect(engine).get_table_names()
    upgrade(url)
    assert "api_tokens" in inspect(engine).get_table_names()
    engine.dispose()


def test_channel_scope_migration_keeps_rows_in_the_default_channel(database_url: str) -> None:
    """Rows stored before channels had scope belong to the single channel, ``default``;
    a user is unique per channel, so one person on two channels is two users."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (user_key, created_at, updated_at) "
                    "VALUES ('wa:1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO users (channel_id, user_key, created_at, updated_at) "
                    "VALUES ('ns.sales', 'wa:1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            rows = conn.execute(text("SELECT channel_id FROM users ORDER BY id")).all()
        assert [r[0] for r in rows] == ["default", "ns.sales"]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (channel_id, user_key, created_at, updated_at) "
                    "VALUES ('ns.sales', 'wa:1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
    finally:
        engine.dispose()


def test_channel_scope_migration_goes_both_ways(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'ibbase.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0002")
    engine = make_engine(url)
    assert "channel_id" not in {c["name"] for c in inspect(engine).get_columns("contacts")}
    upgrade(url)
    assert "channel_id" in {c["name"] for c in inspect(engine).get_columns("contacts")}
    engine.dispose()


def test_conversation_migration_goes_both_ways(database_url: str) -> None:
    """0004 adds the contact's note and confirmation, non-text replies' payload and the
    user's pending fix; down and up again on both databases."""
    engine = make_engine(database_url)
    added = {
        "contacts": {"note", "confirmed_at"},
        "outbound_messages": {"payload"},
        "users": {"fixing_contact_id", "fixing_field", "lang_chosen"},
    }
    try:
        command.downgrade(alembic_config(database_url), "0003")
        for table, columns in added.items():
            assert not columns & {c["name"] for c in inspect(engine).get_columns(table)}
        upgrade(database_url)
        for table, columns in added.items():
            assert columns <= {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()
