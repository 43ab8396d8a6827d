"""Issue 15, findings 2-4: no channel, sender or token reaches another channel's data.

Against the real gateway (over HTTP), the real worker, JetStream and the database:
- finding 2: the single-channel route refuses events for any number but its own, even
  validly signed (one app secret signs for every number of a Meta app);
- finding 3: API tokens see their channels' contacts only (ids of other channels' contacts
  are "not found"), and a card on one channel never merges into another channel's contact;
- finding 4: with an allowlist, strangers store nothing and `/status` tells them no counts;
  in an open channel a sender's shared contact merges only with that sender's own contacts,
  is stored sanitised, and never overwrites a stronger (QR) value.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.service import create_token
from gateway.auth.tokens import Scope
from gateway.contacts.schemas import ContactFields
from gateway.contacts.service import upsert_contact
from gateway.db import make_engine, make_sessionmaker, transaction
from gateway.models import Contact, InboundMessage
from graph_sandbox import webhooks as wh
from ibbase_dev.simulate import reply_text
from tests.harness import WorkerTask, admin_headers, wait_for

OTHER_PHONE = "111000000000002"  # a registry channel's number, not the single channel's


@pytest.fixture
def db(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def contact(db: sessionmaker[Session], channel: str, **fields: Any) -> int:
    with transaction(db) as session:
        row, _ = upsert_contact(
            session, ContactFields(**fields), owner_id=None, source="card", channel_id=channel
        )
        return row.id


def token(db: sessionmaker[Session], scope: Scope, channels: list[str] | None) -> dict[str, str]:
    with transaction(db) as session:
        new, _ = create_token(
            session, name="t", scope=scope, channels=channels, expires_in=timedelta(hours=1)
        )
    return {"Authorization": f"Bearer {new.value}"}


async def test_finding_2_single_route_serves_only_its_own_number(start_gateway, db) -> None:
    p = start_gateway()
    payload = wh.envelope(OTHER_PHONE, messages=[wh.text_message("79000000001", "/status")])
    body = wh.encode(payload)
    secret = p.settings.whatsapp_app_secret.get_secret_value()
    answer = await p.http.post(
        p.webhook, content=body, headers={"X-Hub-Signature-256": wh.sign(body, secret)}
    )
    assert answer.status_code == 403, answer.text
    assert OTHER_PHONE in answer.json()["error"]["message"]
    # Its own number is still served.
    own = wh.envelope(p.settings.whatsapp_phone_id, messages=[wh.text_message("7900", "/help")])
    body = wh.encode(own)
    answer = await p.http.post(
        p.webhook, content=body, headers={"X-Hub-Signature-256": wh.sign(body, secret)}
    )
    assert answer.status_code == 200, answer.text


async def test_finding_3_tokens_see_their_channels_contacts_only(start_gateway, db) -> None:
    p = start_gateway()
    mine = contact(db, "crm.sales", name="Anna Mine", phones=["+74950000001"])
    theirs = contact(db, "crm.support", name="Boris Theirs", phones=["+74950000002"])
    default = contact(db, "default", name="Vera Default", emails=["vera@example.com"])
    api = f"{p.gateway.url}/api/contacts"

    viewer = token(db, Scope.VIEWER, ["crm.sales"])
    listed = (await p.http.get(api, headers=viewer)).json()
    assert [c["id"] for c in listed["items"]] == [mine] and listed["total"] == 1
    assert (await p.http.get(f"{api}?q=Boris", headers=viewer)).json()["total"] == 0
    assert (await p.http.get(f"{api}?phone=74950000002", headers=viewer)).json()["total"] == 0
    for cid in (theirs, default):  # sequential ids lead nowhere: "not found", like a gap
        for path in (f"{api}/{cid}", f"{api}/{cid}/vcard"):
            answer = await p.http.get(path, headers=viewer)
            assert answer.status_code == 404, (path, answer.text)
            assert "Boris" not in answer.text and "Vera" not in answer.text
    assert (await p.http.get(f"{api}/{mine}/vcard", headers=viewer)).status_code == 200

    everything = token(db, Scope.VIEWER, None)
    assert (await p.http.get(api, headers=everything)).json()["total"] == 3
    assert (await p.http.get(api, headers=admin_headers(p.settings))).json()["total"] == 3

    # An admin token of another channel may not send from the `default` channel's number.
    admin = token(db, Scope.ADMIN, ["crm.sales"])
    sent = await p.http.post(
        f"{p.gateway.url}/api/whatsapp/send",
        json={"to": "79000000001", "message": "hi"},
        headers=admin,
    )
    assert sent.status_code == 403, sent.text


def test_finding_3_cards_never_merge_across_channels(db) -> None:
    theirs = contact(db, "crm.support", name="Boris Theirs", phones=["+74950000002"])
    mine = contact(db, "crm.sales", name="Someone Else", phones=["+74950000002"])
    assert mine != theirs
    with transaction(db) as session:
        kept = session.get(Contact, theirs)
        assert kept is not None and kept.name == "Boris Theirs"


async def test_finding_4_allowlist_strangers_store_nothing_and_see_no_counts(
    start_gateway, card_reader, db
) -> None:
    staff = "79000000111"
    p = start_gateway(sender_policy="allowlist", sender_allowlist=f"+{staff}")
    contact(db, "default", name="Vera Default", emails=["vera@example.com"])
    worker = WorkerTask(p.settings, card_reader)
    try:
        stranger = p.user("79000000999")
        card = wh.contacts_message(
            "79000000999",
            [{"name": {"formatted_name": "Spam Bot"}, "phones": [{"phone": "+74950009999"}]}],
        )
        refused = reply_text(await stranger.wait_reply(await stranger.send(card)))
        assert "staff only" in refused or "сотрудников" in refused
        status = reply_text(await stranger.wait_reply(await stranger.send_text("/status")))
        assert "Contacts" not in status and "Контактов" not in status
        assert "Queued" not in status and "В очереди" not in status

        member = p.user(staff)
        status = reply_text(await member.wait_reply(await member.send_text("/status")))
        assert "Contacts stored: 1" in status or "Контактов: 1" in status
    finally:
        await worker.stop()
    with transaction(db) as session:
        names = set(session.scalars(select(Contact.name)))
        assert names == {"Vera Default"}  # the stranger's shared contact was not stored
        assert session.scalar(select(InboundMessage.id).limit(1)) is not None


async def test_finding_4_shared_contacts_are_sanitised_and_weaker_than_a_qr(
    start_gateway, card_reader, db
) -> None:
    p = start_gateway()
    owner_a, owner_b = "79000000201", "79000000202"
    worker = WorkerTask(p.settings, card_reader)
    try:
        a = p.user(owner_a)
        first = wh.contacts_message(
            owner_a,
            [{"name": {"formatted_name": "Real Name\r\nInjected: yes\x1b[31m"},
              "org": {"company": "ACME\x07 Ltd"}, "phones": [{"phone": "+74951112233"}]}],
        )  # fmt: skip
        await a.wait_reply(await a.send(first))
        b = p.user(owner_b)
        takeover = wh.contacts_message(
            owner_b,
            [{"name": {"formatted_name": "Hijacked"}, "org": {"company": "Evil Corp"},
              "phones": [{"phone": "+74951112233"}]}],
        )  # fmt: skip
        await b.wait_reply(await b.send(takeover))
    finally:
        await worker.stop()

    def rows() -> list[tuple[str | None, str | None, int | None]]:
        with transaction(db) as session:
            stmt = select(Contact.name, Contact.company, Contact.owner_id).order_by(Contact.id)
            return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]

    stored = await wait_for(lambda: len(rows()) == 2 and rows())
    (name_a, company_a, owner_id_a), (name_b, company_b, owner_id_b) = stored
    # Stored like card text: one line, no control characters or escape sequences.
    assert name_a == "Real Name Injected: yes" and company_a == "ACME Ltd"
    # Another sender's contact with the same phone is a contact of their own.
    assert (name_b, company_b) == ("Hijacked", "Evil Corp") and owner_id_a != owner_id_b

    # A shared contact never overwrites what a QR code said (a stronger source).
    with transaction(db) as session:
        qr_card, _ = upsert_contact(
            session,
            ContactFields(name="Qr Name", company="Qr Co", phones=["+74957778899"]),
            owner_id=owner_id_a,
            source="card",
            field_sources={"name": "qr", "company": "qr+ocr"},
            confidence={"name": 1.0, "company": 1.0},
        )
        shared, created = upsert_contact(
            session,
            ContactFields(name="Weaker", company="Weaker Co", phones=["+74957778899"],
                          emails=["new@example.com"]),
            owner_id=owner_id_a,
            source="shared_contact",
        )  # fmt: skip
        assert not created and shared.id == qr_card.id
        assert (shared.name, shared.company) == ("Qr Name", "Qr Co")
        assert [e.email for e in shared.emails] == ["new@example.com"]  # lists still grow
