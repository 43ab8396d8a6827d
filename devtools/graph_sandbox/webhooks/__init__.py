"""Build webhook payloads exactly as Meta sends them, and sign them as Meta does.

Pure functions, no I/O: tests, the demo and the benchmarks use them to act as Meta.
Message builders return one ``messages[]`` item; ``contact()`` one ``contacts[]`` item;
``status()`` one ``statuses[]`` item; ``envelope()`` wraps them in the
``whatsapp_business_account`` notification; ``encode()`` gives the bytes to post and
``sign()`` the ``X-Hub-Signature-256`` header for them::

    msg = text_message("15551234567", "/start")
    payload = envelope("106540352242922", messages=[msg],
                       contacts=[contact("15551234567", "Anna", user_id="US.1349120865")])
    body = encode(payload)
    headers = {"X-Hub-Signature-256": sign(body, app_secret)}

Every level is an array and timestamps are strings of Unix seconds, as in Meta's payloads.
A user who has adopted a username may come with no phone number: pass ``wa_id=None`` and a
``user_id`` (business-scoped user id, e.g. ``US.13491208655302741918``); ``from`` and
``wa_id`` are then left out.
"""

from graph_sandbox.webhooks.envelope import contact, encode, envelope, merge, sign, status
from graph_sandbox.webhooks.messages import (
    audio_message,
    button_message,
    contacts_message,
    document_message,
    error,
    image_message,
    interactive_reply,
    location_message,
    new_wamid,
    reaction_message,
    sha256_b64,
    shared_contact,
    sticker_message,
    text_message,
    unknown_type_message,
    unsupported_message,
    video_message,
)

__all__ = [
    "audio_message",
    "button_message",
    "contact",
    "contacts_message",
    "document_message",
    "encode",
    "envelope",
    "error",
    "image_message",
    "interactive_reply",
    "location_message",
    "merge",
    "new_wamid",
    "reaction_message",
    "sha256_b64",
    "shared_contact",
    "sign",
    "status",
    "sticker_message",
    "text_message",
    "unknown_type_message",
    "unsupported_message",
    "video_message",
]
