"""The conversation after a card, end to end: webhook → JetStream → worker → the Graph API
sandbox, the user's taps coming back as ``interactive`` webhooks. Real reader, real
database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from gateway.contacts.service import EDIT
from gateway.db import make_engine, make_sessionmaker
from gateway.models import CardImage, Contact, InboundMessage
from gateway.whatsapp import replies
from graph_sandbox import webhooks as wh
from ibbase_dev.simulate import SimulatedUser, reply_text
from tests.cardgen import known
from tests.harness import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
RU = replies.CARD_BUTTONS["ru"]


class Db:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(engine=self.engine)

    def contacts(self) -> list[dict[str, Any]]:
        with self.sessions() as s:
            return [
                {
                    "id": c.id,
                    "name": c.name,
                    "company": c.company,
                    "phones": [p.phone for p in c.phones],
                    "emails": [e.email for e in c.emails],
                    "note": c.note,
                    "confirmed": c.confirmed_at is not None,
                    "strengths": dict(c.strengths or {}),
                }
                for c in s.scalars(select(Contact).order_by(Contact.id))
            ]

    def photos(self) -> int:
        with self.sessions() as s:
            return len(s.scalars(select(CardImage.id)).all())

    def done(self, message_id: str) -> bool:
        with self.sessions() as s:
            state = s.scalar(
                select(InboundMessage.state).where(InboundMessage.message_id == message_id)
            )
            return state == "done"


@pytest.fixture
def db(database_url: str):
    handle = Db(database_url)
    yield handle
    handle.engine.dispose()


async def all_replies(user: SimulatedUser, message_id: str, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        found = await user.replies_to(message_id)
        return found if len(found) >= count else None

    return await wait_for(enough, timeout=90)


def transcript(*sent: dict[str, Any]) -> str:
    """What the user saw, for the closing note (run with -s)."""
    lines = []
    for message in sent:
        lines.append(f"← [{message['type']}] " + reply_text(message).replace("\n", "\n   "))
        action = (message.get("interactive") or {}).get("action") or {}
        if "buttons" in action:
            lines.append("   " + "  ".join(f"[{b['reply']['title']}]" for b in action["buttons"]))
        for section in action.get("sections", []):
            lines.append("   " + ", ".join(r["title"] for r in section["rows"]))
    return "\n".join(lines)


def button_ids(reply: dict[str, Any]) -> list[str]:
    return [b["reply"]["id"] for b in reply["interactive"]["action"]["buttons"]]


async def test_a_card_is_confirmed_fixed_and_comes_back_as_a_contact_card(
    pipeline, worker, db
) -> None:
    user = pipeline.user("447700900123", name="Sam")
    card_id = await user.send_image(known.QR_CARD.jpeg, caption="met at Innoprom, wants a demo")
    (reply,) = await all_replies(user, card_id, 1)
    # The reply lists what was read, with three buttons that name the card.
    assert reply["type"] == "interactive" and reply["interactive"]["type"] == "button"
    assert reply_text(reply).startswith(replies.CARD_HEADER["ru"])
    assert "+441134960381" in reply_text(reply)
    assert "📝 met at Innoprom, wants a demo" in reply_text(reply)
    assert button_ids(reply) == [f"card:{a}:{card_id}" for a in ("confirm", "fix", "delete")]
    assert [b["reply"]["title"] for b in reply["interactive"]["action"]["buttons"]] == [
        RU["confirm"],
        RU["fix"],
        RU["delete"],
    ]
    (stored,) = db.contacts()
    assert stored["note"] == "met at Innoprom, wants a demo"

    # ✏️ → a list of fields; pick the phone; send the new number as written on paper.
    fix = await user.tap(reply, f"card:fix:{card_id}")
    (menu,) = await all_replies(user, fix, 1)
    assert menu["interactive"]["type"] == "list"
    pick = await user.tap(menu, "field:phones")
    (ask,) = await all_replies(user, pick, 1)
    assert reply_text(ask) == replies.SEND_VALUE["ru"].format(field="Телефон")
    value = await user.send_text("+44 113 496 0999")
    (fixed,) = await all_replies(user, value, 1)
    assert reply_text(fixed).startswith(replies.FIXED["ru"]) and "+441134960999" in reply_text(
        fixed
    )
    # And a fix in one line, with the field named.
    one_line = await user.send_text("компания Harbourside Group")
    (fixed_again,) = await all_replies(user, one_line, 1)
    assert "Harbourside Group" in reply_text(fixed_again)
    (stored,) = db.contacts()
    assert stored["phones"] == ["+441134960999"] and stored["company"] == "Harbourside Group"
    assert stored["strengths"]["company"] == EDIT

    # A later read of the same card never overwrites what the person fixed.
    again = await user.send_image(known.QR_CARD.jpeg)
    (second,) = await all_replies(user, again, 1)
    (stored,) = db.contacts()
    assert stored["phones"] == ["+441134960999"] and stored["company"] == "Harbourside Group"

    # ✅ → confirmed, and the contact comes back as a card the phone saves in one tap.
    ok = await user.tap(second, f"card:confirm:{again}")
    confirmed, card = await all_replies(user, ok, 2)
    assert reply_text(confirmed) == replies.CONFIRMED["ru"]
    assert card["type"] == "contacts"
    (person,) = card["contacts"]
    assert person["name"]["formatted_name"] == "Olivia Hartley"
    assert [p["phone"] for p in person["phones"]] == ["+441134960999"]
    assert db.contacts()[0]["confirmed"]

    print("\n" + transcript(reply, menu, ask, fixed, fixed_again, second, confirmed, card))

    # 🗑 deletes the contact and both photos.
    gone = await user.tap(second, f"card:delete:{again}")
    (deleted,) = await all_replies(user, gone, 1)
    assert reply_text(deleted) == replies.DELETED["ru"].format(photos=2)
    assert db.contacts() == [] and db.photos() == 0


async def test_buttons_act_only_on_the_senders_own_cards_and_only_once(
    pipeline, worker, db
) -> None:
    owner, stranger = pipeline.user("447700900001"), pipeline.user("447700900002")
    card_id = await owner.send_image(known.QR_CARD.jpeg)
    (reply,) = await all_replies(owner, card_id, 1)
    # Another sender replaying the owner's button id (typed by hand) acts on nothing.
    forged = await stranger.tap(reply, f"card:delete:{card_id}")
    (refused,) = await all_replies(stranger, forged, 1)
    assert reply_text(refused) == replies.CARD_GONE["ru"]
    assert len(db.contacts()) == 1
    # Meta delivering the same tap twice: one change, one reply.
    tap = await owner.tap(reply, f"card:confirm:{card_id}")
    await all_replies(owner, tap, 2)
    await wait_for(lambda: db.done(tap))
    duplicate = wh.interactive_reply(
        owner.wa_id, f"card:confirm:{card_id}", RU["confirm"], context_id=reply["id"], msg_id=tap
    )
    await owner.send(duplicate)
    fence = await owner.send_text("/help")  # handled after the duplicate
    await all_replies(owner, fence, 1)
    assert len(await owner.replies_to(tap)) == 2
    assert len(db.contacts()) == 1


async def test_commands_last_find_undo_lang_export_and_forget(pipeline, worker, db) -> None:
    user = pipeline.user("447700900123")
    first = await user.send_image(known.QR_CARD.jpeg)
    await all_replies(user, first, 1)
    second = await user.send_image(known.OCR_CARD.jpeg)
    await all_replies(user, second, 1)

    last = await user.send_text("/last")
    (shown,) = await all_replies(user, last, 1)
    assert reply_text(shown).startswith(replies.LAST_HEADER["ru"])
    assert "Daniel Carter" in reply_text(shown)

    find = await user.send_text("/find harbour")
    (found,) = await all_replies(user, find, 1)
    assert "Olivia Hartley" in reply_text(found) and "Daniel Carter" not in reply_text(found)

    english = await user.send_text("/lang en")
    (switched,) = await all_replies(user, english, 1)
    assert reply_text(switched) == replies.LANG_SET["en"]
    russian = await user.send_text("привет")  # a chosen language stays, whatever the script
    (hint,) = await all_replies(user, russian, 1)
    assert reply_text(hint) == replies.TEXT_HINT["en"]

    export = await user.send_text("/export")
    (document,) = await all_replies(user, export, 1)
    assert document["type"] == "document" and document["document"]["filename"] == "contacts.vcf"
    assert reply_text(document) == replies.EXPORT_CAPTION["en"].format(count=2)

    undo = await user.send_text("/undo")
    (undone,) = await all_replies(user, undo, 1)
    assert "Daniel Carter" in reply_text(undone)
    assert [c["name"] for c in db.contacts()] == ["Olivia Hartley"]

    forget = await user.send_text("/forget")
    (forgotten,) = await all_replies(user, forget, 1)
    assert reply_text(forgotten) == replies.FORGOTTEN["en"].format(contacts=1, photos=1)
    assert db.contacts() == [] and db.photos() == 0


async def test_the_back_of_a_card_joins_its_front(pipeline, worker, db) -> None:
    user = pipeline.user("447700900123")
    front = await user.send_image(known.QR_CARD.jpeg)
    await all_replies(user, front, 1)
    # Captioned as the back: one contact with the fields of both sides and both photos.
    back = await user.send_image(known.OCR_CARD.jpeg, caption="оборот")
    (reply,) = await all_replies(user, back, 1)
    assert reply_text(reply).startswith(replies.MERGED_HEADER["ru"])
    (stored,) = db.contacts()
    assert set(stored["phones"]) >= {"+441134960381", "+13125550147"}
    assert stored["note"] is None  # "оборот" says which side; it is no note
    assert db.photos() == 2
    # A card of its own (other numbers, no caption) right after stays a contact of its own.
    other = await user.send_image(known.card("set7_0006").jpeg)
    await all_replies(user, other, 1)
    assert len(db.contacts()) == 2


def pdf_of(jpeg: bytes) -> bytes:
    """The card photo as a one-page PDF, as a scanner app sends it."""
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).convert("RGB").save(out, "PDF", resolution=200)
    return out.getvalue()


async def test_a_card_sent_as_a_pdf_is_read_and_other_documents_are_refused(
    pipeline, worker, db
) -> None:
    user = pipeline.user("447700900123")
    pdf = await user.send_document(pdf_of(known.QR_CARD.jpeg), "application/pdf", "card.pdf")
    (reply,) = await all_replies(user, pdf, 1)
    assert reply_text(reply).startswith(replies.CARD_HEADER["ru"]), reply_text(reply)
    (stored,) = db.contacts()
    assert stored["emails"] == ["olivia.hartley@harbourside.example.co.uk"]
    notes = await user.send_document(b"just notes", "text/plain", "notes.txt")
    (refused,) = await all_replies(user, notes, 1)
    assert reply_text(refused) == replies.NOT_AN_IMAGE["ru"]
