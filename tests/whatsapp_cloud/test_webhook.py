import json
from pathlib import Path

import pytest

from graph_sandbox import webhooks as wh
from whatsapp_cloud.errors import MalformedDelivery, NotThisChannel
from whatsapp_cloud.webhook import InboundEvent, parse_body, require_owner, split_envelope

DATA = Path(__file__).resolve().parents[1] / "data" / "whatsapp"
CASES = sorted(p.stem for p in DATA.glob("*.json"))


def load(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


@pytest.mark.parametrize("name", CASES)
def test_every_named_payload_splits_into_events(name: str) -> None:
    events = split_envelope(load(name))
    assert len(events) == 1
    event = events[0]
    assert event.phone_number_id in ("106540352242922", "")
    assert InboundEvent.from_json(event.to_json()) == event
    expected_kind = {
        "message": "message",
        "status": "status",
        "errors": "error",
        "account": "other",
    }[name.split("_")[0]]
    assert event.kind == expected_kind


def test_message_event_ids_are_the_wamids() -> None:
    msg = load("message_text")["entry"][0]["changes"][0]["value"]["messages"][0]
    (event,) = split_envelope(load("message_text"))
    assert event.event_id == f"msg:{msg['id']}"
    assert event.subject("whatsapp.inbound") == "whatsapp.inbound.106540352242922.message"


def test_each_status_of_one_message_is_its_own_event() -> None:
    ids = {split_envelope(load(f"status_{s}"))[0].event_id for s in ("sent", "delivered", "read")}
    assert len(ids) == 3


def test_batched_post_two_entries_two_changes_each() -> None:
    def change(i: int) -> dict:
        return wh.envelope(
            "106540352242922",
            messages=[wh.text_message("79000000000", f"m{i}", msg_id=f"wamid.m{i}")],
            statuses=[wh.status(f"wamid.s{i}", "79000000000", "delivered")],
        )["entry"][0]["changes"][0]

    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [change(1), change(2)]},
            {"id": "2", "changes": [change(3), change(4)]},
        ],
    }
    events = split_envelope(body)
    assert [e.kind for e in events].count("message") == 4
    assert [e.kind for e in events].count("status") == 4
    assert len({e.event_id for e in events}) == 8


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[1,2]", b'"text"', b"null"])
def test_malformed_json_is_a_clear_400(raw: bytes) -> None:
    with pytest.raises(MalformedDelivery):
        split_envelope(parse_body(raw))


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": []},
        {"object": "whatsapp_business_account", "entry": {"id": "1"}},
        {"object": "whatsapp_business_account", "entry": [{"changes": "x"}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
        {
            "object": "whatsapp_business_account",
            "entry": [
                {"changes": [{"field": "messages", "value": {"messages": [{"type": "text"}]}}]}
            ],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"messages": {"id": "x"}}}]}],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"id": 1}]}}]}],
        },
    ],
)
def test_wrong_shapes_are_refused(body: dict) -> None:
    with pytest.raises(MalformedDelivery):
        split_envelope(body)


def test_events_of_a_registry_channel_carry_its_id_and_stay_readable_by_old_code() -> None:
    (single,) = split_envelope(load("message_text"))
    assert "channel_id" not in json.loads(single.to_json())  # unchanged format
    (event,) = split_envelope(load("message_text"), channel_id="crm.sales-ru")
    stored = json.loads(event.to_json())
    assert stored["channel_id"] == "crm.sales-ru"
    assert InboundEvent.from_json(event.to_json()) == event
    assert event.subject("p") == single.subject("p")  # same subjects as before


def test_require_owner_checks_every_entry_and_every_named_number() -> None:
    phone, waba = "106540352242922", "102290129340398"
    ok = wh.merge(
        wh.envelope(phone, messages=[wh.text_message("79000000000", "a")], waba_id=waba),
        wh.envelope(phone, statuses=[wh.status(wh.new_wamid(), "7900", "read")], waba_id=waba),
    )
    split_envelope(ok)
    require_owner(ok, phone_number_id=phone, business_account_id=waba)
    foreign_number = wh.merge(ok, wh.envelope("106540352242923", waba_id=waba))
    foreign_waba = wh.merge(ok, wh.envelope(phone, waba_id="102290129340399"))
    for body, problem in ((foreign_number, "phone number id"), (foreign_waba, "business account")):
        split_envelope(body)
        with pytest.raises(NotThisChannel, match=problem):
            require_owner(body, phone_number_id=phone, business_account_id=waba)
    no_metadata = {"object": "whatsapp_business_account", "entry": [{"id": waba, "changes": []}]}
    require_owner(no_metadata, phone_number_id=phone, business_account_id=waba)
