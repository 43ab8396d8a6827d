"""The typed message the worker's stages act on, read from real-shaped payloads."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.whatsapp.tasks import Message
from whatsapp_cloud.webhook import InboundEvent, split_envelope

DATA = Path(__file__).resolve().parents[2] / "data" / "whatsapp"
MESSAGES = sorted(p.stem for p in DATA.glob("message_*.json"))


def event_of(name: str) -> InboundEvent:
    (event,) = split_envelope(json.loads((DATA / f"{name}.json").read_text()))
    return event


@pytest.mark.parametrize("name", MESSAGES)
def test_every_named_message_reads_as_a_typed_message(name: str) -> None:
    event = event_of(name)
    message = Message.of(event)
    assert message.id == event.data["id"]
    assert message.type == event.data["type"]
    assert message.sender.address
    assert isinstance(message.media, dict)
    cards = ("message_image", "message_document_image", "message_document_pdf")
    assert message.is_card == (name in cards)


def test_text_commands_and_bodies() -> None:
    assert Message.of(event_of("message_text_command_start")).command == "/start"
    text = Message.of(event_of("message_text"))
    assert text.text and text.command == ""
    assert text.sent_at is not None


def test_shared_contacts_keep_only_objects() -> None:
    message = Message.of(event_of("message_contacts"))
    assert message.shared_contacts
    assert all(isinstance(c, dict) for c in message.shared_contacts)


@pytest.mark.parametrize(
    "changes",
    [
        {"text": "not an object", "timestamp": "soon"},
        {"type": "image", "image": ["not", "an", "object"]},
        {"type": "contacts", "contacts": "not a list"},
        {"type": None},
    ],
)
def test_odd_fields_are_tolerated(changes: dict) -> None:
    event = event_of("message_text")
    message = Message.of(replace(event, data={**event.data, **changes}))
    assert message.id == event.data["id"]
    assert isinstance(message.text, str)
    assert isinstance(message.media, dict)
    assert isinstance(message.shared_contacts, tuple)


def test_a_message_without_an_id_is_refused() -> None:
    event = event_of("message_text")
    data = {k: v for k, v in event.data.items() if k != "id"}
    with pytest.raises(KeyError):
        Message.of(replace(event, data=data))


def test_taps_and_captions() -> None:
    """A tapped button's or picked row's id is the message's choice; a photo's caption is
    kept, stripped; other types have neither."""
    button = Message.of(event_of("message_interactive_button_reply"))
    listed = Message.of(event_of("message_interactive_list_reply"))
    assert button.choice and listed.choice and button.caption == ""
    image = Message.of(event_of("message_image"))
    assert image.caption == "визитка" and image.choice == ""
    assert Message.of(event_of("message_text")).choice == ""
