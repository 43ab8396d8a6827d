"""Webhook payloads built as Meta sends them, and signed as Meta signs them."""

from __future__ import annotations

import json
from pathlib import Path

from graph_sandbox import webhooks as wh

# Known-answer vector from pywa's test suite (tests/test_server.py): a real payload Meta
# delivered, its app secret (since reset) and the X-Hub-Signature-256 Meta sent with it.
_VECTOR = json.loads(
    (
        Path(__file__).resolve().parents[1] / "data" / "signatures" / "pywa_known_answer.json"
    ).read_text()
)
PYWA_SECRET: str = _VECTOR["app_secret"]
PYWA_BODY: bytes = _VECTOR["body"].encode()
PYWA_SIGNATURE: str = _VECTOR["signature"]


def test_sign_known_answer() -> None:
    assert wh.sign(PYWA_BODY, PYWA_SECRET) == PYWA_SIGNATURE


def test_builders_reproduce_a_real_payload_byte_for_byte() -> None:
    message = wh.text_message(
        "972544401243",
        "Hey there! I am using PyWa.",
        msg_id="wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA",
        timestamp=1730231903,
    )
    payload = wh.envelope(
        "277321005464405",
        messages=[message],
        contacts=[wh.contact("972544401243", "PyWa Tests")],
        display_phone_number="15550953877",
        waba_id="264937493375603",
    )
    body = wh.encode(payload)
    assert body == PYWA_BODY
    assert wh.sign(body, PYWA_SECRET) == PYWA_SIGNATURE


def test_envelope_shape() -> None:
    payload = wh.envelope(
        "106540352242922",
        messages=[wh.text_message("15551234567", "/start", user_id="US.1349120865")],
        contacts=[wh.contact("15551234567", "Anna", user_id="US.1349120865")],
    )
    assert payload["object"] == "whatsapp_business_account"
    (entry,) = payload["entry"]
    (change,) = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"]["phone_number_id"] == "106540352242922"
    assert "statuses" not in value and "errors" not in value
    (message,) = value["messages"]
    assert message["from"] == "15551234567"
    assert message["from_user_id"] == "US.1349120865"
    assert isinstance(message["timestamp"], str) and message["timestamp"].isdigit()
    assert value["contacts"] == [
        {"profile": {"name": "Anna"}, "wa_id": "15551234567", "user_id": "US.1349120865"}
    ]


def test_username_only_user_has_no_phone() -> None:
    message = wh.text_message(None, "hi", user_id="BR.1502576394655843")
    assert "from" not in message and message["from_user_id"] == "BR.1502576394655843"
    contact = wh.contact(None, "Ana", user_id="BR.1502576394655843", username="@ana")
    assert "wa_id" not in contact and contact["profile"]["username"] == "@ana"


def test_media_messages() -> None:
    data = b"\xff\xd8 jpeg"
    image = wh.image_message("1555", "4490709327384033", sha256=wh.sha256_b64(data), caption="c")
    assert image["type"] == "image"
    assert image["image"] == {
        "mime_type": "image/jpeg",
        "sha256": wh.sha256_b64(data),
        "id": "4490709327384033",
        "caption": "c",
    }
    doc = wh.document_message("1555", "1", sha256="x", mime_type="image/png", filename="card.png")
    assert doc["document"]["filename"] == "card.png"
    assert wh.audio_message("1555", "1", sha256="x")["audio"]["voice"] is True
    assert wh.video_message("1555", "1", sha256="x")["video"]["mime_type"] == "video/mp4"
    assert wh.sticker_message("1555", "1", sha256="x")["sticker"]["animated"] is False


def test_other_message_types() -> None:
    loc = wh.location_message("1555", 55.75, 37.61, name="Office")
    assert loc["location"] == {"latitude": 55.75, "longitude": 37.61, "name": "Office"}
    card = wh.shared_contact("Ivan Petrov", phones=["+79991234567"], company="ACME")
    shared = wh.contacts_message("1555", [card])
    assert shared["contacts"][0]["phones"] == [{"phone": "+79991234567", "type": "CELL"}]
    reply = wh.interactive_reply("1555", "yes", "Yes", context_id="wamid.OUT")
    assert reply["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "yes", "title": "Yes"},
    }
    assert reply["context"]["id"] == "wamid.OUT"
    listed = wh.interactive_reply("1555", "r1", "Row", context_id="w", list_reply=True)
    assert listed["interactive"]["type"] == "list_reply"
    button = wh.button_message("1555", "STOP", "Stop promotions", context_id="wamid.T")
    assert button["button"] == {"payload": "STOP", "text": "Stop promotions"}
    reaction = wh.reaction_message("1555", "wamid.OUT", "👍")
    assert reaction["reaction"] == {"message_id": "wamid.OUT", "emoji": "👍"}
    assert "emoji" not in wh.reaction_message("1555", "wamid.OUT", None)["reaction"]
    unsupported = wh.unsupported_message("1555")
    assert unsupported["type"] == "unsupported"
    assert unsupported["errors"][0]["code"] == 131051
    novel = wh.unknown_type_message("1555", "hologram", {"depth": 3})
    assert novel["hologram"] == {"depth": 3}


def test_statuses() -> None:
    sent = wh.status("wamid.OUT", "15551234567", "sent", biz_opaque_callback_data="key-1")
    assert sent["conversation"]["expiration_timestamp"].isdigit()
    assert sent["pricing"]["billable"] is True
    assert sent["biz_opaque_callback_data"] == "key-1"
    read = wh.status("wamid.OUT", "15551234567", "read")
    assert "conversation" not in read
    failed = wh.status(
        "wamid.OUT",
        "15551234567",
        "failed",
        errors=[wh.error(131047, "Re-engagement message", "More than 24 hours…")],
    )
    assert failed["errors"][0]["code"] == 131047
    assert failed["errors"][0]["error_data"] == {"details": "More than 24 hours…"}
    payload = wh.envelope("1", statuses=[sent, read, failed])
    assert len(payload["entry"][0]["changes"][0]["value"]["statuses"]) == 3


def test_merge_and_encoding() -> None:
    one = wh.envelope("1", messages=[wh.text_message("1555", "Привет 👋")])
    two = wh.envelope("2", statuses=[wh.status("wamid.X", "1555", "delivered")])
    merged = wh.merge(one, two)
    assert [e["changes"][0]["value"]["metadata"]["phone_number_id"] for e in merged["entry"]] == [
        "1",
        "2",
    ]
    escaped = wh.encode(one)
    assert escaped.isascii() and b"\\u041f" in escaped
    raw = wh.encode(one, ascii_only=False)
    assert "Привет".encode() in raw
    assert json.loads(escaped) == json.loads(raw)
