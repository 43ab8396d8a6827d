"""The hot queries use their indexes on PostgreSQL at a realistic size: the statements the
real service functions send (captured as they run) are EXPLAINed on tens of thousands of
contacts and messages, and each must reach its table through the expected index, never a
sequential scan of the big table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from gateway.contacts.search import search_contacts
from gateway.contacts.service import find_match
from gateway.db import Base, make_engine
from gateway.models import InboundMessage
from gateway.whatsapp.outbound import apply_status, claim_replies, seconds_until_claimable

pytestmark = pytest.mark.postgres

ROWS = 60_000

# Names, companies and e-mails of many distinct trigrams (md5 spelled in Cyrillic and
# Latin letters), as real ones have: an index is only worth it when it selects few rows.
# A fifth of the replies are unsent (a backlog after an outage), so that ``wamid IS NULL``
# alone would not find a message's replies quickly.
FILL = [
    """INSERT INTO contacts (id, channel_id, name, company, websites, source, confidence,
        strengths, created_at, updated_at, search_name, search_company, search_emails,
        search_phones)
    SELECT g, CASE WHEN g % 10 = 0 THEN 'ns.other' ELSE 'default' END, n, c, '[]', 'card',
        '{}', '{}', now() - g * interval '1 second', now(), lower(n), lower(c),
        'user' || g || '@' || left(md5(c), 6) || '.example', '7' || (9000000000 + g)
    FROM (
        SELECT g,
            translate(left(md5(g::text), 12), '0123456789abcdef', 'абвгдежзиклмнопр') AS n,
            'Firm ' || left(md5((g % 5000)::text), 8) AS c
        FROM generate_series(1, :rows) AS g
    ) AS generated""",
    """INSERT INTO contact_emails (contact_id, email)
    SELECT id, search_emails FROM contacts""",
    """INSERT INTO contact_phones (contact_id, phone)
    SELECT id, '+' || search_phones FROM contacts""",
    """INSERT INTO inbound_messages (message_id, channel_id, phone_number_id, type, state,
        payload, created_at)
    SELECT 'wamid.in.' || g, 'default', '1065', 'image', 'done', '{}', now()
    FROM generate_series(1, :rows) AS g""",
    """INSERT INTO outbound_messages (idempotency_key, wamid, channel_id, to_wa_id, kind,
        reply_to, status, status_rank, errors, created_at, updated_at)
    SELECT 'reply:' || g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'wamid.out.' || g END,
        'default', '7900' || g, 'reply', 'wamid.in.' || (g / 2),
        CASE WHEN g % 5 = 0 THEN 'pending' ELSE 'sent' END, 1, '[]', now(), now()
    FROM generate_series(1, :rows) AS g""",
]


def _truncate(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="module")
def big(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    _truncate(engine)
    with engine.begin() as conn:
        for statement in FILL:
            conn.execute(text(statement), {"rows": ROWS})
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    yield engine
    _truncate(engine)
    engine.dispose()


class Plans:
    """The plans of the statements an engine sends while ``capture`` is on."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sent: list[tuple[str, Any]] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.sent.append((statement, params))

    def run(self, work: Any) -> list[str]:
        """Run ``work(session)`` (rolled back after); the plan of each statement it sent."""
        self.sent.clear()
        event.listen(self.engine, "before_cursor_execute", self._record)
        try:
            with Session(self.engine) as session:
                work(session)
                session.rollback()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._record)
        plans = []
        with self.engine.connect() as conn:
            for statement, params in self.sent:
                rows = conn.exec_driver_sql(f"EXPLAIN {statement}", params).all()
                plans.append("\n".join(row[0] for row in rows))
        return plans


@pytest.fixture
def plans(big: Engine) -> Plans:
    return Plans(big)


def _first(plans: list[str]) -> str:
    return plans[0]


def _uses(plan: str, index: str, table: str) -> None:
    assert f"Index Scan on {index}" in plan or f"Index Scan using {index}" in plan, plan
    assert f"Seq Scan on {table}" not in plan, plan


DEFAULT = frozenset({"default"})


@pytest.mark.parametrize(
    "criteria",
    [
        {"q": "ГДЕЖЗ"},  # Cyrillic, upper case: folded before it is looked up
        {"name": "бвгде"},
        {"company": "firm 1a2b"},
        {"q": "user4242@"},
        {"email": "user4242@"},
        {"name": "авгд", "company": "firm"},
    ],
)
def test_text_search_uses_the_trigram_index(plans: Plans, criteria: dict[str, Any]) -> None:
    plan = _first(plans.run(lambda s: search_contacts(s, channels=DEFAULT, **criteria)))
    _uses(plan, "ix_contacts_search_text", "contacts")


@pytest.mark.parametrize("criteria", [{"phone": "+7 900 004-24-2"}, {"q": "9000042424"}])
def test_phone_search_uses_the_trigram_index(plans: Plans, criteria: dict[str, Any]) -> None:
    plan = _first(plans.run(lambda s: search_contacts(s, channels=DEFAULT, **criteria)))
    _uses(plan, "ix_contacts_search_phones", "contacts")


def test_merge_lookup_uses_the_email_and_phone_indexes(plans: Plans) -> None:
    email, phone = "user4242@c4ca42.example", "+79000042424"
    by_email = _first(plans.run(lambda s: find_match(s, [email], [], "default", None)))
    _uses(by_email, "ix_contact_emails_email", "contact_emails")
    by_phone = _first(plans.run(lambda s: find_match(s, [], [phone], "default", 7)))
    _uses(by_phone, "ix_contact_phones_phone", "contact_phones")
    both = _first(plans.run(lambda s: find_match(s, [email], [phone], "default", None)))
    _uses(both, "ix_contact_emails_email", "contact_emails")
    _uses(both, "ix_contact_phones_phone", "contact_phones")
    assert "Seq Scan on contacts" not in both, both


def test_reply_claims_use_the_reply_to_index(plans: Plans) -> None:
    stale = timedelta(minutes=1)
    claim = plans.run(lambda s: claim_replies(s, "wamid.in.4242", stale))
    _uses(claim[0], "ix_outbound_messages_reply_to", "outbound_messages")
    assert all("Seq Scan" not in plan for plan in claim), claim
    waiting = _first(plans.run(lambda s: seconds_until_claimable(s, "wamid.in.4242", stale)))
    _uses(waiting, "ix_outbound_messages_reply_to", "outbound_messages")


def test_status_by_wamid_and_inbound_by_message_id_use_their_unique_index(
    plans: Plans,
) -> None:
    status = {"id": "wamid.out.4242", "status": "delivered", "timestamp": "1700000000"}
    applied = plans.run(lambda s: apply_status(s, status, "default"))
    assert applied and all("Seq Scan" not in plan for plan in applied), applied
    _uses(applied[0], "outbound_messages_wamid_key", "outbound_messages")
    # The worker's look-up of a message it was handed (gateway.whatsapp.tasks).
    stored = select(InboundMessage.state).where(InboundMessage.message_id == "wamid.in.4242")
    inbound = _first(plans.run(lambda s: s.execute(stored)))
    _uses(inbound, "inbound_messages_message_id_key", "inbound_messages")
