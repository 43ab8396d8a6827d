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


def test_contact_search_migration_fills_stored_rows_and_goes_both_ways(database_url: str) -> None:
    """0005 adds the search columns and their indexes, and fills them for the contacts
    stored before (more than one batch of them); search then finds those contacts."""
    from gateway.contacts.search import search_contacts
    from gateway.db import make_sessionmaker

    engine = make_engine(database_url)
    rows = 2500  # more than one of the migration's batches
    try:
        command.downgrade(alembic_config(database_url), "0004")
        assert "search_name" not in {c["name"] for c in inspect(engine).get_columns("contacts")}
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO contacts (id, name, company, websites, source, confidence, "
                    "strengths, created_at, updated_at) VALUES (:id, :name, :company, '[]', "
                    "'card', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                [
                    {"id": i, "name": f"Пётр Straße {i}", "company": "ООО «Ромашка»"}
                    for i in range(1, rows + 1)
                ],
            )
            conn.execute(
                text("INSERT INTO contact_phones (contact_id, phone) VALUES (:c, :p)"),
                [{"c": rows, "p": "+79161234567"}, {"c": rows, "p": "+4930901820"}],
            )
            conn.execute(
                text("INSERT INTO contact_emails (contact_id, email) VALUES (:c, :e)"),
                [{"c": 7, "e": "p.strasse@romashka.example"}],
            )
        upgrade(database_url)
        with engine.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT search_name, search_company, search_emails, search_phones "
                    "FROM contacts WHERE id IN (7, :last) ORDER BY id"
                ),
                {"last": rows},
            ).all()
        assert [tuple(r) for r in stored] == [
            ("петр strasse 7", "ооо «ромашка»", "p.strasse@romashka.example", ""),
            (f"петр strasse {rows}", "ооо «ромашка»", "", "79161234567\n4930901820"),
        ]
        with make_sessionmaker(engine)() as session:
            assert search_contacts(session, q="STRASSE 25")[1] == 12  # 25, 250-259, 2500
            assert [c.id for c in search_contacts(session, q="9161234")[0]] == [rows]
            assert [c.id for c in search_contacts(session, q="p.strasse@")[0]] == [7]
            assert search_contacts(session, company="ромашка")[1] == rows
        command.downgrade(alembic_config(database_url), "0004")
        columns = {c["name"] for c in inspect(engine).get_columns("contacts")}
        assert not columns & {"search_name", "search_company", "search_emails", "search_phones"}
        assert "contacts_fts" not in inspect(engine).get_table_names()
        indexes = {i["name"] for i in inspect(engine).get_indexes("outbound_messages")}
        assert "ix_outbound_messages_reply_to" not in indexes
        upgrade(database_url)
        indexes = {i["name"] for i in inspect(engine).get_indexes("contacts")}
        if engine.dialect.name == "postgresql":
            assert {"ix_contacts_search_text", "ix_contacts_search_phones"} <= indexes
        else:
            assert "contacts_fts" in inspect(engine).get_table_names()
        with make_sessionmaker(engine)() as session:
            assert search_contacts(session, q="STRASSE 25")[1] == 12
    finally:
        engine.dispose()
