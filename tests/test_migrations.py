from alembic import command
from sqlalchemy import inspect

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
