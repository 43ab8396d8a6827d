from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator


class SendRequest(BaseModel):
    """The body ibbase users already send: ``{"to": "79001234567", "message": "…"}``."""

    to: str = Field(description="recipient's WhatsApp number (digits, country code first)")
    message: str = Field(min_length=1, max_length=4096)

    @field_validator("to")
    @classmethod
    def _digits(cls, value: str) -> str:
        digits = re.sub(r"[\s()+-]", "", value)
        if not digits.isdigit() or not 6 <= len(digits) <= 15:
            raise ValueError("must be a phone number in international format, e.g. 79001234567")
        return digits

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class SendResponse(BaseModel):
    message_id: str
    status: str
