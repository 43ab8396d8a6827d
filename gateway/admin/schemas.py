"""The admin send's request and answer.

A request names a recipient, optionally a ``channel``, and what to send: one free-form
message (``text`` — or ``message``, its older name —, ``image``, ``document`` or
``contact``), a ``template``, or both: then the free-form message goes inside the
recipient's 24-hour window and the template outside it. Everything Meta would refuse in
the message itself is refused here first (422), by ``whatsapp_cloud.messages``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from whatsapp_cloud import messages as wa
from whatsapp_cloud.client import MAX_TEXT_LEN

FREE_FORM = ("text", "image", "document", "contact")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _not_blank(value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise ValueError("must not be blank")
    return value


class MediaIn(BaseModel):
    """Media by a public ``link`` or by the ``id`` of media uploaded to the channel's number."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(None, min_length=1, max_length=256, description="uploaded media id")
    link: str | None = Field(None, max_length=2048, description="public http(s) URL")
    caption: str | None = Field(None, min_length=1, max_length=wa.MAX_CAPTION)
    filename: str | None = Field(None, min_length=1, max_length=240, description="documents")

    def message(self, kind: str) -> dict[str, Any]:
        return wa.media(
            kind, media_id=self.id, link=self.link, caption=self.caption, filename=self.filename
        )


class TemplateIn(BaseModel):
    """An approved template; ``parameters`` fill its body variables {{1}}, {{2}}… in order."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=wa.MAX_TEMPLATE_NAME, examples=["card_followup"])
    language: str = Field(min_length=2, max_length=16, examples=["ru", "en_US"])
    parameters: list[str] = Field(default_factory=list, max_length=100)

    def message(self) -> dict[str, Any]:
        return wa.template(self.name, self.language, self.parameters)


class SendRequest(BaseModel):
    """``{"to": "79001234567", "text": "…"}``, or ``image``/``document``/``contact``/
    ``template`` instead of ``text``; ``{"to", "message"}`` as ibbase users already send."""

    model_config = ConfigDict(extra="forbid")

    channel: str | None = Field(
        None,
        min_length=1,
        max_length=253,
        description="the channel to send from (its registry id); the WHATSAPP_* channel, "
        "`default`, when left out",
    )
    to: str = Field(description="recipient's WhatsApp number (digits, country code first)")
    text: str | None = Field(None, min_length=1, max_length=MAX_TEXT_LEN)
    message: str | None = Field(
        None, min_length=1, max_length=MAX_TEXT_LEN, description="the text: `text`'s older name"
    )
    image: MediaIn | None = None
    document: MediaIn | None = None
    contact: dict[str, Any] | None = Field(
        None,
        description="a contact card: formatted_name (required), first_name, last_name, "
        "company, title, phones, emails, websites, address…",
    )
    template: TemplateIn | None = Field(
        None, description="sent outside the 24-hour window, or alone"
    )

    @field_validator("to")
    @classmethod
    def _digits(cls, value: str) -> str:
        digits = re.sub(r"[\s()+-]", "", value)
        if not digits.isdigit() or not 6 <= len(digits) <= 15:
            raise ValueError("must be a phone number in international format, e.g. 79001234567")
        return digits

    @field_validator("text", "message")
    @classmethod
    def _text_not_blank(cls, value: str | None) -> str | None:
        return _not_blank(value)

    @model_validator(mode="after")
    def _one_message(self) -> SendRequest:
        if self.text is not None and self.message is not None:
            raise ValueError("give the text as `text` or as `message`, not both")
        given = [name for name in FREE_FORM if self._content(name) is not None]
        if len(given) > 1:
            raise ValueError(f"send one message at a time: got {', '.join(given)}")
        if not given and self.template is None:
            raise ValueError(f"nothing to send: give one of {', '.join(FREE_FORM)} or a template")
        # Neither WhatsApp nor PostgreSQL text takes NUL characters.
        if any("\x00" in text for text in _strings(self.model_dump())):
            raise ValueError("text must not contain NUL (\\u0000) characters")
        # Build them now: what Meta would refuse is a 422 here, before any send.
        self.free_form()
        self.template_message()
        return self

    def _content(self, name: str) -> Any:
        return (self.text or self.message) if name == "text" else getattr(self, name)

    def free_form(self) -> dict[str, Any] | None:
        """The free-form message object, if one was given."""
        body = self.text or self.message
        if body is not None:
            return wa.text(body)
        if self.image is not None:
            return self.image.message("image")
        if self.document is not None:
            return self.document.message("document")
        if self.contact is not None:
            return wa.contact_card(self.contact)
        return None

    def template_message(self) -> dict[str, Any] | None:
        return self.template.message() if self.template is not None else None


class SendResponse(BaseModel):
    message_id: str
    status: str
    channel: str = Field(description="the channel it was sent from")
    type: str = Field(description="the message type sent: text, image, template…")
